"""Settings from the environment (pure): Parameter Store and CloudWatch naming rules."""

from __future__ import annotations

import pytest
from registration_config import (
    DEFAULT_METRICS_NAMESPACE,
    load_settings,
    parameter_arn_prefix,
    validate_metrics_namespace,
    validate_parameter_name,
)
from registration_errors import ConfigurationError


def test_only_the_parameter_name_is_required():
    settings = load_settings({"SSM_SENTIMENT_MODEL": "/sentiment_model/latest_object_key"})
    assert settings.parameter_name == "/sentiment_model/latest_object_key"
    assert settings.metrics_namespace == DEFAULT_METRICS_NAMESPACE == "ModelRegistration"


@pytest.mark.parametrize("value", [None, "", "   "])
def test_a_missing_or_blank_parameter_name_is_named_in_the_error(value):
    environ = {} if value is None else {"SSM_SENTIMENT_MODEL": value}
    with pytest.raises(ConfigurationError, match="SSM_SENTIMENT_MODEL is not set"):
        load_settings(environ)


@pytest.mark.parametrize(
    "name",
    [
        "/sentiment_model/latest_object_key",
        "sentiment-model",
        "/a.b-c_d/E9",
        "/" + "/".join(["l"] * 15),
        "/my-aws-models/ssm",
    ],
)
def test_valid_names_are_accepted(name):
    assert validate_parameter_name(name) == name


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("sentiment_model/latest_object_key", "must be fully qualified"),
        ("/with space", "only the characters"),
        ("/caf\u00e9", "only the characters"),
        ("/a//b", "must not be empty"),
        ("/a/", "must not be empty"),
        ("/" + "/".join(["l"] * 16), "at most 15 hierarchy levels"),
        ("aws-thing", "must not start with 'aws' or 'ssm'"),
        ("/SSM/thing", "must not start with 'aws' or 'ssm'"),
        ("/" + "x" * 1000, "its ARN would be"),
    ],
)
def test_invalid_names_are_rejected_with_the_reason(name, why):
    with pytest.raises(ConfigurationError, match=why):
        validate_parameter_name(name)


def test_the_arn_length_limit_counts_the_region_and_partition():
    region = "us-gov-west-1"
    budget = 1011 - len(parameter_arn_prefix(region))
    assert parameter_arn_prefix(region).startswith("arn:aws-us-gov:ssm:us-gov-west-1:")
    validate_parameter_name("/" + "x" * (budget - 1) + "y", region)
    with pytest.raises(ConfigurationError, match="its ARN would be"):
        validate_parameter_name("/" + "x" * budget + "y", region)


@pytest.mark.parametrize("namespace", ["ModelRegistration", "Team/Models", "a.b-c_d#e:f g"])
def test_valid_namespaces_are_accepted(namespace):
    assert validate_metrics_namespace(namespace) == namespace


@pytest.mark.parametrize("namespace", ["", "  ", "AWS/Lambda", "x" * 256, "caf\u00e9", "a|b"])
def test_invalid_namespaces_are_rejected(namespace):
    with pytest.raises(ConfigurationError, match="METRICS_NAMESPACE="):
        validate_metrics_namespace(namespace)
