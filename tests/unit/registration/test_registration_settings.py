"""Settings from the environment (pure): Parameter Store and CloudWatch naming rules."""

from __future__ import annotations

import pytest

from common.errors import ConfigurationError
from registration.s3_events import ModelLocation
from registration.settings import (
    DEFAULT_METRICS_NAMESPACE,
    load_settings,
    parameter_arn_prefix,
    validate_metrics_namespace,
    validate_model_bucket,
    validate_model_key_prefix,
    validate_parameter_name,
)

NAME = {"SSM_SENTIMENT_MODEL": "/sentiment_model/latest_object_key"}


def test_only_the_parameter_name_is_required():
    settings = load_settings(NAME)
    assert settings.parameter_name == "/sentiment_model/latest_object_key"
    assert settings.metrics_namespace == DEFAULT_METRICS_NAMESPACE == "ModelRegistration"
    # No model location: any bucket, any key.
    assert settings.model_location == ModelLocation(bucket="", key_prefix="")


def test_the_model_location_comes_from_the_environment():
    settings = load_settings({**NAME, "MODEL_BUCKET": "models-1", "MODEL_KEY_PREFIX": "models/"})
    assert settings.model_location == ModelLocation(bucket="models-1", key_prefix="models/")
    empty = load_settings({**NAME, "MODEL_BUCKET": "", "MODEL_KEY_PREFIX": ""})
    assert empty.model_location == ModelLocation()


@pytest.mark.parametrize(
    "bucket",
    [
        "abc",
        "cdk-exercise-bucket-123456789012-us-east-1",
        "a.b-c.d",
        "1bucket9",
        "b" * 63,
    ],
)
def test_valid_bucket_names_are_accepted(bucket):
    assert validate_model_bucket(bucket) == bucket


@pytest.mark.parametrize(
    ("bucket", "why"),
    [
        ("ab", "use 3-63 characters"),
        ("b" * 64, "use 3-63 characters"),
        ("Models", "use 3-63 characters"),
        ("my_bucket", "use 3-63 characters"),
        ("-bucket", "use 3-63 characters"),
        ("bucket.", "use 3-63 characters"),
        ("s3://bucket", "not an ARN or s3:// URL"),
        ("arn:aws:s3:::bucket", "not an ARN or s3:// URL"),
        (" bucket", "use 3-63 characters"),
        ("a..b", "two adjacent periods"),
        ("192.168.5.4", "IP address"),
        ("xn--bucket", "reserves"),
        ("sthree-bucket", "reserves"),
        ("amzn-s3-demo-bucket", "reserves"),
        ("bucket-s3alias", "reserves"),
        ("bucket--ol-s3", "reserves"),
        ("bucket.mrap", "reserves"),
        ("bucket--x-s3", "reserves"),
        ("bucket--table-s3", "reserves"),
    ],
)
def test_invalid_bucket_names_are_rejected_with_the_reason(bucket, why):
    with pytest.raises(ConfigurationError, match=f"MODEL_BUCKET=.*{why}"):
        load_settings({**NAME, "MODEL_BUCKET": bucket})


@pytest.mark.parametrize(
    "prefix", ["models/", "models", "team a/models/", "caf\u00e9/", "k" * 1024, "/leading"]
)
def test_valid_key_prefixes_are_accepted(prefix):
    assert validate_model_key_prefix(prefix) == prefix


@pytest.mark.parametrize(
    ("prefix", "why"),
    [
        (" models/", "white space"),
        ("models/ ", "white space"),
        ("   ", "white space"),
        ("models/\n", "white space"),
        ("mod\x00els/", "control characters"),
        # os.environ holds bytes that are not UTF-8 as lone surrogates.
        ("models\udcff/", "lone surrogates"),
        ("\u00e9" * 513, "at most 1024 UTF-8 bytes"),
    ],
)
def test_invalid_key_prefixes_are_rejected_with_the_reason(prefix, why):
    with pytest.raises(ConfigurationError, match=f"MODEL_KEY_PREFIX=.*{why}"):
        load_settings({**NAME, "MODEL_KEY_PREFIX": prefix})


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
