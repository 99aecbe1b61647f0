"""Whether SageMaker can load a key and Parameter Store can hold it. Pure: no AWS calls.

S3 accepts keys that break the rest of the pipeline: the endpoint stack passes
``s3://<bucket>/<key>`` as ``ModelDataUrl``, whose pattern ``^(https|s3)://([^/]+)/?(.*)$`` and
1024-character limit refuse some (SageMaker API reference, ContainerDefinition:
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ContainerDefinition.html), and
PutParameter refuses values that nest a parameter reference (``{{ ... }}``) or exceed the
standard tier's 4 KB (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html).
Registering such a key makes the endpoint stack's next update fail and roll back, and every
later ``cdk deploy`` of it fail until another model is registered (ADR-0017).

The pattern is not evaluated with Python's ``re``: SageMaker validates it as a Java regular
expression, whose ``.`` stops at every line terminator (``\\n``, ``\\r``, U+0085, U+2028,
U+2029) while Python's stops at ``\\n`` only, and whose ``$``, like Python's, also matches
before a final line terminator. The rules are spelt out instead, so each is tested alone.
"""

from __future__ import annotations

# Java's line terminators (java.util.regex.Pattern, without UNIX_LINES): ``.`` matches none.
LINE_TERMINATORS = ("\n", "\r", "\u0085", "\u2028", "\u2029")
MODEL_DATA_URL_MAX_LENGTH = 1024
# PutParameter: "Parameters can't be referenced or nested in the values of other parameters."
PARAMETER_REFERENCE_OPENING = "{{"
STANDARD_PARAMETER_MAX_VALUE_BYTES = 4096


def model_data_url(bucket: str, key: str) -> str:
    """The URL the endpoint stack builds for SageMaker (sagemaker_endpoints.py does the same)."""
    return f"s3://{bucket}/{key}"


def why_unservable(bucket: str, key: str) -> str | None:
    """Why registering ``key`` of ``bucket`` would break the endpoint stack, or None."""
    for terminator in LINE_TERMINATORS:
        if terminator in key:
            return (
                f"the key contains the line terminator {_name(terminator)}: SageMaker's "
                "ModelDataUrl pattern ^(https|s3)://([^/]+)/?(.*)$ cannot match it"
            )
    url = model_data_url(bucket, key)
    if "/" in bucket or bucket == "":
        return f"bucket {bucket!r} cannot be the host of a ModelDataUrl"
    length = _java_length(url)
    if length > MODEL_DATA_URL_MAX_LENGTH:
        return (
            f"s3://<bucket>/<key> is {length} characters; SageMaker's ModelDataUrl allows "
            f"{MODEL_DATA_URL_MAX_LENGTH}"
        )
    return why_parameter_store_refuses(key)


def why_parameter_store_refuses(value: str) -> str | None:
    """Why PutParameter would refuse ``value`` as a standard String parameter, or None."""
    if PARAMETER_REFERENCE_OPENING in value:
        return (
            "the key contains '{{', which Parameter Store refuses in a value (a parameter may "
            "not reference or nest another)"
        )
    size = len(value.encode("utf-8", errors="surrogatepass"))
    if size > STANDARD_PARAMETER_MAX_VALUE_BYTES:
        return (
            f"the key is {size} bytes; a standard parameter's value holds "
            f"{STANDARD_PARAMETER_MAX_VALUE_BYTES}"
        )
    return None


def _java_length(text: str) -> int:
    """The length a Java String reports: UTF-16 code units, so a character outside the Basic
    Multilingual Plane counts twice. At least ``len(text)``, so the check is never looser than a
    count of code points."""
    return len(text) + sum(1 for character in text if ord(character) > 0xFFFF)


def _name(terminator: str) -> str:
    return f"U+{ord(terminator):04X}"
