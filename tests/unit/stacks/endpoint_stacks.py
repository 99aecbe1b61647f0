"""Small stacks shaped like the SageMaker stack (model, endpoint configuration, endpoint, the
blue/green deployment and the rollout), for the construct-level tests of the endpoint's
deployment (serving/) and of the rollout (rollout/)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template

from cdk_exercise_stacks.rollout.model_rollout import ModelRollout
from cdk_exercise_stacks.sagemaker_endpoints import (
    BLUE_GREEN_SETTINGS,
    ROLLOUT_ASSET_PATH,
    ROLLOUT_SETTINGS,
)
from cdk_exercise_stacks.serving.deployment import EndpointDeployment

PARAMETER = "/sentiment_model/latest_object_key"
ENDPOINT_NAME = "sagemaker-endpoint"
VARIANT = "AllTraffic"


@dataclass
class EndpointParts:
    stack: cdk.Stack
    execution_role: iam.Role
    endpoint_config: sagemaker.CfnEndpointConfig
    endpoint: sagemaker.CfnEndpoint
    deployment: EndpointDeployment
    volume_key: kms.Key | None
    instance_type: str

    def add_rollout(self, **arguments: Any) -> ModelRollout:
        """The ModelRollout construct wired the way the SageMaker stack wires it, with the
        stack's settings, asset, instance type and a log key unless ``arguments`` give others."""
        if "log_encryption_key" not in arguments:
            arguments["log_encryption_key"] = kms.Key(self.stack, "RolloutLogKey")
        arguments = {
            "settings": ROLLOUT_SETTINGS,
            "asset_path": ROLLOUT_ASSET_PATH,
            "instance_types": [self.instance_type],
            **arguments,
        }
        return ModelRollout(
            self.stack,
            "Rollout",
            parameter_name=PARAMETER,
            endpoint_name=ENDPOINT_NAME,
            model_execution_role=self.execution_role,
            rollback_alarms=self.deployment.rollback_alarms,
            volume_key_arn=self.endpoint_config.kms_key_id,
            **arguments,
        )

    def resolve(self, value: Any) -> Any:
        return self.stack.resolve(value)

    def logical_id(self, construct: Any) -> str:
        return self.stack.get_logical_id(construct.node.default_child)


def endpoint_stack(
    app: cdk.App,
    name: str,
    *,
    instances: int = 1,
    volume_key: bool = False,
    alarm_actions: Sequence[cloudwatch.IAlarmAction],
) -> EndpointParts:
    stack = cdk.Stack(app, name)
    role = iam.Role(stack, "ModelRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    key = kms.Key(stack, "VolumeKey") if volume_key else None
    instance_type = "ml.m5.xlarge" if key else "ml.g4dn.xlarge"
    model = sagemaker.CfnModel(
        stack,
        "Model",
        execution_role_arn=role.role_arn,
        primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
            image="image", model_data_url="s3://bucket/models/a.tar.gz"
        ),
    )
    config = sagemaker.CfnEndpointConfig(
        stack,
        "EndpointConfig",
        kms_key_id=key.key_arn if key else None,
        production_variants=[
            sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                variant_name=VARIANT,
                model_name=model.attr_model_name,
                instance_type=instance_type,
                initial_instance_count=instances,
            )
        ],
    )
    endpoint = sagemaker.CfnEndpoint(
        stack,
        "Endpoint",
        endpoint_name=ENDPOINT_NAME,
        endpoint_config_name=config.attr_endpoint_config_name,
    )
    deployment = EndpointDeployment(
        stack,
        "Deployment",
        endpoint=endpoint,
        endpoint_name=ENDPOINT_NAME,
        variant_name=VARIANT,
        initial_instance_count=instances,
        settings=BLUE_GREEN_SETTINGS,
        alarm_actions=alarm_actions,
    )
    return EndpointParts(stack, role, config, endpoint, deployment, key, instance_type)


def operations_actions(app: cdk.App, name: str) -> list[cloudwatch.IAlarmAction]:
    """The alarm actions the constructs require: an operations topic in a stack of its own."""
    topic = sns.Topic(cdk.Stack(app, name), "Operations", enforce_ssl=True)
    return [cloudwatch_actions.SnsAction(topic)]


def only(template: Template, resource_type: str, props: dict | None = None) -> dict:
    found = template.find_resources(resource_type, {"Properties": props} if props else None)
    assert len(found) == 1, f"expected one {resource_type}, found {list(found)}"
    return next(iter(found.values()))


def actions(statement: dict) -> list[str]:
    listed = statement["Action"]
    return [listed] if isinstance(listed, str) else listed


def managed_policy_statements(template: dict, role_logical_id: str) -> list[dict]:
    """The statements of the one customer-managed policy attached to ``role_logical_id``; the
    role must have no inline or AWS-managed policy of any kind."""
    resources = template["Resources"]
    role = resources[role_logical_id]["Properties"]
    assert "ManagedPolicyArns" not in role
    assert "Policies" not in role
    assert not [r for r in resources.values() if r["Type"] == "AWS::IAM::Policy"]
    [policy] = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::IAM::ManagedPolicy"
        and r["Properties"]["Roles"] == [{"Ref": role_logical_id}]
    ]
    return policy["PolicyDocument"]["Statement"]


def by_sid(statements: list[dict]) -> dict[str, dict]:
    found = {statement["Sid"]: statement for statement in statements}
    assert len(found) == len(statements), "every statement has its own Sid"
    return found


def without_intrinsics(value: Any) -> Any:
    """``value`` with every CloudFormation intrinsic (Ref, Fn::*) replaced by a plain string, the
    shape the API receives once CloudFormation resolved it."""
    if isinstance(value, dict):
        [key, *rest] = list(value) or [""]
        if not rest and (key == "Ref" or key.startswith("Fn::")):
            return "resolved-" + json.dumps(value, sort_keys=True)[:40]
        return {key: without_intrinsics(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_intrinsics(item) for item in value]
    return value
