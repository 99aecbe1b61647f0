"""The SageMaker model package group every model upload is registered in, and its wiring to the
registration function (ADR-0071).

- ``AWS::SageMaker::ModelPackageGroup``, retained when the stack is deleted: the registry is
  the record of every delivered model, and a group that holds packages cannot be deleted.
- The function's environment names the group (``MODEL_PACKAGE_GROUP``) and the gate
  (``MODEL_GATE_POLICY``, JSON).
- A second customer-managed policy on the function's role, beside the registration's own:
  create, describe, list and update packages of this group only; read the metrics files only
  (``<prefix>*.metrics.json``); list the model bucket, so that a missing metrics file answers
  404 and not 403 (S3 answers 403 for a missing key to a caller without s3:ListBucket,
  https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html).
- An EventBridge rule: "SageMaker Model Package State Change" of this group -> the function,
  which sets the parameter to the newest approved package (operators approve, reject and roll
  back in the registry; the function stays the only writer of the parameter). Events
  EventBridge cannot deliver go to the registration's failure queue, which is alarmed.
- An alarm on the gate's rejections, to the operations topic.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk_exercise_stacks.common import s3_bucket_arn
from cdk_exercise_stacks.compliance import wildcard_resource_finding
from policies.exceptions import acknowledge

# What the function does with the packages of its group (ListModelPackages is authorized on
# the model-package resource type: Service Authorization Reference, Amazon SageMaker AI,
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html).
PACKAGE_ACTIONS = (
    "sagemaker:CreateModelPackage",
    "sagemaker:DescribeModelPackage",
    "sagemaker:ListModelPackages",
    "sagemaker:UpdateModelPackage",
)
METRICS_READ_ACTIONS = ("s3:GetObject",)
BUCKET_LIST_ACTIONS = ("s3:ListBucket",)


@dataclass(frozen=True)
class ModelRegistrySettings:
    """The registry's names and the gate, filled by the stack from config.

    :param gate_policy: the gate as the function reads it (``constants.model_gate_policy()``).
    :param metrics_key_pattern: the metrics files' keys, e.g. ``models/*.metrics.json``.
    """

    group_name: str
    group_env_var: str
    gate_policy_env_var: str
    gate_policy: Mapping[str, object]
    metrics_key_pattern: str
    state_change_source: str
    state_change_detail_type: str
    rejected_metric: str
    alarm_period_seconds: int
    alarm_threshold: int


class ModelRegistry(Construct):
    """The group, the function's access and environment, the state-change rule, the alarm."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: ModelRegistrySettings,
        function: lambda_.Function,
        role: iam.IRole,
        model_bucket_name: str,
        metrics_namespace: str,
        undelivered_events_queue: sqs.IQueue,
        alarm_actions: Sequence[cloudwatch.IAlarmAction],
    ) -> None:
        """
        :param function: the registration function (its environment gets the group and gate).
        :param role: the function's role; the registry's policy is attached to it.
        :param model_bucket_name: the bucket the metrics files are read from (may be a token).
        :param metrics_namespace: where the function puts the gate's metrics.
        :param undelivered_events_queue: where EventBridge puts a state-change event it could
            not deliver (the registration's failure queue, already alarmed: one place for an
            operator to re-drive from).
        """
        super().__init__(scope, construct_id)
        if not alarm_actions:
            raise ValueError("the model registry's alarm needs at least one alarm action")
        self.group_name = settings.group_name
        self.group = sagemaker.CfnModelPackageGroup(
            self,
            "Group",
            model_package_group_name=settings.group_name,
            model_package_group_description=(
                "Every uploaded model with its training metrics; the approved ones are served "
                "(ADR-0071)"
            ),
        )
        # The registry is the audit record of delivered models; a group with packages cannot
        # be deleted anyway.
        self.group.apply_removal_policy(RemovalPolicy.RETAIN)

        stack = Stack.of(self)
        self.group_arn = stack.format_arn(
            service="sagemaker",
            resource="model-package-group",
            resource_name=settings.group_name,
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        # Versioned packages are model-package/<group>/<version>; the group's own name in the
        # model-package resource type is granted too, for ListModelPackages of the group.
        self.group_packages_arn = stack.format_arn(
            service="sagemaker",
            resource="model-package",
            resource_name=settings.group_name,
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        self.packages_arn = stack.format_arn(
            service="sagemaker",
            resource="model-package",
            resource_name=f"{settings.group_name}/*",
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        bucket_arn = s3_bucket_arn(self, model_bucket_name)
        self.metrics_files_arn = f"{bucket_arn}/{settings.metrics_key_pattern}"
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="Model registration: the model packages of its group, the metrics files",
            statements=[
                iam.PolicyStatement(
                    sid="RegisterModelPackagesOfTheGroup",
                    actions=list(PACKAGE_ACTIONS),
                    resources=[self.group_arn, self.group_packages_arn, self.packages_arn],
                ),
                iam.PolicyStatement(
                    sid="ReadMetricsFiles",
                    actions=list(METRICS_READ_ACTIONS),
                    resources=[self.metrics_files_arn],
                ),
                iam.PolicyStatement(
                    sid="TellMissingMetricsFilesFromDenied",
                    actions=list(BUCKET_LIST_ACTIONS),
                    resources=[bucket_arn],
                ),
            ],
            roles=[role],
        )

        function.add_environment(settings.group_env_var, settings.group_name)
        function.add_environment(
            settings.gate_policy_env_var,
            json.dumps(dict(settings.gate_policy), separators=(",", ":"), sort_keys=True),
        )

        self.state_change_rule = events.Rule(
            self,
            "PackageStateChange",
            description=(
                "An approval status of the model package group changed: the registration "
                "function serves the newest approved package"
            ),
            event_pattern=events.EventPattern(
                source=[settings.state_change_source],
                detail_type=[settings.state_change_detail_type],
                detail={"ModelPackageGroupName": [settings.group_name]},
            ),
        )
        self.state_change_rule.add_target(
            targets.LambdaFunction(function, dead_letter_queue=undelivered_events_queue)
        )
        # The function must hold its registry permissions before the first event reaches it.
        self.state_change_rule.node.add_dependency(self.policy)

        self.rejected_alarm = cloudwatch.Alarm(
            self,
            "RejectedByGateAlarm",
            alarm_description=(
                "The metric gate rejected an uploaded model: it is registered but not served. "
                "See the package's ApprovalDescription (or the 'package_created' log line); "
                "approve it in the model registry to serve it anyway"
            ),
            metric=cloudwatch.Metric(
                namespace=metrics_namespace,
                metric_name=settings.rejected_metric,
                statistic=cloudwatch.Stats.SUM,
                period=Duration.seconds(settings.alarm_period_seconds),
            ),
            threshold=settings.alarm_threshold,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.rejected_alarm.add_alarm_action(*alarm_actions)

        acknowledge(
            self.policy,
            "AwsSolutions-IAM5",
            adr="0071",
            reason=(
                "the versions of the one model package group (model-package/<group>/*) and the "
                "metrics files (<prefix>*.metrics.json): each wildcard is the one collection "
                "the function works on, not more"
            ),
            applies_to=[
                wildcard_resource_finding(self, self.packages_arn),
                wildcard_resource_finding(self, self.metrics_files_arn),
            ],
        )
