"""LambdaStack's model registry (ADR-0071): the retained model package group, the registration
function's registry policy (the group's packages and the metrics files only), its environment,
the state-change rule and the gate's alarm."""

from __future__ import annotations

import json

import pytest

from config import constants
from config.naming import DeploymentNaming
from tests.unit.stacks.stack_template_queries import (
    as_list,
    render_join,
    resources_of_type,
    the_resource,
)

STACK = constants.LAMBDA_STACK_NAME
GROUP = DeploymentNaming().model_package_group_name
ACCOUNT = "${Ref:AWS::Region}:${Ref:AWS::AccountId}"
BUCKET_ARN = (
    f"arn:${{Ref:AWS::Partition}}:s3:::{constants.S3_BUCKET_NAME}-${{Ref:AWS::AccountId}}-"
    "${Ref:AWS::Region}"
)


@pytest.fixture(scope="module")
def template(templates):
    return templates[STACK]


@pytest.fixture(scope="module")
def registry_policy(template):
    [policy] = [
        resource
        for resource in resources_of_type(template, "AWS::IAM::ManagedPolicy").values()
        if any(
            "sagemaker:CreateModelPackage" in as_list(statement["Action"])
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]
        )
    ]
    return policy


def _function(template):
    [function] = [
        resource
        for resource in resources_of_type(template, "AWS::Lambda::Function").values()
        if resource["Properties"]["Handler"] == constants.LAMBDA_HANDLER
    ]
    return function


def test_the_group_has_the_derived_name_and_outlives_the_stack(template):
    _, group = the_resource(template, "AWS::SageMaker::ModelPackageGroup")

    assert group["Properties"]["ModelPackageGroupName"] == GROUP == "sentiment-model"
    assert group["DeletionPolicy"] == "Retain"
    assert group["UpdateReplacePolicy"] == "Retain"


def test_a_prefixed_deployment_gets_its_own_group():
    assert DeploymentNaming("it1").model_package_group_name == "it1-sentiment-model"


def test_the_function_may_work_on_the_packages_of_its_group_only(registry_policy):
    [statement] = [
        s
        for s in registry_policy["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Sid") == "RegisterModelPackagesOfTheGroup"
    ]

    assert sorted(as_list(statement["Action"])) == [
        "sagemaker:CreateModelPackage",
        "sagemaker:DescribeModelPackage",
        "sagemaker:ListModelPackages",
        "sagemaker:UpdateModelPackage",
    ]
    assert sorted(render_join(r) for r in statement["Resource"]) == sorted(
        [
            f"arn:${{Ref:AWS::Partition}}:sagemaker:{ACCOUNT}:model-package-group/{GROUP}",
            f"arn:${{Ref:AWS::Partition}}:sagemaker:{ACCOUNT}:model-package/{GROUP}",
            f"arn:${{Ref:AWS::Partition}}:sagemaker:{ACCOUNT}:model-package/{GROUP}/*",
        ]
    )
    assert "Condition" not in statement


def test_the_function_reads_metrics_files_only_and_may_list_the_bucket(registry_policy):
    statements = {s["Sid"]: s for s in registry_policy["Properties"]["PolicyDocument"]["Statement"]}
    read = statements["ReadMetricsFiles"]
    listing = statements["TellMissingMetricsFilesFromDenied"]

    assert as_list(read["Action"]) == ["s3:GetObject"]
    assert render_join(read["Resource"]) == f"{BUCKET_ARN}/models/*.metrics.json"
    assert as_list(listing["Action"]) == ["s3:ListBucket"]
    assert render_join(listing["Resource"]) == BUCKET_ARN
    assert set(statements) == {
        "RegisterModelPackagesOfTheGroup",
        "ReadMetricsFiles",
        "TellMissingMetricsFilesFromDenied",
    }


def test_the_registry_policy_is_attached_to_the_registration_role(template, registry_policy):
    role = _function(template)["Properties"]["Role"]["Fn::GetAtt"][0]

    assert registry_policy["Properties"]["Roles"] == [{"Ref": role}]


def test_the_function_environment_names_the_group_and_the_gate(template):
    variables = _function(template)["Properties"]["Environment"]["Variables"]

    assert variables[constants.MODEL_PACKAGE_GROUP_ENV_VAR] == GROUP
    assert json.loads(variables[constants.MODEL_GATE_POLICY_ENV_VAR]) == {
        "primary_metric": "accuracy",
        "direction": "higher",
        "tolerance": constants.MODEL_GATE_TOLERANCE,
        "guards": [],
        "missing_metrics": "approve",
    }


def test_state_changes_of_the_group_reach_the_function_and_undelivered_ones_are_kept(template):
    [rule] = [
        r
        for r in resources_of_type(template, "AWS::Events::Rule").values()
        if r["Properties"]["EventPattern"]["source"] == ["aws.sagemaker"]
    ]
    [function_id] = [
        k
        for k, v in resources_of_type(template, "AWS::Lambda::Function").items()
        if v["Properties"]["Handler"] == constants.LAMBDA_HANDLER
    ]
    [target] = rule["Properties"]["Targets"]
    [queue_id] = [
        k
        for k in resources_of_type(template, "AWS::SQS::Queue")
        if k.startswith("ModelRegistrationFailedRegistrations")
    ]

    assert rule["Properties"]["EventPattern"] == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Model Package State Change"],
        "detail": {"ModelPackageGroupName": [GROUP]},
    }
    assert target["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    permissions = [
        p["Properties"]
        for p in resources_of_type(template, "AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "events.amazonaws.com"
    ]
    assert [p["SourceArn"] for p in permissions] == [
        {"Fn::GetAtt": [k, "Arn"]}
        for k, r in resources_of_type(template, "AWS::Events::Rule").items()
        if r is rule
    ]


def test_a_rejection_by_the_gate_pages_the_operations_topic(template):
    [alarm] = [
        a["Properties"]
        for a in resources_of_type(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == constants.MODEL_REJECTED_BY_GATE_METRIC
    ]
    [topic_id] = resources_of_type(template, "AWS::SNS::Topic")

    assert alarm["Namespace"] == DeploymentNaming().registration_metrics_namespace
    assert alarm["Statistic"] == "Sum"
    assert alarm["Threshold"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert "Dimensions" not in alarm
    assert alarm["AlarmActions"] == [{"Ref": topic_id}]
