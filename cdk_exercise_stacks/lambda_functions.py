"""LambdaStack: the function that registers an uploaded model's key in SSM Parameter Store, the
alarms on its metrics, the operations topic every alarm of the pipeline publishes to, and the
CDK deploy role's read of the model parameter the endpoint stack resolves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Aws, Stack
from constructs import Construct

from cdk_exercise_stacks.constructs.deploy_role_parameter_read import DeployRoleParameterRead
from cdk_exercise_stacks.constructs.operations_alerts import OperationsAlerts
from cdk_exercise_stacks.constructs.registration_alarms import RegistrationAlarms
from cdk_exercise_stacks.constructs.registration_function import RegistrationFunction
from cdk_exercise_stacks.deployment_naming import naming_for
from config import constants

REPO_ROOT = Path(__file__).resolve().parent.parent
LAMBDA_ASSET_PATH = REPO_ROOT / constants.RUNTIME_DIR


class LambdaStack(Stack):
    """Deploys first: the S3 stack's notification invokes ``lambda_function``, and the
    SageMaker stack's alarms publish to ``alerts_topic``."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        naming = naming_for(scope)
        kwargs.setdefault("stack_name", naming.stack_name(construct_id))
        kwargs.setdefault("description", "Model registration: S3 upload -> SSM parameter")
        super().__init__(scope, construct_id, **kwargs)

        # The first stack to deploy owns the topic; the others derive its ARN (ADR-0049).
        self.alerts_topic_name = naming.resource_name(constants.OPERATIONS_TOPIC_NAME)
        alerts = OperationsAlerts(
            self,
            "OperationsAlerts",
            topic_name=self.alerts_topic_name,
            key_name=naming.operations_key_name,
        )
        self.alerts_topic = alerts.topic
        self.operations_key = alerts.key

        registration = RegistrationFunction(
            self,
            "ModelRegistration",
            naming=naming,
            asset_path=LAMBDA_ASSET_PATH,
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

        # Deleted or overwritten registered models and rejected events page an operator
        # (ADR-0014).
        self.registration_alarms = RegistrationAlarms(
            self,
            "RegistrationAlarms",
            namespace=naming.registration_metrics_namespace,
            alarm_actions=alerts.alarm_actions,
        ).alarms
