"""Malformed events raise MalformedEventError (never a bare KeyError/TypeError/...), and
nothing is written."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

_REPO = Path(__file__).resolve().parents[2]
for _path in (_REPO / "lambda", _REPO / "tests" / "unit" / "handler"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from registration_errors import MalformedEventError  # noqa: E402
from registration_events import Notification, parse_notification  # noqa: E402
from registration_testkit import HandlerSandbox, event, invoke, s3_record  # noqa: E402

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)

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


def _mutate(record: dict, path: tuple, replacement) -> dict:
    mutated = copy.deepcopy(record)
    parent = mutated
    for part in path[:-1]:
        parent = parent[part]
    if replacement is _DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    return mutated


_DELETE = object()


@st.composite
def broken_required_field(draw):
    """A valid ObjectCreated record with one required field deleted or of the wrong type."""
    path, expected = draw(st.sampled_from(sorted(REQUIRED_FIELDS.items())))
    wrong = st.just(_DELETE) | JSON.filter(lambda v: not _has_type(v, expected))
    return _mutate(s3_record("models/m.tar.gz"), path, draw(wrong))


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


@given(malformed_events())
def test_malformed_events_raise_the_designated_error(bad_event):
    with pytest.raises(MalformedEventError):
        parse_notification(bad_event)


@st.composite
def any_mutation(draw):
    record = s3_record("models/m.tar.gz")
    path = draw(st.sampled_from(list(_all_paths(record))))
    return _mutate(record, path, draw(st.just(_DELETE) | JSON))


def _parse_or_error(notification):
    try:
        return parse_notification(notification)
    except MalformedEventError as error:
        return error


@given(st.lists(any_mutation(), min_size=1, max_size=3))
def test_any_mutated_event_parses_or_raises_only_the_designated_error(records):
    # Any other exception type escapes _parse_or_error and fails the test.
    result = _parse_or_error(event(*records))

    if isinstance(result, MalformedEventError):
        assert str(result)  # the message says what is wrong
    else:
        assert isinstance(result, Notification)


@pytest.fixture(scope="module")
def sandbox():
    with HandlerSandbox() as opened:
        yield opened


@settings(max_examples=max(10, settings.default.max_examples // 4))
@given(malformed_events())
def test_the_handler_raises_and_writes_nothing(sandbox, bad_event):
    sandbox.fresh_parameter()

    with pytest.raises(MalformedEventError):
        invoke(bad_event)

    assert sandbox.calls.ssm_calls() == 0
