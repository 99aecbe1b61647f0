"""config/naming.py: the brief's names by default, prefixed names for a test deployment."""

from __future__ import annotations

import pytest

from config import constants
from config.naming import DeploymentNaming, validate_parameter_name

LONGEST_REGION = "ap-southeast-4"
ACCOUNT = "123456789012"


def test_default_names_are_exactly_the_briefs():
    naming = DeploymentNaming()
    assert naming.lambda_stack_name == "lambda-stack"
    assert naming.s3_stack_name == "s3-stack"
    assert naming.sagemaker_stack_name == "sagemaker-endpoint-stack"
    assert naming.function_name == constants.LAMBDA_NAME == "s3-object-to-ssm"
    assert naming.endpoint_name == constants.SAGEMAKER_ENDPOINT_NAME == "sagemaker-endpoint"
    assert naming.model_parameter_name == constants.SSM_PARAMETER_MODEL
    assert naming.rollout_function_name == constants.ROLLOUT_FUNCTION_NAME
    assert naming.model_bucket_name(ACCOUNT, "us-east-1") == (
        f"cdk-exercise-bucket-{ACCOUNT}-us-east-1"
    )
    assert naming.lambda_environment == {
        **constants.LAMBDA_ENVIRONMENT_VARIABLE,
        constants.METRICS_NAMESPACE_ENV_VAR: constants.MODEL_REGISTRATION_METRICS_NAMESPACE,
        constants.MODEL_KEY_PREFIX_ENV_VAR: constants.MODEL_KEY_PREFIX,
    }
    assert naming.model_bucket_environment(ACCOUNT, "us-east-1") == {
        constants.MODEL_BUCKET_ENV_VAR: f"cdk-exercise-bucket-{ACCOUNT}-us-east-1"
    }
    assert naming.registration_metrics_namespace == "ModelRegistration"
    assert naming.key_names == ("model-pipeline-operations", "model-pipeline-endpoint")
    assert naming.key_alias(naming.endpoint_key_name) == "alias/model-pipeline-endpoint"


def test_prefix_separates_every_colliding_name():
    default, prefixed = DeploymentNaming(), DeploymentNaming("it1")
    assert prefixed.function_name == "it1-s3-object-to-ssm"
    assert prefixed.endpoint_name == "it1-sagemaker-endpoint"
    assert prefixed.sagemaker_stack_name == "it1-sagemaker-endpoint-stack"
    assert prefixed.rollout_function_name == f"it1-{constants.ROLLOUT_FUNCTION_NAME}"
    assert prefixed.model_parameter_name == "/it1/sentiment_model/latest_object_key"
    assert prefixed.lambda_environment["SSM_SENTIMENT_MODEL"] == prefixed.model_parameter_name
    assert prefixed.registration_metrics_namespace == "it1/ModelRegistration"
    assert prefixed.lambda_environment["METRICS_NAMESPACE"] == "it1/ModelRegistration"
    assert prefixed.key_names == ("it1-model-pipeline-operations", "it1-model-pipeline-endpoint")
    for attribute in (
        "lambda_stack_name",
        "s3_stack_name",
        "sagemaker_stack_name",
        "function_name",
        "rollout_function_name",
        "endpoint_name",
        "model_parameter_name",
        "operations_key_name",
        "endpoint_key_name",
        "registration_metrics_namespace",
    ):
        assert getattr(default, attribute) != getattr(prefixed, attribute), attribute
    assert default.model_bucket_name(ACCOUNT, "us-east-1") != prefixed.model_bucket_name(
        ACCOUNT, "us-east-1"
    )


def test_longest_allowed_prefix_still_gives_valid_bucket_names():
    naming = DeploymentNaming("a" * constants.DEPLOYMENT_PREFIX_MAX_LENGTH)
    for name in (
        naming.model_bucket_name(ACCOUNT, LONGEST_REGION),
        naming.access_log_bucket_name(ACCOUNT, LONGEST_REGION),
        naming.capture_bucket_name(ACCOUNT, LONGEST_REGION),
        naming.capture_access_log_bucket_name(ACCOUNT, LONGEST_REGION),
    ):
        assert constants.validate_bucket_name(name) == name
    with pytest.raises(ValueError, match="63"):
        constants.validate_bucket_name("x" + naming.access_log_bucket_name(ACCOUNT, LONGEST_REGION))


@pytest.mark.parametrize(
    "prefix",
    [
        "IT1",
        "it_1",
        "1it",
        "it1-",
        "-it1",
        "a" * (constants.DEPLOYMENT_PREFIX_MAX_LENGTH + 1),
        "a b",
    ],
)
def test_invalid_prefix_is_rejected_with_the_rule(prefix):
    with pytest.raises(ValueError, match="deployment prefix"):
        DeploymentNaming(prefix)


def test_non_string_prefix_is_rejected():
    with pytest.raises(TypeError, match="deployment prefix must be a string"):
        DeploymentNaming(7)


def test_briefs_unqualified_parameter_name_is_rejected():
    # ADR-0020: SSM rejects a hierarchical name without the leading slash.
    with pytest.raises(ValueError, match="fully qualified"):
        validate_parameter_name("sentiment_model/latest_object_key")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("/a//b", "fully qualified"),
        ("/a/b/", "fully qualified"),
        ("/a b", "a-zA-Z0-9"),
        ("/aws/x", "aws"),
        ("/SSM/x", "ssm"),
    ],
)
def test_invalid_parameter_names_are_rejected(name, reason):
    with pytest.raises(ValueError, match=reason):
        validate_parameter_name(name)


def test_configured_parameter_name_is_valid():
    assert validate_parameter_name(constants.SSM_PARAMETER_MODEL) == constants.SSM_PARAMETER_MODEL
