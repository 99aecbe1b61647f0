"""What several parts build alike: ARNs from names, IAM pieces, retained log groups, and the
settings every Lambda function of the pipeline has.

ARNs are built with ``Stack.format_arn`` (partition, region and account of the stack), from a
name rather than a resource attribute where a reference would create a dependency cycle or a
cross-stack reference; each caller says why it needs the name form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct, IConstruct

CLOUDFORMATION_PRINCIPAL = "cloudformation.amazonaws.com"
CLOUDWATCH_PRINCIPAL = "cloudwatch.amazonaws.com"
LAMBDA_PRINCIPAL = "lambda.amazonaws.com"
SAGEMAKER_PRINCIPAL = "sagemaker.amazonaws.com"

# What a function writes to its own log group (the group is a stack resource: no CreateLogGroup).
LOG_WRITE_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")


def ssm_parameter_arn(scope: IConstruct, parameter_name: str) -> str:
    """``arn:...:ssm:<region>:<account>:parameter/<name>`` of a fully qualified parameter name."""
    return Stack.of(scope).format_arn(
        service="ssm",
        resource="parameter",
        resource_name=parameter_name.lstrip("/"),
        arn_format=ArnFormat.SLASH_RESOURCE_NAME,
    )


def s3_bucket_arn(scope: IConstruct, bucket_name: str) -> str:
    """``arn:<partition>:s3:::<bucket>`` (S3 ARNs carry no region or account)."""
    return Stack.of(scope).format_arn(
        service="s3",
        region="",
        account="",
        resource=bucket_name,
        arn_format=ArnFormat.NO_RESOURCE_NAME,
    )


def lambda_function_arn(scope: IConstruct, function_name: str) -> str:
    """``arn:...:lambda:<region>:<account>:function:<name>``."""
    return _colon_arn(scope, "lambda", "function", function_name)


def log_group_arn(scope: IConstruct, log_group_name: str) -> str:
    """``arn:...:logs:<region>:<account>:log-group:<name>`` (``*`` matches every group)."""
    return _colon_arn(scope, "logs", "log-group", log_group_name)


def alarm_arn(scope: IConstruct, alarm_name: str) -> str:
    """``arn:...:cloudwatch:<region>:<account>:alarm:<name>`` (``*`` matches every alarm)."""
    return _colon_arn(scope, "cloudwatch", "alarm", alarm_name)


def _colon_arn(scope: IConstruct, service: str, resource: str, name: str) -> str:
    return Stack.of(scope).format_arn(
        service=service,
        resource=resource,
        resource_name=name,
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def put_metric_data_statement(namespace: str, *, sid: str) -> iam.PolicyStatement:
    """cloudwatch:PutMetricData in ``namespace`` only.

    PutMetricData has no resource-level permission: the resource is ``*`` and the
    ``cloudwatch:namespace`` condition is what narrows it (acknowledge AwsSolutions-IAM5 on
    ``Resource::*`` where it is used).
    """
    return iam.PolicyStatement(
        sid=sid,
        actions=["cloudwatch:PutMetricData"],
        resources=["*"],
        conditions={"StringEquals": {"cloudwatch:namespace": namespace}},
    )


def write_own_logs_statement(log_group: logs.ILogGroup) -> iam.PolicyStatement:
    """A function's log writes, to its own log group only (its role is read-only: the CDK's
    own grant would add an inline policy)."""
    return iam.PolicyStatement(
        sid="WriteOwnLogs",
        actions=list(LOG_WRITE_ACTIONS),
        resources=[log_group.log_group_arn],
    )


def role_with_managed_policy(
    scope: Construct,
    *,
    service: str,
    role_description: str,
    policy_description: str,
    statements: list[iam.PolicyStatement],
    role_id: str = "Role",
    policy_id: str = "Policy",
) -> tuple[iam.Role, iam.ManagedPolicy]:
    """A role ``service`` assumes whose every permission is one customer-managed policy: no
    inline policy, no AWS-managed policy (ADR-0031, ADR-0049).

    Give a function ``role.without_policy_updates()``: CDK's own grants (log group,
    destination, event source) would otherwise add an inline policy beside the managed one.
    Where a service checks the role's access when a resource is created, that resource must
    depend on the policy, not just on the role.
    """
    role = iam.Role(
        scope,
        role_id,
        assumed_by=iam.ServicePrincipal(service),
        description=role_description,
    )
    policy = iam.ManagedPolicy(
        scope,
        policy_id,
        description=policy_description,
        statements=statements,
        roles=[role],
    )
    return role, policy


def pipeline_function(
    scope: Construct,
    construct_id: str,
    *,
    settings: FunctionSettings,
    code: lambda_.Code,
    role: iam.Role,
    log_group: logs.ILogGroup,
    **props: Any,
) -> lambda_.Function:
    """A Lambda function of the pipeline: the Python runtime, handler, timeout, memory and
    reserved concurrency of ``settings``, its own ``log_group``, and ``role`` read-only, so that
    CDK's grants cannot add an inline policy beside the role's managed one (ADR-0049);
    ``props`` are further ``lambda_.Function`` properties."""
    return lambda_.Function(
        scope,
        construct_id,
        runtime=lambda_.Runtime(settings.runtime, lambda_.RuntimeFamily.PYTHON),
        handler=settings.handler,
        code=code,
        timeout=Duration.seconds(settings.timeout_seconds),
        memory_size=settings.memory_mb,
        role=role.without_policy_updates(),
        log_group=log_group,
        reserved_concurrent_executions=settings.reserved_concurrency,
        **props,
    )


def encrypted_queue(
    scope: Construct, construct_id: str, *, retention_days: int, **props: object
) -> sqs.Queue:
    """An SQS queue encrypted with SSE-SQS that refuses requests without TLS, keeping messages
    ``retention_days``; ``props`` are further ``sqs.Queue`` properties."""
    return sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=Duration.days(retention_days),
        **props,
    )


def retained_log_group(
    scope: Construct,
    construct_id: str,
    *,
    days: int,
    name: str | None = None,
    key: kms.IKey | None = None,
) -> logs.LogGroup:
    """A log group kept when the stack is deleted (its records are evidence), kept ``days`` days.

    :param name: physical name; generated when None.
    :param key: the KMS key it is encrypted with; its policy must let CloudWatch Logs use it.
    """
    log_group = logs.LogGroup(
        scope,
        construct_id,
        log_group_name=name,
        encryption_key=key,
        removal_policy=RemovalPolicy.RETAIN,
    )
    # RetentionDays is a name-valued enum in Python: set the number from config directly.
    log_group.node.default_child.retention_in_days = days
    return log_group


@dataclass(frozen=True)
class FunctionSettings:
    """How one of the pipeline's Lambda functions runs; the stack fills it from config."""

    runtime: str  # a Python runtime name, e.g. "python3.13"
    handler: str  # "<module>.<function>" in the function's asset
    timeout_seconds: int
    memory_mb: int
    reserved_concurrency: int
    log_retention_days: int
    # CDK glob excludes that cut this function's asset out of the shared runtime directory.
    asset_excludes: tuple[str, ...]
