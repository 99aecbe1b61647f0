"""Settings from the environment, validated before any AWS call.

moto accepts parameter names that AWS rejects, so the rules of Parameter Store names are
checked here rather than discovered in production.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from common.errors import ConfigurationError
from common.metrics import METRICS_NAMESPACE_ENV_VAR
from registration.contract import (
    DEFAULT_METRICS_NAMESPACE,
    MODEL_BUCKET_ENV_VAR,
    MODEL_KEY_PREFIX_ENV_VAR,
    PARAMETER_ENV_VAR,
)
from registration.s3_events import MAX_KEY_BYTES, ModelLocation

_PARAMETER_NAME_CHARACTERS = re.compile(r"^[A-Za-z0-9_.\-/]+$")
_RESERVED_PARAMETER_PREFIXES = ("aws", "ssm")
_MAX_PARAMETER_HIERARCHY_LEVELS = 15
# SSM counts the whole ARN against this limit, not the name alone.
_MAX_PARAMETER_ARN_LENGTH = 1011
_ACCOUNT_ID_LENGTH = 12
_DEFAULT_REGION = "us-east-1"

_NAMESPACE_CHARACTERS = re.compile(r"^[0-9A-Za-z.\-_/#: ]+$")
_MAX_NAMESPACE_LENGTH = 255

# S3's rules for general purpose bucket names (S3 User Guide, "General purpose bucket naming
# rules"). Legacy us-east-1 names with capitals or underscores are refused: this project's
# bucket is created under the current rules (ADR-0023).
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]")
_RESERVED_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_IP_ADDRESS_FORMAT = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){3}")


@dataclass(frozen=True)
class Settings:
    parameter_name: str
    metrics_namespace: str
    model_location: ModelLocation = field(default_factory=ModelLocation)


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Read and validate the handler's settings; raise ConfigurationError naming the problem."""
    raw_name = environ.get(PARAMETER_ENV_VAR)
    if raw_name is None or raw_name.strip() == "":
        raise ConfigurationError(
            f"{PARAMETER_ENV_VAR} is not set: it must hold the fully qualified name of the "
            "Parameter Store parameter that records the registered model "
            "(for example /sentiment_model/latest_object_key)"
        )
    region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or _DEFAULT_REGION
    parameter_name = validate_parameter_name(raw_name, region)
    namespace = validate_metrics_namespace(
        environ.get(METRICS_NAMESPACE_ENV_VAR, DEFAULT_METRICS_NAMESPACE)
    )
    location = ModelLocation(
        bucket=validate_model_bucket(environ.get(MODEL_BUCKET_ENV_VAR, "")),
        key_prefix=validate_model_key_prefix(environ.get(MODEL_KEY_PREFIX_ENV_VAR, "")),
    )
    return Settings(
        parameter_name=parameter_name, metrics_namespace=namespace, model_location=location
    )


def validate_parameter_name(name: str, region: str = _DEFAULT_REGION) -> str:
    """Return ``name`` if Parameter Store would accept it, else raise ConfigurationError."""

    def invalid(why: str) -> ConfigurationError:
        return ConfigurationError(
            f"{PARAMETER_ENV_VAR}={name!r} is not a valid Parameter Store name: {why}"
        )

    if not _PARAMETER_NAME_CHARACTERS.match(name):
        raise invalid("only the characters a-z, A-Z, 0-9, '_', '.', '-' and '/' are allowed")
    if "/" in name and not name.startswith("/"):
        raise invalid("a name that contains '/' must be fully qualified (start with '/')")
    levels = name[1:].split("/") if name.startswith("/") else [name]
    if any(level == "" for level in levels):
        raise invalid("hierarchy levels must not be empty ('//' or a trailing '/')")
    if len(levels) > _MAX_PARAMETER_HIERARCHY_LEVELS:
        raise invalid(f"at most {_MAX_PARAMETER_HIERARCHY_LEVELS} hierarchy levels are allowed")
    if levels[0].lower().startswith(_RESERVED_PARAMETER_PREFIXES):
        raise invalid("names must not start with 'aws' or 'ssm' (case-insensitive)")
    arn_length = len(parameter_arn_prefix(region)) + len(name.lstrip("/"))
    if arn_length > _MAX_PARAMETER_ARN_LENGTH:
        raise invalid(
            f"its ARN would be {arn_length} characters; Parameter Store allows "
            f"{_MAX_PARAMETER_ARN_LENGTH}"
        )
    return name


def parameter_arn_prefix(region: str) -> str:
    """The ARN up to the name, with a 12-digit account placeholder (for length checks)."""
    if region.startswith("cn-"):
        partition = "aws-cn"
    elif region.startswith("us-gov-"):
        partition = "aws-us-gov"
    else:
        partition = "aws"
    return f"arn:{partition}:ssm:{region}:{'0' * _ACCOUNT_ID_LENGTH}:parameter/"


def validate_metrics_namespace(namespace: str) -> str:
    """Return ``namespace`` if CloudWatch would accept it, else raise ConfigurationError."""
    if (
        not namespace.strip()
        or len(namespace) > _MAX_NAMESPACE_LENGTH
        or not _NAMESPACE_CHARACTERS.match(namespace)
        or namespace.startswith("AWS/")
    ):
        raise ConfigurationError(
            f"{METRICS_NAMESPACE_ENV_VAR}={namespace!r} is not a valid CloudWatch namespace: use 1-"
            f"{_MAX_NAMESPACE_LENGTH} characters of 0-9 A-Z a-z . - _ / # : and space, with "
            "at least one non-space, not starting with 'AWS/'"
        )
    return namespace


def validate_model_bucket(bucket: str) -> str:
    """Return ``bucket`` ("" = any bucket) if S3 would accept the name, else raise."""
    if bucket == "":
        return bucket

    def invalid(why: str) -> ConfigurationError:
        return ConfigurationError(
            f"{MODEL_BUCKET_ENV_VAR}={bucket!r} is not an S3 bucket name: {why} (leave it "
            "empty or unset to accept any bucket)"
        )

    if not _BUCKET_NAME.fullmatch(bucket):
        raise invalid(
            "use 3-63 characters of a-z, 0-9, '.' and '-', starting and ending with a letter "
            "or digit (a name, not an ARN or s3:// URL)"
        )
    if ".." in bucket:
        raise invalid("two adjacent periods are not allowed")
    if _IP_ADDRESS_FORMAT.fullmatch(bucket):
        raise invalid("a bucket name must not look like an IP address")
    if bucket.startswith(_RESERVED_BUCKET_PREFIXES) or bucket.endswith(_RESERVED_BUCKET_SUFFIXES):
        raise invalid("the name starts or ends with a prefix or suffix S3 reserves")
    return bucket


def validate_model_key_prefix(prefix: str) -> str:
    """Return ``prefix`` ("" = any key) if it can begin an S3 key, else raise.

    A key prefix is matched on the decoded key, character for character, as S3's notification
    filter matches it; it need not end in '/'.
    """
    if prefix == "":
        return prefix

    def invalid(why: str) -> ConfigurationError:
        return ConfigurationError(
            f"{MODEL_KEY_PREFIX_ENV_VAR}={prefix!r} is not a usable key prefix: {why} (leave "
            "it empty or unset to accept any key)"
        )

    if prefix.strip() != prefix:
        raise invalid("it starts or ends with white space, which is almost surely a typo")
    if any(unicodedata.category(character) in ("Cc", "Cs") for character in prefix):
        raise invalid("control characters and lone surrogates (undecodable bytes) are refused")
    if len(prefix.encode("utf-8")) > MAX_KEY_BYTES:
        raise invalid(f"S3 keys are at most {MAX_KEY_BYTES} UTF-8 bytes, so no key could match")
    return prefix
