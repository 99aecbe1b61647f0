"""The model registration function: S3 upload event in, the model's key in SSM out.

It is granted exactly what its handler does (ADR-0031): read and write the one model parameter,
put metrics in its own namespace, write to its own log group, and hand failed asynchronous
invocations to an encrypted queue that raises an alarm.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from config import constants
from config.naming import DeploymentNaming

# What the handler calls on the model parameter: read the current value and its history
# (ordering of registrations), then overwrite it.
MODEL_PARAMETER_ACTIONS = ("ssm:GetParameterHistory", "ssm:PutParameter")
_ASSET_EXCLUDES = ["__pycache__", "*.pyc", ".pytest_cache"]


class RegistrationFunction(Construct):
    """The registration Lambda with its role, log group, failure queue and failure alarm."""

    def __init__(
        self, scope: Construct, construct_id: str, *, naming: DeploymentNaming, asset_path: Path
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)

        self.log_group = logs.LogGroup(self, "LogGroup", removal_policy=RemovalPolicy.RETAIN)
        # RetentionDays is a name-valued enum in Python: set the number from config directly.
        self.log_group.node.default_child.retention_in_days = constants.LAMBDA_LOG_RETENTION_DAYS

        self.failure_queue = sqs.Queue(
            self,
            "FailedRegistrations",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(constants.REGISTRATION_FAILURE_QUEUE_RETENTION_DAYS),
        )

        # A role of our own: the role a Function creates carries the AWS-managed
        # AWSLambdaBasicExecutionRole, which allows writing to every log group (ADR-0031).
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Registers uploaded model keys in the model parameter",
        )
        self.parameter_name = naming.model_parameter_name
        self.parameter_arn = stack.format_arn(
            service="ssm",
            resource="parameter",
            resource_name=self.parameter_name.lstrip("/"),
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="RegisterModelInParameter",
                actions=list(MODEL_PARAMETER_ACTIONS),
                resources=[self.parameter_arn],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="PutRegistrationMetrics",
                actions=["cloudwatch:PutMetricData"],
                # PutMetricData has no resource-level permission; the namespace narrows it.
                resources=["*"],
                conditions={
                    "StringEquals": {
                        "cloudwatch:namespace": constants.MODEL_REGISTRATION_METRICS_NAMESPACE
                    }
                },
            )
        )
        self.log_group.grant_write(self.role)

        self.function = lambda_.Function(
            self,
            "Function",
            function_name=naming.function_name,
            description="Registers the key of an uploaded model artifact in SSM Parameter Store",
            runtime=lambda_.Runtime(constants.LAMBDA_RUNTIME, lambda_.RuntimeFamily.PYTHON),
            handler=constants.LAMBDA_HANDLER,
            code=lambda_.Code.from_asset(str(asset_path), exclude=_ASSET_EXCLUDES),
            timeout=Duration.seconds(constants.LAMBDA_TIMEOUT_SECONDS),
            memory_size=constants.LAMBDA_MEMORY_MB,
            environment=naming.lambda_environment,
            role=self.role,
            log_group=self.log_group,
            reserved_concurrent_executions=constants.LAMBDA_RESERVED_CONCURRENCY,
            retry_attempts=constants.LAMBDA_ASYNC_RETRY_ATTEMPTS,
            max_event_age=Duration.seconds(constants.LAMBDA_MAX_EVENT_AGE_SECONDS),
            on_failure=destinations.SqsDestination(self.failure_queue),
        )

        self.failure_alarm = cloudwatch.Alarm(
            self,
            "FailedRegistrationsAlarm",
            alarm_description=(
                "A model upload could not be registered after all retries: inspect the failed "
                "event in the queue and re-drive it"
            ),
            metric=self.failure_queue.metric_approximate_number_of_messages_visible(
                period=Duration.seconds(constants.REGISTRATION_FAILURE_ALARM_PERIOD_SECONDS),
                statistic=cloudwatch.Stats.MAXIMUM,
            ),
            threshold=constants.REGISTRATION_FAILURE_ALARM_THRESHOLD,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
