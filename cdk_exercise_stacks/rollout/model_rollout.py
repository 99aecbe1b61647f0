"""Automated rollout: a change of the model parameter updates the stack this construct is in.

Parameter Store Change (EventBridge) -> encrypted queue -> rollout function -> UpdateStack with
the previous template, which makes CloudFormation re-read the SSM-typed parameter and roll the
new model out through the endpoint's blue/green deployment (ADR-0050). The queue holds requests
while an update is in progress and coalesces them (ADR-0051). CloudFormation performs the update
with a narrow service role of its own (``RolloutServiceRole``: replace the model, update this
endpoint); the function may update this one stack only with that role, and pass no other
(ADR-0052). The stack's own status-change events come back through the same queue, so that a
completed or rolled-back update is logged and counted too.

Only the construct's two rules may send to the request queue: its policy denies SendMessage to
every other sender (``aws:SourceArn``), and both rule patterns name the stack's account
(ADR-0057). The dead-letter queue is retained when the stack is deleted: it holds the requests
that need an operator (ADR-0058). The function's log group is encrypted with the customer key
the caller passes, like the pipeline's other log groups (ADR-0058).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk_exercise_stacks.common import (
    CLOUDFORMATION_PRINCIPAL,
    LAMBDA_PRINCIPAL,
    FunctionSettings,
    encrypted_queue,
    log_group_arn,
    pipeline_function,
    put_metric_data_statement,
    retained_log_group,
    role_with_managed_policy,
    ssm_parameter_arn,
    write_own_logs_statement,
)
from cdk_exercise_stacks.compliance import acknowledge_lambda_baseline
from cdk_exercise_stacks.operations.keys import LOGS_KEY_ACTIONS, logs_service_principal
from cdk_exercise_stacks.rollout.service_role import RolloutServiceRole
from config.naming import validate_parameter_name
from policies.exceptions import acknowledge, checkov_skip

# What the function reads on its stack: status and parameters, which template parameters are
# SSM-typed and which capabilities the template needs.
STACK_READ_ACTIONS = (
    "cloudformation:DescribeStacks",
    "cloudformation:GetTemplateSummary",
)
# Allowed only with RoleARN = the rollout's service role (condition cloudformation:RoleArn).
STACK_UPDATE_ACTIONS = ("cloudformation:UpdateStack",)
# CloudFormation resolves SSM-typed template parameters with the caller's credentials (ADR-0052).
PARAMETER_ACTIONS = ("ssm:GetParameters",)
# What the SQS event source mapping does with the request queue on the function's behalf.
QUEUE_CONSUMER_ACTIONS = (
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
)
ROLLOUT_PARAMETER_OPERATIONS = ("Create", "Update")
# What only the stack's own rules may do to the request queue (ADR-0057).
QUEUE_SEND_ACTIONS = ("sqs:SendMessage",)
ONLY_OWN_RULES_SID = "OnlyThisStacksRulesSend"
# Terminal statuses of an update: the verdict of a rollout (or of any other update).
UPDATE_OUTCOME_STATUSES = (
    "UPDATE_COMPLETE",
    "UPDATE_ROLLBACK_COMPLETE",
    "UPDATE_ROLLBACK_FAILED",
    "UPDATE_FAILED",
)
# Metric names written by the rollout function (lambda/rollout/contract.py) that have an alarm.
FAILED_METRIC = "RolloutFailed"
ROLLED_BACK_METRIC = "RolloutRolledBack"
UPDATE_FAILED_METRIC = "RolloutUpdateFailed"
# An event of another account or region reached the queue; the function dropped it (ADR-0017).
FOREIGN_EVENT_IGNORED_METRIC = "RolloutForeignEventIgnored"


@dataclass(frozen=True)
class RolloutEnvironmentNames:
    """The names of the environment variables the rollout handler reads (its asset cannot
    import config/): the stack it updates, CloudFormation's role, the parameter, the metrics
    namespace."""

    stack_name: str
    cfn_role_arn: str
    parameter_name: str
    metrics_namespace: str


@dataclass(frozen=True)
class RolloutSettings:
    """How the rollout function runs, queues and alarms; the stack fills it from config.

    :param batch_size, batch_window_seconds: the SQS event source's batching (requests that
        arrive together are handled as one).
    :param queue_visibility_timeout_seconds, max_receive_count: the pause between two attempts
        of a deferred request, and how many attempts before the dead-letter queue.
    :param alarm_period_seconds, alarm_threshold, alarm_evaluation_periods: every rollout alarm
        (Sum, or the dead-letter queue's visible messages, over the period).
    :param metrics_namespace, metrics_stack_dimension: where the function writes its metrics,
        with the stack's name as the one dimension.
    :param bootstrap_version_parameter_name: the CDK bootstrap version parameter the stack
        template declares (BootstrapVersion), or None if the stack declares none.
    """

    function: FunctionSettings
    batch_size: int
    batch_window_seconds: int
    queue_visibility_timeout_seconds: int
    queue_retention_days: int
    max_receive_count: int
    dead_letter_retention_days: int
    alarm_period_seconds: int
    alarm_threshold: int
    alarm_evaluation_periods: int
    metrics_namespace: str
    metrics_stack_dimension: str
    bootstrap_version_parameter_name: str | None
    environment_names: RolloutEnvironmentNames


class ModelRollout(Construct):
    """Rolls a newly registered model out to the stack that contains this construct."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        parameter_name: str,
        endpoint_name: str,
        model_execution_role: iam.IRole,
        rollback_alarms: Sequence[cloudwatch.IAlarm],
        instance_types: Sequence[str],
        log_encryption_key: kms.Key,
        volume_key_arn: str | None = None,
        capture_key_arn: str | None = None,
        function_name: str | None = None,
        settings: RolloutSettings,
        alarm_actions: Sequence[cloudwatch.IAlarmAction],
        asset_path: Path,
    ) -> None:
        """
        :param parameter_name: the model parameter (fully qualified) whose changes roll out.
        :param endpoint_name, model_execution_role, rollback_alarms, instance_types,
            volume_key_arn: what the update touches, which scopes CloudFormation's service role
            (``RolloutServiceRole``).
        :param log_encryption_key: the customer-managed key of the function's log group; its
            policy gets a statement letting CloudWatch Logs use it for this account's groups.
        :param function_name: physical name of the function; generated when None.
        :param alarm_actions: actions of the rollout's alarms (the operations topic), at least
            one: a failed or rolled-back rollout needs an operator.
        :param asset_path: the directory of the rollout function's code.
        """
        super().__init__(scope, construct_id)
        if not alarm_actions:
            raise ValueError("alarm_actions must name at least one action for the rollout alarms")
        try:
            validate_parameter_name(parameter_name)
        except ValueError as error:
            raise ValueError(f"parameter_name: {error}") from error
        stack = Stack.of(self)
        self.stack_name = stack.stack_name
        self.parameter_name = parameter_name
        self.settings = settings
        self.metrics_namespace = settings.metrics_namespace
        self.service_role = RolloutServiceRole(
            self,
            "ServiceRole",
            endpoint_name=endpoint_name,
            model_execution_role=model_execution_role,
            rollback_alarms=rollback_alarms,
            instance_types=instance_types,
            volume_key_arn=volume_key_arn,
            capture_key_arn=capture_key_arn,
        )
        self.cfn_role_arn = self.service_role.role.role_arn
        read_parameters = [parameter_name]
        if settings.bootstrap_version_parameter_name:
            read_parameters.append(settings.bootstrap_version_parameter_name)
        self.readable_parameter_arns = [ssm_parameter_arn(self, name) for name in read_parameters]

        # Retained: a request in it is work an operator still has to settle (ADR-0058).
        self.dead_letter_queue = encrypted_queue(
            self,
            "DeadLetterQueue",
            retention_days=settings.dead_letter_retention_days,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.queue = encrypted_queue(
            self,
            "RequestQueue",
            retention_days=settings.queue_retention_days,
            visibility_timeout=Duration.seconds(settings.queue_visibility_timeout_seconds),
            dead_letter_queue=sqs.DeadLetterQueue(
                max_receive_count=settings.max_receive_count, queue=self.dead_letter_queue
            ),
        )

        # Events EventBridge cannot deliver to the queue go to the dead-letter queue as well.
        # Both patterns name the stack's account: a rule on the default bus sees only its own
        # account's events unless the bus accepts others, and then the pattern still does not
        # match them (ADR-0057).
        self.parameter_rule = events.Rule(
            self,
            "ParameterChangeRule",
            description=f"Roll out the model when {parameter_name} is created or updated",
            event_pattern=events.EventPattern(
                account=[Aws.ACCOUNT_ID],
                source=["aws.ssm"],
                detail_type=["Parameter Store Change"],
                detail={"name": [parameter_name], "operation": list(ROLLOUT_PARAMETER_OPERATIONS)},
            ),
            targets=[targets.SqsQueue(self.queue, dead_letter_queue=self.dead_letter_queue)],
        )
        self.outcome_rule = events.Rule(
            self,
            "StackOutcomeRule",
            description="Report how each update of this stack ended",
            event_pattern=events.EventPattern(
                account=[Aws.ACCOUNT_ID],
                source=["aws.cloudformation"],
                detail_type=["CloudFormation Stack Status Change"],
                detail={
                    "stack-id": [Aws.STACK_ID],
                    "status-details": {"status": list(UPDATE_OUTCOME_STATUSES)},
                },
            ),
            targets=[targets.SqsQueue(self.queue, dead_letter_queue=self.dead_letter_queue)],
        )

        self._deny_other_senders()

        # The group's name is generated (naming it would replace the deployed group), so the
        # key's statement names the account's log groups, as the operations key's does.
        log_encryption_key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="EncryptRolloutLogGroup",
                principals=[logs_service_principal()],
                actions=list(LOGS_KEY_ACTIONS),
                resources=["*"],
                conditions={
                    "ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_group_arn(stack, "*")}
                },
            )
        )
        self.log_group = retained_log_group(
            self,
            "LogGroup",
            days=settings.function.log_retention_days,
            key=log_encryption_key,
        )

        # One customer-managed policy holds every permission; the function gets the role
        # read-only, so that no grant can add an inline statement beside it (ADR-0055).
        self.role, self.policy = role_with_managed_policy(
            self,
            service=LAMBDA_PRINCIPAL,
            role_description="Updates one stack through the rollout's CloudFormation service role",
            policy_description=(
                "Model rollout: update this stack through its CloudFormation service role"
            ),
            statements=self._statements(),
        )

        self.function = pipeline_function(
            self,
            "Function",
            settings=settings.function,
            function_name=function_name,
            description="Updates this stack when a new model is registered (blue/green rollout)",
            code=lambda_.Code.from_asset(
                str(asset_path), exclude=list(settings.function.asset_excludes)
            ),
            environment=self.environment,
            role=self.role,
            log_group=self.log_group,
        )
        # The event source mapping checks the role's queue permissions when it is created.
        self.function.node.add_dependency(self.policy)
        self.function.add_event_source(
            event_sources.SqsEventSource(
                self.queue,
                batch_size=settings.batch_size,
                max_batching_window=Duration.seconds(settings.batch_window_seconds),
                report_batch_item_failures=True,
            )
        )

        self.alarms = self._alarms()
        for alarm in self.alarms:
            alarm.add_alarm_action(*alarm_actions)
        self._acknowledge_findings()

    def _deny_other_senders(self) -> None:
        """Only this construct's rules send requests: anyone else in the account (a principal
        allowed ``sqs:SendMessage`` by IAM) is refused, whatever IAM allows. A request with no
        ``aws:SourceArn`` at all (a direct SendMessage) is refused too: a negated condition
        operator matches when the key is absent."""
        self.queue.add_to_resource_policy(
            iam.PolicyStatement(
                sid=ONLY_OWN_RULES_SID,
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=list(QUEUE_SEND_ACTIONS),
                resources=[self.queue.queue_arn],
                conditions={
                    "ArnNotEquals": {
                        "aws:SourceArn": [self.parameter_rule.rule_arn, self.outcome_rule.rule_arn]
                    }
                },
            )
        )

    @property
    def environment(self) -> dict[str, str]:
        names = self.settings.environment_names
        return {
            names.stack_name: self.stack_name,
            names.cfn_role_arn: self.cfn_role_arn,
            names.parameter_name: self.parameter_name,
            names.metrics_namespace: self.metrics_namespace,
        }

    def _statements(self) -> list[iam.PolicyStatement]:
        return [
            iam.PolicyStatement(
                sid="ReadThisStack",
                actions=list(STACK_READ_ACTIONS),
                # This stack's own id: arn:...:stack/<name>/<uuid>.
                resources=[Aws.STACK_ID],
            ),
            # Without the condition, an UpdateStack without RoleARN would run with the role the
            # stack used last, the CDK execution role after a `cdk deploy` (ADR-0052).
            iam.PolicyStatement(
                sid="UpdateThisStackWithRolloutRole",
                actions=list(STACK_UPDATE_ACTIONS),
                resources=[Aws.STACK_ID],
                conditions={"StringEquals": {"cloudformation:RoleArn": self.cfn_role_arn}},
            ),
            iam.PolicyStatement(
                sid="PassRolloutServiceRole",
                actions=["iam:PassRole"],
                resources=[self.cfn_role_arn],
                conditions={"StringEquals": {"iam:PassedToService": CLOUDFORMATION_PRINCIPAL}},
            ),
            iam.PolicyStatement(
                sid="ResolveStackParameters",
                actions=list(PARAMETER_ACTIONS),
                resources=self.readable_parameter_arns,
            ),
            put_metric_data_statement(self.metrics_namespace, sid="PutRolloutMetrics"),
            write_own_logs_statement(self.log_group),
            iam.PolicyStatement(
                sid="ConsumeRequestQueue",
                actions=list(QUEUE_CONSUMER_ACTIONS),
                resources=[self.queue.queue_arn],
            ),
        ]

    def _alarms(self) -> list[cloudwatch.Alarm]:
        settings = self.settings
        period = Duration.seconds(settings.alarm_period_seconds)

        def rollout_metric(name: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace=self.metrics_namespace,
                metric_name=name,
                dimensions_map={settings.metrics_stack_dimension: self.stack_name},
                statistic=cloudwatch.Stats.SUM,
                period=period,
            )

        def alarm(construct_id: str, description: str, metric: cloudwatch.IMetric):
            return cloudwatch.Alarm(
                self,
                construct_id,
                alarm_description=description,
                metric=metric,
                threshold=settings.alarm_threshold,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                evaluation_periods=settings.alarm_evaluation_periods,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )

        self.dead_letter_alarm = alarm(
            "DeadLetterAlarm",
            "A model rollout request was given up after all retries: see docs/runbook-rollout.md",
            self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=period, statistic=cloudwatch.Stats.MAXIMUM
            ),
        )
        self.failed_alarm = alarm(
            "FailedAlarm",
            "A model rollout could not start the stack update (it will be retried)",
            rollout_metric(FAILED_METRIC),
        )
        self.rolled_back_alarm = alarm(
            "RolledBackAlarm",
            "An update of the endpoint stack was rolled back: the previous model still serves",
            rollout_metric(ROLLED_BACK_METRIC),
        )
        self.update_failed_alarm = alarm(
            "UpdateFailedAlarm",
            "An update of the endpoint stack failed and was not rolled back: operator needed",
            rollout_metric(UPDATE_FAILED_METRIC),
        )
        self.foreign_event_alarm = alarm(
            "ForeignEventAlarm",
            "An event of another account or region reached the rollout queue and was dropped: "
            "find who can send to the queue (ADR-0017)",
            rollout_metric(FOREIGN_EVENT_IGNORED_METRIC),
        )
        self.function_errors_alarm = alarm(
            "FunctionErrorsAlarm",
            "The rollout function raised an unhandled error",
            self.function.metric_errors(period=period, statistic=cloudwatch.Stats.SUM),
        )
        return [
            self.dead_letter_alarm,
            self.failed_alarm,
            self.rolled_back_alarm,
            self.update_failed_alarm,
            self.foreign_event_alarm,
            self.function_errors_alarm,
        ]

    def _acknowledge_findings(self) -> None:
        """Compliance findings that do not apply to this design, each with its ADR (ADR-0055)."""
        acknowledge_lambda_baseline(
            self.function,
            adr="0055",
            no_vpc=_NO_VPC,
            no_tracing=_NO_TRACING,
            runtime=_RUNTIME,
            plain_environment=_PLAIN_ENVIRONMENT,
            failure_adr="0051",
            failure_handling=_SQS_INVOKED,
            failure_rules=("Serverless-LambdaEventSourceMappingDestination",),
        )
        acknowledge(
            self.dead_letter_queue,
            "Serverless-SQSRedrivePolicy",
            adr="0051",
            reason=_END_OF_LINE,
            apply_to_children=True,
        )
        acknowledge(
            self.policy,
            "AwsSolutions-IAM5",
            adr="0052",
            reason=_METRICS_WILDCARD,
            applies_to=["Resource::*"],
        )
        for queue in (self.queue, self.dead_letter_queue):
            checkov_skip(queue, "CKV_AWS_27", adr="0051", reason=_SSE_SQS)


_NO_VPC = (
    "the function calls only AWS control-plane APIs (CloudFormation, SSM, CloudWatch) over TLS "
    "with IAM; a VPC would not narrow what it can reach"
)
_SQS_INVOKED = (
    "invoked synchronously by an SQS event source mapping: failed requests stay in the queue "
    "and move to its dead-letter queue, which has an alarm"
)
_NO_TRACING = (
    "a rollout is three API calls traced by its JSON log line and the CloudFormation request "
    "token; X-Ray would add write permissions on *"
)
_RUNTIME = "the project's single LAMBDA_RUNTIME, shared with the registration function"
_END_OF_LINE = "the rollout's dead-letter queue is the end of the line, watched by an alarm"
_METRICS_WILDCARD = (
    "cloudwatch:PutMetricData has no resource-level permission; narrowed to the rollout's "
    "namespace by the cloudwatch:namespace condition"
)
_PLAIN_ENVIRONMENT = (
    "the environment holds a stack name, a role ARN, a parameter name and a namespace, no secret"
)
_SSE_SQS = "SSE-SQS: EventBridge cannot deliver to a queue encrypted with the AWS-managed SQS key"
