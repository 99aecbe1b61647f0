"""The app as a whole: the brief's three stacks in order, names shared through config, and
the IAM rules every stack must keep."""

from __future__ import annotations

import re

import aws_cdk as cdk
import pytest
from stack_template_queries import (
    allow_statements,
    as_list,
    intrinsic_functions_used,
    render_join,
    resources_of_type,
)

import app as app_module
from config import constants

BRIEF_STACKS = [
    constants.LAMBDA_STACK_NAME,
    constants.S3_STACK_NAME,
    constants.SAGEMAKER_STACK_NAME,
]
# (action, condition or None): the only Allow statements that may name Resource "*".
STAR_RESOURCE_ALLOWED = {
    "cloudwatch:PutMetricData": "cloudwatch:namespace",  # no resource-level permission
    "ecr:GetAuthorizationToken": None,  # no resource-level permission
    "xray:PutTraceSegments": None,
    "xray:PutTelemetryRecords": None,
}


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


def _star_resource_violations(template: dict) -> list[str]:
    violations = []
    for owner, statement in allow_statements(template):
        actions = as_list(statement["Action"])
        for action in actions:
            if action == "*" or action.endswith(":*"):
                violations.append(f"{owner}: wildcard action {action}")
        if "*" not in as_list(statement.get("Resource", [])):
            continue
        for action in actions:
            if action not in STAR_RESOURCE_ALLOWED:
                violations.append(f"{owner}: {action} on Resource '*'")
                continue
            condition_key = STAR_RESOURCE_ALLOWED[action]
            conditions = statement.get("Condition", {}).get("StringEquals", {})
            if condition_key and condition_key not in conditions:
                violations.append(f"{owner}: {action} on '*' without a {condition_key} condition")
    return violations


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
