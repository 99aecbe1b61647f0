"""The handler registers only object versions S3 confirms, with the event's ETag and size, and
refuses events no S3 notification of the versioned model bucket could send (ADR-0017)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from registration.uploaded_object import ObjectCheckError
from tests.unit.registration.registration_testkit import (
    error_response,
    event,
    invoke,
    iso,
    log_lines,
    metric_sums,
    registered_value,
    s3_record,
)


def _replace(record: dict, **fields) -> dict:
    forged = copy.deepcopy(record)
    forged["s3"]["object"].update(fields)
    return forged


def test_an_event_for_a_missing_object_is_ignored_alarmed_and_not_written(aws, capsys):
    forged = s3_record("models/never-uploaded.tar.gz", version_id="3HL4kqtJlcpXroDTDmJ")

    result = invoke(event(forged))

    assert registered_value(aws.ssm) is None
    assert aws.calls["ssm.PutParameter"] == 0
    assert aws.calls["s3.HeadObject"] == 1
    assert result["decisions"] == ["ignored"]
    assert result["alerts"] == ["upload_not_verified"]
    (line,) = log_lines(capsys.readouterr().out)
    assert line["level"] == "WARNING"
    assert line["alert"] == "upload_not_verified"
    assert "cannot be read (HeadObject: HTTP 404)" in line["reason"]
    sums = metric_sums(aws.cloudwatch)
    assert sums["UnverifiedUploadIgnored"] == 1
    assert sums["ModelRegistered"] == 0


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("eTag", "ffffffffffffffffffffffffffffffff", "has ETag"),
        ("size", 999_999, "bytes, the event says 999999"),
    ],
)
def test_a_version_with_other_bytes_is_ignored(aws, capsys, field, value, says):
    genuine = aws.uploads.put("models/a.tar.gz", b"the real bytes")

    result = invoke(event(_replace(genuine, **{field: value})))

    assert registered_value(aws.ssm) is None
    assert result["alerts"] == ["upload_not_verified"]
    (line,) = log_lines(capsys.readouterr().out)
    assert says in line["reason"]
    # The genuine event still registers: the check compares, it does not remember.
    invoke(event(genuine))
    assert registered_value(aws.ssm) == "models/a.tar.gz"


def test_a_delete_marker_or_another_keys_version_is_not_a_model(aws):
    kept = aws.uploads.put("models/kept.tar.gz")
    aws.uploads.put("models/gone.tar.gz")
    marker = aws.uploads.delete("models/gone.tar.gz")
    other_keys_version = _replace(
        s3_record("models/gone.tar.gz"),
        versionId=kept["s3"]["object"]["versionId"],
        eTag=kept["s3"]["object"]["eTag"],
        size=kept["s3"]["object"]["size"],
    )
    as_upload = _replace(
        s3_record("models/gone.tar.gz"), versionId=marker["s3"]["object"]["versionId"]
    )

    result = invoke(event(other_keys_version, as_upload))

    assert result["alerts"] == ["upload_not_verified", "upload_not_verified"]
    assert registered_value(aws.ssm) is None


def test_the_newest_confirmed_upload_of_the_event_registers(aws):
    genuine = aws.uploads.put("models/genuine.tar.gz")
    newer_forged = s3_record(
        "models/forged.tar.gz",
        event_time=iso(datetime.now(UTC)),
        version_id="forged-version",
    )

    result = invoke(event(genuine, newer_forged))

    assert registered_value(aws.ssm) == "models/genuine.tar.gz"
    assert result["decisions"] == ["registered", "ignored"]


def test_an_event_without_a_version_id_is_rejected(aws, capsys):
    aws.uploads.put("models/a.tar.gz")
    unversioned = s3_record("models/a.tar.gz", version_id=None)

    result = invoke(event(unversioned))

    assert result["decisions"] == ["rejected"]
    assert aws.calls["s3.HeadObject"] == 0
    assert aws.calls["ssm.PutParameter"] == 0
    (line,) = log_lines(capsys.readouterr().out)
    assert line["level"] == "ERROR"
    assert line["reason"].startswith("no versionId: the model bucket is versioned")
    assert metric_sums(aws.cloudwatch)["EventRejected"] == 1


@pytest.mark.parametrize(
    ("ahead", "decision"),
    [(timedelta(minutes=14), "registered"), (timedelta(minutes=16), "rejected")],
)
def test_an_event_time_far_in_the_future_is_rejected(aws, capsys, ahead, decision):
    record = aws.uploads.put("models/a.tar.gz", event_time=iso(datetime.now(UTC) + ahead))

    result = invoke(event(record))

    assert result["decisions"] == [decision]
    if decision == "rejected":
        assert registered_value(aws.ssm) is None
        (line,) = log_lines(capsys.readouterr().out)
        assert "is more than 15 minutes after the function's clock" in line["reason"]


def test_a_dated_2099_upload_cannot_freeze_registration(aws):
    """The review's probe: an event dated 2099 for a real object. It is rejected, so the next
    genuine upload registers."""
    dated_2099 = aws.uploads.put("models/a.tar.gz", event_time="2099-01-01T00:00:00.000Z")
    invoke(event(dated_2099))
    invoke(event(aws.uploads.put("models/b.tar.gz", event_time=iso(datetime.now(UTC)))))

    assert registered_value(aws.ssm) == "models/b.tar.gz"


@pytest.mark.parametrize(
    "key", ["models/a\n.tar.gz", "models/a\u2028.tar.gz", "models/{{ssm:x}}.tar.gz"]
)
def test_a_key_sagemaker_or_ssm_would_refuse_is_rejected_and_not_written(aws, capsys, key):
    result = invoke(event(aws.uploads.put(key)))

    assert result["decisions"] == ["rejected"]
    assert aws.calls["s3.HeadObject"] == 0
    assert registered_value(aws.ssm) is None
    assert metric_sums(aws.cloudwatch)["EventRejected"] == 1


@pytest.mark.parametrize("status", [500, 503])
def test_head_object_failures_raise_and_write_nothing(aws, capsys, no_backoff_sleep, status):
    record = aws.uploads.put("models/a.tar.gz")
    aws.hook(
        aws.clients.client("s3"),
        "before-send.s3.HeadObject",
        error_response(status, "InternalError", "try again"),
        first=True,
    )

    with pytest.raises(ObjectCheckError, match="nothing was written"):
        invoke(event(record))

    assert aws.calls["ssm.PutParameter"] == 0
    lines = log_lines(capsys.readouterr().out)
    assert lines[-1]["event"] == "object_check_failed"
    # botocore's standard retries: the S3 budget's three attempts.
    assert len(no_backoff_sleep) == 2


def test_lookups_stop_at_the_newest_upload_s3_confirms(aws):
    records = [aws.uploads.put(f"models/m{i}.tar.gz") for i in range(5)]

    result = invoke(event(*reversed(records)))

    assert registered_value(aws.ssm) == "models/m4.tar.gz"
    assert aws.calls["s3.HeadObject"] == 1
    assert result["decisions"] == ["registered"] + ["ignored"] * 4
