"""The contract between the registration asset (``lambda/``) and the infrastructure that runs it.

The asset ships alone and never imports ``config/`` (it reads env vars), so nothing but these
tests keeps the two sides in step: the model suffix the handler accepts and the one the bucket
notification filters on, the env var names it reads and the ones the Lambda stack sets, the
metric names it writes and the ones the alarms watch, the AWS operations it calls and the
actions its role grants.
"""

from __future__ import annotations

import ast
from pathlib import Path

import botocore.session
import pytest
import registration_config
import registration_events
import registration_metrics
from botocore import xform_name
from registration_testkit import event, invoke

from cdk_exercise_stacks.registration.function import (
    FAILURE_DESTINATION_ACTIONS,
    LOG_WRITE_ACTIONS,
    MODEL_PARAMETER_ACTIONS,
)
from config import constants
from config.naming import DeploymentNaming

LAMBDA_DIR = Path(registration_config.__file__).resolve().parent
# What the Lambda service, not the handler, does with the function's role: write the log
# group, hand a failed asynchronous event to the on-failure queue.
SERVICE_ACTIONS = {*LOG_WRITE_ACTIONS, *FAILURE_DESTINATION_ACTIONS}
# The local names the handler's modules give their boto3 clients (or client factories).
CLIENT_NAMES = {"ssm": "ssm", "cloudwatch": "cloudwatch"}


# -- names ------------------------------------------------------------------------------------


def test_the_handler_accepts_the_suffix_the_notification_filters_on():
    assert registration_events.MODEL_ARTIFACT_SUFFIX == constants.MODEL_ARTIFACT_SUFFIX


def test_the_handler_reads_the_env_vars_the_stack_sets():
    assert registration_config.PARAMETER_ENV_VAR == constants.SSM_PARAMETER_ENV_VAR
    assert registration_config.NAMESPACE_ENV_VAR == constants.METRICS_NAMESPACE_ENV_VAR
    assert registration_config.MODEL_BUCKET_ENV_VAR == constants.MODEL_BUCKET_ENV_VAR
    assert registration_config.MODEL_KEY_PREFIX_ENV_VAR == constants.MODEL_KEY_PREFIX_ENV_VAR
    naming = DeploymentNaming()
    assert set(naming.lambda_environment) | set(naming.model_bucket_environment("1", "r")) == {
        registration_config.PARAMETER_ENV_VAR,
        registration_config.NAMESPACE_ENV_VAR,
        registration_config.MODEL_BUCKET_ENV_VAR,
        registration_config.MODEL_KEY_PREFIX_ENV_VAR,
    }


def test_the_default_namespace_is_the_one_the_role_and_alarms_use():
    assert (
        registration_config.DEFAULT_METRICS_NAMESPACE
        == constants.MODEL_REGISTRATION_METRICS_NAMESPACE
        == DeploymentNaming().registration_metrics_namespace
    )


@pytest.mark.parametrize("prefix", ["", "it1", "a" * constants.DEPLOYMENT_PREFIX_MAX_LENGTH])
def test_the_handler_accepts_the_environment_of_every_deployment(prefix):
    naming = DeploymentNaming(prefix)
    environment = {
        **naming.lambda_environment,
        **naming.model_bucket_environment("123456789012", "ap-southeast-4"),
    }
    settings = registration_config.load_settings(environment)
    assert settings.parameter_name == naming.model_parameter_name
    assert settings.metrics_namespace == naming.registration_metrics_namespace
    assert settings.model_location.key_prefix == constants.MODEL_KEY_PREFIX
    assert settings.model_location.bucket == naming.model_bucket_name(
        "123456789012", "ap-southeast-4"
    )


def test_the_alarmed_metrics_are_ones_the_handler_writes_without_dimensions():
    alarmed = {
        constants.REGISTERED_MODEL_DELETED_METRIC: registration_metrics.REGISTERED_MODEL_DELETED,
        constants.REGISTERED_MODEL_OVERWRITTEN_METRIC: (
            registration_metrics.REGISTERED_MODEL_OVERWRITTEN
        ),
        constants.EVENT_REJECTED_METRIC: registration_metrics.EVENT_REJECTED,
    }
    for infrastructure_name, handler_name in alarmed.items():
        assert infrastructure_name == handler_name
    data = registration_metrics.metric_data(registration_metrics.Counts())
    assert set(alarmed) <= {datum["MetricName"] for datum in data}
    # The alarms name no dimension: a metric with dimensions would never reach them.
    assert all("Dimensions" not in datum for datum in data)


# -- AWS operations -----------------------------------------------------------------------------


def _iam_action(service: str, operation: str) -> str:
    return f"{service}:{operation}"


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
    for path in sorted(LAMBDA_DIR.glob("*.py")):
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
    assert {"ssm:PutParameter", "cloudwatch:PutMetricData"} <= called_operations_in_source()


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
    assert granted - SERVICE_ACTIONS == operations_of_a_registration_story
