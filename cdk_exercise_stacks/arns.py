"""ARNs the constructs build from names, each spelled in one place.

Built with ``Stack.format_arn`` (partition, region and account of the stack), from a name rather
than a resource attribute where a reference would create a dependency cycle or a cross-stack
reference; each caller says why it needs the name form.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from constructs import IConstruct


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


def log_group_arn(scope: IConstruct, log_group_name: str) -> str:
    """``arn:...:logs:<region>:<account>:log-group:<name>`` (``*`` matches every group)."""
    return Stack.of(scope).format_arn(
        service="logs",
        resource="log-group",
        resource_name=log_group_name,
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def alarm_arn(scope: IConstruct, alarm_name: str) -> str:
    """``arn:...:cloudwatch:<region>:<account>:alarm:<name>`` (``*`` matches every alarm)."""
    return Stack.of(scope).format_arn(
        service="cloudwatch",
        resource="alarm",
        resource_name=alarm_name,
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
