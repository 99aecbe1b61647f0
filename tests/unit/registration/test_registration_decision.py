"""The decision logic as pure functions: no AWS, no moto."""

from __future__ import annotations

from datetime import UTC, datetime

from common.metrics import metric_data
from registration.decision import (
    ALERT_REGISTERED_MODEL_DELETED,
    ALERT_REGISTERED_MODEL_OVERWRITTEN,
    IGNORED,
    REGISTERED,
    decide,
    decide_test_event,
    needs_registered_state,
)
from registration.parameter_description import from_parameter_version
from registration.parameter_store import ParameterState, StoredVersion
from registration.registered_model import Registration
from registration.s3_events import ModelLocation, parse_notification
from registration.telemetry import Counts
from tests.unit.registration.registration_testkit import event, s3_record, s3_test_event


def records(*raw):
    return parse_notification(event(*raw)).records


def at(second: int) -> str:
    return f"2026-11-27T10:00:{second:02d}.000Z"


def registered(key="models/current.tar.gz", second=30, **fields) -> Registration:
    (record,) = records(s3_record(key, event_time=at(second), **fields))
    return Registration.from_event(record)


def test_nothing_registered_the_newest_upload_is_registered():
    batch = records(
        s3_record("models/a.tar.gz", event_time=at(1)),
        s3_record("models/c.tar.gz", event_time=at(3)),
        s3_record("models/b.tar.gz", event_time=at(2)),
    )

    decision = decide(batch, None)

    assert decision.registration.key == "models/c.tar.gz"
    assert [o.decision for o in decision.outcomes] == [IGNORED, REGISTERED, IGNORED]
    assert decision.outcomes[0].reason == "superseded by a newer model upload in the same event"


def test_uploads_older_than_or_equal_to_the_registered_one_write_nothing():
    current = registered(second=30)
    batch = records(
        s3_record("models/old.tar.gz", event_time=at(10)),
        s3_record("models/current.tar.gz", event_time=at(30)),
    )

    decision = decide(batch, current)

    assert decision.registration is None
    assert decision.outcomes[0].reason.startswith("older than the registered model")
    assert decision.outcomes[1].reason.startswith("duplicate of the registered model")


def test_identical_records_in_one_event_register_once():
    record = s3_record("models/a.tar.gz", event_time=at(5))

    decision = decide(records(record, record), None)

    assert [o.decision for o in decision.outcomes] == [REGISTERED, IGNORED]
    assert decision.outcomes[1].reason == "duplicate of a record in the same event"


def test_a_new_version_of_the_registered_key_is_registered_with_an_overwrite_alert():
    current = registered("models/a.tar.gz", second=10, version_id="v1")

    decision = decide(
        records(s3_record("models/a.tar.gz", event_time=at(20), version_id="v2")), current
    )

    assert decision.registration.version_id == "v2"
    assert decision.count_alert(ALERT_REGISTERED_MODEL_OVERWRITTEN) == 1
    assert decision.outcomes[0].alert == ALERT_REGISTERED_MODEL_OVERWRITTEN
    assert Counts.of(decision).overwritten == 1


def test_a_different_key_is_not_an_overwrite():
    decision = decide(records(s3_record("models/b.tar.gz", event_time=at(40))), registered())
    assert decision.registration.key == "models/b.tar.gz"
    assert decision.count_alert(ALERT_REGISTERED_MODEL_OVERWRITTEN) == 0


def test_non_model_keys_and_other_event_types_never_register():
    batch = records(
        s3_record("models/metrics.json", event_time=at(50)),
        s3_record("models/", event_time=at(51)),
        s3_record("models/m.tar.gz", event_time=at(52), event_name="ObjectTagging:Put"),
    )

    decision = decide(batch, None)

    assert decision.registration is None
    assert not needs_registered_state(batch)
    assert all(o.decision == IGNORED for o in decision.outcomes)


def removal(key="models/current.tar.gz", second=40, name="ObjectRemoved:DeleteMarkerCreated", **f):
    return s3_record(key, event_time=at(second), event_name=name, etag=None, size=None, **f)


def test_removing_the_registered_model_alerts_without_writing():
    decision = decide(records(removal()), registered())

    assert decision.registration is None
    assert decision.outcomes[0].alert == ALERT_REGISTERED_MODEL_DELETED
    assert Counts.of(decision) == Counts(ignored=1, deleted=1)


def test_removals_that_do_not_affect_the_registered_model_do_not_alert():
    current = registered(version_id="v1")
    cases = {
        "removed object is not the registered model": removal("models/other.tar.gz"),
        "removal happened before the registered upload": removal(second=5),
        "removed version is not the registered version": removal(
            name="ObjectRemoved:Delete", version_id="v0"
        ),
        "removed object is not a model artifact (no .tar.gz suffix)": removal("models/x.json"),
    }
    for reason, raw in cases.items():
        (outcome,) = decide(records(raw), current).outcomes
        assert outcome.reason == reason
        assert outcome.alert is None


def test_a_removal_is_judged_against_the_model_registered_by_the_same_event():
    batch = records(s3_record("models/new.tar.gz", event_time=at(45)), removal(second=46))

    decision = decide(batch, registered())

    assert decision.registration.key == "models/new.tar.gz"
    assert decision.outcomes[1].alert is None


def test_lifecycle_expiry_of_the_registered_model_alerts():
    raw = removal(name="LifecycleExpiration:DeleteMarkerCreated")
    assert decide(records(raw), registered()).outcomes[0].alert == ALERT_REGISTERED_MODEL_DELETED


def test_the_test_event_is_one_ignored_outcome():
    assert parse_notification(s3_test_event()).test_event is not None
    decision = decide_test_event()
    assert decision.registration is None
    assert Counts.of(decision) == Counts(ignored=1)


def test_metric_data_always_carries_all_six_counts():
    data = metric_data(Counts(registered=1, ignored=2).by_metric())
    assert {d["MetricName"]: d["Value"] for d in data} == {
        "ModelRegistered": 1,
        "EventIgnored": 2,
        "EventRejected": 0,
        "RegisteredModelDeleted": 0,
        "RegisteredModelOverwritten": 0,
        "UnverifiedUploadIgnored": 0,
    }
    assert {d["Unit"] for d in data} == {"Count"}


def _version(number: int, key: str, second: int) -> StoredVersion:
    return StoredVersion(number, registered(key, second=second))


def test_after_an_interleaved_write_the_newest_registration_since_the_read_is_restored():
    state = ParameterState(
        (
            _version(1, "models/base.tar.gz", 1),
            _version(2, "models/theirs.tar.gz", 50),
            _version(3, "models/ours.tar.gz", 40),
        )
    )
    assert state.newer_registration_since(1).key == "models/theirs.tar.gz"


def test_nothing_is_restored_when_the_latest_version_is_the_newest():
    state = ParameterState(
        (_version(1, "models/theirs.tar.gz", 30), _version(2, "models/ours.tar.gz", 40))
    )
    assert state.newer_registration_since(0) is None
    assert ParameterState().newer_registration_since(0) is None


def test_an_out_of_band_latest_version_is_compared_by_its_write_time():
    seed = from_parameter_version("models/seed.tar.gz", None, datetime(2026, 11, 27, tzinfo=UTC))
    state = ParameterState((StoredVersion(7, seed),))
    assert state.registered == seed
    assert state.latest_version == 7
    assert decide(records(s3_record("models/x.tar.gz", event_time=at(1))), seed).registration


LOCATION = ModelLocation(bucket="model-bucket-test", key_prefix="models/")


def test_records_outside_the_model_location_are_ignored_without_reading_state():
    batch = records(
        s3_record("drafts/new.tar.gz", event_time=at(50)),
        s3_record("models/new.tar.gz", event_time=at(51), bucket="other-bucket"),
        removal("drafts/current.tar.gz", second=52),
    )

    decision = decide(batch, registered(), LOCATION)

    assert not needs_registered_state(batch, LOCATION)
    assert needs_registered_state(batch)  # the same records, anywhere: they would be read
    assert decision.registration is None
    assert all(o.decision == IGNORED and o.unexpected for o in decision.outcomes)
    assert decision.outcomes[0].reason.startswith("key is outside the model prefix 'models/'")
    assert decision.outcomes[1].reason.startswith("bucket 'other-bucket' is not the model bucket")
    assert decision.outcomes[2].alert is None


def test_inside_the_model_location_records_are_decided_as_anywhere():
    batch = records(s3_record("models/new.tar.gz", event_time=at(50)))
    assert decide(batch, registered(), LOCATION) == decide(batch, registered())
    assert not decide(batch, registered(), LOCATION).outcomes[0].unexpected
