"""Keys SageMaker could not load or Parameter Store could not hold are refused
(lambda/registration/servable.py, ADR-0017).

SageMaker validates ModelDataUrl against ``^(https|s3)://([^/]+)/?(.*)$`` with Java's regex
semantics and at most 1024 characters. Python's ``re`` differs exactly where it matters: its
``.`` crosses U+0085, U+2028, U+2029 and ``\\r``, and its ``$`` (like Java's) matches before a
final ``\\n``; the tests below show both, so a rule written with ``re`` would be caught.
"""

from __future__ import annotations

import re

import pytest

from registration.servable import (
    LINE_TERMINATORS,
    MODEL_DATA_URL_MAX_LENGTH,
    STANDARD_PARAMETER_MAX_VALUE_BYTES,
    model_data_url,
    why_parameter_store_refuses,
    why_unservable,
)

BUCKET = "cdk-exercise-bucket-123456789012-eu-west-1"
SAGEMAKER_PATTERN = r"^(https|s3)://([^/]+)/?(.*)$"
PREFIX_LENGTH = len(model_data_url(BUCKET, ""))


def test_the_line_terminators_are_javas_five():
    assert set(LINE_TERMINATORS) == {"\n", "\r", "\u0085", "\u2028", "\u2029"}


@pytest.mark.parametrize("terminator", LINE_TERMINATORS, ids=lambda t: f"U+{ord(t):04X}")
@pytest.mark.parametrize("where", ["middle", "end"])
def test_a_key_with_a_line_terminator_is_refused(terminator, where):
    key = f"models/a{terminator}b.tar.gz" if where == "middle" else f"models/a.tar.gz{terminator}"

    reason = why_unservable(BUCKET, key)

    assert reason is not None
    assert f"U+{ord(terminator):04X}" in reason


@pytest.mark.parametrize("terminator", ["\r", "\u0085", "\u2028", "\u2029"])
def test_pythons_re_would_have_accepted_what_java_refuses(terminator):
    # Why the rule is spelt out: Python's "." matches these, Java's does not.
    url = model_data_url(BUCKET, f"models/a{terminator}b.tar.gz")
    assert re.match(SAGEMAKER_PATTERN, url) is not None
    assert why_unservable(BUCKET, f"models/a{terminator}b.tar.gz") is not None


def test_pythons_dollar_matches_before_a_final_newline_too():
    url = model_data_url(BUCKET, "models/a.tar.gz\n")
    assert re.match(SAGEMAKER_PATTERN, url) is not None
    assert why_unservable(BUCKET, "models/a.tar.gz\n") is not None


@pytest.mark.parametrize(
    "key",
    [
        "models/a.tar.gz",
        "models/with space+plus%.tar.gz",
        "models/\u00e9\u4e2d.tar.gz",
        "m\t.tar.gz",
    ],
)
def test_ordinary_keys_are_servable(key):
    assert why_unservable(BUCKET, key) is None
    assert re.fullmatch(SAGEMAKER_PATTERN, model_data_url(BUCKET, key)) is not None


def test_the_url_may_be_exactly_1024_characters_and_no_more():
    fits = "k" * (MODEL_DATA_URL_MAX_LENGTH - PREFIX_LENGTH)
    assert len(model_data_url(BUCKET, fits)) == MODEL_DATA_URL_MAX_LENGTH

    assert why_unservable(BUCKET, fits) is None
    reason = why_unservable(BUCKET, fits + "k")
    assert reason is not None
    assert "1025 characters" in reason


def test_a_character_outside_the_bmp_counts_twice_as_in_java():
    # 1023 code points, 1024 UTF-16 units: fits; one more astral character does not.
    fits = "k" * (MODEL_DATA_URL_MAX_LENGTH - PREFIX_LENGTH - 2) + "\U0001f916"
    assert why_unservable(BUCKET, fits) is None
    too_long = "k" * (MODEL_DATA_URL_MAX_LENGTH - PREFIX_LENGTH - 1) + "\U0001f916"
    assert len(model_data_url(BUCKET, too_long)) == MODEL_DATA_URL_MAX_LENGTH
    assert why_unservable(BUCKET, too_long) is not None


@pytest.mark.parametrize("key", ["models/{{x}}.tar.gz", "models/{{ssm:/p}}.tar.gz", "{{.tar.gz"])
def test_a_value_with_a_parameter_reference_is_refused(key):
    reason = why_unservable(BUCKET, key)
    assert reason is not None
    assert "'{{'" in reason


@pytest.mark.parametrize("key", ["models/{x}.tar.gz", "models/}}{.tar.gz", "models/{ {.tar.gz"])
def test_single_braces_are_fine(key):
    assert why_unservable(BUCKET, key) is None


def test_parameter_store_refuses_values_over_4_kb():
    assert why_parameter_store_refuses("x" * STANDARD_PARAMETER_MAX_VALUE_BYTES) is None
    reason = why_parameter_store_refuses("\u00e9" * 2049)  # 4098 UTF-8 bytes
    assert reason is not None
    assert "4098 bytes" in reason
