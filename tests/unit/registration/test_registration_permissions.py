"""The registration function calls exactly the AWS operations its role grants (ADR-0031).

The AWS operations in the asset's source, the ones a registration story sends on moto, and the
actions the synthesized role allows (minus what the Lambda service itself uses) must be the
same set. The names both sides share are tied in tests/unit/test_runtime_contract.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

import botocore.session
import pytest
from botocore import xform_name

from cdk_exercise_stacks.common import LOG_WRITE_ACTIONS
from cdk_exercise_stacks.registration.function import (
    FAILURE_DESTINATION_ACTIONS,
    MODEL_OBJECT_ACTIONS,
    MODEL_PARAMETER_ACTIONS,
)
from cdk_exercise_stacks.registry.model_registry import (
    BUCKET_LIST_ACTIONS,
    METRICS_READ_ACTIONS,
    PACKAGE_ACTIONS,
)
from config import constants
from tests.unit.registration.registration_testkit import event, invoke

RUNTIME_DIR = Path(__file__).resolve().parents[3] / constants.RUNTIME_DIR
# The registration asset's sources (constants.REGISTRATION_ASSET_EXCLUDES keeps these).
ASSET_SOURCES = sorted(
    [
        RUNTIME_DIR / "lambda_handler.py",
        *(RUNTIME_DIR / "registration").glob("*.py"),
        *(RUNTIME_DIR / "common").glob("*.py"),
    ]
)
# What the Lambda service, not the handler, does with the function's role: write the log
# group, hand a failed asynchronous event to the on-failure queue.
SERVICE_ACTIONS = {*LOG_WRITE_ACTIONS, *FAILURE_DESTINATION_ACTIONS}
# The local names the handler's modules give their boto3 clients (or client factories).
CLIENT_NAMES = {"ssm": "ssm", "cloudwatch": "cloudwatch", "s3": "s3"}
# Operations S3 authorizes under another action: HeadObject with a VersionId (the only way the
# handler calls it) needs s3:GetObjectVersion (HeadObject, "Permissions",
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html).
IAM_ACTION_OF_OPERATION = {"s3:HeadObject": "s3:GetObjectVersion"}


def _iam_action(service: str, operation: str) -> str:
    action = f"{service}:{operation}"
    return IAM_ACTION_OF_OPERATION.get(action, action)


def called_operations_in_source() -> set[str]:
    """``service:Operation`` of every call on a client in the asset's source: ``ssm.x(...)``
    and ``cloudwatch().x(...)``, mapped to API names through botocore's service model."""
    # Service models, not clients: a boto3 client created here would create boto3's default
    # session before moto is imported, and moto would then not intercept the handler's calls.
    loader = botocore.session.get_session()
    api_names = {
        service: {
            xform_name(operation): operation
            for operation in loader.get_service_model(service).operation_names
        }
        for service in CLIENT_NAMES.values()
    }
    found = set()
    for path in ASSET_SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            receiver = node.func.value
            if isinstance(receiver, ast.Call):  # cloudwatch().put_metric_data(...)
                receiver = receiver.func
            name = receiver.id if isinstance(receiver, ast.Name) else None
            service = CLIENT_NAMES.get(name)
            if service is None:
                continue
            mapping = api_names[service]
            assert node.func.attr in mapping, f"{path.name}: {name}.{node.func.attr} is no API"
            found.add(_iam_action(service, mapping[node.func.attr]))
    return found


def test_source_inspection_finds_the_calls_it_looks_for():
    # The inspection above could silently find nothing if the asset renamed its clients.
    assert {
        "ssm:PutParameter",
        "cloudwatch:PutMetricData",
        "s3:GetObjectVersion",
    } <= called_operations_in_source()


@pytest.fixture
def operations_of_a_registration_story(aws):
    """Every AWS operation the handler sent on moto while registering a first model (the
    parameter does not exist yet), a second one, and seeing the registered one deleted."""
    invoke(event(aws.uploads.put("models/first.tar.gz")))
    invoke(event(aws.uploads.put("models/second.tar.gz")))
    invoke(event(aws.uploads.delete("models/second.tar.gz")))
    return {_iam_action(*operation.split(".")) for operation in aws.calls.calls}


def test_the_story_exercises_every_call_in_the_source(operations_of_a_registration_story):
    assert operations_of_a_registration_story == called_operations_in_source()


def test_the_handler_calls_exactly_the_parameter_actions_the_role_grants(
    operations_of_a_registration_story,
):
    called = {a for a in operations_of_a_registration_story if a.startswith("ssm:")}
    assert called == set(MODEL_PARAMETER_ACTIONS)


def test_the_handler_reads_exactly_the_object_actions_the_role_grants(
    operations_of_a_registration_story,
):
    called = {a for a in operations_of_a_registration_story if a.startswith("s3:")}
    assert called == set(MODEL_OBJECT_ACTIONS)


def test_the_role_grants_the_handler_exactly_what_it_calls(
    templates, operations_of_a_registration_story
):
    """Against the synthesized Lambda stack: what the role allows, minus what the Lambda
    service itself uses, is what the handler calls."""
    resources = templates[constants.LAMBDA_STACK_NAME]["Resources"]
    (function,) = [r for r in resources.values() if r["Type"] == "AWS::Lambda::Function"]
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    granted = set()
    for resource in resources.values():
        # only the function's role: the stack also grants the CDK deploy role a parameter read
        if resource["Type"] != "AWS::IAM::ManagedPolicy" or {"Ref": role_id} not in resource[
            "Properties"
        ].get("Roles", []):
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"]
            granted |= {actions} if isinstance(actions, str) else set(actions)
    # The model registry's grants are matched with its calls in
    # tests/unit/model_registry/test_registry_permissions.py (ADR-0071).
    registry = {*PACKAGE_ACTIONS, *METRICS_READ_ACTIONS, *BUCKET_LIST_ACTIONS}
    assert granted - SERVICE_ACTIONS - registry == operations_of_a_registration_story
