"""LambdaStack: the operations topic every alarm of the pipeline publishes to, and the key that
encrypts it and the registration function's log group (ADR-0049); the stack deploys first, so
it owns them.
"""

from __future__ import annotations

import pytest

from config import constants
from tests.cdk_apps import ALERT_EMAIL
from tests.unit.stacks.stack_template_queries import (
    as_list,
    properties,
    render_join,
    resources_of_type,
    the_resource,
)

STACK = constants.LAMBDA_STACK_NAME


@pytest.fixture(scope="module")
def template(templates):
    return templates[STACK]


def test_log_group_is_encrypted_with_the_retained_rotated_operations_key(template):
    key_id, key = the_resource(template, "AWS::KMS::Key")
    log_group = properties(template, "AWS::Logs::LogGroup")
    assert log_group["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert key["Properties"]["EnableKeyRotation"] is True
    # retained: the retained log group's data stays readable after the stack is deleted
    assert key["DeletionPolicy"] == "Retain"
    logs = [
        s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Sid") == "EncryptLogGroupsOfThisAccount"
    ]
    assert len(logs) == 1
    # The regional principal with the partition's URL suffix (amazonaws.com.cn in China).
    assert render_join(logs[0]["Principal"]["Service"]) == (
        "logs.${Ref:AWS::Region}.${Ref:AWS::URLSuffix}"
    )
    context = logs[0]["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert render_join(context) == (
        "arn:${Ref:AWS::Partition}:logs:${Ref:AWS::Region}:${Ref:AWS::AccountId}:log-group:*"
    )


def test_failure_alarm_publishes_to_the_encrypted_tls_only_operations_topic(template):
    key_id, key = the_resource(template, "AWS::KMS::Key")
    topic_id, topic = the_resource(template, "AWS::SNS::Topic")
    assert topic["Properties"]["TopicName"] == constants.OPERATIONS_TOPIC_NAME
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    # The registration function's failure alarm stands for every alarm of the pipeline.
    (alarm,) = [
        a["Properties"]
        for a in resources_of_type(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("Namespace") == "AWS/SQS"
    ]
    assert alarm["AlarmActions"] == [{"Ref": topic_id}]

    policy = properties(template, "AWS::SNS::TopicPolicy")
    assert policy["Topics"] == [{"Ref": topic_id}]
    statements = policy["PolicyDocument"]["Statement"]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in statements
    )
    alarms_of_this_account = {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
        "ArnLike": {"aws:SourceArn": ANY_ALARM_OF_THIS_ACCOUNT},
    }
    (publish,) = [s for s in statements if s["Effect"] == "Allow"]
    assert publish["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert publish["Action"] == "sns:Publish"
    assert _rendered(publish["Condition"]) == alarms_of_this_account
    # CloudWatch cannot publish to a KMS-encrypted topic without using its key
    (key_use,) = [
        s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert set(as_list(key_use["Action"])) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert _rendered(key_use["Condition"]) == alarms_of_this_account


ANY_ALARM_OF_THIS_ACCOUNT = (
    "arn:${Ref:AWS::Partition}:cloudwatch:${Ref:AWS::Region}:${Ref:AWS::AccountId}:alarm:*"
)


def _rendered(condition: dict) -> dict:
    """A condition block with its Fn::Join values rendered readably."""
    return {
        operator: {
            key: value if isinstance(value, dict) and "Ref" in value else render_join(value)
            for key, value in entries.items()
        }
        for operator, entries in condition.items()
    }


def test_operations_key_has_the_derived_alias_and_no_template_tags(template):
    key_id, key = the_resource(template, "AWS::KMS::Key")
    alias = properties(template, "AWS::KMS::Alias")
    assert alias["AliasName"] == f"alias/{constants.OPERATIONS_KEY_NAME}"
    assert alias["TargetKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    # moto cannot create a key with template tags (cdk_exercise_stacks/operations/keys.py)
    assert "Tags" not in key["Properties"]


def test_topic_refuses_every_action_over_plain_http(template):
    topic_id, _ = the_resource(template, "AWS::SNS::Topic")
    statements = properties(template, "AWS::SNS::TopicPolicy")["PolicyDocument"]["Statement"]
    [deny] = [s for s in statements if s.get("Sid") == "DenyEveryActionWithoutTls"]
    assert deny == {
        "Sid": "DenyEveryActionWithoutTls",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "sns:*",
        "Resource": {"Ref": topic_id},
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def test_without_alert_email_the_topic_has_no_subscription(template):
    assert resources_of_type(template, "AWS::SNS::Subscription") == {}


@pytest.fixture(scope="module")
def subscribed_template(templates_with_every_option):
    """The Lambda stack with ``alert_email`` set (tests.cdk_apps EVERY_OPTION_CONTEXT)."""
    return templates_with_every_option[constants.LAMBDA_STACK_NAME]


def test_alert_email_is_subscribed_to_the_operations_topic(subscribed_template):
    topic_id, _ = the_resource(subscribed_template, "AWS::SNS::Topic")
    [subscription] = resources_of_type(subscribed_template, "AWS::SNS::Subscription").values()
    assert subscription["Properties"] == {
        "Protocol": "email",
        "TopicArn": {"Ref": topic_id},
        "Endpoint": ALERT_EMAIL,
    }


@pytest.mark.parametrize(
    "value", ["", "ops", "ops@example", "a@b.com,c@d.com", "ops @example.com", 42]
)
def test_a_malformed_alert_email_fails_synthesis_naming_the_key(value):
    import aws_cdk as cdk

    from cdk_exercise_stacks.optional_context import email_from_context

    app = cdk.App(context={constants.ALERT_EMAIL_CONTEXT_KEY: value})
    with pytest.raises(ValueError, match=r"^CDK context alert_email"):
        email_from_context(app, constants.ALERT_EMAIL_CONTEXT_KEY)


def test_failure_queue_keeps_failed_registrations_when_the_stack_is_deleted(template):
    [queue] = resources_of_type(template, "AWS::SQS::Queue").values()
    assert queue["DeletionPolicy"] == "Retain"
    assert queue["UpdateReplacePolicy"] == "Retain"
