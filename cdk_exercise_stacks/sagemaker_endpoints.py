"""SentimentEndpointStack: the endpoint serving the model registered in SSM, autoscaled on CPU."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import Aws, Stack, Tags
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from cdk_exercise_stacks.operations.alerts import operations_alarm_actions
from cdk_exercise_stacks.operations.keys import KEY_RESOURCE_TYPE, pipeline_key
from cdk_exercise_stacks.pipeline_stack import naming_for
from cdk_exercise_stacks.rollout.model_rollout import ModelRollout
from cdk_exercise_stacks.serving.autoscaling import CpuAutoscaling
from cdk_exercise_stacks.serving.deployment import EndpointDeployment
from cdk_exercise_stacks.serving.endpoint import ServingEndpoint
from cdk_exercise_stacks.serving.endpoint_log_group import EndpointLogGroup
from cdk_exercise_stacks.serving.image import ModelImage
from cdk_exercise_stacks.serving.tagging import tags_from_argument
from config import constants


class SentimentEndpointStack(Stack):
    """Deploys after the first model is registered (ADR-0032).

    ``ssm_parameter_model_s3`` names the parameter holding the model's object key; the bucket is
    not passed: its name is derived from the same function the S3 stack uses (ADR-0036).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        ssm_parameter_model_s3: str,
        mode_image: str,
        model_instance: str,
        tags: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        naming = naming_for(scope)
        kwargs.setdefault("stack_name", naming.stack_name(construct_id))
        kwargs.setdefault("description", "Sentiment model endpoint, autoscaled on CPU")
        self.tags_applied = tags_from_argument(tags)  # validate before building anything
        super().__init__(scope, construct_id, **kwargs)

        self.model_parameter_name = naming.parameter_name(ssm_parameter_model_s3)
        self.model_bucket_name = naming.model_bucket_name(Aws.ACCOUNT_ID, Aws.REGION)
        self.endpoint_name = naming.endpoint_name
        self.variant_name = constants.SAGEMAKER_VARIANT_NAME
        self.instance_type = model_instance

        # A template parameter of type AWS::SSM::Parameter::Value<String>: CloudFormation reads
        # the latest registered key on every create and update (a {{resolve:ssm}} reference
        # would not be re-read on an unchanged template).
        model_key = ssm.StringParameter.value_for_string_parameter(self, self.model_parameter_name)
        self.model_data_url = f"s3://{self.model_bucket_name}/{model_key}"

        self.image = ModelImage(
            self, "ModelImage", mode_image=mode_image, instance_type=model_instance
        )
        # One key for the endpoint's logs and, where the instance type allows, its storage
        # volume (ADR-0038, ADR-0048).
        self.encryption_key = pipeline_key(
            self,
            "EndpointKey",
            name=naming.endpoint_key_name,
            description="Encrypts the sentiment endpoint's logs and storage volume",
            pending_window_days=constants.ENDPOINT_KEY_PENDING_WINDOW_DAYS,
        )
        self.log_group = EndpointLogGroup(
            self,
            "EndpointLogs",
            endpoint_name=self.endpoint_name,
            encryption_key=self.encryption_key,
        ).log_group
        serving = ServingEndpoint(
            self,
            "Serving",
            endpoint_name=self.endpoint_name,
            variant_name=self.variant_name,
            instance_type=model_instance,
            image=self.image,
            model_data_url=self.model_data_url,
            model_bucket_name=self.model_bucket_name,
            model_key_prefix=constants.MODEL_KEY_PREFIX,
            environment=constants.SAGEMAKER_MODEL_ENVIRONMENT,
            log_group=self.log_group,
            volume_key=self.encryption_key,
        )
        self.execution_role = serving.execution_role
        self.model = serving.model
        self.endpoint_config = serving.endpoint_config
        self.endpoint = serving.endpoint

        autoscaling = CpuAutoscaling(
            self,
            "Autoscaling",
            endpoint=self.endpoint,
            endpoint_name=self.endpoint_name,
            variant_name=self.variant_name,
            instance_type=model_instance,
        )
        self.scalable_target = autoscaling.scalable_target
        self.scaling_policy = autoscaling.scaling_policy

        # Every alarm publishes to the operations topic of the Lambda stack, addressed by its
        # derived name (ADR-0036, ADR-0049).
        alarm_actions = operations_alarm_actions(
            self,
            "OperationsAlerts",
            topic_name=naming.resource_name(constants.OPERATIONS_TOPIC_NAME),
        )

        # A new model reaches the endpoint blue/green, with automatic rollback on alarms,
        # keeping the autoscaled instance count (ADR-0053, ADR-0054).
        self.deployment = EndpointDeployment(
            self,
            "Deployment",
            endpoint=self.endpoint,
            endpoint_name=self.endpoint_name,
            variant_name=self.variant_name,
            initial_instance_count=constants.SAGEMAKER_INITIAL_INSTANCE_COUNT,
            min_instance_count=constants.AUTOSCALING_MIN_CAPACITY,
            alarm_actions=alarm_actions,
        )
        # A change of the registered model updates this stack through CloudFormation, which
        # stays the only owner of model, config and endpoint (ADR-0050).
        self.rollout = ModelRollout(
            self,
            "Rollout",
            parameter_name=self.model_parameter_name,
            endpoint_name=self.endpoint_name,
            model_execution_role=self.execution_role,
            rollback_alarms=self.deployment.rollback_alarms,
            volume_key_arn=self.endpoint_config.kms_key_id,
            function_name=naming.rollout_function_name,
            alarm_actions=alarm_actions,
        )

        # Every resource but the key, whose template carries no tags (operations/keys.py).
        for key, value in self.tags_applied.items():
            Tags.of(self).add(key, value, exclude_resource_types=[KEY_RESOURCE_TYPE])
