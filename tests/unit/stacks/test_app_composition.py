"""The app as a whole: the brief's three stacks in order, names shared through config, and
the IAM rules every stack must keep."""

from __future__ import annotations

import re

import aws_cdk as cdk
import pytest

import app as app_module
from config import constants
from policies.rules import iam as iam_rules
from tests.unit.stacks.stack_template_queries import (
    as_list,
    intrinsic_functions_used,
    render_join,
    resources_of_type,
)

BRIEF_STACKS = [
    constants.LAMBDA_STACK_NAME,
    constants.S3_STACK_NAME,
    constants.SAGEMAKER_STACK_NAME,
]


def test_build_app_returns_the_app_it_was_given():
    given = cdk.App(builtin_cloud_formation_validation=False)
    assert app_module.build_app(given) is given
    assert [child.node.id for child in given.node.children if isinstance(child, cdk.Stack)] == (
        BRIEF_STACKS
    )


def test_the_briefs_three_stacks_with_the_briefs_names(templates):
    # (the assembly lists stacks in dependency order; the build order is checked above)
    assert set(BRIEF_STACKS) <= set(templates)


def test_stacks_are_environment_agnostic(synthesized_app):
    # Synthesis makes no AWS call: account and region stay tokens resolved at deploy time.
    for stack in synthesized_app.stacks:
        assert stack.environment.account == "unknown-account", stack.stack_name
        assert stack.environment.region == "unknown-region", stack.stack_name


def test_one_parameter_name_written_by_the_function_and_read_by_the_endpoint(templates):
    (function,) = resources_of_type(
        templates[constants.LAMBDA_STACK_NAME], "AWS::Lambda::Function"
    ).values()
    written = function["Properties"]["Environment"]["Variables"]["SSM_SENTIMENT_MODEL"]
    read = [
        p["Default"]
        for name, p in templates[constants.SAGEMAKER_STACK_NAME]["Parameters"].items()
        if p["Type"].startswith("AWS::SSM::Parameter::Value") and name != "BootstrapVersion"
    ]
    assert read == [written] == [constants.SSM_PARAMETER_MODEL]
    assert written.startswith("/")


def test_one_bucket_name_created_by_s3_stack_and_read_by_the_endpoint(templates):
    buckets = resources_of_type(templates[constants.S3_STACK_NAME], "AWS::S3::Bucket")
    created = {render_join(b["Properties"]["BucketName"]) for b in buckets.values()}
    (model,) = resources_of_type(
        templates[constants.SAGEMAKER_STACK_NAME], "AWS::SageMaker::Model"
    ).values()
    url = render_join(model["Properties"]["PrimaryContainer"]["ModelDataUrl"])
    read_bucket = re.match(r"^s3://([^/]+)/", url).group(1)
    assert read_bucket in created


def test_no_stack_imports_another_stacks_outputs(templates):
    # ADR-0036: stacks share derived names, never exports (deletable and moto-friendly).
    for name in BRIEF_STACKS:
        used = intrinsic_functions_used(templates[name])
        assert not used & {"Fn::ImportValue", "Fn::GetStackOutput"}, name
        exports = [o for o in templates[name].get("Outputs", {}).values() if "Export" in o]
        assert exports == [], name


def _policy_violations(template: dict, policy_types: frozenset[str]) -> list[str]:
    """What the gate's least-privilege rules (policies.rules.iam) find in the template's
    resources of ``policy_types``, one line per violation."""
    return [
        f"{logical_id}: {violation}"
        for logical_id, resource in template.get("Resources", {}).items()
        if resource["Type"] in policy_types
        for violation in iam_rules.resource_violations(
            resource["Type"], resource.get("Properties", {})
        )
    ]


def _star_resource_violations(template: dict) -> list[str]:
    return _policy_violations(template, iam_rules.IDENTITY_POLICY_TYPES)


def test_no_statement_grants_star_beyond_the_allowed_cases(templates):
    for name, template in templates.items():
        assert _star_resource_violations(template) == [], name


def test_star_rule_fires_on_a_non_compliant_statement():
    def template_with(statement: dict) -> dict:
        return {
            "Resources": {
                "P": {
                    "Type": "AWS::IAM::Policy",
                    "Properties": {"PolicyDocument": {"Statement": [statement]}, "Roles": []},
                }
            }
        }

    allowed = {
        "Effect": "Allow",
        "Action": "cloudwatch:PutMetricData",
        "Resource": "*",
        "Condition": {"StringEquals": {"cloudwatch:namespace": "X"}},
    }
    assert _star_resource_violations(template_with(allowed)) == []
    unconditioned = {**allowed, "Condition": {}}
    assert _star_resource_violations(template_with(unconditioned))
    ssm_star = {"Effect": "Allow", "Action": "ssm:PutParameter", "Resource": "*"}
    assert _star_resource_violations(template_with(ssm_star))
    service_wide = {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b"}
    assert _star_resource_violations(template_with(service_wide))


# The pipeline's keys delegate named actions to the account's IAM policies, never kms:*
# (cdk_exercise_stacks/operations/keys.py, ADR-0049): key administration and key use.
# Deliberately typed out rather than imported from operations/keys.py: an independent pin of the
# reviewed key policy, so that a change to the construct's action lists fails here until it is
# reviewed again.
ACCOUNT_KEY_ACTIONS = {
    "KeyAdministrationThroughIamPolicies": {
        "kms:Create*",
        "kms:Describe*",
        "kms:Enable*",
        "kms:List*",
        "kms:Put*",
        "kms:Update*",
        "kms:Revoke*",
        "kms:Disable*",
        "kms:Get*",
        "kms:Delete*",
        "kms:TagResource",
        "kms:UntagResource",
        "kms:ScheduleKeyDeletion",
        "kms:CancelKeyDeletion",
    },
    "KeyUseThroughIamPolicies": {
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:DescribeKey",
    },
}
ACCOUNT_PRINCIPAL = "arn:${Ref:AWS::Partition}:iam::${Ref:AWS::AccountId}:root"


def _resource_policy_violations(template: dict) -> list[str]:
    return _policy_violations(template, iam_rules.RESOURCE_POLICY_TYPES)


def test_no_resource_policy_grants_a_wildcard_action_or_an_unnamed_resource(templates):
    checked = 0
    for name, template in templates.items():
        assert _resource_policy_violations(template) == [], name
        checked += sum(
            1
            for resource in template["Resources"].values()
            if resource["Type"] in iam_rules.RESOURCE_POLICY_TYPES
        )
    assert checked >= 4, "the app's key, bucket, queue and topic policies were not read"


def test_resource_policy_check_fires_on_non_compliant_statements():
    def template_with(resource_type: str, statement: dict) -> dict:
        document = {"Statement": [statement]}
        return {
            "Resources": {
                "R": {
                    "Type": resource_type,
                    "Properties": {iam_rules.RESOURCE_POLICY_DOCUMENTS[resource_type]: document},
                }
            }
        }

    root = {"AWS": "arn:aws:iam::111122223333:root"}
    default_key_policy = {"Effect": "Allow", "Principal": root, "Action": "kms:*", "Resource": "*"}
    assert _resource_policy_violations(template_with("AWS::KMS::Key", default_key_policy))
    key_use = {**default_key_policy, "Action": "kms:Decrypt"}
    assert _resource_policy_violations(template_with("AWS::KMS::Key", key_use)) == []
    bucket_read = {**key_use, "Action": "s3:GetObject"}
    assert _resource_policy_violations(template_with("AWS::S3::BucketPolicy", bucket_read))
    tls_only = {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sqs:*", "Resource": "*"}
    assert _resource_policy_violations(template_with("AWS::SQS::QueuePolicy", tls_only)) == []
    topic_all = {**key_use, "Action": "sns:*", "Resource": "arn:aws:sns:us-east-1:1:t"}
    assert _resource_policy_violations(template_with("AWS::SNS::TopicPolicy", topic_all))


def test_every_key_delegates_named_actions_to_the_account_never_kms_star(templates):
    keys = [
        (name, logical_id, resource["Properties"]["KeyPolicy"]["Statement"])
        for name, template in templates.items()
        for logical_id, resource in resources_of_type(template, "AWS::KMS::Key").items()
    ]
    assert len(keys) == 2, "the operations key and the endpoint key"
    for name, logical_id, statements in keys:
        delegated = {
            statement["Sid"]: set(as_list(statement["Action"]))
            for statement in statements
            if render_join(statement["Principal"].get("AWS", "")) == ACCOUNT_PRINCIPAL
        }
        assert delegated == ACCOUNT_KEY_ACTIONS, f"{name}/{logical_id}"
        granted = {action for s in statements for action in as_list(s["Action"])}
        assert "kms:*" not in granted, f"{name}/{logical_id}"
        # PutKeyPolicy stays with the account: the key can always be managed again.
        assert "kms:Put*" in delegated["KeyAdministrationThroughIamPolicies"]


def test_no_aws_managed_policies_on_any_role(templates):
    for name, template in templates.items():
        for logical_id, role in resources_of_type(template, "AWS::IAM::Role").items():
            managed = [render_join(arn) for arn in role["Properties"].get("ManagedPolicyArns", [])]
            offending = [
                arn
                for arn in managed
                if "FullAccess" in arn or "AWSLambdaBasicExecutionRole" in arn
            ]
            assert offending == [], f"{name}/{logical_id}: {offending}"


@pytest.mark.parametrize("stack_name", BRIEF_STACKS)
def test_stack_has_a_description(templates, stack_name):
    assert templates[stack_name].get("Description")
