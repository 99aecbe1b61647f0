"""The provenance kept in the parameter version's Description: the codec (pure)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from registration.parameter_description import from_parameter_version, to_description
from registration.registered_model import ORIGIN_OUT_OF_BAND, Registration
from registration.s3_events import MalformedEventError, parse_notification
from tests.unit.registration.registration_testkit import event, s3_record


def parsed(key="m.tar.gz", **fields):
    (record,) = parse_notification(event(s3_record(key, **fields))).records
    return record


def test_provenance_round_trips_through_the_description():
    registration = Registration.from_event(
        parsed("models/x y.tar.gz", sequencer="0A1B", version_id="v9", etag="e", size=5)
    )

    description = to_description(registration)
    restored = from_parameter_version(
        "models/x y.tar.gz", description, datetime(2030, 1, 1, tzinfo=UTC)
    )

    assert restored == registration
    assert len(description) <= 1024
    assert json.loads(description)["schema"] == "model-registration/1"


@pytest.mark.parametrize(
    "description",
    [
        None,
        "",
        "created by the Lambda stack",
        "[1, 2]",
        json.dumps({"schema": "something-else/1", "eventTime": "2026-11-27T10:00:00Z"}),
        json.dumps({"schema": "model-registration/1", "origin": "s3-event", "eventTime": 5}),
        json.dumps({"schema": "model-registration/1", "origin": "s3-event", "eventTime": "x"}),
        json.dumps(
            {
                "schema": "model-registration/1",
                "origin": "s3-event",
                "eventTime": "2026-11-27T10:00:00Z",
                "sequencer": "not hex",
            }
        ),
        # A valid ISO-8601 time whose UTC instant is before year 1 (OverflowError).
        json.dumps(
            {
                "schema": "model-registration/1",
                "origin": "s3-event",
                "eventTime": "0001-01-01T00:00:00+01:00",
            }
        ),
        json.dumps(
            {
                "schema": "model-registration/1",
                "origin": "s3-event",
                "eventTime": "2026-11-27T10:00:00Z",
                "sequencer": "0A\n",
            }
        ),
        *(
            json.dumps(
                {
                    "schema": "model-registration/1",
                    "origin": "s3-event",
                    "eventTime": "2026-11-27T10:00:00Z",
                    "size": size,
                }
            )
            for size in (-1, 2**63, True)
        ),
        # Nested deeper than json's recursion limit: RecursionError, not ValueError.
        "[" * 1024,
    ],
)
def test_a_version_without_valid_provenance_counts_from_its_write_time(description):
    written = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

    registration = from_parameter_version("models/seed.tar.gz", description, written)

    assert registration.origin == ORIGIN_OUT_OF_BAND
    assert registration.occurred_at == written
    assert registration.key == "models/seed.tar.gz"
    assert registration.bucket is None


def test_a_provenance_too_long_for_a_description_is_refused_before_any_write():
    registration = Registration.from_event(parsed(version_id="v" * 1100))
    with pytest.raises(MalformedEventError, match="a parameter description holds 1024"):
        to_description(registration)
