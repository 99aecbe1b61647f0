"""The endpoint's container log group, created by the stack before the endpoint.

SageMaker writes an endpoint's logs to ``/aws/sagemaker/Endpoints/<endpoint name>`` and creates
that group itself, without retention or a customer-managed key, when it does not exist. Created
here first, it keeps logs the days the stack says, encrypted with the endpoint key, and is
retained with the stack like the pipeline's other log groups (ADR-0038).
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from cdk_exercise_stacks.common import log_group_arn, retained_log_group
from cdk_exercise_stacks.operations.keys import (
    LOGS_KEY_ACTIONS,
    logs_service_principal,
)


class EndpointLogGroup(Construct):
    """``log_group`` of endpoint ``endpoint_name``, named ``<name_prefix><endpoint_name>`` (the
    group SageMaker writes to), kept ``retention_days``, encrypted with ``encryption_key``, whose
    policy lets CloudWatch Logs use the key for this one log group."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint_name: str,
        name_prefix: str,
        retention_days: int,
        encryption_key: kms.Key,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group_name = f"{name_prefix}{endpoint_name}"
        # From the name, not the log group: the group references the key, so the key policy
        # cannot reference the group.
        self.log_group_arn_by_name = log_group_arn(self, self.log_group_name)
        encryption_key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="EncryptTheEndpointLogGroup",
                principals=[logs_service_principal()],
                actions=list(LOGS_KEY_ACTIONS),
                resources=["*"],
                conditions={
                    "ArnEquals": {"kms:EncryptionContext:aws:logs:arn": self.log_group_arn_by_name}
                },
            )
        )
        self.log_group = retained_log_group(
            self,
            "LogGroup",
            name=self.log_group_name,
            days=retention_days,
            key=encryption_key,
        )
