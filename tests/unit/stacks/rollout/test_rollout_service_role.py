"""The service role CloudFormation performs a rollout's update with (ADR-0052): trusted by
CloudFormation only, allowed to replace the model and update this one endpoint, nothing else."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from cdk_exercise_stacks.compliance import flatten_reference
from cdk_exercise_stacks.rollout.service_role import RolloutServiceRole
from tests.unit.stacks.endpoint_stacks import (
    ENDPOINT_NAME,
    actions,
    by_sid,
    endpoint_stack,
    managed_policy_statements,
    operations_actions,
)

SAGEMAKER_ARN = "arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:"
# What CloudFormation does in a rollout: replace model and configuration (create the new ones,
# delete the old ones, or the new ones on rollback) and update the endpoint.
ROLLOUT_HANDLERS = {
    "AWS::SageMaker::Model": ("create", "read", "delete"),
    "AWS::SageMaker::EndpointConfig": ("create", "read", "delete"),
    "AWS::SageMaker::Endpoint": ("update", "read"),
}
# Granted beyond the handlers' lists, each for a documented reason (ADR-0052).
BEYOND_HANDLERS = {"cloudwatch:DescribeAlarms", "kms:CreateGrant"}


@pytest.fixture(scope="module")
def built():
    app = cdk.App(builtin_cloud_formation_validation=False)
    actions = operations_actions(app, "operations-stack")
    plain = endpoint_stack(app, "plain-stack", alarm_actions=actions)
    keyed = endpoint_stack(app, "keyed-stack", volume_key=True, alarm_actions=actions)
    return {
        name: {"parts": parts, "rollout": parts.add_rollout(alarm_actions=actions)}
        for name, parts in (("plain", plain), ("keyed", keyed))
    }


def _service_role(built, name: str) -> tuple[dict, list[dict]]:
    parts, rollout = built[name]["parts"], built[name]["rollout"]
    template = Template.from_stack(parts.stack).to_json()
    role_id = parts.logical_id(rollout.service_role.role)
    return template["Resources"][role_id], managed_policy_statements(template, role_id)


def _arn(parts, value) -> object:
    return parts.resolve(value)


def test_only_cloudformation_may_assume_the_role(built):
    role, _ = _service_role(built, "plain")
    assert role["Properties"]["AssumeRolePolicyDocument"] == {
        "Statement": [
            {
                "Action": "sts:AssumeRole",
                "Effect": "Allow",
                "Principal": {"Service": "cloudformation.amazonaws.com"},
            }
        ],
        "Version": "2012-10-17",
    }


def test_role_holds_exactly_what_a_rollout_needs(built):
    parts = built["plain"]["parts"]
    service_role = built["plain"]["rollout"].service_role
    _, statements = _service_role(built, "plain")
    found = by_sid(statements)
    models = _arn(parts, service_role.model_arns)
    configs = _arn(parts, service_role.endpoint_config_arns)
    endpoint = _arn(parts, service_role.endpoint_arn)
    assert found == {
        "CreateIsolatedModels": {
            "Action": "sagemaker:CreateModel",
            "Condition": {"Bool": {"sagemaker:NetworkIsolation": "true"}},
            "Effect": "Allow",
            "Resource": models,
            "Sid": "CreateIsolatedModels",
        },
        "ReplaceModels": {
            "Action": [
                "sagemaker:DescribeModel",
                "sagemaker:AddTags",
                "sagemaker:ListTags",
            ],
            "Effect": "Allow",
            "Resource": models,
            "Sid": "ReplaceModels",
        },
        "DeleteThisStacksModels": {
            "Action": "sagemaker:DeleteModel",
            "Condition": {
                "StringEquals": {
                    "aws:ResourceTag/aws:cloudformation:stack-id": {"Ref": "AWS::StackId"}
                }
            },
            "Effect": "Allow",
            "Resource": models,
            "Sid": "DeleteThisStacksModels",
        },
        "CreateConfigsOfConfiguredInstanceTypes": {
            "Action": "sagemaker:CreateEndpointConfig",
            "Condition": {
                "ForAllValues:StringEquals": {"sagemaker:InstanceTypes": [parts.instance_type]},
                "Null": {"sagemaker:InstanceTypes": "false"},
            },
            "Effect": "Allow",
            "Resource": configs,
            "Sid": "CreateConfigsOfConfiguredInstanceTypes",
        },
        "ReplaceEndpointConfigs": {
            "Action": [
                "sagemaker:DescribeEndpointConfig",
                "sagemaker:DeleteEndpointConfig",
                "sagemaker:AddTags",
                "sagemaker:ListTags",
            ],
            "Effect": "Allow",
            "Resource": configs,
            "Sid": "ReplaceEndpointConfigs",
        },
        "UpdateTheEndpoint": {
            "Action": [
                "sagemaker:UpdateEndpoint",
                "sagemaker:DescribeEndpoint",
                "sagemaker:AddTags",
                "sagemaker:DeleteTags",
                "sagemaker:ListTags",
            ],
            "Effect": "Allow",
            "Resource": endpoint,
            "Sid": "UpdateTheEndpoint",
        },
        "PointTheEndpointAtNewConfigs": {
            "Action": "sagemaker:UpdateEndpoint",
            "Effect": "Allow",
            "Resource": configs,
            "Sid": "PointTheEndpointAtNewConfigs",
        },
        "PassModelExecutionRole": {
            "Action": "iam:PassRole",
            "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            "Effect": "Allow",
            "Resource": _arn(parts, parts.execution_role.role_arn),
            "Sid": "PassModelExecutionRole",
        },
        "ReadRollbackAlarms": {
            "Action": "cloudwatch:DescribeAlarms",
            "Effect": "Allow",
            "Resource": [_arn(parts, arn) for arn in service_role.rollback_alarm_arns],
            "Sid": "ReadRollbackAlarms",
        },
    }


def test_arns_name_the_rollback_alarms_any_model_or_config_here_and_the_one_endpoint(built):
    parts = built["plain"]["parts"]
    service_role = built["plain"]["rollout"].service_role
    assert [flatten_reference(_arn(parts, arn)) for arn in service_role.rollback_alarm_arns] == [
        f"arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:"
        f"<{parts.logical_id(alarm)}>"
        for alarm in parts.deployment.rollback_alarms
    ]
    assert [
        flatten_reference(_arn(parts, arn))
        for arn in (
            service_role.model_arns,
            service_role.endpoint_config_arns,
            service_role.endpoint_arn,
        )
    ] == [
        f"{SAGEMAKER_ARN}model/*",
        f"{SAGEMAKER_ARN}endpoint-config/*",
        f"{SAGEMAKER_ARN}endpoint/{ENDPOINT_NAME}",
    ]


def test_a_volume_key_adds_describe_and_a_grant_for_sagemaker_only(built):
    parts = built["keyed"]["parts"]
    _, statements = _service_role(built, "keyed")
    found = by_sid(statements)
    key_arn = _arn(parts, parts.volume_key.key_arn)
    assert found["DescribeVolumeKey"] == {
        "Action": "kms:DescribeKey",
        "Effect": "Allow",
        "Resource": key_arn,
        "Sid": "DescribeVolumeKey",
    }
    assert found["GrantVolumeKeyToSageMaker"] == {
        "Action": "kms:CreateGrant",
        "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        "Effect": "Allow",
        "Resource": key_arn,
        "Sid": "GrantVolumeKeyToSageMaker",
    }
    _, plain_statements = _service_role(built, "plain")
    assert not [s for s in plain_statements if any(a.startswith("kms:") for a in actions(s))]


@pytest.mark.parametrize("name", ["plain", "keyed"])
def test_role_covers_the_cloudformation_handlers_of_a_rollout_and_nothing_more(built, name):
    """The handler permissions of the resources a rollout replaces or updates, from cfn-lint's
    copy of the CloudFormation resource schemas: a permission the schema adds (after a cfn-lint
    upgrade) or one the role grants without a reason fails here."""
    _, statements = _service_role(built, name)
    granted = {action for statement in statements for action in actions(statement)}
    needed = set()
    for resource_type, handlers in ROLLOUT_HANDLERS.items():
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema
        for handler in handlers:
            needed.update(schema["handlers"][handler]["permissions"])
    if name == "plain":
        # The configuration's create handler describes a KmsKeyId; without one it has none.
        needed.discard("kms:DescribeKey")
    assert needed - granted == set()
    assert granted - needed == BEYOND_HANDLERS & granted
    assert "cloudwatch:DescribeAlarms" in granted


@pytest.mark.parametrize("name", ["plain", "keyed"])
def test_no_wildcard_action_no_star_resource_no_endpoint_creation(built, name):
    _, statements = _service_role(built, name)
    granted = [action for statement in statements for action in actions(statement)]
    assert all("*" not in action for action in granted)
    assert all(statement["Resource"] != "*" for statement in statements)
    assert all(statement["Effect"] == "Allow" for statement in statements)
    assert [a for a in granted if a.startswith("iam:")] == ["iam:PassRole"]
    for forbidden in ("sagemaker:CreateEndpoint", "sagemaker:DeleteEndpoint"):
        assert forbidden not in granted


def test_mixed_case_endpoint_name_is_named_in_lower_case_as_sagemaker_arns_are():
    app = cdk.App(builtin_cloud_formation_validation=False)
    parts = endpoint_stack(app, "s", alarm_actions=operations_actions(app, "operations"))
    role = RolloutServiceRole(
        parts.stack,
        "ServiceRole",
        endpoint_name="Sentiment-Endpoint",
        model_execution_role=parts.execution_role,
        rollback_alarms=parts.deployment.rollback_alarms,
        instance_types=[parts.instance_type],
    )
    assert flatten_reference(parts.resolve(role.endpoint_arn)) == (
        f"{SAGEMAKER_ARN}endpoint/sentiment-endpoint"
    )


def test_a_role_without_rollback_alarms_is_refused():
    stack = cdk.Stack(cdk.App(builtin_cloud_formation_validation=False), "s")
    with pytest.raises(ValueError, match="rollback_alarms must name the endpoint's rollback"):
        RolloutServiceRole(
            stack,
            "ServiceRole",
            endpoint_name=ENDPOINT_NAME,
            model_execution_role=iam.Role.from_role_arn(
                stack, "Model", "arn:aws:iam::123456789012:role/model"
            ),
            rollback_alarms=[],
            instance_types=["ml.m5.xlarge"],
        )


@pytest.mark.parametrize("instance_types", [[], [""], None])
def test_a_role_without_instance_types_is_refused(instance_types):
    app = cdk.App(builtin_cloud_formation_validation=False)
    parts = endpoint_stack(app, "s", alarm_actions=operations_actions(app, "operations"))
    with pytest.raises(ValueError, match="instance_types must name at least one instance type"):
        RolloutServiceRole(
            parts.stack,
            "ServiceRole",
            endpoint_name=ENDPOINT_NAME,
            model_execution_role=parts.execution_role,
            rollback_alarms=parts.deployment.rollback_alarms,
            instance_types=instance_types,
        )


def test_model_deletes_are_conditioned_on_a_system_tag_the_model_resource_carries():
    """CloudFormation puts aws:cloudformation:* tags only on resource types whose schema says
    so: the condition holds for models; endpoint configurations do not carry them, so their
    deletes must not be conditioned on it (they would fail every rollout's cleanup)."""

    def system_tags(resource_type):
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema
        return schema["tagging"].get("cloudFormationSystemTags", False)

    assert system_tags("AWS::SageMaker::Model") is True
    assert system_tags("AWS::SageMaker::EndpointConfig") is False
