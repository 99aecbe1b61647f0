"""The model monitor: an hourly function that turns the endpoint's captured traffic into the
``ModelMonitoring`` metrics, alarms on drift and quality, and a bus the data-science team hears
"retraining recommended" on (ADR-0070).

EventBridge schedule (minute ``schedule_minute`` of every hour) -> monitor function: reads the
previous hour's captures and ground truth from the capture bucket, the served model's baseline
(model parameter -> metrics file), writes the window's summary and publishes its figures. When a
drift or accuracy figure crosses its threshold the function also puts a "Model Retraining
Recommended" event on the monitoring bus; a rule forwards it to the retraining topic, to which
the data-science team subscribes (or they add rules of their own on the bus).

The function's role is one customer-managed policy (ADR-0049): list and read only the
endpoint's capture prefix and the ground-truth prefix, read and write only its own summaries,
decrypt and encrypt with the capture key only through S3, read the model parameter and the
metrics files of the model bucket, put metrics in its namespace, put events on its bus.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Aws, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
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
from cdk_exercise_stacks.compliance import (
    acknowledge_in_packs,
    acknowledge_lambda_baseline,
    wildcard_resource_finding,
)
from cdk_exercise_stacks.monitoring.capture_bucket import CaptureBucket
from policies.exceptions import acknowledge, checkov_skip

EVENTS_PRINCIPAL = "events.amazonaws.com"
SCHEDULER_PRINCIPAL = "scheduler.amazonaws.com"
# What EventBridge needs to publish to a topic encrypted with a customer-managed key (SNS
# Developer Guide, "Enable compatibility between event sources from AWS services and encrypted
# topics").
EVENTS_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey*")


@dataclass(frozen=True)
class MonitorThresholds:
    """Limits for the alarms and the function's retraining recommendation (one source)."""

    low_confidence_threshold: float
    min_predictions_for_drift: int
    max_ground_truth_labels: int
    max_label_psi: float
    max_confidence_psi: float
    max_input_length_psi: float
    min_accuracy: float
    min_labelled_predictions: int
    max_low_confidence_share: float


@dataclass(frozen=True)
class MonitorSettings:
    function: FunctionSettings
    schedule_minute: int
    metrics_namespace: str
    endpoint_dimension: str
    alarm_period_seconds: int
    event_source: str
    retraining_detail_type: str
    thresholds: MonitorThresholds
    delivery_failure_retention_days: int
    # Environment variable names (the function's contract), name -> variable.
    environment_names: Mapping[str, str]


class ModelMonitor(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint_name: str,
        variant_name: str,
        capture: CaptureBucket,
        capture_key: kms.IKey,
        model_parameter_name: str,
        model_bucket_name: str,
        model_key_prefix: str,
        metrics_file_suffix: str,
        model_package_group: str | None,
        function_name: str,
        event_bus_name: str,
        retraining_topic_name: str,
        settings: MonitorSettings,
        alarm_actions: Sequence[cloudwatch.IAlarmAction],
        asset_path: Path,
    ) -> None:
        super().__init__(scope, construct_id)
        if not alarm_actions:
            raise ValueError("alarm_actions must name at least one action for the monitor alarms")
        if not 0 <= settings.schedule_minute <= 59:
            raise ValueError(f"schedule_minute must be 0-59, got {settings.schedule_minute}")
        self.settings = settings
        self.endpoint_name = endpoint_name
        self.variant_name = variant_name
        self.capture = capture
        self.capture_key = capture_key
        self.model_parameter_name = model_parameter_name
        self.model_bucket_name = model_bucket_name
        self.model_key_prefix = model_key_prefix
        self.metrics_file_suffix = metrics_file_suffix
        self.model_package_group = model_package_group
        retention = capture.retention
        self.capture_prefix = f"{retention.capture_prefix.strip('/')}/{endpoint_name}/"
        self.ground_truth_prefix = f"{retention.ground_truth_prefix.strip('/')}/"
        self.summary_prefix = f"{retention.summary_prefix.strip('/')}/{endpoint_name}/"

        self.event_bus = events.EventBus(self, "EventBus", event_bus_name=event_bus_name)
        self.log_group = retained_log_group(
            self, "LogGroup", days=settings.function.log_retention_days
        )
        self.role, self.policy = role_with_managed_policy(
            self,
            service=LAMBDA_PRINCIPAL,
            role_description="Turns the endpoint's captured traffic into monitoring metrics",
            policy_description=(
                "Model monitor: read the endpoint's captures, write window summaries, publish"
            ),
            statements=self._statements(),
        )
        self.function = pipeline_function(
            self,
            "Function",
            settings=settings.function,
            function_name=function_name,
            description="Hourly: the endpoint's captured traffic as drift and quality metrics",
            code=lambda_.Code.from_asset(
                str(asset_path), exclude=list(settings.function.asset_excludes)
            ),
            environment=self.environment,
            role=self.role,
            log_group=self.log_group,
        )
        self.function.node.add_dependency(self.policy)
        # Deliveries EventBridge gives up on (the schedule's invocation, the retraining
        # notification) land here; one message raises an alarm.
        self.delivery_failures = encrypted_queue(
            self, "DeliveryFailures", retention_days=settings.delivery_failure_retention_days
        )
        # EventBridge Scheduler rather than a scheduled rule: a schedule is not a rule on the
        # default bus, so no event ever matches it, and its role invokes this function only.
        self.scheduler_role, self.scheduler_policy = role_with_managed_policy(
            self,
            service=SCHEDULER_PRINCIPAL,
            role_description="Runs the model monitor hourly (EventBridge Scheduler)",
            policy_description="Model monitor schedule: invoke the monitor, report undelivered",
            statements=[
                iam.PolicyStatement(
                    sid="InvokeTheMonitor",
                    actions=["lambda:InvokeFunction"],
                    resources=[self.function.function_arn],
                ),
                iam.PolicyStatement(
                    sid="ReportUndeliveredRuns",
                    actions=["sqs:SendMessage"],
                    resources=[self.delivery_failures.queue_arn],
                ),
            ],
            role_id="SchedulerRole",
            policy_id="SchedulerPolicy",
        )
        self.schedule = scheduler.CfnSchedule(
            self,
            "Schedule",
            description="Report the previous hour of captured traffic",
            schedule_expression=f"cron({settings.schedule_minute} * * * ? *)",
            schedule_expression_timezone="UTC",
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            target=scheduler.CfnSchedule.TargetProperty(
                arn=self.function.function_arn,
                role_arn=self.scheduler_role.role_arn,
                retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(maximum_retry_attempts=2),
                dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(
                    arn=self.delivery_failures.queue_arn
                ),
            ),
        )
        self.schedule.node.add_dependency(self.scheduler_policy)

        self.retraining_topic = sns.Topic(
            self,
            "RetrainingTopic",
            topic_name=retraining_topic_name,
            display_name="Model retraining recommended",
            master_key=capture_key,
            enforce_ssl=True,
        )
        self.retraining_rule = events.Rule(
            self,
            "RetrainingRule",
            description="Forward 'retraining recommended' to the data-science team's topic",
            # By name, not by reference: the local emulator (moto) resolves a Ref of a bus to
            # an object and fails the rule (ADR-0066); the dependency keeps the order.
            event_bus=events.EventBus.from_event_bus_name(self, "EventBusByName", event_bus_name),
            event_pattern=self.retraining_event_pattern,
            targets=[
                targets.SnsTopic(self.retraining_topic, dead_letter_queue=self.delivery_failures)
            ],
        )
        self.retraining_rule.node.add_dependency(self.event_bus)
        rules_of_this_bus = Stack.of(self).format_arn(
            service="events", resource="rule", resource_name=f"{event_bus_name}/*"
        )
        capture_key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="EventBridgePublishesToTheRetrainingTopic",
                principals=[iam.ServicePrincipal(EVENTS_PRINCIPAL)],
                actions=list(EVENTS_KEY_ACTIONS),
                resources=["*"],
                conditions={
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                    "ArnLike": {"aws:SourceArn": rules_of_this_bus},
                },
            )
        )
        self.alarms = self._alarms()
        for alarm in self.alarms:
            alarm.add_alarm_action(*alarm_actions)
        self._acknowledge_findings()

    @property
    def retraining_event_pattern(self) -> events.EventPattern:
        """What the data-science team subscribes to (ADR-0070)."""
        return events.EventPattern(
            source=[self.settings.event_source],
            detail_type=[self.settings.retraining_detail_type],
        )

    @property
    def environment(self) -> dict[str, str]:
        names = self.settings.environment_names
        thresholds = self.settings.thresholds
        values = {
            "endpoint_name": self.endpoint_name,
            "variant_name": self.variant_name,
            "capture_bucket": self.capture.bucket.bucket_name,
            "capture_prefix": self.capture.retention.capture_prefix,
            "ground_truth_prefix": self.capture.retention.ground_truth_prefix,
            "summary_prefix": self.capture.retention.summary_prefix,
            "model_parameter_name": self.model_parameter_name,
            "model_bucket": self.model_bucket_name,
            "event_bus_name": self.event_bus.event_bus_name,
            "event_source": self.settings.event_source,
            "metrics_namespace": self.settings.metrics_namespace,
            "low_confidence_threshold": str(thresholds.low_confidence_threshold),
            "min_predictions_for_drift": str(thresholds.min_predictions_for_drift),
            "max_ground_truth_labels": str(thresholds.max_ground_truth_labels),
            "max_label_psi": str(thresholds.max_label_psi),
            "max_confidence_psi": str(thresholds.max_confidence_psi),
            "max_input_length_psi": str(thresholds.max_input_length_psi),
            "min_accuracy": str(thresholds.min_accuracy),
            "min_labelled_predictions": str(thresholds.min_labelled_predictions),
        }
        if self.model_package_group:
            values["model_package_group"] = self.model_package_group
        return {names[field]: value for field, value in values.items()}

    def _statements(self) -> list[iam.PolicyStatement]:
        stack = Stack.of(self)
        bucket = self.capture.bucket
        model_bucket_arn = s3_bucket_arn(self, self.model_bucket_name)
        self.metrics_files_arn = (
            f"{model_bucket_arn}/{self.model_key_prefix}*{self.metrics_file_suffix}"
        )
        self._wildcards = [
            self.capture.objects_arn(self.capture_prefix),
            self.capture.objects_arn(self.ground_truth_prefix),
            self.capture.objects_arn(self.summary_prefix),
            self.metrics_files_arn,
        ]
        statements = [
            iam.PolicyStatement(
                sid="ListCaptureLabelsAndSummaries",
                actions=["s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions={
                    "StringLike": {
                        "s3:prefix": [
                            f"{self.capture_prefix}{self.variant_name}/*",
                            f"{self.ground_truth_prefix}*",
                            f"{self.summary_prefix}*",
                        ]
                    }
                },
            ),
            iam.PolicyStatement(
                sid="ReadCapturesAndLabels",
                actions=["s3:GetObject"],
                resources=self._wildcards[:2],
            ),
            iam.PolicyStatement(
                sid="WriteOwnSummaries",
                # DeleteObject: a summary whose publication failed is removed for the retry.
                actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                resources=[self._wildcards[2]],
            ),
            iam.PolicyStatement(
                sid="UseCaptureKeyThroughS3",
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=[self.capture_key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"s3.{Aws.REGION}.amazonaws.com"}},
            ),
            iam.PolicyStatement(
                sid="ListMetricsFiles",
                actions=["s3:ListBucket"],
                resources=[model_bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{self.model_key_prefix}*"]}},
            ),
            iam.PolicyStatement(
                sid="ReadMetricsFiles", actions=["s3:GetObject"], resources=[self.metrics_files_arn]
            ),
            iam.PolicyStatement(
                sid="ReadServedModelKey",
                actions=["ssm:GetParameter"],
                resources=[ssm_parameter_arn(self, self.model_parameter_name)],
            ),
            put_metric_data_statement(self.settings.metrics_namespace, sid="PutMonitoringMetrics"),
            iam.PolicyStatement(
                sid="SendRetrainingEvents",
                actions=["events:PutEvents"],
                resources=[self.event_bus.event_bus_arn],
            ),
            write_own_logs_statement(self.log_group),
        ]
        if self.model_package_group:
            packages_arn = stack.format_arn(
                service="sagemaker",
                resource="model-package",
                resource_name=f"{self.model_package_group.lower()}/*",
            )
            self._wildcards.append(packages_arn)
            statements.append(
                iam.PolicyStatement(
                    sid="FindServedPackage",
                    actions=["sagemaker:ListModelPackages", "sagemaker:DescribeModelPackage"],
                    resources=[packages_arn],
                )
            )
        return statements

    def _alarms(self) -> list[cloudwatch.Alarm]:
        settings = self.settings
        thresholds = settings.thresholds
        period = Duration.seconds(settings.alarm_period_seconds)

        def monitoring_metric(name: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace=settings.metrics_namespace,
                metric_name=name,
                dimensions_map={settings.endpoint_dimension: self.endpoint_name},
                statistic=cloudwatch.Stats.MAXIMUM,
                period=period,
            )

        above = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
        below = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
        specs = [
            ("LabelDriftAlarm", "LabelDriftPSI", thresholds.max_label_psi, above,
             "The predicted-label mix drifted from the served model's baseline"),
            ("ConfidenceDriftAlarm", "ConfidenceDriftPSI", thresholds.max_confidence_psi, above,
             "The model's confidence distribution drifted from its baseline"),
            ("InputLengthDriftAlarm", "InputLengthDriftPSI", thresholds.max_input_length_psi,
             above, "Input lengths drifted from the baseline's"),
            ("AccuracyAlarm", "Accuracy", thresholds.min_accuracy, below,
             "Accuracy on ground-truth labels fell below its minimum"),
            ("LowConfidenceAlarm", "LowConfidenceShare", thresholds.max_low_confidence_share,
             above, "Too many answers with a low top score"),
        ]  # fmt: skip
        alarms = [
            cloudwatch.Alarm(
                self,
                construct_id,
                alarm_description=(
                    f"{self.endpoint_name}: {description} (an hourly window; see its summary "
                    "and the 'retraining recommended' event, ADR-0070)"
                ),
                metric=monitoring_metric(metric_name),
                threshold=threshold,
                comparison_operator=comparison,
                evaluation_periods=1,
                # A window's figures arrive once, an hour late: between windows the alarm keeps
                # its state instead of returning to OK for lack of data.
                treat_missing_data=cloudwatch.TreatMissingData.IGNORE,
            )
            for construct_id, metric_name, threshold, comparison, description in specs
        ]
        self.function_errors_alarm = cloudwatch.Alarm(
            self,
            "FunctionErrorsAlarm",
            alarm_description="The model monitor failed: a window was not reported",
            metric=self.function.metric_errors(period=period, statistic=cloudwatch.Stats.SUM),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.delivery_failure_alarm = cloudwatch.Alarm(
            self,
            "DeliveryFailureAlarm",
            alarm_description=(
                "EventBridge could not run the monitor or notify the data-science team: see the "
                "monitor's delivery-failures queue"
            ),
            metric=self.delivery_failures.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(5), statistic=cloudwatch.Stats.MAXIMUM
            ),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        return [*alarms, self.function_errors_alarm, self.delivery_failure_alarm]

    def _acknowledge_findings(self) -> None:
        acknowledge_lambda_baseline(
            self.function,
            adr="0070",
            no_vpc=_NO_VPC,
            no_tracing=_NO_TRACING,
            runtime=_RUNTIME,
            plain_environment=_PLAIN_ENVIRONMENT,
            failure_adr="0070",
            failure_handling=_SCHEDULED,
        )
        acknowledge_in_packs(
            self.log_group, "CloudWatchLogGroupEncrypted", adr="0070", reason=_LOGS
        )
        checkov_skip(self.log_group, "CKV_AWS_158", adr="0070", reason=_LOGS)
        for rule in ("AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy"):
            acknowledge(
                self.delivery_failures,
                rule,
                adr="0070",
                reason=_END_OF_LINE,
                apply_to_children=True,
            )
        checkov_skip(self.delivery_failures, "CKV_AWS_27", adr="0051", reason=_SSE_SQS)
        acknowledge(
            self.policy,
            "AwsSolutions-IAM5",
            adr="0070",
            reason=_WILDCARDS,
            applies_to=[
                "Resource::*",
                *(wildcard_resource_finding(self, arn) for arn in self._wildcards),
            ],
        )


_NO_VPC = (
    "the function calls only AWS APIs (S3, SSM, CloudWatch, EventBridge) over TLS with IAM; a "
    "VPC would not narrow what it can reach"
)
_NO_TRACING = "one run is a handful of calls traced by its JSON log line and window summary"
_RUNTIME = "the project's single LAMBDA_RUNTIME, shared with the other functions"
_PLAIN_ENVIRONMENT = "the environment holds names, prefixes and thresholds, no secret"
_SCHEDULED = (
    "invoked hourly by a schedule: a failed run is retried twice by Lambda, raises the monitor's "
    "Errors alarm, and its window can be reported again with {'window_start': ...}"
)
_LOGS = (
    "log lines carry window figures and object keys, never captured text; CloudWatch Logs "
    "encrypts at rest by default"
)
_END_OF_LINE = "the monitor's delivery-failures queue is the end of the line, watched by an alarm"
_SSE_SQS = "SSE-SQS: EventBridge cannot deliver to a queue encrypted with the AWS-managed SQS key"
_WILDCARDS = (
    "cloudwatch:PutMetricData has no resource-level permission (conditioned on the namespace); "
    "the object wildcards are the endpoint's capture prefix, the ground-truth prefix, the "
    "monitor's own summaries and the models' metrics files"
)
