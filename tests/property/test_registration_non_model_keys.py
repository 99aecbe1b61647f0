"""Keys that are not model artifacts never change the parameter, whatever the event type."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from registration.decision import REGISTERED, decide, needs_registered_state
from registration.s3_events import parse_notification
from tests.unit.registration.registration_testkit import (
    event,
    history,
    invoke,
    s3_record,
    uploaded,
)

NON_MODEL_KEYS = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40),
    st.sampled_from(["models/", "models/m.tar", "models/m.tgz", "models/m.tar.gz.md5"]),
    st.text(min_size=1, max_size=20).map(lambda s: s + ".tar.gz/"),
).filter(lambda key: not key.endswith(".tar.gz"))
EVENT_NAMES = st.sampled_from(
    [
        "ObjectCreated:Put",
        "ObjectCreated:Post",
        "ObjectCreated:Copy",
        "ObjectCreated:CompleteMultipartUpload",
        "ObjectRemoved:Delete",
        "ObjectRemoved:DeleteMarkerCreated",
        "LifecycleExpiration:Delete",
        "ObjectTagging:Put",
        "ObjectRestore:Completed",
    ]
)
NON_MODEL_RECORDS = st.builds(
    lambda key, name, second: s3_record(
        key, event_name=name, event_time=f"2026-11-27T11:00:{second:02d}.000Z"
    ),
    NON_MODEL_KEYS,
    EVENT_NAMES,
    st.integers(0, 59),
)


@given(st.lists(NON_MODEL_RECORDS, min_size=1, max_size=5))
def test_non_model_records_never_register_nor_need_the_registered_state(raw_records):
    records = parse_notification(event(*raw_records)).records

    assert not needs_registered_state(records)
    decision = decide(records, None)
    assert decision.registration is None
    assert all(outcome.decision != REGISTERED for outcome in decision.outcomes)


@settings(max_examples=max(10, settings.default.max_examples // 4))
@given(st.lists(NON_MODEL_RECORDS, min_size=1, max_size=5))
def test_the_handler_never_reads_or_writes_the_parameter_for_them(sandbox, raw_records):
    name = sandbox.fresh_parameter()
    invoke(event(uploaded(sandbox.s3, s3_record("models/registered.tar.gz"))))
    sandbox.calls.calls.clear()

    invoke(event(*raw_records))

    assert sandbox.calls.ssm_calls() == 0
    assert [v["Value"] for v in history(sandbox.ssm, name)] == ["models/registered.tar.gz"]
