"""Templates of the ModelRollout and EndpointDeployment constructs, built once per module in a
small stack shaped like the SageMaker stack (a model, an endpoint configuration, an endpoint)."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
import rollout_settings
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk.assertions import Match, Template
from hypothesis import given
from hypothesis import strategies as st

from cdk_exercise_stacks.constructs.endpoint_deployment import EndpointDeployment, traffic_routing
from cdk_exercise_stacks.constructs.model_rollout import ModelRollout
from config import constants

PARAMETER = "/sentiment_model/latest_object_key"
ENDPOINT_NAME = "sagemaker-endpoint"
VARIANT = "AllTraffic"


def _endpoint_stack(app: cdk.App, name: str, instances: int) -> tuple[cdk.Stack, dict]:
    stack = cdk.Stack(app, name)
    model = sagemaker.CfnModel(
        stack,
        "Model",
        execution_role_arn="arn:aws:iam::123456789012:role/model",
        primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
            image="image", model_data_url="s3://bucket/models/a.tar.gz"
        ),
    )
    config = sagemaker.CfnEndpointConfig(
        stack,
        "EndpointConfig",
        production_variants=[
            sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                variant_name=VARIANT,
                model_name=model.attr_model_name,
                instance_type="ml.g4dn.xlarge",
                initial_instance_count=instances,
            )
        ],
    )
    endpoint = sagemaker.CfnEndpoint(
        stack,
        "Endpoint",
        endpoint_name=ENDPOINT_NAME,
        endpoint_config_name=config.attr_endpoint_config_name,
    )
    deployment = EndpointDeployment(
        stack,
        "Deployment",
        endpoint=endpoint,
        endpoint_name=ENDPOINT_NAME,
        variant_name=VARIANT,
        initial_instance_count=instances,
    )
    return stack, {"endpoint": endpoint, "deployment": deployment}


@pytest.fixture(scope="module")
def built():
    app = cdk.App(builtin_cloud_formation_validation=False)
    single, parts = _endpoint_stack(app, "sagemaker-endpoint-stack", instances=1)
    rollout = ModelRollout(
        single, "Rollout", parameter_name=PARAMETER, function_name="model-rollout"
    )
    fleet, _ = _endpoint_stack(app, "fleet-stack", instances=2)
    return {
        "template": Template.from_stack(single),
        "fleet_template": Template.from_stack(fleet),
        "rollout": rollout,
        **parts,
    }


@pytest.fixture(scope="module")
def template(built) -> Template:
    return built["template"]


def _only(template: Template, resource_type: str, props: dict | None = None) -> dict:
    found = template.find_resources(resource_type, {"Properties": props} if props else None)
    assert len(found) == 1, f"expected one {resource_type}, found {list(found)}"
    return next(iter(found.values()))


# ---------------------------------------------------------------------------------- rollout --


def test_rule_matches_create_and_update_of_the_one_parameter(template):
    rule = _only(template, "AWS::Events::Rule", {"EventPattern": {"source": ["aws.ssm"]}})
    assert rule["Properties"]["EventPattern"] == {
        "source": ["aws.ssm"],
        "detail-type": ["Parameter Store Change"],
        "detail": {"name": [PARAMETER], "operation": ["Create", "Update"]},
    }


def test_outcome_rule_matches_only_this_stacks_update_verdicts(template):
    rule = _only(
        template, "AWS::Events::Rule", {"EventPattern": {"source": ["aws.cloudformation"]}}
    )
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["detail"]["stack-id"] == [{"Ref": "AWS::StackId"}]
    assert pattern["detail"]["status-details"]["status"] == [
        "UPDATE_COMPLETE",
        "UPDATE_ROLLBACK_COMPLETE",
        "UPDATE_ROLLBACK_FAILED",
        "UPDATE_FAILED",
    ]


def test_both_rules_deliver_to_the_request_queue_with_the_dead_letter_queue_behind(built):
    rollout = built["rollout"]
    queue_arn = cdk.Stack.of(rollout).resolve(rollout.queue.queue_arn)
    dlq_arn = cdk.Stack.of(rollout).resolve(rollout.dead_letter_queue.queue_arn)
    rules = built["template"].find_resources("AWS::Events::Rule")
    assert len(rules) == 2
    for rule in rules.values():
        [target] = rule["Properties"]["Targets"]
        assert target["Arn"] == queue_arn
        assert target["DeadLetterConfig"] == {"Arn": dlq_arn}


def test_request_queue_is_encrypted_and_redrives_after_the_defer_window(built, template):
    dlq_arn = cdk.Stack.of(built["rollout"]).resolve(built["rollout"].dead_letter_queue.queue_arn)
    queue = _only(template, "AWS::SQS::Queue", {"RedrivePolicy": Match.any_value()})
    props = queue["Properties"]
    assert props["SqsManagedSseEnabled"] is True
    assert props["RedrivePolicy"] == {
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": constants.ROLLOUT_MAX_RECEIVE_COUNT,
    }
    assert props["VisibilityTimeout"] >= 6 * constants.ROLLOUT_TIMEOUT_SECONDS
    window = props["VisibilityTimeout"] * props["RedrivePolicy"]["maxReceiveCount"]
    assert window >= constants.DEPLOYMENT_MAX_EXECUTION_SECONDS + constants.DEPLOYMENT_BAKE_SECONDS
    assert props["MessageRetentionPeriod"] > window


def test_every_queue_is_encrypted_and_refuses_plain_http(template):
    queues = template.find_resources("AWS::SQS::Queue")
    assert len(queues) == 2
    assert all(q["Properties"]["SqsManagedSseEnabled"] is True for q in queues.values())
    policies = template.find_resources("AWS::SQS::QueuePolicy")
    assert len(policies) == 2
    for policy in policies.values():
        deny = policy["Properties"]["PolicyDocument"]["Statement"][0]
        assert deny["Effect"] == "Deny"
        assert deny["Action"] == "sqs:*"
        assert deny["Principal"] == {"AWS": "*"}
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_function_is_single_file_of_calls_with_partial_batch_failures(template):
    function = _only(template, "AWS::Lambda::Function")["Properties"]
    assert function["Runtime"] == constants.LAMBDA_RUNTIME
    assert function["Handler"] == constants.ROLLOUT_HANDLER
    assert function["Timeout"] == constants.ROLLOUT_TIMEOUT_SECONDS
    assert function["ReservedConcurrentExecutions"] == 1
    assert function["FunctionName"] == "model-rollout"
    assert "LogGroup" in function["LoggingConfig"]
    mapping = _only(template, "AWS::Lambda::EventSourceMapping")["Properties"]
    assert mapping["BatchSize"] == constants.ROLLOUT_BATCH_SIZE
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_function_environment_is_what_the_asset_reads(template):
    variables = _only(template, "AWS::Lambda::Function")["Properties"]["Environment"]["Variables"]
    assert set(variables) == {
        *rollout_settings.REQUIRED_ENV_VARS,
        rollout_settings.METRICS_NAMESPACE_ENV_VAR,
    }
    assert variables[rollout_settings.STACK_NAME_ENV_VAR] == "sagemaker-endpoint-stack"
    assert variables[rollout_settings.PARAMETER_NAME_ENV_VAR] == PARAMETER
    assert variables[rollout_settings.METRICS_NAMESPACE_ENV_VAR] == (
        constants.ROLLOUT_METRICS_NAMESPACE
    )
    role_arn = json.dumps(variables[rollout_settings.CFN_ROLE_ARN_ENV_VAR])
    assert ":role/cdk-hnb659fds-cfn-exec-role-" in role_arn


def test_log_group_is_retained_with_retention(template):
    log_group = _only(template, "AWS::Logs::LogGroup")
    assert log_group["Properties"]["RetentionInDays"] == constants.LAMBDA_LOG_RETENTION_DAYS
    assert log_group["DeletionPolicy"] == "Retain"


def _role_statements(template: Template) -> list[dict]:
    """The role's statements: one customer-managed policy, no inline policy of any kind."""
    [(role_id, role)] = template.find_resources("AWS::IAM::Role").items()
    assert "ManagedPolicyArns" not in role["Properties"]
    assert "Policies" not in role["Properties"]
    assert template.find_resources("AWS::IAM::Policy") == {}
    policy = _only(template, "AWS::IAM::ManagedPolicy")
    assert policy["Properties"]["Roles"] == [{"Ref": role_id}]
    return policy["Properties"]["PolicyDocument"]["Statement"]


def _actions(statement: dict) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else actions


def test_role_holds_exactly_the_rollouts_permissions(template):
    statements = _role_statements(template)
    by_sid = {statement["Sid"]: statement for statement in statements}
    assert len(by_sid) == len(statements)
    assert set(by_sid) == {
        "UpdateThisStack",
        "PassCloudFormationExecutionRole",
        "ResolveStackParameters",
        "PutRolloutMetrics",
        "WriteOwnLogs",
        "ConsumeRequestQueue",
    }
    assert by_sid["UpdateThisStack"]["Action"] == [
        "cloudformation:DescribeStacks",
        "cloudformation:GetTemplateSummary",
        "cloudformation:UpdateStack",
    ]
    assert by_sid["UpdateThisStack"]["Resource"] == {"Ref": "AWS::StackId"}
    pass_role = by_sid["PassCloudFormationExecutionRole"]
    assert pass_role["Action"] == "iam:PassRole"
    assert pass_role["Condition"] == {
        "StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}
    }
    assert ":role/cdk-hnb659fds-cfn-exec-role-" in json.dumps(pass_role["Resource"])
    read = by_sid["ResolveStackParameters"]
    assert read["Action"] == "ssm:GetParameters"
    resources = json.dumps(read["Resource"])
    assert ":parameter/sentiment_model/latest_object_key" in resources
    assert ":parameter/cdk-bootstrap/hnb659fds/version" in resources
    assert len(read["Resource"]) == 2
    assert by_sid["WriteOwnLogs"]["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    [log_group_id] = template.find_resources("AWS::Logs::LogGroup")
    assert by_sid["WriteOwnLogs"]["Resource"] == {"Fn::GetAtt": [log_group_id, "Arn"]}
    queue_ids = [
        logical_id
        for logical_id, queue in template.find_resources("AWS::SQS::Queue").items()
        if "RedrivePolicy" in queue["Properties"]
    ]
    assert by_sid["ConsumeRequestQueue"]["Resource"] == {"Fn::GetAtt": [queue_ids[0], "Arn"]}
    assert "sqs:SendMessage" not in by_sid["ConsumeRequestQueue"]["Action"]


def test_function_waits_for_its_policy(template):
    [policy_id] = template.find_resources("AWS::IAM::ManagedPolicy")
    function = _only(template, "AWS::Lambda::Function")
    assert policy_id in function["DependsOn"]


def test_no_sagemaker_no_iam_but_passrole_and_no_unconditioned_wildcard(template):
    statements = _role_statements(template)
    actions = [action for s in statements for action in _actions(s)]
    assert not [a for a in actions if a.startswith("sagemaker:")]
    assert [a for a in actions if a.startswith("iam:")] == ["iam:PassRole"]
    assert all("*" not in action for action in actions)
    wildcard = [s for s in statements if s["Resource"] == "*"]
    assert wildcard == [
        {
            "Action": "cloudwatch:PutMetricData",
            "Condition": {
                "StringEquals": {"cloudwatch:namespace": constants.ROLLOUT_METRICS_NAMESPACE}
            },
            "Effect": "Allow",
            "Resource": "*",
            "Sid": "PutRolloutMetrics",
        }
    ]
    assert all(s["Effect"] == "Allow" for s in statements)


def test_alarms_watch_the_dead_letter_queue_and_the_rollout_metrics(built, template):
    alarms = template.find_resources("AWS::CloudWatch::Alarm")
    rollout = {k: v["Properties"] for k, v in alarms.items() if k.startswith("Rollout")}
    assert len(rollout) == 5
    by_metric = {props["MetricName"]: props for props in rollout.values()}
    dlq_name = cdk.Stack.of(built["rollout"]).resolve(built["rollout"].dead_letter_queue.queue_name)
    assert by_metric["ApproximateNumberOfMessagesVisible"]["Dimensions"] == [
        {"Name": "QueueName", "Value": dlq_name}
    ]
    for metric in ("RolloutFailed", "RolloutRolledBack", "RolloutUpdateFailed"):
        props = by_metric[metric]
        assert props["Namespace"] == constants.ROLLOUT_METRICS_NAMESPACE
        assert props["Dimensions"] == [{"Name": "StackName", "Value": "sagemaker-endpoint-stack"}]
    assert by_metric["Errors"]["Namespace"] == "AWS/Lambda"
    for props in rollout.values():
        assert props["Threshold"] == 1
        assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_alarm_metric_names_are_the_ones_the_function_emits():
    import rollout_telemetry

    from cdk_exercise_stacks.constructs import model_rollout

    emitted = set(rollout_telemetry.METRIC_NAMES.values())
    alarmed = {
        model_rollout.FAILED_METRIC,
        model_rollout.ROLLED_BACK_METRIC,
        model_rollout.UPDATE_FAILED_METRIC,
    }
    assert alarmed <= emitted


def test_unqualified_parameter_name_is_refused():
    stack = cdk.Stack(cdk.App(builtin_cloud_formation_validation=False), "s")
    with pytest.raises(ValueError, match="'sentiment-model' must be fully qualified"):
        ModelRollout(stack, "Rollout", parameter_name="sentiment-model")


# ------------------------------------------------------------------------------- deployment --


def test_endpoint_updates_are_blue_green_baked_and_rolled_back_by_both_alarms(template):
    endpoint = _only(template, "AWS::SageMaker::Endpoint")["Properties"]
    assert endpoint["RetainAllVariantProperties"] is True
    config = endpoint["DeploymentConfig"]
    assert config["BlueGreenUpdatePolicy"] == {
        "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE"},
        "TerminationWaitInSeconds": constants.DEPLOYMENT_BAKE_SECONDS,
        "MaximumExecutionTimeoutInSeconds": constants.DEPLOYMENT_MAX_EXECUTION_SECONDS,
    }
    alarm_ids = {
        logical_id
        for logical_id, alarm in template.find_resources("AWS::CloudWatch::Alarm").items()
        if alarm["Properties"]["Namespace"] == "AWS/SageMaker"
    }
    assert len(alarm_ids) == 2
    assert config["AutoRollbackConfiguration"] == {
        "Alarms": [{"AlarmName": {"Ref": logical_id}} for logical_id in sorted(alarm_ids)]
    }


def test_two_instance_fleet_shifts_a_one_instance_canary_first(built):
    endpoint = _only(built["fleet_template"], "AWS::SageMaker::Endpoint")["Properties"]
    routing = endpoint["DeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    assert routing == {
        "Type": "CANARY",
        "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1},
        "WaitIntervalInSeconds": constants.DEPLOYMENT_CANARY_WAIT_SECONDS,
    }


def test_rollback_alarms_watch_errors_and_p99_latency_of_the_variant(template):
    alarms = [
        a["Properties"]
        for a in template.find_resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"]["Namespace"] == "AWS/SageMaker"
    ]
    by_metric = {a["MetricName"]: a for a in alarms}
    assert set(by_metric) == {"Invocation5XXErrors", "ModelLatency"}
    for alarm in alarms:
        assert alarm["Dimensions"] == [
            {"Name": "EndpointName", "Value": ENDPOINT_NAME},
            {"Name": "VariantName", "Value": VARIANT},
        ]
        assert alarm["Period"] == constants.DEPLOYMENT_ALARM_PERIOD_SECONDS
        assert alarm["EvaluationPeriods"] == constants.DEPLOYMENT_ALARM_EVALUATION_PERIODS
        assert alarm["DatapointsToAlarm"] == constants.DEPLOYMENT_ALARM_DATAPOINTS_TO_ALARM
        assert alarm["TreatMissingData"] == "notBreaching"
        assert "AlarmName" not in alarm  # generated: never collides between deployments
    assert by_metric["Invocation5XXErrors"]["Statistic"] == "Sum"
    assert by_metric["Invocation5XXErrors"]["Threshold"] == constants.ALARM_5XX_THRESHOLD
    assert by_metric["ModelLatency"]["ExtendedStatistic"] == "p99"
    assert by_metric["ModelLatency"]["Threshold"] == constants.ALARM_MODEL_LATENCY_P99_MICROSECONDS


@given(st.integers(min_value=1, max_value=100), st.integers(min_value=0, max_value=100))
def test_canary_never_exceeds_half_of_the_smallest_fleet(smallest, growth):
    routing = traffic_routing(smallest)
    fleet_when_update_starts = smallest + growth  # autoscaling only ever adds to the minimum
    if routing.type == "CANARY":
        assert routing.canary_size.type == "INSTANCE_COUNT"
        assert routing.canary_size.value * 2 <= fleet_when_update_starts
    else:
        assert routing.type == "ALL_AT_ONCE"
        assert smallest < constants.DEPLOYMENT_CANARY_MIN_INSTANCES


def test_autoscaling_minimum_below_the_initial_count_decides(built):
    stack = cdk.Stack(cdk.App(builtin_cloud_formation_validation=False), "s")
    endpoint = sagemaker.CfnEndpoint(stack, "Endpoint", endpoint_config_name="c")
    EndpointDeployment(
        stack,
        "Deployment",
        endpoint=endpoint,
        endpoint_name=ENDPOINT_NAME,
        variant_name=VARIANT,
        initial_instance_count=2,
        min_instance_count=1,
    )
    routing = Template.from_stack(stack).find_resources("AWS::SageMaker::Endpoint")["Endpoint"][
        "Properties"
    ]["DeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    assert routing == {"Type": "ALL_AT_ONCE"}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"bake_seconds": 3601}, "bake_seconds must be between 0 and 3600"),
        ({"max_execution_seconds": 599}, "max_execution_seconds must be between 600 and 28800"),
        ({"initial_instance_count": 0}, "initial_instance_count must be at least 1"),
        ({"min_instance_count": 0}, "min_instance_count must be at least 1"),
    ],
)
def test_out_of_range_deployment_settings_are_refused_by_name(arguments, message):
    stack = cdk.Stack(cdk.App(builtin_cloud_formation_validation=False), "s")
    endpoint = sagemaker.CfnEndpoint(stack, "Endpoint", endpoint_config_name="c")
    settings = {
        "endpoint": endpoint,
        "endpoint_name": ENDPOINT_NAME,
        "variant_name": VARIANT,
        "initial_instance_count": 1,
        **arguments,
    }
    with pytest.raises(ValueError, match=message):
        EndpointDeployment(stack, "Deployment", **settings)
