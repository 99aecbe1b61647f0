"""Malformed events raise MalformedEventError (never a bare KeyError/TypeError/
OverflowError/ValueError...), and nothing is written.

The generators reach the corners a hand-written event misses: times at the ends of the
representable range with offsets that push them past it (``0001-01-01T00:00:00+01:00``), leap
seconds, lowercase ``z``, missing zones; NaN, infinities, floats, booleans and integers beyond
64 bits (and beyond ``str()``'s 4300 digits) where integers belong; keys with lone surrogates
next to percent-escapes; sequencers with a trailing newline or non-ASCII digits.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from common.errors import NamedError
from registration.decision import MAX_EVENT_TIME_AHEAD, decide
from registration.parameter_description import from_parameter_version, to_description
from registration.registered_model import Registration
from registration.s3_events import MalformedEventError, Notification, parse_notification
from registration.telemetry import DecisionLog
from tests.unit.registration.registration_testkit import (
    DELETE,
    event,
    invoke,
    mutate,
    s3_record,
    uploaded,
)


class HugeInt(int):
    """An int too long for ``str()`` (4300 digits), with a repr Hypothesis can print when it
    reports a failing example; to the handler it is an int like any other."""

    def __repr__(self) -> str:
        return f"HugeInt(<{self.bit_length()}-bit integer>)"


# Values a JSON parser can hand the handler that ordinary generators rarely draw: Python's
# json accepts NaN and Infinity; integers have no size limit; strings may hold lone surrogates.
EDGE_SCALARS = st.sampled_from(
    [
        float("nan"),
        float("inf"),
        float("-inf"),
        -0.0,
        1024.0,
        2**63 - 1,
        2**63,
        -(2**63),
        HugeInt(10**5000),
        "",
        "%",
        "%C3",
        "%41\ud800",
        "\ud800",
        "0A\n",
        "\u0661\u0662",
        "models/m.tar.gz",
        "2026-11-27T10:00:00.000Z",
    ]
)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=10)
    | st.text(st.characters(codec=None, categories=("Cs", "Nd", "Po")), max_size=4)
    | EDGE_SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def _general_times(draw) -> str:
    """ISO-8601-like times, valid and not: any field at or past its bounds, any zone form."""
    year = draw(st.sampled_from([1, 2, 1970, 2026, 9998, 9999]) | st.integers(0, 10000))
    month = draw(st.sampled_from([1, 2, 12]) | st.integers(0, 13))
    day = draw(st.sampled_from([1, 28, 29, 30, 31]) | st.integers(0, 32))
    hour = draw(st.sampled_from([0, 23, 24]) | st.integers(0, 25))
    minute = draw(st.sampled_from([0, 59, 60]))
    second = draw(st.sampled_from([0, 59, 60, 61]))
    fraction = draw(st.sampled_from(["", ".0", ".123", ".999999", ".123456789", "."]))
    separator = draw(st.sampled_from(["T", "t", " "]))
    zone = draw(ZONES)
    return (
        f"{year:04d}-{month:02d}-{day:02d}{separator}{hour:02d}:{minute:02d}:{second:02d}"
        f"{fraction}{zone}"
    )


_OFFSETS = st.builds(
    lambda sign, hours, minutes: f"{sign}{hours:02d}:{minutes:02d}",
    st.sampled_from("+-"),
    st.sampled_from([0, 1, 13, 14, 23, 24]) | st.integers(0, 25),
    st.sampled_from([0, 30, 59, 60]),
)
ZONES = (
    st.sampled_from(
        ["Z", "z", "", "+00:00", "-00:00", "+14:00", "-14:00", "+0100", "+01", "+05:30:15"]
    )
    | _OFFSETS
)


@st.composite
def _times_at_the_ends_of_the_range(draw) -> str:
    """The first and last days of the representable range, with offsets that can push the
    instant past them once converted to UTC."""
    day = draw(st.sampled_from(["0001-01-01", "9999-12-31"]))
    hour, minute = draw(st.integers(0, 23)), draw(st.integers(0, 59))
    return f"{day}T{hour:02d}:{minute:02d}:00{draw(ZONES)}"


EVENT_TIMES = _times_at_the_ends_of_the_range() | _general_times()

# Fields an ObjectCreated record cannot do without, with the JSON type each must have.
REQUIRED_FIELDS = {
    ("eventSource",): str,
    ("eventVersion",): str,
    ("eventName",): str,
    ("eventTime",): str,
    ("s3",): dict,
    ("s3", "bucket"): dict,
    ("s3", "bucket", "name"): str,
    ("s3", "object"): dict,
    ("s3", "object", "key"): str,
    ("s3", "object", "eTag"): str,
    ("s3", "object", "size"): int,
}


def _has_type(value, expected: type) -> bool:
    return isinstance(value, expected) and not (expected is int and isinstance(value, bool))


def _all_paths(value, prefix=()):
    if isinstance(value, dict):
        for name, child in value.items():
            yield (*prefix, name)
            yield from _all_paths(child, (*prefix, name))


@st.composite
def broken_required_field(draw):
    """A valid ObjectCreated record with one required field deleted or of the wrong type."""
    path, expected = draw(st.sampled_from(sorted(REQUIRED_FIELDS.items())))
    wrong = st.just(DELETE) | JSON.filter(lambda v: not _has_type(v, expected))
    return mutate(s3_record("models/m.tar.gz"), path, draw(wrong))


@st.composite
def malformed_events(draw):
    """A broken record, alone or among valid ones, or a value that is no notification at all."""
    bad = draw(broken_required_field())
    position = draw(st.integers(0, 2))
    good = [s3_record(f"models/g{i}.tar.gz") for i in range(draw(st.integers(0, 2)))]
    batch = [*good[:position], bad, *good[position:]]
    top_level = JSON.filter(
        lambda v: not (isinstance(v, dict) and ("Records" in v or "Event" in v))
    )
    return draw(st.one_of(st.just(event(*batch)), top_level))


def _parse_or_error(notification):
    try:
        return parse_notification(notification)
    except MalformedEventError as error:
        return error


@given(EVENT_TIMES)
@example("0001-01-01T00:00:00+01:00")
@example("9999-12-31T23:59:59-01:00")
@example("2026-12-31T23:59:60Z")
@example("2026-11-27T10:00:00z")
def test_any_event_time_parses_to_utc_or_is_malformed(event_time):
    # Any other exception type (OverflowError, ValueError) escapes and fails the test.
    result = _parse_or_error(event(s3_record("models/m.tar.gz", event_time=event_time)))

    if isinstance(result, MalformedEventError):
        assert str(result).startswith("Records[0].eventTime: ")
        return
    (record,) = result.records
    assert record.occurred_at.utcoffset() == timedelta(0)
    # The time is stored in the registration's provenance and must read back as the same
    # ordering state, even at the ends of the range.
    registration = Registration.from_event(record)
    stored = from_parameter_version(record.key, to_description(registration), record.occurred_at)
    assert stored == registration


@given(malformed_events())
def test_malformed_events_raise_the_designated_error(bad_event):
    with pytest.raises(MalformedEventError):
        parse_notification(bad_event)


@st.composite
def any_mutation(draw):
    record = s3_record("models/m.tar.gz")
    path = draw(st.sampled_from(list(_all_paths(record))))
    return mutate(record, path, draw(st.just(DELETE) | JSON))


# Values of the right JSON type that are still wrong, or right only at the edge: these pass a
# type check, so whatever handles them next (ordering, logging, the provenance) must cope.
_EDGE_STRINGS = ["", "%", "%41\ud800", "\ud800", "0A\n", "\u0661\u0662", "x" * 1100]
TYPED_EDGES = {
    ("eventName",): ["ObjectCreated:", "ObjectCreated:Put\n", *_EDGE_STRINGS],
    ("eventVersion",): ["2", "2.", "2.999999", "\u0662.1", *_EDGE_STRINGS],
    ("eventTime",): ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", *_EDGE_STRINGS],
    ("s3", "bucket", "name"): _EDGE_STRINGS,
    ("s3", "object", "key"): ["%2e%2e/m.tar.gz", "%00.tar.gz", *_EDGE_STRINGS],
    ("s3", "object", "sequencer"): ["0" * 5000, "f" * 5000, *_EDGE_STRINGS],
    ("s3", "object", "versionId"): _EDGE_STRINGS,
    ("s3", "object", "eTag"): _EDGE_STRINGS,
    ("s3", "object", "size"): [0, -1, 2**63 - 1, 2**63, HugeInt(10**5000), True, 1024.0],
}


@st.composite
def typed_edge_mutation(draw):
    path = draw(st.sampled_from(sorted(TYPED_EDGES)))
    return mutate(s3_record("models/m.tar.gz"), path, draw(st.sampled_from(TYPED_EDGES[path])))


MUTATED_RECORDS = st.lists(any_mutation() | typed_edge_mutation(), min_size=1, max_size=3)


@given(MUTATED_RECORDS)
@example([mutate(s3_record("models/m.tar.gz"), ("s3", "object", "size"), HugeInt(10**5000))])
def test_any_accepted_record_can_be_ordered_logged_and_stored(records):
    """What the handler does with a parsed record, without AWS: order it, log it, store its
    provenance. Only MalformedEventError may stop it (a provenance too long to store)."""
    result = _parse_or_error(event(*records))
    if isinstance(result, MalformedEventError):
        return
    decision = decide(result.records, None)
    for outcome in decision.outcomes:
        DecisionLog(request_id="r", stream=io.StringIO()).outcome(outcome)
    if decision.registration is not None:
        stored = _description_or_error(decision.registration)
        assert isinstance(stored, str) or "a parameter description holds 1024" in str(stored)


def _description_or_error(registration):
    try:
        return to_description(registration)
    except MalformedEventError as error:
        return error


@given(MUTATED_RECORDS)
def test_any_mutated_event_parses_or_raises_only_the_designated_error(records):
    # Any other exception type escapes _parse_or_error and fails the test.
    result = _parse_or_error(event(*records))

    if isinstance(result, MalformedEventError):
        assert str(result)  # the message says what is wrong
    else:
        assert isinstance(result, Notification)


@settings(max_examples=max(10, settings.default.max_examples // 4))
@given(malformed_events())
def test_the_handler_raises_and_writes_nothing(sandbox, bad_event):
    sandbox.fresh_parameter()

    with pytest.raises(MalformedEventError):
        invoke(bad_event)

    assert sandbox.calls.ssm_calls() == 0


@settings(max_examples=max(10, settings.default.max_examples // 4))
@given(EVENT_TIMES)
@example("0001-01-01T00:00:00+01:00")
def test_the_handler_registers_or_rejects_any_event_time(sandbox, event_time):
    name = sandbox.fresh_parameter()

    record = uploaded(sandbox.s3, s3_record("models/m.tar.gz", event_time=event_time))
    try:
        result = invoke(event(record))
    except MalformedEventError:
        assert sandbox.calls.ssm_calls() == 0
        return
    (parsed,) = parse_notification(event(record)).records
    if parsed.occurred_at > datetime.now(UTC) + MAX_EVENT_TIME_AHEAD:
        # Dated further ahead than S3's clock could be: refused (ADR-0017).
        assert result["decisions"] == ["rejected"]
        assert sandbox.calls["ssm.PutParameter"] == 0
    else:
        assert result["registeredKey"] == "models/m.tar.gz"
        assert sandbox.calls["ssm.PutParameter"] == 1
        assert sandbox.ssm.get_parameter(Name=name)["Parameter"]["Value"] == "models/m.tar.gz"


@settings(max_examples=max(10, settings.default.max_examples // 4))
@given(MUTATED_RECORDS)
def test_the_handler_answers_any_mutated_event_or_raises_only_its_own_errors(sandbox, records):
    # Past parsing too: logging, the provenance and the metrics see the same values.
    sandbox.fresh_parameter()

    try:
        invoke(event(*records))
    except MalformedEventError:
        assert sandbox.calls["ssm.PutParameter"] == 0
    except NamedError as error:  # pragma: no cover - a failure path, shown if hit
        pytest.fail(f"{type(error).__name__} from a mutated event: {error}")
