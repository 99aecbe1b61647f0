"""The handler on moto (S3 + SSM + CloudWatch): what gets registered, and how often."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from registration.parameter_description import to_description
from registration.parameter_store import ParameterStoreError
from registration.registered_model import Registration
from tests.unit.registration.registration_testkit import (
    PARAMETER,
    error_response,
    event,
    history,
    interleave_write,
    invoke,
    iso,
    latest_provenance,
    log_lines,
    metric_sums,
    registered_value,
    registration_after,
    s3_record,
)


def test_an_upload_registers_its_key_with_one_put_and_its_provenance(aws):
    record = aws.uploads.put("models/sentiment-v1.tar.gz", body=b"x" * 2048)

    result = invoke(event(record))

    assert registered_value(aws.ssm) == "models/sentiment-v1.tar.gz"
    assert aws.calls["ssm.PutParameter"] == 1
    provenance = latest_provenance(aws.ssm)
    obj = record["s3"]["object"]
    assert provenance["versionId"] == obj["versionId"]
    assert provenance["eTag"] == obj["eTag"]
    assert provenance["size"] == 2048
    assert provenance["bucket"] == aws.uploads.bucket
    assert provenance["eventTime"] == record["eventTime"]
    assert provenance["sequencer"] == obj["sequencer"]
    assert result["registeredKey"] == "models/sentiment-v1.tar.gz"
    assert result["parameterVersion"] == 1


def test_the_value_is_the_key_not_an_s3_uri(aws):
    invoke(event(aws.uploads.put("models/a.tar.gz")))

    value = registered_value(aws.ssm)
    assert not value.startswith("s3://")
    assert value == "models/a.tar.gz"


@pytest.mark.parametrize(
    "key",
    [
        "models/my model v2.tar.gz",
        "models/c++/weights+bias.tar.gz",
        "models/100% done.tar.gz",
        "models/caf\u00e9/\u30e2\u30c7\u30eb \U0001f916.tar.gz",
        "models/a=b&c?d#e.tar.gz",
    ],
)
def test_url_encoded_keys_are_registered_decoded(aws, key):
    record = aws.uploads.put(key)
    assert record["s3"]["object"]["key"] != key  # S3 really did encode something

    invoke(event(record))

    assert registered_value(aws.ssm) == key
    # The decoded key names an object that exists: the endpoint can load it.
    assert aws.s3.head_object(Bucket=aws.uploads.bucket, Key=key)["ContentLength"] > 0


def test_a_batch_registers_only_its_newest_model_with_one_put(aws):
    records = [aws.uploads.put(f"models/m{i}.tar.gz") for i in range(5)]
    shuffled = [records[3], records[4], records[0], records[2], records[1]]

    invoke(event(*shuffled))

    assert registered_value(aws.ssm) == "models/m4.tar.gz"
    assert aws.calls["ssm.PutParameter"] == 1
    assert len(history(aws.ssm)) == 1


def test_a_late_delivery_of_an_older_upload_does_not_move_the_parameter_back(aws, capsys):
    older = aws.uploads.put("models/old.tar.gz")
    newer = aws.uploads.put("models/new.tar.gz")
    invoke(event(newer))

    invoke(event(older))

    assert registered_value(aws.ssm) == "models/new.tar.gz"
    assert aws.calls["ssm.PutParameter"] == 1
    ignored = log_lines(capsys.readouterr().out)[-1]
    assert ignored["decision"] == "ignored"
    assert ignored["reason"].startswith("older than the registered model 'models/new.tar.gz'")


def test_a_duplicate_delivery_writes_nothing(aws, capsys):
    record = aws.uploads.put("models/a.tar.gz")
    invoke(event(record))

    invoke(event(record))
    invoke(event(record, record))

    assert aws.calls["ssm.PutParameter"] == 1
    assert len(history(aws.ssm)) == 1
    reasons = [line["reason"] for line in log_lines(capsys.readouterr().out)[1:]]
    assert all(r.startswith("duplicate of the registered model") for r in reasons)
    assert len(reasons) == 3


def test_same_key_same_event_time_the_higher_sequencer_wins(aws):
    time = "2026-11-27T10:00:00.000Z"
    first = aws.uploads.put("models/a.tar.gz", b"first", event_time=time, sequencer="00FF")
    second = aws.uploads.put("models/a.tar.gz", b"second", event_time=time, sequencer="0100")

    invoke(event(second))
    invoke(event(first))

    assert latest_provenance(aws.ssm)["versionId"] == second["s3"]["object"]["versionId"]
    assert aws.calls["ssm.PutParameter"] == 1


def test_a_new_version_of_the_registered_key_is_written_and_reported(aws, capsys):
    invoke(event(aws.uploads.put("models/a.tar.gz", body=b"first")))
    capsys.readouterr()
    replacement = aws.uploads.put("models/a.tar.gz", body=b"second, different bytes")

    invoke(event(replacement))

    versions = history(aws.ssm)
    assert [v["Value"] for v in versions] == ["models/a.tar.gz", "models/a.tar.gz"]
    assert latest_provenance(aws.ssm)["versionId"] == replacement["s3"]["object"]["versionId"]
    (line,) = log_lines(capsys.readouterr().out)
    assert line["alert"] == "registered_model_overwritten"
    assert line["level"] == "WARNING"
    assert line["previousVersionId"] == json.loads(versions[0]["Description"])["versionId"]
    assert metric_sums(aws.cloudwatch)["RegisteredModelOverwritten"] == 1


def test_an_out_of_band_value_counts_as_registered_when_it_was_written(aws):
    # e.g. a placeholder created by a stack: no provenance, ordered by its write time.
    aws.ssm.put_parameter(
        Name=PARAMETER, Value="models/placeholder.tar.gz", Type="String", Description="seed"
    )
    written_at = history(aws.ssm)[-1]["LastModifiedDate"]
    before = aws.uploads.put(
        "models/before.tar.gz", event_time=iso(written_at - timedelta(minutes=5))
    )
    after = aws.uploads.put(
        "models/after.tar.gz", event_time=iso(written_at + timedelta(minutes=5))
    )

    invoke(event(before))
    assert registered_value(aws.ssm) == "models/placeholder.tar.gz"

    invoke(event(after))
    assert registered_value(aws.ssm) == "models/after.tar.gz"


def _seed_versions(ssm, count: int, start: datetime) -> None:
    for i in range(count):
        registration = Registration(
            key=f"models/seed-{i}.tar.gz",
            occurred_at=start + timedelta(minutes=i),
            event_time=iso(start + timedelta(minutes=i)),
            origin="s3-event",
            bucket="model-bucket-test",
            sequencer=f"{i + 1:X}",
        )
        ssm.put_parameter(
            Name=PARAMETER,
            Value=registration.key,
            Description=to_description(registration),
            Type="String",
            Overwrite=True,
        )


def test_the_registered_model_is_read_from_the_last_history_page(aws):
    # 60 versions: the newest provenance is on GetParameterHistory's second page. Reading only
    # the first page would take version 50 for the registered one and accept this event.
    start = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    _seed_versions(aws.ssm, 60, start)
    between = s3_record("models/late.tar.gz", event_time=iso(start + timedelta(minutes=55)))

    invoke(event(between))

    assert registered_value(aws.ssm) == "models/seed-59.tar.gz"
    assert aws.calls["ssm.GetParameterHistory"] == 2
    assert aws.calls["ssm.PutParameter"] == 0


def test_a_newer_registration_written_concurrently_is_restored(aws, capsys):
    record = aws.uploads.put("models/ours.tar.gz")
    newer = registration_after(record, 30, "models/theirs-newer.tar.gz", sequencer="FF")
    interleave_write(aws.hook, aws.clients.client("ssm"), aws.ssm, newer)

    invoke(event(record))

    assert registered_value(aws.ssm) == "models/theirs-newer.tar.gz"
    assert [v["Value"] for v in history(aws.ssm)] == [
        "models/theirs-newer.tar.gz",
        "models/ours.tar.gz",
        "models/theirs-newer.tar.gz",
    ]
    lines = log_lines(capsys.readouterr().out)
    warning = next(line for line in lines if "event" in line)
    assert warning["event"] == "concurrent_write_detected"
    assert warning["restoredKey"] == "models/theirs-newer.tar.gz"
    assert warning["restoredVersion"] == 3
    registered = next(line for line in lines if line.get("decision") == "registered")
    assert registered["parameterVersion"] == 2  # where our own write landed


def test_a_failed_repair_raises_keeps_our_registration_and_its_retry_writes_nothing(aws, capsys):
    # ADR-0010's residual, made visible: our write landed after a newer concurrent one, and
    # the re-read that would restore it is refused. The invocation raises (Lambda retries it);
    # the retry finds our own version registered and, by the ordering guard, writes nothing.
    record = aws.uploads.put("models/ours.tar.gz")
    newer = registration_after(record, 30, "models/theirs-newer.tar.gz", sequencer="FF")
    interleave_write(aws.hook, aws.clients.client("ssm"), aws.ssm, newer)
    reads = []
    deny = error_response(400, "AccessDeniedException", "not authorized")

    def deny_the_second_read(request, **_):
        reads.append(1)
        return deny(request) if len(reads) == 2 else None

    aws.hook(
        aws.clients.client("ssm"),
        "before-send.ssm.GetParameterHistory",
        deny_the_second_read,
        first=True,
    )

    with pytest.raises(ParameterStoreError, match=r"GetParameterHistory on .* failed"):
        invoke(event(record))

    assert registered_value(aws.ssm) == "models/ours.tar.gz"
    failure = next(line for line in log_lines(capsys.readouterr().out) if "event" in line)
    assert failure["event"] == "concurrent_write_repair_failed"
    assert failure["parameterVersion"] == 2
    assert failure["key"] == "models/ours.tar.gz"
    assert failure["eventName"] == record["eventName"]
    assert failure["sequencer"] == record["s3"]["object"]["sequencer"]
    aws.calls.calls.clear()

    result = invoke(event(record))  # Lambda's asynchronous retry

    assert aws.calls["ssm.PutParameter"] == 0
    assert result["decisions"] == ["ignored"]
    assert registered_value(aws.ssm) == "models/ours.tar.gz"


def test_an_older_registration_written_concurrently_stays_overwritten(aws):
    record = aws.uploads.put("models/ours.tar.gz")
    older = registration_after(record, -30, "models/theirs-older.tar.gz", sequencer="01")
    interleave_write(aws.hook, aws.clients.client("ssm"), aws.ssm, older)

    invoke(event(record))

    assert registered_value(aws.ssm) == "models/ours.tar.gz"
    assert aws.calls["ssm.PutParameter"] == 1  # ours only: nothing to restore
    assert [v["Value"] for v in history(aws.ssm)] == [
        "models/theirs-older.tar.gz",
        "models/ours.tar.gz",
    ]


def test_a_registration_emits_model_registered_in_one_metrics_call(aws):
    invoke(event(aws.uploads.put("models/a.tar.gz"), aws.uploads.put("notes/readme.txt")))

    assert aws.calls["cloudwatch.PutMetricData"] == 1
    sums = metric_sums(aws.cloudwatch)
    assert sums["ModelRegistered"] == 1
    assert sums["EventIgnored"] == 1
    assert sums["EventRejected"] == 0
