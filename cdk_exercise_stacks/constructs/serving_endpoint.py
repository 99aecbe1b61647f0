"""The SageMaker model, endpoint configuration and endpoint, with a least-privilege role.

The model and the endpoint configuration carry no fixed name: every one of their properties is
create-only, so each new model replaces them, and a custom name would make that replacement
fail (ADR-0025). Only the endpoint keeps a stable name: clients call it.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from cdk_exercise_stacks.constructs.model_image import ECR_PULL_ACTIONS, ModelImage
from config import constants

ENDPOINT_LOG_ACTIONS = (
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:DescribeLogStreams",
    "logs:PutLogEvents",
)


class ServingEndpoint(Construct):
    """``model`` -> ``endpoint_config`` (one variant) -> ``endpoint``, run by ``execution_role``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint_name: str,
        variant_name: str,
        instance_type: str,
        image: ModelImage,
        model_data_url: str,
        model_bucket_name: str,
        model_key_prefix: str,
        environment: Mapping[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.execution_role = self._execution_role(
            endpoint_name=endpoint_name,
            image=image,
            model_bucket_name=model_bucket_name,
            model_key_prefix=model_key_prefix,
        )

        self.model = sagemaker.CfnModel(
            self,
            "Model",
            execution_role_arn=self.execution_role.role_arn,
            primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
                image=image.image_uri,
                model_data_url=model_data_url,
                environment=dict(environment),
                mode="SingleModel",
            ),
        )
        # CreateModel checks the role's access: its policy must exist first, not just the role
        # (the role itself is already a dependency through ExecutionRoleArn).
        self.model.node.add_dependency(self.execution_role.node.find_child("DefaultPolicy"))

        self.endpoint_config = sagemaker.CfnEndpointConfig(
            self,
            "EndpointConfig",
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name=variant_name,
                    model_name=self.model.attr_model_name,
                    instance_type=instance_type,
                    initial_instance_count=constants.SAGEMAKER_INITIAL_INSTANCE_COUNT,
                    initial_variant_weight=1.0,
                )
            ],
        )

        self.endpoint = sagemaker.CfnEndpoint(
            self,
            "Endpoint",
            endpoint_name=endpoint_name,
            endpoint_config_name=self.endpoint_config.attr_endpoint_config_name,
        )

    def _execution_role(
        self,
        *,
        endpoint_name: str,
        image: ModelImage,
        model_bucket_name: str,
        model_key_prefix: str,
    ) -> iam.Role:
        stack = Stack.of(self)
        role = iam.Role(
            self,
            "ExecutionRole",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description="Runs the sentiment model: reads models, pulls its image, writes its logs",
        )
        model_objects_arn = stack.format_arn(
            service="s3",
            region="",
            account="",
            resource=model_bucket_name,
            resource_name=f"{model_key_prefix}*",
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        log_group_arn = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name=f"{constants.SAGEMAKER_ENDPOINT_LOG_GROUP_PREFIX}{endpoint_name}",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        statements = [
            iam.PolicyStatement(
                sid="ReadModelArtifacts", actions=["s3:GetObject"], resources=[model_objects_arn]
            ),
            iam.PolicyStatement(
                sid="PullServingImage",
                actions=list(ECR_PULL_ACTIONS),
                resources=[image.repository_arn],
            ),
            iam.PolicyStatement(
                sid="AuthenticateToRegistry",
                actions=["ecr:GetAuthorizationToken"],
                # GetAuthorizationToken has no resource-level permission.
                resources=["*"],
            ),
            iam.PolicyStatement(
                sid="WriteEndpointLogs",
                actions=list(ENDPOINT_LOG_ACTIONS),
                resources=[log_group_arn, f"{log_group_arn}:log-stream:*"],
            ),
            iam.PolicyStatement(
                sid="PutEndpointMetrics",
                actions=["cloudwatch:PutMetricData"],
                # PutMetricData has no resource-level permission; the namespace narrows it.
                resources=["*"],
                conditions={
                    "StringEquals": {"cloudwatch:namespace": constants.SAGEMAKER_ENDPOINT_NAMESPACE}
                },
            ),
        ]
        for statement in statements:
            role.add_to_policy(statement)
        return role
