"""LambdaStack: the function that registers an uploaded model's key in SSM Parameter Store, the
alarms on its metrics, the operations topic every alarm of the pipeline publishes to, and the
CDK deploy role's read of the model parameter the endpoint stack resolves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Aws
from constructs import Construct

from cdk_exercise_stacks.common import FunctionSettings
from cdk_exercise_stacks.operations.alerts import OperationsAlerts
from cdk_exercise_stacks.optional_context import email_from_context
from cdk_exercise_stacks.pipeline_stack import PipelineStack
from cdk_exercise_stacks.registration.alarms import RegistrationAlarms, RegistrationAlarmSettings
from cdk_exercise_stacks.registration.deploy_role_parameter_read import DeployRoleParameterRead
from cdk_exercise_stacks.registration.function import RegistrationFunction, RegistrationSettings
from cdk_exercise_stacks.registry.model_registry import ModelRegistry, ModelRegistrySettings
from config import constants

REPO_ROOT = Path(__file__).resolve().parent.parent
LAMBDA_ASSET_PATH = REPO_ROOT / constants.RUNTIME_DIR

# The registration's settings from config/constants.py, the one place constructs get them from.
REGISTRATION_SETTINGS = RegistrationSettings(
    function=FunctionSettings(
        runtime=constants.LAMBDA_RUNTIME,
        handler=constants.LAMBDA_HANDLER,
        timeout_seconds=constants.LAMBDA_TIMEOUT_SECONDS,
        memory_mb=constants.LAMBDA_MEMORY_MB,
        reserved_concurrency=constants.LAMBDA_RESERVED_CONCURRENCY,
        log_retention_days=constants.LAMBDA_LOG_RETENTION_DAYS,
        asset_excludes=constants.REGISTRATION_ASSET_EXCLUDES,
    ),
    model_key_prefix=constants.MODEL_KEY_PREFIX,
    async_retry_attempts=constants.LAMBDA_ASYNC_RETRY_ATTEMPTS,
    max_event_age_seconds=constants.LAMBDA_MAX_EVENT_AGE_SECONDS,
    failure_queue_retention_days=constants.REGISTRATION_FAILURE_QUEUE_RETENTION_DAYS,
    failure_alarm_period_seconds=constants.REGISTRATION_FAILURE_ALARM_PERIOD_SECONDS,
    failure_alarm_threshold=constants.REGISTRATION_FAILURE_ALARM_THRESHOLD,
)
REGISTRATION_ALARM_SETTINGS = RegistrationAlarmSettings(
    registered_model_deleted_metric=constants.REGISTERED_MODEL_DELETED_METRIC,
    registered_model_overwritten_metric=constants.REGISTERED_MODEL_OVERWRITTEN_METRIC,
    event_rejected_metric=constants.EVENT_REJECTED_METRIC,
    unverified_upload_ignored_metric=constants.UNVERIFIED_UPLOAD_IGNORED_METRIC,
    period_seconds=constants.REGISTRATION_METRIC_ALARM_PERIOD_SECONDS,
    threshold=constants.REGISTRATION_METRIC_ALARM_THRESHOLD,
)

REGISTRY_ALARM_PERIOD_SECONDS = constants.REGISTRATION_METRIC_ALARM_PERIOD_SECONDS


def model_registry_settings(group_name: str) -> ModelRegistrySettings:
    """The model registry's settings from config/constants.py (ADR-0071)."""
    return ModelRegistrySettings(
        group_name=group_name,
        group_env_var=constants.MODEL_PACKAGE_GROUP_ENV_VAR,
        gate_policy_env_var=constants.MODEL_GATE_POLICY_ENV_VAR,
        gate_policy=constants.model_gate_policy(),
        metrics_key_pattern=f"{constants.MODEL_KEY_PREFIX}*{constants.MODEL_METRICS_FILE_SUFFIX}",
        state_change_source=constants.MODEL_PACKAGE_STATE_CHANGE_SOURCE,
        state_change_detail_type=constants.MODEL_PACKAGE_STATE_CHANGE_DETAIL_TYPE,
        rejected_metric=constants.MODEL_REJECTED_BY_GATE_METRIC,
        alarm_period_seconds=REGISTRY_ALARM_PERIOD_SECONDS,
        alarm_threshold=constants.REGISTRATION_METRIC_ALARM_THRESHOLD,
    )


class LambdaStack(PipelineStack):
    """Deploys first: the S3 stack's notification invokes ``lambda_function``, and the
    SageMaker stack's alarms publish to ``alerts_topic``."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        kwargs.setdefault("description", "Model registration: S3 upload -> SSM parameter")
        super().__init__(scope, construct_id, **kwargs)
        naming = self.naming

        # The first stack to deploy owns the topic; the others derive its ARN (ADR-0049).
        self.alerts_topic_name = naming.resource_name(constants.OPERATIONS_TOPIC_NAME)
        alerts = OperationsAlerts(
            self,
            "OperationsAlerts",
            topic_name=self.alerts_topic_name,
            key_name=naming.operations_key_name,
            key_pending_window_days=constants.OPERATIONS_KEY_PENDING_WINDOW_DAYS,
            # Absent: the topic has no subscriber until an operator adds one (ADR-0058).
            alert_email=email_from_context(self, constants.ALERT_EMAIL_CONTEXT_KEY),
        )
        self.alerts_topic = alerts.topic
        self.operations_key = alerts.key

        registration = RegistrationFunction(
            self,
            "ModelRegistration",
            naming=naming,
            asset_path=LAMBDA_ASSET_PATH,
            settings=REGISTRATION_SETTINGS,
            log_encryption_key=alerts.key,
            alarm_actions=alerts.alarm_actions,
        )
        self.lambda_function = registration.function
        # Plain strings (no tokens): other stacks derive ARNs from them instead of importing
        # outputs of this stack (ADR-0036).
        self.lambda_function_name = naming.function_name
        self.model_parameter_name = registration.parameter_name
        self.failure_queue = registration.failure_queue
        self.failure_alarm = registration.failure_alarm
        self.log_group = registration.log_group

        # `cdk deploy` of the endpoint stack resolves the model parameter with the CDK deploy
        # role's credentials; this stack deploys first and lets that role read it (ADR-0032).
        self.deploy_role_parameter_read = DeployRoleParameterRead(
            self,
            "DeployRoleParameterRead",
            role_name=constants.cdk_deploy_role_name(Aws.ACCOUNT_ID, Aws.REGION),
            parameter_arn=registration.parameter_arn,
        )

        # Deleted or overwritten registered models, rejected events and uploads S3 does not
        # confirm page an operator (ADR-0014, ADR-0017).
        self.registration_alarms = RegistrationAlarms(
            self,
            "RegistrationAlarms",
            namespace=naming.registration_metrics_namespace,
            settings=REGISTRATION_ALARM_SETTINGS,
            alarm_actions=alerts.alarm_actions,
        ).alarms

        # Every upload becomes a package of the group; the gate and the operators' approvals
        # decide what is served (ADR-0071).
        self.model_registry = ModelRegistry(
            self,
            "ModelRegistry",
            settings=model_registry_settings(naming.model_package_group_name),
            function=registration.function,
            role=registration.role,
            model_bucket_name=naming.model_bucket_name(Aws.ACCOUNT_ID, Aws.REGION),
            metrics_namespace=naming.registration_metrics_namespace,
            undelivered_events_queue=registration.failure_queue,
            alarm_actions=alerts.alarm_actions,
        )
        self.model_package_group_name = naming.model_package_group_name
