"""Parsing S3 notifications (pure, no AWS)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from registration.s3_events import (
    MAX_OBJECT_SIZE,
    MalformedEventError,
    decode_key,
    is_hex,
    is_json_type,
    is_model_key,
    parse_notification,
    valid_size,
)
from tests.unit.registration.registration_testkit import event, s3_record, s3_test_event


@pytest.mark.parametrize(
    ("encoded", "decoded"),
    [
        ("models/red+flower.tar.gz", "models/red flower.tar.gz"),
        ("models/c%2B%2B.tar.gz", "models/c++.tar.gz"),
        ("models/caf%C3%A9.tar.gz", "models/caf\u00e9.tar.gz"),
        ("models/100%25.tar.gz", "models/100%.tar.gz"),
        ("models/a%2Fb.tar.gz", "models/a/b.tar.gz"),
        ("models/plain.tar.gz", "models/plain.tar.gz"),
    ],
)
def test_keys_are_decoded_as_s3_encodes_them(encoded, decoded):
    assert decode_key(encoded) == decoded


def test_percent_escapes_that_are_not_utf8_are_malformed():
    with pytest.raises(MalformedEventError, match="does not decode to UTF-8"):
        decode_key("models/%C3.tar.gz")


def test_a_lone_surrogate_in_the_key_is_malformed():
    with pytest.raises(MalformedEventError, match="lone surrogate"):
        decode_key("models/\ud800.tar.gz")


def test_keys_longer_than_s3_allows_are_malformed():
    decode_key("k" * 1024)
    with pytest.raises(MalformedEventError, match="1024-byte limit"):
        decode_key("\u00e9" * 513)  # 1026 UTF-8 bytes


@pytest.mark.parametrize(
    ("key", "is_model"),
    [
        ("models/m.tar.gz", True),
        ("m.tar.gz", True),
        ("models/m.tar", False),
        ("models/m.tar.gz.md5", False),
        ("models/", False),
        ("models/m.tgz", False),
        ("models/m.TAR.GZ", False),
    ],
)
def test_only_tar_gz_keys_are_models(key, is_model):
    assert is_model_key(key) is is_model


def test_a_record_is_parsed_into_typed_fields():
    record = s3_record(
        "models/my model.tar.gz",
        event_time="2026-11-27T10:00:00.123Z",
        sequencer="0055AB",
        version_id="abc",
        etag="e1",
        size=7,
    )

    (parsed,) = parse_notification(event(record)).records

    assert parsed.key == "models/my model.tar.gz"
    assert parsed.occurred_at == datetime(2026, 11, 27, 10, 0, 0, 123000, tzinfo=UTC)
    assert (parsed.bucket, parsed.sequencer, parsed.version_id) == (
        "model-bucket-test",
        "0055AB",
        "abc",
    )
    assert (parsed.etag, parsed.size) == ("e1", 7)
    assert parsed.is_created
    assert parsed.is_model
    assert not parsed.is_removal


@pytest.mark.parametrize(
    ("event_time", "utc"),
    [
        ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),
        ("0001-01-01T00:00:00-14:00", datetime(1, 1, 1, 14, tzinfo=UTC)),
        ("9999-12-31T23:59:59.999Z", datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)),
        ("9999-12-31T23:59:59+14:00", datetime(9999, 12, 31, 9, 59, 59, tzinfo=UTC)),
    ],
)
def test_the_extreme_representable_times_are_accepted(event_time, utc):
    (parsed,) = parse_notification(event(s3_record("m.tar.gz", event_time=event_time))).records
    assert parsed.occurred_at == utc


@pytest.mark.parametrize(
    ("event_time", "message"),
    [
        ("0001-01-01T00:00:00+01:00", "outside years 1-9999"),
        ("0001-01-01T13:59:59+14:00", "outside years 1-9999"),
        ("9999-12-31T23:59:59-01:00", "outside years 1-9999"),
        ("9999-12-31T10:00:00-14:00", "outside years 1-9999"),
        ("2026-11-27T10:00:60Z", "is not an ISO-8601 time"),
        ("2026-11-27T10:00:00z", "is not an ISO-8601 time"),
        ("2026-11-27T10:00:00+24:00", "is not an ISO-8601 time"),
        ("2026-11-27T10:00:00", "has no time zone"),
    ],
)
def test_times_that_cannot_be_compared_in_utc_are_malformed(event_time, message):
    record = s3_record("m.tar.gz", event_time=event_time)
    with pytest.raises(MalformedEventError, match=f"Records\\[0\\].eventTime: .*{message}"):
        parse_notification(event(record))


def test_event_times_with_offsets_are_compared_in_utc():
    record = s3_record("m.tar.gz", event_time="2026-11-27T12:00:00+02:00")
    (parsed,) = parse_notification(event(record)).records
    assert parsed.occurred_at == datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def test_removals_may_omit_size_and_etag_and_an_unversioned_bucket_omits_version_id():
    removal = s3_record(
        "m.tar.gz", event_name="ObjectRemoved:Delete", etag=None, size=None, version_id=None
    )
    (parsed,) = parse_notification(event(removal)).records
    assert parsed.is_removal
    assert parsed.removes_one_version
    assert (parsed.size, parsed.etag, parsed.version_id) == (None, None, None)


def test_the_test_event_is_recognised():
    notification = parse_notification(s3_test_event("b"))
    assert notification.records == ()
    assert notification.test_event is not None
    assert notification.test_event.bucket == "b"


@pytest.mark.parametrize("value", [None, 3, "text", [], {"Event": "s3:Other"}])
def test_anything_else_is_malformed(value):
    with pytest.raises(MalformedEventError):
        parse_notification(value)


def test_a_record_without_a_sequencer_is_accepted():
    without = s3_record("m.tar.gz", event_name="ObjectCreated:CompleteMultipartUpload")
    del without["s3"]["object"]["sequencer"]

    (parsed,) = parse_notification(event(without)).records

    assert parsed.sequencer is None
    assert parsed.is_created


def test_the_shared_field_checks_have_the_bounds_events_and_stored_provenance_rely_on():
    # One definition, used by the event parser and by the provenance reader (ADR-0011).
    assert [is_hex(t) for t in ("0A", "ff", "", "0x1", "0A\n", "G")] == [
        True,
        True,
        False,
        False,
        False,
        False,
    ]
    assert [valid_size(n) for n in (-1, 0, MAX_OBJECT_SIZE, MAX_OBJECT_SIZE + 1)] == [
        False,
        True,
        True,
        False,
    ]
    assert is_json_type(3, int)
    assert not is_json_type(True, int)
    assert not is_json_type(False, (int, type(None)))
    assert is_json_type(None, (str, type(None)))
