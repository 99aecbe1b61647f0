"""MlopsIAM's required-condition rules (ADR 0057): SageMaker creations bounded by network
isolation and instance types; a queue that EventBridge rules target accepts only them."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs

from policies.nag import LeastPrivilegeChecks
from policies.rules import conditions
from tests.unit.policies.nag_evaluation import evaluate

STACK = "ConditionsPackTest"
MODELS = "arn:aws:sagemaker:us-east-1:111122223333:model/*"
CONFIGS = "arn:aws:sagemaker:us-east-1:111122223333:endpoint-config/*"
ISOLATED = {"Bool": {"sagemaker:NetworkIsolation": "true"}}
CONFIGURED_TYPES = {
    "ForAllValues:StringEquals": {"sagemaker:InstanceTypes": ["ml.g4dn.xlarge"]},
    "Null": {"sagemaker:InstanceTypes": "false"},
}
PATTERN = events.EventPattern(source=["aws.ssm"])


def _policy(stack, name, *statements) -> iam.ManagedPolicy:
    return iam.ManagedPolicy(stack, name, statements=list(statements))


def _rule_to(stack, name, queue) -> events.Rule:
    return events.Rule(stack, name, event_pattern=PATTERN, targets=[targets.SqsQueue(queue)])


def _deny_others(queue, *rules) -> None:
    queue.add_to_resource_policy(
        iam.PolicyStatement(
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["sqs:SendMessage"],
            resources=[queue.queue_arn],
            conditions={"ArnNotEquals": {"aws:SourceArn": [r.rule_arn for r in rules]}},
        )
    )


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory):
    app = cdk.App(
        outdir=str(tmp_path_factory.mktemp("conditions-pack")),
        builtin_cloud_formation_validation=False,
    )
    stack = cdk.Stack(app, STACK)
    _policy(
        stack,
        "Bounded",
        iam.PolicyStatement(
            actions=["sagemaker:CreateModel"], resources=[MODELS], conditions=ISOLATED
        ),
        iam.PolicyStatement(
            actions=["sagemaker:CreateEndpointConfig"],
            resources=[CONFIGS],
            conditions=CONFIGURED_TYPES,
        ),
    )
    _policy(
        stack,
        "Unbounded",
        iam.PolicyStatement(
            actions=["sagemaker:CreateModel", "sagemaker:CreateEndpointConfig"],
            resources=[MODELS, CONFIGS],
        ),
    )
    # A pattern grants CreateModel too; ForAllValues without Null matches requests without types.
    _policy(
        stack,
        "PatternAndNoNull",
        iam.PolicyStatement(actions=["sagemaker:Create*"], resources=[MODELS]),
        iam.PolicyStatement(
            actions=["sagemaker:CreateEndpointConfig"],
            resources=[CONFIGS],
            conditions={
                "ForAllValues:StringEquals": {"sagemaker:InstanceTypes": ["ml.g4dn.xlarge"]}
            },
        ),
    )
    _policy(
        stack,
        "NoSageMaker",
        iam.PolicyStatement(actions=["sqs:SendMessage"], resources=["arn:aws:sqs:::q"]),
    )

    guarded = sqs.Queue(stack, "Guarded", enforce_ssl=True)
    first, second = _rule_to(stack, "First", guarded), _rule_to(stack, "Second", guarded)
    _deny_others(guarded, first, second)

    open_queue = sqs.Queue(stack, "Open", enforce_ssl=True)
    _rule_to(stack, "ToOpen", open_queue)

    half = sqs.Queue(stack, "HalfGuarded", enforce_ssl=True)
    third, _ = _rule_to(stack, "Third", half), _rule_to(stack, "Fourth", half)
    _deny_others(half, third)

    sqs.Queue(stack, "NotATarget", enforce_ssl=True)
    return evaluate(app, [LeastPrivilegeChecks])


CASES = [
    ("MlopsIAM-CreateModelNetworkIsolation", "Bounded/Resource", "COMPLIANT", set()),
    (
        "MlopsIAM-CreateModelNetworkIsolation",
        "Unbounded/Resource",
        "NON_COMPLIANT",
        {"ModelIsolation::sagemaker:CreateModel"},
    ),
    (
        "MlopsIAM-CreateModelNetworkIsolation",
        "PatternAndNoNull/Resource",
        "NON_COMPLIANT",
        {"ModelIsolation::sagemaker:CreateModel"},
    ),
    ("MlopsIAM-CreateModelNetworkIsolation", "NoSageMaker/Resource", "COMPLIANT", set()),
    ("MlopsIAM-CreateEndpointConfigInstanceTypes", "Bounded/Resource", "COMPLIANT", set()),
    (
        "MlopsIAM-CreateEndpointConfigInstanceTypes",
        "Unbounded/Resource",
        "NON_COMPLIANT",
        {"InstanceTypes::sagemaker:CreateEndpointConfig"},
    ),
    (
        "MlopsIAM-CreateEndpointConfigInstanceTypes",
        "PatternAndNoNull/Resource",
        "NON_COMPLIANT",
        {"InstanceTypes::sagemaker:CreateEndpointConfig"},
    ),
    ("MlopsIAM-QueueSendersAreItsRules", "Guarded/Policy/Resource", "COMPLIANT", set()),
    ("MlopsIAM-QueueSendersAreItsRules", "Open/Policy/Resource", "NON_COMPLIANT", set()),
    ("MlopsIAM-QueueSendersAreItsRules", "HalfGuarded/Policy/Resource", "NON_COMPLIANT", set()),
    ("MlopsIAM-QueueSendersAreItsRules", "NotATarget/Policy/Resource", "NOT_APPLICABLE", set()),
]


@pytest.mark.parametrize(("rule_id", "path", "expected", "finding_ids"), CASES)
def test_rule_outcome_and_findings(evaluation, rule_id, path, expected, finding_ids):
    full_path = f"{STACK}/{path}"
    assert set(evaluation.outcomes(rule_id, full_path)) == {expected}
    if finding_ids:
        flagged = {
            finding.finding_id
            for finding in evaluation.findings(rule_id)
            if finding.path.lstrip("/") == full_path
        }
        assert flagged == finding_ids


def test_the_queue_rule_names_what_is_missing_and_refuses_extra_senders():
    policy = {
        "Queues": [{"Ref": "Q"}],
        "PolicyDocument": {
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": "sqs:SendMessage",
                    "Condition": {
                        "ArnNotEquals": {
                            "aws:SourceArn": [
                                {"Fn::GetAtt": ["RuleA", "Arn"]},
                                "arn:aws:events:us-east-1:111122223333:rule/other",
                            ]
                        }
                    },
                }
            ]
        },
    }
    assert "also lets other sources send" in conditions.queue_sender_problem(policy, {"RuleA"})
    assert "['RuleB']" in conditions.queue_sender_problem(policy, {"RuleA", "RuleB"})
    assert conditions.queue_sender_problem(policy, set()) is None


@pytest.mark.parametrize(
    ("condition", "restricted"),
    [
        (CONFIGURED_TYPES, True),
        ({**CONFIGURED_TYPES, "Null": {"sagemaker:InstanceTypes": "true"}}, False),
        (
            {
                "ForAllValues:StringEquals": {"sagemaker:InstanceTypes": ["*"]},
                "Null": {"sagemaker:InstanceTypes": "false"},
            },
            False,
        ),
        ({"StringEquals": {"sagemaker:InstanceTypes": "ml.g4dn.xlarge"}}, False),
    ],
    ids=["named-and-required", "null-true", "wildcard-type", "not-forallvalues"],
)
def test_instance_types_must_be_named_and_required(condition, restricted):
    assert conditions.restricts_instance_types(condition) is restricted
