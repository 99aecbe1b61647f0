"""What "newer" means, and when two uploads are the same object (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

from registration.parameter_description import from_parameter_version
from registration.registered_model import order_key, same_object
from registration.s3_events import parse_notification
from tests.unit.registration.registration_testkit import event, s3_record


def parsed(key="m.tar.gz", **fields):
    (record,) = parse_notification(event(s3_record(key, **fields))).records
    return record


def test_a_later_event_time_is_newer_whatever_the_sequencers():
    early = parsed("b.tar.gz", event_time="2026-11-27T10:00:00.000Z", sequencer="FFFF")
    late = parsed("a.tar.gz", event_time="2026-11-27T10:00:00.001Z", sequencer="01")
    assert order_key(late) > order_key(early)


def test_for_one_key_at_the_same_time_the_sequencer_decides_as_a_hex_number():
    time = "2026-11-27T10:00:00.000Z"
    # "FF" > "0100" as text; as numbers 0x100 > 0xFF. Left-padding, case and leading zeros
    # must not matter.
    lower = parsed(event_time=time, sequencer="FF")
    higher = parsed(event_time=time, sequencer="0100")
    assert order_key(higher) > order_key(lower)
    assert order_key(parsed(event_time=time, sequencer="00ab")) == order_key(
        parsed(event_time=time, sequencer="AB")
    )


def test_different_keys_at_the_same_time_are_ordered_by_key_deterministically():
    time = "2026-11-27T10:00:00.000Z"
    a = parsed("models/a.tar.gz", event_time=time, sequencer="FF")
    b = parsed("models/b.tar.gz", event_time=time, sequencer="01")
    # Sequencers of different keys are not comparable; the key name breaks the tie.
    assert order_key(b) > order_key(a)


def test_identical_deliveries_have_equal_keys_and_distinct_uploads_do_not():
    assert order_key(parsed(version_id="v1")) == order_key(parsed(version_id="v1"))
    assert order_key(parsed(version_id="v1")) != order_key(parsed(version_id="v2"))


def test_an_out_of_band_value_matches_an_upload_of_the_same_key_in_any_bucket():
    seed = from_parameter_version("models/a.tar.gz", None, datetime(2026, 1, 1, tzinfo=UTC))
    assert same_object(parsed("models/a.tar.gz"), seed)
    assert not same_object(parsed("models/b.tar.gz"), seed)
    assert not same_object(parsed("models/a.tar.gz", bucket="other"), parsed("models/a.tar.gz"))


def test_without_a_sequencer_a_record_orders_below_the_same_record_with_one():
    time = "2026-11-27T10:00:00.000Z"
    with_sequencer = parsed(event_time=time, sequencer="00")
    without = s3_record("m.tar.gz", event_time=time)
    del without["s3"]["object"]["sequencer"]
    (without_sequencer,) = parse_notification(event(without)).records
    assert order_key(with_sequencer) > order_key(without_sequencer)
