"""The model registration function: S3 upload event in, the model's key in SSM out.

It is granted exactly what its handler does (ADR-0031): read and write the one model parameter,
read the versions of objects under the model prefix (to confirm an upload, ADR-0017), put
metrics in its own namespace, write to its own log group, and hand failed asynchronous
invocations to an encrypted queue that raises an alarm. The grants are one customer-managed
policy; the function gets its role read-only, so no grant can add an inline policy beside it
(ADR-0049). Compliance findings this design answers otherwise are acknowledged here, each with
its ADR (ADR-0048).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from constructs import Construct

from cdk_exercise_stacks.common import (
    LAMBDA_PRINCIPAL,
    FunctionSettings,
    encrypted_queue,
    pipeline_function,
    put_metric_data_statement,
    retained_log_group,
    role_with_managed_policy,
    s3_bucket_arn,
    ssm_parameter_arn,
    write_own_logs_statement,
)
from cdk_exercise_stacks.compliance import acknowledge_lambda_baseline, wildcard_resource_finding
from config.naming import DeploymentNaming
from policies.exceptions import acknowledge, checkov_skip

# What the handler calls on the model parameter: read the current value and its history
# (ordering of registrations), then overwrite it.
MODEL_PARAMETER_ACTIONS = ("ssm:GetParameterHistory", "ssm:PutParameter")
# HeadObject with a VersionId, to confirm an upload before registering it (ADR-0017): S3
# authorizes it as s3:GetObjectVersion ("If you include a versionId in your request header, you
# must have the s3:GetObjectVersion permission"; HeadObject needs "the relevant read object (or
# version) permission", https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html).
# No s3:ListBucket: a missing version then answers 403, which the handler treats like a 404.
MODEL_OBJECT_ACTIONS = ("s3:GetObjectVersion",)
# What Lambda does with the function's role to hand a failed asynchronous event to the queue.
FAILURE_DESTINATION_ACTIONS = ("sqs:SendMessage",)


@dataclass(frozen=True)
class RegistrationSettings:
    """How the registration function runs and hands over failures; the stack fills it from
    config.

    :param async_retry_attempts, max_event_age_seconds: Lambda's retries of an asynchronous
        event, and how long it keeps trying, before the event goes to the failure queue.
    :param failure_alarm_period_seconds, failure_alarm_threshold: the failure queue's alarm on
        its visible messages (Maximum over the period).
    :param model_key_prefix: where models are uploaded in the model bucket; the function may
        read object versions there and nowhere else (ADR-0017).
    """

    function: FunctionSettings
    model_key_prefix: str
    async_retry_attempts: int
    max_event_age_seconds: int
    failure_queue_retention_days: int
    failure_alarm_period_seconds: int
    failure_alarm_threshold: int


class RegistrationFunction(Construct):
    """The registration Lambda with its role, log group, failure queue and failure alarm."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        naming: DeploymentNaming,
        asset_path: Path,
        settings: RegistrationSettings,
        log_encryption_key: kms.IKey,
        alarm_actions: Sequence[cloudwatch.IAlarmAction],
    ) -> None:
        """
        :param log_encryption_key: the key the log group is encrypted with; its policy must let
            the CloudWatch Logs service use it (``OperationsAlerts.key`` does).
        :param alarm_actions: where the failed-registrations alarm goes (the operations topic).
        """
        super().__init__(scope, construct_id)
        self.metrics_namespace = naming.registration_metrics_namespace

        self.log_group = retained_log_group(
            self, "LogGroup", days=settings.function.log_retention_days, key=log_encryption_key
        )

        # Retained: a message in it is an upload that was never registered (ADR-0058).
        self.failure_queue = encrypted_queue(
            self,
            "FailedRegistrations",
            retention_days=settings.failure_queue_retention_days,
            removal_policy=RemovalPolicy.RETAIN,
        )

        self.parameter_name = naming.model_parameter_name
        self.parameter_arn = ssm_parameter_arn(self, self.parameter_name)
        self.model_objects_arn = (
            s3_bucket_arn(self, naming.model_bucket_name(Aws.ACCOUNT_ID, Aws.REGION))
            + f"/{settings.model_key_prefix}*"
        )
        # A role of our own: the role a Function creates carries the AWS-managed
        # AWSLambdaBasicExecutionRole, which allows writing to every log group (ADR-0031).
        self.role, self.policy = role_with_managed_policy(
            self,
            service=LAMBDA_PRINCIPAL,
            role_description="Registers uploaded model keys in the model parameter",
            policy_description=(
                "Model registration: the model parameter, metrics, own logs, failures"
            ),
            statements=self._statements(),
        )

        # The role goes read-only: grants made by CDK (destination, log group) would otherwise
        # add an inline policy; the managed policy above already holds them.
        self.function = pipeline_function(
            self,
            "Function",
            settings=settings.function,
            function_name=naming.function_name,
            description="Registers the key of an uploaded model artifact in SSM Parameter Store",
            code=lambda_.Code.from_asset(
                str(asset_path), exclude=list(settings.function.asset_excludes)
            ),
            environment={
                **naming.lambda_environment,
                **naming.model_bucket_environment(Aws.ACCOUNT_ID, Aws.REGION),
            },
            role=self.role,
            log_group=self.log_group,
            retry_attempts=settings.async_retry_attempts,
            max_event_age=Duration.seconds(settings.max_event_age_seconds),
            on_failure=destinations.SqsDestination(self.failure_queue),
        )
        # Lambda checks the role's access to the destination when the invoke config is created.
        self.function.node.add_dependency(self.policy)

        self.failure_alarm = cloudwatch.Alarm(
            self,
            "FailedRegistrationsAlarm",
            alarm_description=(
                "A model upload could not be registered after all retries: inspect the failed "
                "event in the queue and re-drive it"
            ),
            metric=self.failure_queue.metric_approximate_number_of_messages_visible(
                period=Duration.seconds(settings.failure_alarm_period_seconds),
                statistic=cloudwatch.Stats.MAXIMUM,
            ),
            threshold=settings.failure_alarm_threshold,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.failure_alarm.add_alarm_action(*alarm_actions)
        self._acknowledge_findings()

    def _statements(self) -> list[iam.PolicyStatement]:
        return [
            iam.PolicyStatement(
                sid="RegisterModelInParameter",
                actions=list(MODEL_PARAMETER_ACTIONS),
                resources=[self.parameter_arn],
            ),
            iam.PolicyStatement(
                sid="ConfirmUploadedModelVersions",
                actions=list(MODEL_OBJECT_ACTIONS),
                resources=[self.model_objects_arn],
            ),
            put_metric_data_statement(self.metrics_namespace, sid="PutRegistrationMetrics"),
            write_own_logs_statement(self.log_group),
            iam.PolicyStatement(
                sid="KeepFailedRegistrations",
                actions=list(FAILURE_DESTINATION_ACTIONS),
                resources=[self.failure_queue.queue_arn],
            ),
        ]

    def _acknowledge_findings(self) -> None:
        """Findings the brief or the platform imposes, each with its ADR (ADR-0048)."""
        acknowledge_lambda_baseline(
            self.function,
            adr="0048",
            no_vpc=_NO_VPC,
            no_tracing=_NO_TRACING,
            runtime=_RUNTIME,
            plain_environment=_PLAIN_ENVIRONMENT,
            failure_adr="0037",
            failure_handling=_ON_FAILURE,
        )
        acknowledge(
            self.policy,
            "AwsSolutions-IAM5",
            adr="0031",
            reason=_METRICS_WILDCARD,
            applies_to=["Resource::*"],
        )
        acknowledge(
            self.policy,
            "AwsSolutions-IAM5",
            adr="0017",
            reason=_MODEL_VERSIONS_WILDCARD,
            applies_to=[wildcard_resource_finding(self, self.model_objects_arn)],
        )
        for rule in ("AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy"):
            acknowledge(
                self.failure_queue, rule, adr="0037", reason=_END_OF_LINE, apply_to_children=True
            )
        checkov_skip(self.failure_queue, "CKV_AWS_27", adr="0048", reason=_SSE_SQS)


_NO_VPC = (
    "the function calls only SSM Parameter Store, S3 (HeadObject) and CloudWatch, AWS APIs over "
    "TLS with IAM; "
    "it reads no data store a VPC could isolate, and IAM already scopes what it reaches"
)
_ON_FAILURE = (
    "failed asynchronous events go to an on-failure destination (SQS, with the request "
    "context and error, alarmed), which supersedes a dead-letter queue"
)
_NO_TRACING = (
    "the brief limits the function to the parameter and metrics; X-Ray would add write "
    "permissions on *; each decision is a JSON log line with the request id"
)
_RUNTIME = (
    "LAMBDA_RUNTIME python3.13 is supported until 2029 and shared by both functions; the "
    "rule's latest runtime moves with every CDK release"
)
_PLAIN_ENVIRONMENT = (
    "the environment holds the parameter name, the metrics namespace, the model bucket name "
    "and key prefix, no secret; Lambda encrypts it at rest with an AWS-managed key"
)
_METRICS_WILDCARD = (
    "cloudwatch:PutMetricData has no resource-level permission; narrowed to the registration "
    "namespace by the cloudwatch:namespace condition"
)
_MODEL_VERSIONS_WILDCARD = (
    "models/* is the model key prefix: any upload there may be the next model, and the "
    "function confirms each one with HeadObject (s3:GetObjectVersion) before registering it"
)
_END_OF_LINE = (
    "the failure queue is itself the on-failure destination, the end of the line: an alarm "
    "fires on its first message and an operator re-drives it"
)
_SSE_SQS = (
    "SSE-SQS: the message is an S3 event (object key, size, eTag); a customer-managed key "
    "would need KMS grants on the function role, beyond the brief's two permissions"
)
