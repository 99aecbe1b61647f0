"""The handler on moto: bad input and AWS failures raise a named error and write nothing."""

from __future__ import annotations

import pytest

from common.errors import ConfigurationError
from registration.parameter_store import ParameterStoreError
from registration.s3_events import MalformedEventError
from tests.unit.registration.registration_testkit import (
    PARAMETER,
    error_response,
    event,
    history,
    invoke,
    log_lines,
    metric_sums,
    mutate,
    registered_value,
    s3_record,
)

GOOD = s3_record("models/a.tar.gz")


MALFORMED = {
    "not an object": (["Records"], "event: expected an S3 notification object, got list"),
    "no Records": ({"detail-type": "Object Created"}, "no 'Records' list"),
    "empty Records": ({"Records": []}, "expected a non-empty list"),
    "record not an object": ({"Records": ["x"]}, "Records[0]: expected an object, got a string"),
    "missing key": (event(mutate(GOOD, ("s3", "object", "key"))), "Records[0].s3.object.key: req"),
    "key not a string": (
        event(mutate(GOOD, ("s3", "object", "key"), 7)),
        "expected a string, got an",
    ),
    "missing s3": (event(mutate(GOOD, ("s3",))), "Records[0].s3: required field is missing"),
    "size as text": (
        event(mutate(GOOD, ("s3", "object", "size"), "1024")),
        "size: expected an integer",
    ),
    "size boolean": (event(mutate(GOOD, ("s3", "object", "size"), True)), "got a boolean"),
    "negative size": (event(mutate(GOOD, ("s3", "object", "size"), -1)), "size: -1 is negative"),
    "missing eTag": (event(mutate(GOOD, ("s3", "object", "eTag"))), "eTag: required field"),
    "bad eventTime": (event(mutate(GOOD, ("eventTime",), "yesterday")), "is not an ISO-8601 time"),
    # Valid ISO-8601, but before year 1 in UTC: astimezone() would raise OverflowError.
    "eventTime before year 1 in UTC": (
        event(mutate(GOOD, ("eventTime",), "0001-01-01T00:00:00+01:00")),
        "Records[0].eventTime: '0001-01-01T00:00:00+01:00' is outside years 1-9999",
    ),
    "eventTime after year 9999 in UTC": (
        event(mutate(GOOD, ("eventTime",), "9999-12-31T23:59:59-00:01")),
        "is outside years 1-9999",
    ),
    "leap second": (event(mutate(GOOD, ("eventTime",), "2026-12-31T23:59:60Z")), "not an ISO-8601"),
    "size beyond 64 bits": (
        event(mutate(GOOD, ("s3", "object", "size"), 2**63)),
        "larger than any S3",
    ),
    "size beyond str()": (
        event(mutate(GOOD, ("s3", "object", "size"), 10**5000)),
        "a 16610-bit integer",
    ),
    "size as a float": (event(mutate(GOOD, ("s3", "object", "size"), 1024.0)), "got a number"),
    "size NaN": (event(mutate(GOOD, ("s3", "object", "size"), float("nan"))), "got a number"),
    "sequencer with a newline": (
        event(mutate(GOOD, ("s3", "object", "sequencer"), "0A\n")),
        "not a hexadecimal",
    ),
    "naive eventTime": (event(mutate(GOOD, ("eventTime",), "2026-11-27T10:00:00")), "no time zone"),
    "bad sequencer": (
        event(mutate(GOOD, ("s3", "object", "sequencer"), "0x1G")),
        "not a hexadecimal",
    ),
    "other source": (event(mutate(GOOD, ("eventSource",), "aws:sqs")), "expected 'aws:s3'"),
    "future major version": (
        event(mutate(GOOD, ("eventVersion",), "3.0")),
        "is not a 2.x S3 event",
    ),
    "invalid UTF-8 escape": (
        event(mutate(GOOD, ("s3", "object", "key"), "models/%FF.tar.gz")),
        "does not decode to UTF-8",
    ),
    "empty key": (event(mutate(GOOD, ("s3", "object", "key"), "")), "the object key is empty"),
    "one bad record among good ones": (
        event(s3_record("models/b.tar.gz"), mutate(GOOD, ("s3", "bucket", "name"))),
        "Records[1].s3.bucket.name: required field is missing",
    ),
}


@pytest.mark.parametrize(("bad_event", "message"), MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_events_raise_a_named_error_and_write_nothing(aws, capsys, bad_event, message):
    with pytest.raises(MalformedEventError, match=None) as raised:
        invoke(bad_event)

    assert message in str(raised.value)
    assert aws.calls["ssm.PutParameter"] == 0
    assert registered_value(aws.ssm) is None
    (line,) = log_lines(capsys.readouterr().out)
    assert line["decision"] == "rejected"
    assert line["error"] == "MalformedEventError"
    assert message in line["reason"]
    assert metric_sums(aws.cloudwatch)["EventRejected"] == 1


def test_a_malformed_event_leaves_the_registered_model_alone(aws):
    invoke(event(aws.uploads.put("models/a.tar.gz")))

    with pytest.raises(MalformedEventError):
        invoke(event(aws.uploads.put("models/b.tar.gz"), {"eventSource": "aws:s3"}))

    assert registered_value(aws.ssm) == "models/a.tar.gz"
    assert aws.calls["ssm.PutParameter"] == 1


def test_a_missing_parameter_name_is_a_configuration_error(aws, monkeypatch, capsys):
    monkeypatch.delenv("SSM_SENTIMENT_MODEL")

    with pytest.raises(ConfigurationError, match="SSM_SENTIMENT_MODEL is not set"):
        invoke(event(GOOD))

    assert aws.calls.ssm_calls() == 0
    (line,) = log_lines(capsys.readouterr().out)
    assert line["error"] == "ConfigurationError"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("sentiment_model/latest_object_key", "must be fully qualified"),
        ("/sentiment model", "only the characters"),
        ("/aws/reserved", "must not start with 'aws' or 'ssm'"),
        ("/a//b", "hierarchy levels must not be empty"),
    ],
)
def test_an_invalid_parameter_name_is_a_configuration_error(aws, monkeypatch, name, message):
    # moto would happily write "sentiment_model/latest_object_key"; AWS would not.
    monkeypatch.setenv("SSM_SENTIMENT_MODEL", name)

    with pytest.raises(ConfigurationError, match=message):
        invoke(event(GOOD))

    assert aws.calls.ssm_calls() == 0


def test_an_invalid_metrics_namespace_is_a_configuration_error(aws, monkeypatch):
    monkeypatch.setenv("METRICS_NAMESPACE", "AWS/Lambda")

    with pytest.raises(ConfigurationError, match="METRICS_NAMESPACE='AWS/Lambda'"):
        invoke(event(GOOD))

    assert aws.calls.ssm_calls() == 0


def test_put_parameter_throttling_is_retried_then_succeeds(aws, no_backoff_sleep):
    attempts = []
    throttle = error_response(400, "ThrottlingException", "Rate exceeded")

    def throttle_twice(request, **kwargs):
        attempts.append(1)
        return throttle(request) if len(attempts) <= 2 else None

    aws.hook(aws.clients.client("ssm"), "before-send.ssm.PutParameter", throttle_twice, first=True)

    invoke(event(aws.uploads.put("models/a.tar.gz")))

    assert registered_value(aws.ssm) == "models/a.tar.gz"
    assert len(attempts) == 3
    assert len(no_backoff_sleep) == 2
    assert aws.calls["ssm.PutParameter"] == 1
    assert len(history(aws.ssm)) == 1


def test_persistent_throttling_raises_after_the_retry_budget_and_writes_nothing(
    aws, no_backoff_sleep, capsys
):
    attempts = []
    throttle = error_response(400, "ThrottlingException", "Rate exceeded")

    def always_throttle(request, **kwargs):
        attempts.append(1)
        return throttle(request)

    aws.hook(aws.clients.client("ssm"), "before-send.ssm.PutParameter", always_throttle, first=True)

    with pytest.raises(ParameterStoreError, match=f"PutParameter on {PARAMETER} failed"):
        invoke(event(aws.uploads.put("models/a.tar.gz")))

    assert len(attempts) == 3  # botocore standard mode, total_max_attempts=3 (ADR-0013)
    assert len(no_backoff_sleep) == 2
    assert max(no_backoff_sleep) <= 2  # jittered exponential backoff: at most 2**1 s
    assert registered_value(aws.ssm) is None
    lines = log_lines(capsys.readouterr().out)
    assert [line.get("event") for line in lines] == [
        "registration_failed",
        "parameter_store_failed",
    ]
    assert lines[0]["key"] == "models/a.tar.gz"
    assert lines[0]["eventName"] == "ObjectCreated:Put"
    assert lines[0]["sequencer"]


def test_a_refused_history_read_raises_and_writes_nothing(aws):
    deny = error_response(400, "AccessDeniedException", "not authorized")
    aws.hook(aws.clients.client("ssm"), "before-send.ssm.GetParameterHistory", deny, first=True)

    with pytest.raises(ParameterStoreError, match=r"GetParameterHistory on .* failed"):
        invoke(event(aws.uploads.put("models/a.tar.gz")))

    assert aws.calls["ssm.PutParameter"] == 0


def test_a_metrics_failure_never_undoes_or_fails_a_registration(aws, capsys):
    deny = error_response(403, "AccessDenied", "no cloudwatch:PutMetricData")
    aws.hook(
        aws.clients.client("cloudwatch"), "before-send.cloudwatch.PutMetricData", deny, first=True
    )

    result = invoke(event(aws.uploads.put("models/a.tar.gz")))

    assert result["registeredKey"] == "models/a.tar.gz"
    assert registered_value(aws.ssm) == "models/a.tar.gz"
    failure = next(line for line in log_lines(capsys.readouterr().out) if "event" in line)
    assert failure["event"] == "metrics_failed"
    assert failure["level"] == "ERROR"
