"""Log groups of the pipeline: retained with the stack deleted, retention in days from config."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct


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
