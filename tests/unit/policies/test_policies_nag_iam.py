"""MlopsIAM: each rule on compliant, non-compliant and not-applicable resources."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3

from policies.exceptions import acknowledge
from policies.nag import LeastPrivilegeChecks
from tests.unit.policies.nag_evaluation import evaluate

STACK = "IamPackTest"
PARAMETER_ARN = "arn:aws:ssm:us-east-1:111122223333:parameter/sentiment_model/latest_object_key"
QUEUE_ARN = "arn:aws:sqs:us-east-1:111122223333:failures"


def _role(stack: cdk.Stack, name: str, **kwargs) -> iam.Role:
    return iam.Role(stack, name, assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"), **kwargs)


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory):
    app = cdk.App(
        outdir=str(tmp_path_factory.mktemp("iam-pack")), builtin_cloud_formation_validation=False
    )
    stack = cdk.Stack(app, STACK)
    readable = iam.ManagedPolicy(
        stack,
        "ReadableStatements",
        statements=[iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[QUEUE_ARN])],
    )
    least = _role(stack, "LeastPrivilege", managed_policies=[readable])
    least.add_to_policy(
        iam.PolicyStatement(actions=["ssm:PutParameter"], resources=[PARAMETER_ARN])
    )
    least.add_to_policy(
        iam.PolicyStatement(
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            conditions={"StringEquals": {"cloudwatch:namespace": "ModelRegistration"}},
        )
    )
    _role(stack, "ServiceWide").add_to_policy(
        iam.PolicyStatement(actions=["s3:*"], resources=["arn:aws:s3:::bucket/*"])
    )
    _role(stack, "ParameterOnStar").add_to_policy(
        iam.PolicyStatement(actions=["ssm:PutParameter"], resources=["*"])
    )
    _role(stack, "MetricsAnywhere").add_to_policy(
        iam.PolicyStatement(actions=["cloudwatch:PutMetricData"], resources=["*"])
    )
    _role(
        stack,
        "FullAccess",
        managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("AmazonS3FullAccess")],
    )
    _role(
        stack,
        "AwsManaged",
        managed_policies=[
            iam.ManagedPolicy.from_aws_managed_policy_name(
                "service-role/AWSLambdaBasicExecutionRole"
            )
        ],
    )
    # What AwsSolutions-IAM4 lets through: a customer-managed policy defined elsewhere.
    _role(
        stack,
        "CustomerManagedElsewhere",
        managed_policies=[
            iam.ManagedPolicy.from_managed_policy_name(stack, "TeamPolicy", "team-policy")
        ],
    )
    iam.CfnManagedPolicy(
        stack,
        "ManagedStar",
        policy_document={"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
    )
    iam.CfnRole(
        stack,
        "InlineL1",
        assume_role_policy_document={
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "sts:AssumeRole",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                }
            ]
        },
        policies=[
            iam.CfnRole.PolicyProperty(
                policy_name="inline",
                policy_document={
                    "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]
                },
            )
        ],
    )
    acknowledged = _role(stack, "PartlyAcknowledged")
    acknowledged.add_to_policy(
        iam.PolicyStatement(actions=["sqs:SendMessage", "sns:Publish"], resources=["*"])
    )
    acknowledge(
        acknowledged,
        "MlopsIAM-WildcardResourceAllowlist",
        adr="0044",
        reason="test: only the SQS action is accepted, SNS must still be reported",
        applies_to=["WildcardResource::sqs:SendMessage"],
        apply_to_children=True,
    )
    s3.Bucket(stack, "NotAPolicyHolder")
    return evaluate(app, [LeastPrivilegeChecks])


DEFAULT_POLICY = "DefaultPolicy/Resource"
CASES = [
    # (rule, resource path, outcome, finding IDs of unsuppressed findings)
    ("MlopsIAM-NoWildcardAction", f"LeastPrivilege/{DEFAULT_POLICY}", "COMPLIANT", set()),
    (
        "MlopsIAM-NoWildcardAction",
        f"ServiceWide/{DEFAULT_POLICY}",
        "NON_COMPLIANT",
        {"WildcardAction::s3:*"},
    ),
    ("MlopsIAM-NoWildcardAction", "ManagedStar", "NON_COMPLIANT", {"WildcardAction::*"}),
    ("MlopsIAM-NoWildcardAction", "InlineL1", "NON_COMPLIANT", {"WildcardAction::iam:*"}),
    ("MlopsIAM-WildcardResourceAllowlist", f"LeastPrivilege/{DEFAULT_POLICY}", "COMPLIANT", set()),
    (
        "MlopsIAM-WildcardResourceAllowlist",
        f"ParameterOnStar/{DEFAULT_POLICY}",
        "NON_COMPLIANT",
        {"WildcardResource::ssm:PutParameter"},
    ),
    (
        "MlopsIAM-WildcardResourceAllowlist",
        "InlineL1",
        "NON_COMPLIANT",
        {"WildcardResource::iam:*"},
    ),
    ("MlopsIAM-MetricNamespaceCondition", f"LeastPrivilege/{DEFAULT_POLICY}", "COMPLIANT", set()),
    (
        "MlopsIAM-MetricNamespaceCondition",
        f"MetricsAnywhere/{DEFAULT_POLICY}",
        "NON_COMPLIANT",
        {"MetricNamespace::cloudwatch:PutMetricData"},
    ),
    # "*" covers cloudwatch:PutMetricData too.
    (
        "MlopsIAM-MetricNamespaceCondition",
        "ManagedStar",
        "NON_COMPLIANT",
        {"MetricNamespace::cloudwatch:PutMetricData"},
    ),
    ("MlopsIAM-ManagedPolicyInStack", "LeastPrivilege/Resource", "COMPLIANT", set()),
    (
        "MlopsIAM-ManagedPolicyInStack",
        "FullAccess/Resource",
        "NON_COMPLIANT",
        {"ManagedPolicy::arn:<AWS::Partition>:iam::aws:policy/AmazonS3FullAccess"},
    ),
    (
        "MlopsIAM-ManagedPolicyInStack",
        "AwsManaged/Resource",
        "NON_COMPLIANT",
        {
            "ManagedPolicy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AWSLambdaBasicExecutionRole"
        },
    ),
    (
        "MlopsIAM-ManagedPolicyInStack",
        "CustomerManagedElsewhere/Resource",
        "NON_COMPLIANT",
        {"ManagedPolicy::arn:<AWS::Partition>:iam::<AWS::AccountId>:policy/team-policy"},
    ),
]


@pytest.mark.parametrize(("rule_id", "path", "expected", "finding_ids"), CASES)
def test_rule_outcome_and_findings(evaluation, rule_id, path, expected, finding_ids):
    full_path = f"{STACK}/{path}"
    outcomes = evaluation.outcomes(rule_id, full_path)
    assert set(outcomes) == {expected}
    flagged = {
        finding.finding_id
        for finding in evaluation.findings(rule_id)
        if finding.path.lstrip("/") == full_path
    }
    assert flagged == finding_ids


def test_acknowledgment_covers_only_the_named_finding(evaluation):
    rule_id = "MlopsIAM-WildcardResourceAllowlist"
    recorded = evaluation.recorder.outcome(rule_id, f"{STACK}/PartlyAcknowledged/{DEFAULT_POLICY}")
    by_finding = {o.finding_id: o for o in recorded}
    assert by_finding["WildcardResource::sqs:SendMessage"].outcome == "SUPPRESSED"
    assert by_finding["WildcardResource::sqs:SendMessage"].detail.endswith(
        "ADR-0044: test: only the SQS action is accepted, SNS must still be reported"
    )
    assert by_finding["WildcardResource::sns:Publish"].outcome == "NON_COMPLIANT"


def test_rules_are_not_applied_to_a_bucket(evaluation):
    assert not [o for o in evaluation.recorder.outcomes if "/NotAPolicyHolder/" in o.path]
