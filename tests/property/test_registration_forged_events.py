"""No event and no stored description can hold back a later genuine upload (ADR-0017).

An attacker may invoke the function with any events (any eventTime, any sequencer, any key,
even naming real object versions, so S3's confirmation is assumed to pass) at any moments, and
may write any Description into the parameter with ssm:PutParameter. A genuine upload made more
than MAX_EVENT_TIME_AHEAD after the last of those writes, delivered with S3's eventTime (never
after the function's clock), is still registered: events dated beyond the function's clock +
15 minutes are refused, and a stored eventTime counts as at most its version's write time + 15
minutes.

The fold mirrors the handler: each registration is written (LastModifiedDate = the moment it
was processed) and read back through the parameter description, as the next invocation would.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import example, given
from hypothesis import strategies as st

from registration.decision import MAX_EVENT_TIME_AHEAD, REGISTERED, decide
from registration.parameter_description import from_parameter_version, to_description
from registration.registered_model import order_key
from registration.s3_events import parse_notification
from tests.unit.registration.registration_testkit import BUCKET, event, iso, s3_record

START = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)

MOMENTS = st.datetimes(
    min_value=START.replace(tzinfo=None), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)
EVENT_TIMES = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=LATEST.replace(tzinfo=None), timezones=st.just(UTC)
)
SEQUENCERS = st.text("0123456789ABCDEF", min_size=1, max_size=40)
KEYS = st.sampled_from(["models/a.tar.gz", "models/z.tar.gz", "models/\uffff.tar.gz"])


@st.composite
def forged_event(draw):
    """One invocation: the moment it runs and the upload record it is given."""
    record = s3_record(
        draw(KEYS),
        event_time=iso(draw(EVENT_TIMES)),
        sequencer=draw(SEQUENCERS),
        version_id=draw(st.text("abcdef0123456789", min_size=1, max_size=8)),
    )
    return draw(MOMENTS), record


@st.composite
def stored_description(draw):
    """What anyone with ssm:PutParameter may have written: our schema with any eventTime and
    sequencer, or anything else."""
    fields = {
        "schema": "model-registration/1",
        "origin": "s3-event",
        "bucket": BUCKET,
        "eventName": "ObjectCreated:Put",
        "eventTime": iso(draw(EVENT_TIMES)),
        "sequencer": draw(SEQUENCERS),
        "versionId": "v",
        "eTag": "e",
        "size": 1,
    }
    return draw(st.just(json.dumps(fields)) | st.text(max_size=40))


def _register(records, registered, now):
    decision = decide(parse_notification(event(*records)).records, registered, now=now)
    if decision.registration is None:
        return registered, None
    # Written at ``now``, read back by the next invocation through the description.
    description = to_description(decision.registration)
    return from_parameter_version(decision.registration.key, description, now), now


@given(
    stored=st.none() | st.tuples(stored_description(), MOMENTS),
    forged=st.lists(forged_event(), max_size=5),
    later=st.timedeltas(min_value=timedelta(milliseconds=1), max_value=timedelta(days=400)),
    delivery_lag=st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=6)),
    genuine_sequencer=SEQUENCERS,
)
@example(
    stored=(
        json.dumps(
            {
                "schema": "model-registration/1",
                "origin": "s3-event",
                "eventTime": "2099-01-01T00:00:00.000Z",
                "sequencer": "FF",
            }
        ),
        START,
    ),
    forged=[(START, s3_record("models/z.tar.gz", event_time="2099-01-01T00:00:00.000Z"))],
    later=timedelta(minutes=16),
    delivery_lag=timedelta(0),
    genuine_sequencer="0",
)
def test_no_event_or_description_holds_back_a_later_genuine_upload(
    stored, forged, later, delivery_lag, genuine_sequencer
):
    registered = None
    last_write = None
    if stored is not None:
        description, written_at = stored
        registered = from_parameter_version("models/stored.tar.gz", description, written_at)
        last_write = written_at
    for now, record in sorted(forged, key=lambda item: item[0]):
        registered, written = _register([record], registered, now)
        last_write = written or last_write

    # The genuine upload happens more than the allowed skew after the last write (or at any
    # time if nothing was written), and is delivered (processed) a little later.
    happened = (last_write or START) + MAX_EVENT_TIME_AHEAD + later
    genuine = s3_record(
        "models/genuine.tar.gz", event_time=iso(happened), sequencer=genuine_sequencer
    )
    [parsed] = parse_notification(event(genuine)).records
    decision = decide([parsed], registered, now=parsed.occurred_at + delivery_lag)

    assert [o.decision for o in decision.outcomes] == [REGISTERED]
    assert decision.registration.key == "models/genuine.tar.gz"


@given(description=stored_description(), written_at=MOMENTS)
def test_a_stored_event_time_counts_as_at_most_its_write_plus_the_skew(description, written_at):
    stored = from_parameter_version("models/stored.tar.gz", description, written_at)

    assert stored.occurred_at <= written_at + MAX_EVENT_TIME_AHEAD
    just_after = s3_record(
        "models/next.tar.gz",
        event_time=iso(written_at + MAX_EVENT_TIME_AHEAD + timedelta(milliseconds=1)),
    )
    [parsed] = parse_notification(event(just_after)).records
    assert order_key(parsed) > order_key(stored)


@given(forged_event())
def test_an_event_dated_beyond_the_skew_is_never_registered(case):
    now, record = case
    [parsed] = parse_notification(event(record)).records

    decision = decide([parsed], None, now=now)

    if parsed.occurred_at > now + MAX_EVENT_TIME_AHEAD:
        assert decision.registration is None
        assert [o.decision for o in decision.outcomes] == ["rejected"]
    else:
        assert decision.registration is not None
