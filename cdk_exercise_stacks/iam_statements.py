"""IAM pieces more than one construct grants: service principals, log writes, namespaced metrics."""

from __future__ import annotations

from aws_cdk import aws_iam as iam

CLOUDFORMATION_PRINCIPAL = "cloudformation.amazonaws.com"
CLOUDWATCH_PRINCIPAL = "cloudwatch.amazonaws.com"
LAMBDA_PRINCIPAL = "lambda.amazonaws.com"
SAGEMAKER_PRINCIPAL = "sagemaker.amazonaws.com"

# What a function writes to its own log group (the group is a stack resource: no CreateLogGroup).
LOG_WRITE_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")


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
