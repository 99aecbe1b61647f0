"""Templates of the ModelRollout construct (queue, rules, function, its role, its alarms), built
once per module in a small stack shaped like the SageMaker stack
(tests/unit/stacks/endpoint_stacks.py). The service role CloudFormation updates with is tested
in test_rollout_service_role.py."""

from __future__ import annotations

import re
from dataclasses import replace

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Match, Template

from cdk_exercise_stacks.rollout.model_rollout import ModelRollout
from cdk_exercise_stacks.sagemaker_endpoints import ROLLOUT_ASSET_PATH, ROLLOUT_SETTINGS
from config import constants
from tests.unit.stacks.endpoint_stacks import (
    PARAMETER,
    actions,
    by_sid,
    endpoint_stack,
    managed_policy_statements,
    only,
    operations_actions,
)


@pytest.fixture(scope="module")
def built():
    app = cdk.App(builtin_cloud_formation_validation=False)
    actions = operations_actions(app, "operations-stack")
    parts = endpoint_stack(app, "sagemaker-endpoint-stack", alarm_actions=actions)
    rollout = parts.add_rollout(function_name="model-rollout", alarm_actions=actions)
    return {"parts": parts, "rollout": rollout, "template": Template.from_stack(parts.stack)}


@pytest.fixture(scope="module")
def template(built) -> Template:
    return built["template"]


# ---------------------------------------------------------------------------------- rollout --


def test_rule_matches_create_and_update_of_the_one_parameter(template):
    rule = only(template, "AWS::Events::Rule", {"EventPattern": {"source": ["aws.ssm"]}})
    assert rule["Properties"]["EventPattern"] == {
        "account": [{"Ref": "AWS::AccountId"}],
        "source": ["aws.ssm"],
        "detail-type": ["Parameter Store Change"],
        "detail": {"name": [PARAMETER], "operation": ["Create", "Update"]},
    }


def test_outcome_rule_matches_only_this_stacks_update_verdicts(template):
    rule = only(template, "AWS::Events::Rule", {"EventPattern": {"source": ["aws.cloudformation"]}})
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["account"] == [{"Ref": "AWS::AccountId"}]
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
    queue = only(template, "AWS::SQS::Queue", {"RedrivePolicy": Match.any_value()})
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


def _request_queue_policy(built) -> list[dict]:
    rollout = built["rollout"]
    queue_ref = cdk.Stack.of(rollout).resolve(rollout.queue.queue_url)
    [policy] = [
        p
        for p in built["template"].find_resources("AWS::SQS::QueuePolicy").values()
        if p["Properties"]["Queues"] == [queue_ref]
    ]
    return policy["Properties"]["PolicyDocument"]["Statement"]


def test_only_the_stacks_own_rules_may_send_to_the_request_queue(built):
    """A Deny for every principal unless aws:SourceArn is one of the two rules: a direct
    SendMessage (no SourceArn) or another rule is refused whatever IAM allows."""
    rollout = built["rollout"]
    resolve = cdk.Stack.of(rollout).resolve
    statements = _request_queue_policy(built)
    [deny] = [s for s in statements if s.get("Sid") == "OnlyThisStacksRulesSend"]
    assert deny == {
        "Sid": "OnlyThisStacksRulesSend",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "sqs:SendMessage",
        "Resource": resolve(rollout.queue.queue_arn),
        "Condition": {
            "ArnNotEquals": {
                "aws:SourceArn": [
                    resolve(rollout.parameter_rule.rule_arn),
                    resolve(rollout.outcome_rule.rule_arn),
                ]
            }
        },
    }
    # Every Allow to send names one of the same rules, and only EventBridge.
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert allows
    for allow in allows:
        assert allow["Principal"] == {"Service": "events.amazonaws.com"}
        assert (
            allow["Condition"]["ArnEquals"]["aws:SourceArn"]
            in (deny["Condition"]["ArnNotEquals"]["aws:SourceArn"])
        )


def test_dead_letter_queue_is_retained_and_the_request_queue_is_not(built, template):
    rollout = built["rollout"]
    queues = template.find_resources("AWS::SQS::Queue")
    dlq = queues[built["parts"].logical_id(rollout.dead_letter_queue)]
    assert dlq["DeletionPolicy"] == "Retain"
    assert dlq["UpdateReplacePolicy"] == "Retain"
    request = queues[built["parts"].logical_id(rollout.queue)]
    assert request["DeletionPolicy"] == "Delete"


def test_log_group_is_encrypted_with_the_given_key_which_logs_may_use(built, template):
    rollout = built["rollout"]
    resolve = cdk.Stack.of(rollout).resolve
    log_group = only(template, "AWS::Logs::LogGroup")
    keys = template.find_resources("AWS::KMS::Key")
    key_id = log_group["Properties"]["KmsKeyId"]["Fn::GetAtt"][0]
    statements = keys[key_id]["Properties"]["KeyPolicy"]["Statement"]
    [logs] = [s for s in statements if s.get("Sid") == "EncryptRolloutLogGroup"]
    assert logs["Effect"] == "Allow"
    assert "kms:Decrypt*" in logs["Action"]
    pattern = resolve(logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"])
    assert pattern["Fn::Join"][1][-1].endswith(":log-group:*")


def test_function_is_single_file_of_calls_with_partial_batch_failures(template):
    function = only(template, "AWS::Lambda::Function")["Properties"]
    assert function["Runtime"] == constants.LAMBDA_RUNTIME
    assert function["Handler"] == constants.ROLLOUT_HANDLER
    assert function["Timeout"] == constants.ROLLOUT_TIMEOUT_SECONDS
    assert function["ReservedConcurrentExecutions"] == 1
    assert function["FunctionName"] == "model-rollout"
    assert "LogGroup" in function["LoggingConfig"]
    mapping = only(template, "AWS::Lambda::EventSourceMapping")["Properties"]
    assert mapping["BatchSize"] == constants.ROLLOUT_BATCH_SIZE
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_function_environment_names_its_stack_role_parameter_and_namespace(built, template):
    """The values; that the function reads these names: tests/unit/test_runtime_contract.py."""
    variables = only(template, "AWS::Lambda::Function")["Properties"]["Environment"]["Variables"]
    service_role_id = built["parts"].logical_id(built["rollout"].service_role.role)
    assert variables == {
        constants.ROLLOUT_STACK_NAME_ENV_VAR: "sagemaker-endpoint-stack",
        constants.ROLLOUT_PARAMETER_ENV_VAR: PARAMETER,
        constants.METRICS_NAMESPACE_ENV_VAR: constants.ROLLOUT_METRICS_NAMESPACE,
        constants.ROLLOUT_CFN_ROLE_ARN_ENV_VAR: {"Fn::GetAtt": [service_role_id, "Arn"]},
    }


def test_log_group_is_retained_with_retention(template):
    log_group = only(template, "AWS::Logs::LogGroup")
    assert log_group["Properties"]["RetentionInDays"] == constants.LAMBDA_LOG_RETENTION_DAYS
    assert log_group["DeletionPolicy"] == "Retain"


def _function_statements(built) -> list[dict]:
    role_id = built["parts"].logical_id(built["rollout"].role)
    return managed_policy_statements(built["template"].to_json(), role_id)


def test_role_holds_exactly_the_rollouts_permissions(built, template):
    statements = by_sid(_function_statements(built))
    assert set(statements) == {
        "ReadThisStack",
        "UpdateThisStackWithRolloutRole",
        "PassRolloutServiceRole",
        "ResolveStackParameters",
        "PutRolloutMetrics",
        "WriteOwnLogs",
        "ConsumeRequestQueue",
    }
    assert statements["ReadThisStack"]["Action"] == [
        "cloudformation:DescribeStacks",
        "cloudformation:GetTemplateSummary",
    ]
    assert statements["ReadThisStack"]["Resource"] == {"Ref": "AWS::StackId"}
    read = statements["ResolveStackParameters"]
    assert read["Action"] == "ssm:GetParameters"
    resources = str(read["Resource"])
    assert ":parameter/sentiment_model/latest_object_key" in resources
    assert ":parameter/cdk-bootstrap/hnb659fds/version" in resources
    assert len(read["Resource"]) == 2
    assert statements["WriteOwnLogs"]["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    [log_group_id] = template.find_resources("AWS::Logs::LogGroup")
    assert statements["WriteOwnLogs"]["Resource"] == {"Fn::GetAtt": [log_group_id, "Arn"]}
    queue_ids = [
        logical_id
        for logical_id, queue in template.find_resources("AWS::SQS::Queue").items()
        if "RedrivePolicy" in queue["Properties"]
    ]
    assert statements["ConsumeRequestQueue"]["Resource"] == {"Fn::GetAtt": [queue_ids[0], "Arn"]}
    assert "sqs:SendMessage" not in statements["ConsumeRequestQueue"]["Action"]


def test_update_stack_only_with_the_rollout_service_role(built):
    """Without the RoleArn condition an UpdateStack without RoleARN would run with the stack's
    last role, the CDK execution role after a `cdk deploy` (ADR-0052)."""
    statements = by_sid(_function_statements(built))
    service_role_arn = {
        "Fn::GetAtt": [built["parts"].logical_id(built["rollout"].service_role.role), "Arn"]
    }
    update = statements["UpdateThisStackWithRolloutRole"]
    assert update["Action"] == "cloudformation:UpdateStack"
    assert update["Resource"] == {"Ref": "AWS::StackId"}
    assert update["Condition"] == {"StringEquals": {"cloudformation:RoleArn": service_role_arn}}
    pass_role = statements["PassRolloutServiceRole"]
    assert pass_role["Action"] == "iam:PassRole"
    assert pass_role["Resource"] == service_role_arn
    assert pass_role["Condition"] == {
        "StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}
    }
    unconditioned_updates = [
        s
        for s in _function_statements(built)
        if "cloudformation:UpdateStack" in actions(s) and "Condition" not in s
    ]
    assert unconditioned_updates == []


def test_function_waits_for_its_policy(built, template):
    policy_id = built["parts"].logical_id(built["rollout"].policy)
    function = only(template, "AWS::Lambda::Function")
    assert policy_id in function["DependsOn"]


def test_no_sagemaker_no_iam_but_passrole_and_no_unconditioned_wildcard(built):
    statements = _function_statements(built)
    granted = [action for s in statements for action in actions(s)]
    assert not [a for a in granted if a.startswith("sagemaker:")]
    assert [a for a in granted if a.startswith("iam:")] == ["iam:PassRole"]
    assert all("*" not in action for action in granted)
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
    assert len(rollout) == 6
    by_metric = {props["MetricName"]: props for props in rollout.values()}
    dlq_name = cdk.Stack.of(built["rollout"]).resolve(built["rollout"].dead_letter_queue.queue_name)
    assert by_metric["ApproximateNumberOfMessagesVisible"]["Dimensions"] == [
        {"Name": "QueueName", "Value": dlq_name}
    ]
    for metric in (
        "RolloutFailed",
        "RolloutRolledBack",
        "RolloutUpdateFailed",
        "RolloutForeignEventIgnored",
    ):
        props = by_metric[metric]
        assert props["Namespace"] == constants.ROLLOUT_METRICS_NAMESPACE
        assert props["Dimensions"] == [
            {"Name": constants.ROLLOUT_METRICS_STACK_DIMENSION, "Value": "sagemaker-endpoint-stack"}
        ]
    assert by_metric["Errors"]["Namespace"] == "AWS/Lambda"
    for props in rollout.values():
        assert props["Threshold"] == constants.ROLLOUT_ALARM_THRESHOLD
        assert props["EvaluationPeriods"] == constants.ROLLOUT_ALARM_EVALUATION_PERIODS
        assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


@pytest.mark.parametrize(
    ("parameter_name", "problem"),
    [
        ("sentiment-model", "must be fully qualified"),
        ("/models//sentiment", "must be fully qualified"),
        ("/models/sentiment/", "must be fully qualified"),
        ("/models/sentiment model", "may only contain"),
        ("/aws/sentiment-model", "must not start with 'aws' or 'ssm'"),
    ],
)
def test_invalid_parameter_name_is_refused(parameter_name, problem):
    """The same rules as the registration side (config.naming.validate_parameter_name)."""
    app = cdk.App(builtin_cloud_formation_validation=False)
    actions = operations_actions(app, "operations")
    parts = endpoint_stack(app, "s", alarm_actions=actions)
    with pytest.raises(
        ValueError, match=rf"^parameter_name: .*{re.escape(parameter_name)}.*{problem}"
    ):
        ModelRollout(
            parts.stack,
            "Rollout",
            parameter_name=parameter_name,
            endpoint_name="sagemaker-endpoint",
            model_execution_role=parts.execution_role,
            rollback_alarms=parts.deployment.rollback_alarms,
            instance_types=[parts.instance_type],
            log_encryption_key=kms.Key(parts.stack, "LogKey"),
            settings=ROLLOUT_SETTINGS,
            alarm_actions=actions,
            asset_path=ROLLOUT_ASSET_PATH,
        )


def test_a_rollout_without_alarm_actions_is_refused():
    app = cdk.App(builtin_cloud_formation_validation=False)
    parts = endpoint_stack(app, "s", alarm_actions=operations_actions(app, "operations"))
    with pytest.raises(ValueError, match=r"^alarm_actions must name at least one action"):
        parts.add_rollout(alarm_actions=[])


def test_the_rollout_is_built_from_the_settings_it_is_given():
    """Nothing is read from config inside the construct: other settings, another template."""
    app = cdk.App(builtin_cloud_formation_validation=False)
    actions = operations_actions(app, "operations")
    parts = endpoint_stack(app, "s", alarm_actions=actions)
    settings = replace(
        ROLLOUT_SETTINGS,
        function=replace(ROLLOUT_SETTINGS.function, timeout_seconds=30, memory_mb=512),
        batch_size=1,
        max_receive_count=7,
        metrics_namespace="OtherRollout",
        bootstrap_version_parameter_name=None,
        environment_names=replace(ROLLOUT_SETTINGS.environment_names, stack_name="OTHER_STACK"),
    )
    rollout = parts.add_rollout(settings=settings, alarm_actions=actions)
    template = Template.from_stack(parts.stack)
    function = only(template, "AWS::Lambda::Function")["Properties"]
    assert (function["Timeout"], function["MemorySize"]) == (30, 512)
    assert function["Environment"]["Variables"]["OTHER_STACK"] == "s"
    assert only(template, "AWS::Lambda::EventSourceMapping")["Properties"]["BatchSize"] == 1
    queue = only(template, "AWS::SQS::Queue", {"RedrivePolicy": Match.any_value()})
    assert queue["Properties"]["RedrivePolicy"]["maxReceiveCount"] == 7
    statements = by_sid(
        managed_policy_statements(template.to_json(), parts.logical_id(rollout.role))
    )
    # No bootstrap version parameter: the model parameter is the only one the role reads.
    assert ":parameter/sentiment_model/latest_object_key" in str(
        statements["ResolveStackParameters"]["Resource"]
    )
    assert "cdk-bootstrap" not in str(statements["ResolveStackParameters"]["Resource"])
    assert statements["PutRolloutMetrics"]["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": "OtherRollout"}
    }
