"""Condition keys that exist: every (action, condition key) pair of every policy in the
synthesized templates (roles' managed and inline policies, bucket, queue, topic and key
policies, trust policies) is one the IAM definitions database lists (tests/unit/iam/
condition_keys.py). Built with every optional context value set, so that the statements they add
are checked too."""

from __future__ import annotations

import pytest

from tests.unit.iam.condition_keys import (
    expand,
    policy_statements,
    supports,
    unknown_actions,
    unsupported_keys,
)

# Pairs where AWS's own documented policy uses a key some of the pattern's actions do not
# support; the statement works for the actions that do.
ACCEPTED = {
    ("kms:Describe*", "kms:EncryptionContext:aws:logs:arn"): (
        "the CloudWatch Logs User Guide's key policy for an encrypted log group: DescribeKey "
        "carries no encryption context, and CloudWatch Logs needs only the other actions"
    ),
}


def test_the_walk_sees_every_kind_of_policy(templates_with_every_option):
    kinds = {
        templates_with_every_option[stack]["Resources"][logical_id]["Type"]
        for stack, logical_id, _ in policy_statements(templates_with_every_option)
    }
    assert kinds >= {
        "AWS::IAM::ManagedPolicy",
        "AWS::IAM::Role",
        "AWS::S3::BucketPolicy",
        "AWS::SQS::QueuePolicy",
        "AWS::SNS::TopicPolicy",
        "AWS::KMS::Key",
    }
    statements = policy_statements(templates_with_every_option)
    conditioned = [s for _, _, s in statements if s.get("Condition")]
    assert len(conditioned) >= 20


def test_every_condition_key_is_supported_by_its_action(templates_with_every_option):
    problems = unsupported_keys(templates_with_every_option, accepted=ACCEPTED)
    assert problems == [], "\n".join(str(p) for p in problems)


def test_every_accepted_pair_is_still_used_and_still_unsupported(templates_with_every_option):
    used = {
        (action, key)
        for _, _, statement in policy_statements(templates_with_every_option)
        for action in (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        for block in statement.get("Condition", {}).values()
        for key in block
    }
    for action, key in ACCEPTED:
        assert (action, key) in used
        assert not supports(action, key)


def test_every_action_exists(templates_with_every_option):
    assert unknown_actions(templates_with_every_option) == []


def _template(action, condition) -> dict:
    return {
        "t": {
            "Resources": {
                "Policy": {
                    "Type": "AWS::IAM::ManagedPolicy",
                    "Properties": {
                        "PolicyDocument": {
                            "Statement": [
                                {
                                    "Sid": "Probe",
                                    "Effect": "Allow",
                                    "Action": action,
                                    "Resource": "*",
                                    "Condition": condition,
                                }
                            ]
                        }
                    },
                }
            }
        }
    }


@pytest.mark.parametrize(
    ("action", "condition"),
    [
        ("sagemaker:CreateModel", {"Bool": {"sagemaker:NetworkIsloation": "true"}}),
        ("sqs:SendMessage", {"ArnEquals": {"sqs:SourceArn": "arn"}}),
        ("sagemaker:DeleteModel", {"ForAllValues:StringEquals": {"sagemaker:InstanceTypes": "x"}}),
        ("s3:GetObject", {"Null": {"s3:if-none-match": "true"}}),
        ("sqs:*", {"Bool": {"sagemaker:NetworkIsolation": "true"}}),
    ],
    ids=["misspelt", "wrong-service", "other-actions-key", "write-key-on-a-read", "wildcard"],
)
def test_a_key_the_action_does_not_support_is_caught(action, condition):
    [problem] = unsupported_keys(_template(action, condition))
    assert problem.action == action
    assert problem.key == next(iter(next(iter(condition.values()))))
    assert "does not support condition key" in str(problem)


@pytest.mark.parametrize(
    ("action", "condition"),
    [
        ("sagemaker:CreateModel", {"Bool": {"SageMaker:NetworkIsolation": "true"}}),
        ("sagemaker:Create*", {"Bool": {"sagemaker:NetworkIsolation": "true"}}),
        ("sagemaker:DeleteModel", {"StringEquals": {"aws:ResourceTag/owner": "me"}}),
        ("kms:Decrypt", {"StringEquals": {"kms:EncryptionContext:aws:logs:arn": "x"}}),
        ("sqs:SendMessage", {"ArnNotEquals": {"aws:SourceArn": "arn"}}),
    ],
    ids=["case-insensitive", "wildcard", "tag-template", "context-template", "global"],
)
def test_a_supported_key_passes(action, condition):
    assert unsupported_keys(_template(action, condition)) == []


def test_wildcards_expand_to_the_database_actions():
    assert "sagemaker:CreateModel" in expand("sagemaker:Create*")
    assert "kms:DescribeKey" in expand("kms:Describe*")
    assert expand("sqs:SendMessage") == ["sqs:SendMessage"]


def test_a_misspelt_action_is_caught():
    assert unknown_actions(_template("sqs:SendMesage", {})) == ["sqs:SendMesage"]
