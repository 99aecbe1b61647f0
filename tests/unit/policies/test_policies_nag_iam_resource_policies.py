"""MlopsIAM on resource policies (KMS key, S3 bucket, SQS queue, SNS topic policies): the rule
function and the pack, each on compliant, non-compliant and not-applicable resources (ADR 0044).

In a key policy Resource "*" is the key itself (AWS KMS Developer Guide, "Elements in a key
policy"); bucket, queue and topic policies must name their resources in every Allow statement;
Deny statements never count; the metric-namespace rule reads identity policies only.
"""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs

from cdk_exercise_stacks.operations.keys import pipeline_key
from policies.nag import LeastPrivilegeChecks
from policies.rules import iam as rules
from tests.unit.policies.nag_evaluation import evaluate

ROOT = {"AWS": "arn:aws:iam::111122223333:root"}
QUEUE_ARN = "arn:aws:sqs:us-east-1:111122223333:q"


def _allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Principal": ROOT, "Action": action, "Resource": resource, **extra}


def _ids(resource_type: str, statement: dict) -> set[str]:
    return {
        violation.finding_id
        for violation in rules.resource_policy_statement_violations(resource_type, statement)
    }


# -- the rule function ----------------------------------------------------------------------


def test_a_key_policy_may_name_its_key_as_star():
    assert _ids("AWS::KMS::Key", _allow(["kms:Decrypt", "kms:Create*"])) == set()


def test_kms_star_in_a_key_policy_is_a_wildcard_action():
    # The account statement of CDK's and KMS's default key policy.
    assert _ids("AWS::KMS::Key", _allow("kms:*")) == {"WildcardAction::kms:*"}


def test_not_resource_in_a_key_policy_is_still_a_wildcard_resource():
    statement = {"Effect": "Allow", "Principal": ROOT, "Action": "kms:Decrypt", "NotResource": "x"}
    assert _ids("AWS::KMS::Key", statement) == {"WildcardResource::kms:Decrypt"}


@pytest.mark.parametrize(
    ("resource_type", "action"),
    [
        ("AWS::S3::BucketPolicy", "s3:GetObject"),
        ("AWS::SQS::QueuePolicy", "sqs:SendMessage"),
        ("AWS::SNS::TopicPolicy", "sns:Publish"),
        # The identity allowlist does not apply to resource policies.
        ("AWS::SNS::TopicPolicy", "cloudwatch:PutMetricData"),
    ],
)
def test_an_allow_on_star_in_a_bucket_queue_or_topic_policy_is_a_finding(resource_type, action):
    assert _ids(resource_type, _allow(action)) == {f"WildcardResource::{action}"}


@pytest.mark.parametrize(
    "resource_type", ["AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy"]
)
def test_an_allow_naming_its_resource_is_compliant(resource_type):
    assert _ids(resource_type, _allow("sqs:SendMessage", QUEUE_ARN)) == set()


@pytest.mark.parametrize("resource_type", sorted(rules.RESOURCE_POLICY_TYPES))
def test_deny_statements_never_count(resource_type):
    tls_only = {
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "*",
        "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    assert _ids(resource_type, tls_only) == set()


def test_wildcard_actions_in_resource_policies():
    assert _ids("AWS::SQS::QueuePolicy", _allow("sqs:*", QUEUE_ARN)) == {"WildcardAction::sqs:*"}
    not_action = {"Effect": "Allow", "Principal": ROOT, "NotAction": "s3:Get*", "Resource": "*"}
    assert _ids("AWS::S3::BucketPolicy", not_action) == {
        "WildcardAction::NotAction",
        "WildcardResource::NotAction",
    }


def test_resource_policies_never_need_a_metric_namespace():
    kinds = {
        violation.kind
        for violation in rules.resource_policy_statement_violations("AWS::KMS::Key", _allow("*"))
    }
    assert kinds == {rules.WILDCARD_ACTION}


def test_resource_violations_read_each_documents_property():
    key = {"KeyPolicy": {"Statement": [_allow("kms:*")]}}
    bucket = {"Bucket": "b", "PolicyDocument": {"Statement": [_allow("s3:GetObject")]}}
    assert [v.finding_id for v in rules.resource_violations("AWS::KMS::Key", key)] == [
        "WildcardAction::kms:*"
    ]
    assert [v.finding_id for v in rules.resource_violations("AWS::S3::BucketPolicy", bucket)] == [
        "WildcardResource::s3:GetObject"
    ]


def test_a_type_without_a_resource_policy_is_refused():
    with pytest.raises(ValueError, match="AWS::S3::Bucket"):
        rules.resource_policy_statement_violations("AWS::S3::Bucket", _allow("s3:GetObject"))


# -- the pack on synthesized resources ------------------------------------------------------

STACK = "ResourcePolicyPackTest"


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory):
    app = cdk.App(
        outdir=str(tmp_path_factory.mktemp("iam-resource-policies")),
        builtin_cloud_formation_validation=False,
    )
    stack = cdk.Stack(app, STACK)
    kms.Key(stack, "DefaultPolicyKey")  # CDK's default key policy: kms:* for the account
    pipeline_key(
        stack, "PipelineKey", name="test-key", description="narrowed", pending_window_days=7
    )
    bucket = s3.Bucket(stack, "Bucket", enforce_ssl=True)
    bucket.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.AccountRootPrincipal()], actions=["s3:GetObject"], resources=["*"]
        )
    )
    queue = sqs.Queue(stack, "Queue", enforce_ssl=True)
    queue.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal("events.amazonaws.com")],
            actions=["sqs:SendMessage"],
            resources=[queue.queue_arn],
        )
    )
    topic = sns.Topic(stack, "Topic")
    topic.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.AccountRootPrincipal()],
            actions=["sns:*"],
            resources=[topic.topic_arn],
        )
    )
    s3.Bucket(stack, "NoPolicy")
    return evaluate(app, [LeastPrivilegeChecks])


CASES = [
    # (rule, resource path, outcome, finding IDs of unsuppressed findings)
    (
        "MlopsIAM-NoWildcardAction",
        "DefaultPolicyKey/Resource",
        "NON_COMPLIANT",
        {"WildcardAction::kms:*"},
    ),
    ("MlopsIAM-WildcardResourceAllowlist", "DefaultPolicyKey/Resource", "COMPLIANT", set()),
    ("MlopsIAM-NoWildcardAction", "PipelineKey/Resource", "COMPLIANT", set()),
    ("MlopsIAM-WildcardResourceAllowlist", "PipelineKey/Resource", "COMPLIANT", set()),
    # The TLS-only Deny on s3:* passes; the Allow on "*" does not.
    ("MlopsIAM-NoWildcardAction", "Bucket/Policy/Resource", "COMPLIANT", set()),
    (
        "MlopsIAM-WildcardResourceAllowlist",
        "Bucket/Policy/Resource",
        "NON_COMPLIANT",
        {"WildcardResource::s3:GetObject"},
    ),
    ("MlopsIAM-NoWildcardAction", "Queue/Policy/Resource", "COMPLIANT", set()),
    ("MlopsIAM-WildcardResourceAllowlist", "Queue/Policy/Resource", "COMPLIANT", set()),
    (
        "MlopsIAM-NoWildcardAction",
        "Topic/Policy/Resource",
        "NON_COMPLIANT",
        {"WildcardAction::sns:*"},
    ),
    ("MlopsIAM-WildcardResourceAllowlist", "Topic/Policy/Resource", "COMPLIANT", set()),
]


@pytest.mark.parametrize(("rule_id", "path", "expected", "finding_ids"), CASES)
def test_rule_outcome_and_findings(evaluation, rule_id, path, expected, finding_ids):
    full_path = f"{STACK}/{path}"
    assert set(evaluation.outcomes(rule_id, full_path)) == {expected}
    flagged = {
        finding.finding_id
        for finding in evaluation.findings(rule_id)
        if finding.path.lstrip("/") == full_path
    }
    assert flagged == finding_ids


@pytest.mark.parametrize(
    "path", ["DefaultPolicyKey/Resource", "Bucket/Policy/Resource", "Topic/Policy/Resource"]
)
def test_the_metric_namespace_rule_does_not_read_resource_policies(evaluation, path):
    assert evaluation.outcomes("MlopsIAM-MetricNamespaceCondition", f"{STACK}/{path}") == []


def test_a_bucket_without_a_policy_is_not_applicable(evaluation):
    assert not [o for o in evaluation.recorder.outcomes if "/NoPolicy/" in o.path]
