"""Automated rollout: a change of the model parameter updates the stack this construct is in.

Parameter Store Change (EventBridge) -> encrypted queue -> rollout function -> UpdateStack with
the previous template, which makes CloudFormation re-read the SSM-typed parameter and roll the
new model out through the endpoint's blue/green deployment (ADR-0050). The queue holds requests
while an update is in progress and coalesces them (ADR-0051). CloudFormation performs the update
with a narrow service role of its own (``RolloutServiceRole``: replace the model, update this
endpoint); the function may update this one stack only with that role, and pass no other
(ADR-0052). The stack's own status-change events come back through the same queue, so that a
completed or rolled-back update is logged and counted too.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from aws_cdk import Aws, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk_exercise_stacks.arns import ssm_parameter_arn
from cdk_exercise_stacks.compliance_exceptions import (
    acknowledge_in_packs,
    acknowledge_lambda_baseline,
)
from cdk_exercise_stacks.constructs.rollout_service_role import RolloutServiceRole
from cdk_exercise_stacks.iam_statements import (
    ASSET_EXCLUDES,
    CLOUDFORMATION_PRINCIPAL,
    LAMBDA_PRINCIPAL,
    LOG_WRITE_ACTIONS,
    put_metric_data_statement,
)
from cdk_exercise_stacks.log_groups import retained_log_group
from config import constants
from config.naming import validate_parameter_name
from policies.exceptions import acknowledge, checkov_skip

DEFAULT_ASSET_PATH = Path(__file__).resolve().parents[2] / constants.ROLLOUT_ASSET_DIR

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
# Terminal statuses of an update: the verdict of a rollout (or of any other update).
UPDATE_OUTCOME_STATUSES = (
    "UPDATE_COMPLETE",
    "UPDATE_ROLLBACK_COMPLETE",
    "UPDATE_ROLLBACK_FAILED",
    "UPDATE_FAILED",
)
# Metric names written by rollout/rollout_telemetry.py that have an alarm here.
FAILED_METRIC = "RolloutFailed"
ROLLED_BACK_METRIC = "RolloutRolledBack"
UPDATE_FAILED_METRIC = "RolloutUpdateFailed"


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
        volume_key_arn: str | None = None,
        function_name: str | None = None,
        bootstrap_version_parameter_name: str | None = constants.CDK_BOOTSTRAP_VERSION_PARAMETER,
        metrics_namespace: str = constants.ROLLOUT_METRICS_NAMESPACE,
        alarm_actions: Sequence[cloudwatch.IAlarmAction],
        asset_path: Path = DEFAULT_ASSET_PATH,
    ) -> None:
        """
        :param parameter_name: the model parameter (fully qualified) whose changes roll out.
        :param endpoint_name, model_execution_role, rollback_alarms, volume_key_arn: what the
            update touches, which scopes CloudFormation's service role (``RolloutServiceRole``).
        :param function_name: physical name of the function; generated when None.
        :param bootstrap_version_parameter_name: the CDK bootstrap version parameter the stack
            template declares (BootstrapVersion), or None if the stack declares none.
        :param alarm_actions: actions of the rollout's alarms (the operations topic), at least
            one: a failed or rolled-back rollout needs an operator.
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
        self.metrics_namespace = metrics_namespace
        self.service_role = RolloutServiceRole(
            self,
            "ServiceRole",
            endpoint_name=endpoint_name,
            model_execution_role=model_execution_role,
            rollback_alarms=rollback_alarms,
            volume_key_arn=volume_key_arn,
        )
        self.cfn_role_arn = self.service_role.role.role_arn
        read_parameters = [parameter_name]
        if bootstrap_version_parameter_name:
            read_parameters.append(bootstrap_version_parameter_name)
        self.readable_parameter_arns = [ssm_parameter_arn(self, name) for name in read_parameters]

        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(constants.ROLLOUT_DLQ_RETENTION_DAYS),
        )
        self.queue = sqs.Queue(
            self,
            "RequestQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(constants.ROLLOUT_QUEUE_VISIBILITY_TIMEOUT_SECONDS),
            retention_period=Duration.days(constants.ROLLOUT_QUEUE_RETENTION_DAYS),
            dead_letter_queue=sqs.DeadLetterQueue(
                max_receive_count=constants.ROLLOUT_MAX_RECEIVE_COUNT, queue=self.dead_letter_queue
            ),
        )

        # Events EventBridge cannot deliver to the queue go to the dead-letter queue as well.
        self.parameter_rule = events.Rule(
            self,
            "ParameterChangeRule",
            description=f"Roll out the model when {parameter_name} is created or updated",
            event_pattern=events.EventPattern(
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
                source=["aws.cloudformation"],
                detail_type=["CloudFormation Stack Status Change"],
                detail={
                    "stack-id": [Aws.STACK_ID],
                    "status-details": {"status": list(UPDATE_OUTCOME_STATUSES)},
                },
            ),
            targets=[targets.SqsQueue(self.queue, dead_letter_queue=self.dead_letter_queue)],
        )

        self.log_group = retained_log_group(
            self, "LogGroup", days=constants.LAMBDA_LOG_RETENTION_DAYS
        )

        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal(LAMBDA_PRINCIPAL),
            description="Updates one stack through the rollout's CloudFormation service role",
        )
        # One customer-managed policy holds every permission; the function gets the role
        # read-only, so that no grant can add an inline statement beside it (ADR-0055).
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="Model rollout: update this stack through its CloudFormation service role",
            statements=self._statements(),
            roles=[self.role],
        )

        self.function = lambda_.Function(
            self,
            "Function",
            function_name=function_name,
            description="Updates this stack when a new model is registered (blue/green rollout)",
            runtime=lambda_.Runtime(constants.LAMBDA_RUNTIME, lambda_.RuntimeFamily.PYTHON),
            handler=constants.ROLLOUT_HANDLER,
            code=lambda_.Code.from_asset(str(asset_path), exclude=list(ASSET_EXCLUDES)),
            timeout=Duration.seconds(constants.ROLLOUT_TIMEOUT_SECONDS),
            memory_size=constants.ROLLOUT_MEMORY_MB,
            environment=self.environment,
            role=self.role.without_policy_updates(),
            log_group=self.log_group,
            reserved_concurrent_executions=constants.ROLLOUT_RESERVED_CONCURRENCY,
        )
        # The event source mapping checks the role's queue permissions when it is created.
        self.function.node.add_dependency(self.policy)
        self.function.add_event_source(
            event_sources.SqsEventSource(
                self.queue,
                batch_size=constants.ROLLOUT_BATCH_SIZE,
                max_batching_window=Duration.seconds(constants.ROLLOUT_BATCH_WINDOW_SECONDS),
                report_batch_item_failures=True,
            )
        )

        self.alarms = self._alarms()
        for alarm in self.alarms:
            alarm.add_alarm_action(*alarm_actions)
        self._acknowledge_findings()

    @property
    def environment(self) -> dict[str, str]:
        return {
            constants.ROLLOUT_STACK_NAME_ENV_VAR: self.stack_name,
            constants.ROLLOUT_CFN_ROLE_ARN_ENV_VAR: self.cfn_role_arn,
            constants.ROLLOUT_PARAMETER_ENV_VAR: self.parameter_name,
            constants.METRICS_NAMESPACE_ENV_VAR: self.metrics_namespace,
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
            iam.PolicyStatement(
                sid="WriteOwnLogs",
                actions=list(LOG_WRITE_ACTIONS),
                resources=[self.log_group.log_group_arn],
            ),
            iam.PolicyStatement(
                sid="ConsumeRequestQueue",
                actions=list(QUEUE_CONSUMER_ACTIONS),
                resources=[self.queue.queue_arn],
            ),
        ]

    def _alarms(self) -> list[cloudwatch.Alarm]:
        period = Duration.seconds(constants.ROLLOUT_ALARM_PERIOD_SECONDS)

        def rollout_metric(name: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace=self.metrics_namespace,
                metric_name=name,
                dimensions_map={constants.ROLLOUT_METRICS_STACK_DIMENSION: self.stack_name},
                statistic=cloudwatch.Stats.SUM,
                period=period,
            )

        def alarm(construct_id: str, description: str, metric: cloudwatch.IMetric):
            return cloudwatch.Alarm(
                self,
                construct_id,
                alarm_description=description,
                metric=metric,
                threshold=constants.ROLLOUT_ALARM_THRESHOLD,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                evaluation_periods=constants.ROLLOUT_ALARM_EVALUATION_PERIODS,
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
        acknowledge_in_packs(
            self.log_group, "CloudWatchLogGroupEncrypted", adr="0055", reason=_LOGS
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
        checkov_skip(self.log_group, "CKV_AWS_158", adr="0055", reason=_LOGS)
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
_LOGS = (
    "log lines carry stack statuses, parameter versions and errors, no model, personal data "
    "or secret; CloudWatch Logs encrypts at rest by default"
)
_END_OF_LINE = "the rollout's dead-letter queue is the end of the line, watched by an alarm"
_METRICS_WILDCARD = (
    "cloudwatch:PutMetricData has no resource-level permission; narrowed to the rollout's "
    "namespace by the cloudwatch:namespace condition"
)
_PLAIN_ENVIRONMENT = (
    "the environment holds a stack name, a role ARN, a parameter name and a namespace, no secret"
)
_SSE_SQS = "SSE-SQS: EventBridge cannot deliver to a queue encrypted with the AWS-managed SQS key"
