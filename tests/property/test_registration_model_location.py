"""With MODEL_BUCKET and MODEL_KEY_PREFIX set, records outside that location never write, never
read the parameter, never raise an alert, and never stop a record inside it from registering
(ADR-0016). The oracle is plain string logic, written apart from ``ModelLocation``.
"""

from __future__ import annotations

import json
import os

from hypothesis import given, settings
from hypothesis import strategies as st

from registration.decision import REGISTERED, decide, needs_registered_state
from registration.s3_events import ModelLocation, parse_notification
from tests.unit.registration.registration_testkit import (
    BUCKET,
    event,
    history,
    invoke,
    registered_value,
    s3_record,
    uploaded,
)

BUCKETS = [BUCKET, "other-bucket", f"{BUCKET}-2"]
PREFIXES = ["", "models/", "models", "models/sub/", "m"]
KEY_STEMS = st.sampled_from(
    ["models/a", "models-old/b", "other/models/c", "models/sub/d", "Models/e", "f", "models"]
) | st.text(st.sampled_from("models/ +%\u00e9"), min_size=1, max_size=12)
EVENT_NAMES = ["ObjectCreated:Put", "ObjectCreated:Put", "ObjectRemoved:DeleteMarkerCreated"]


@st.composite
def located_batches(draw):
    """A location, and batches of records (strictly increasing times) in and out of it."""
    bucket = draw(st.sampled_from(["", BUCKET]))
    prefix = draw(st.sampled_from(PREFIXES))
    records = []
    for second in range(draw(st.integers(1, 6))):
        key = draw(KEY_STEMS) + draw(st.sampled_from([".tar.gz", ".tar.gz", ".json"]))
        name = draw(st.sampled_from(EVENT_NAMES))
        record = s3_record(
            key,
            bucket=draw(st.sampled_from(BUCKETS)),
            event_name=name,
            event_time=f"2026-11-27T10:00:{second:02d}.000Z",
            sequencer=f"{second + 1:02X}",
            version_id=f"v{second}",
            etag=None if name.startswith("ObjectRemoved") else "e",
            size=None if name.startswith("ObjectRemoved") else 1,
        )
        records.append(record)
    size = draw(st.integers(1, len(records)))
    batches = [records[i : i + size] for i in range(0, len(records), size)]
    return bucket, prefix, batches


def inside(record: dict, bucket: str, prefix: str) -> bool:
    key = parse_notification(event(record)).records[0].key
    return (not bucket or record["s3"]["bucket"]["name"] == bucket) and key.startswith(prefix)


def newest_inside_upload(batches, bucket: str, prefix: str) -> str | None:
    uploads = [
        parse_notification(event(r)).records[0].key
        for batch in batches
        for r in batch
        if r["eventName"].startswith("ObjectCreated:")
        and inside(r, bucket, prefix)
        and parse_notification(event(r)).records[0].is_model
    ]
    return uploads[-1] if uploads else None  # times increase with position


@given(located_batches())
def test_decisions_never_register_or_read_for_a_record_outside_the_location(case):
    bucket, prefix, batches = case
    location = ModelLocation(bucket=bucket, key_prefix=prefix)
    for batch in batches:
        records = parse_notification(event(*batch)).records
        decision = decide(records, None, location)
        for raw, outcome in zip(batch, decision.outcomes, strict=True):
            if not inside(raw, bucket, prefix):
                assert outcome.decision != REGISTERED
                assert outcome.unexpected
                assert outcome.alert is None
        if not any(inside(raw, bucket, prefix) for raw in batch):
            assert not needs_registered_state(records, location)


@settings(max_examples=max(10, settings.default.max_examples // 4))
@given(located_batches())
def test_the_handler_only_ever_registers_models_inside_the_location(sandbox, case):
    bucket, prefix, batches = case
    name = sandbox.fresh_parameter()
    os.environ["MODEL_BUCKET"] = bucket
    os.environ["MODEL_KEY_PREFIX"] = prefix
    # Uploads written on moto, so the handler's HeadObject confirms them (ADR-0017).
    batches = [
        [uploaded(sandbox.s3, r) if r["eventName"].startswith("ObjectCreated:") else r for r in b]
        for b in batches
    ]

    for batch in batches:
        before = sandbox.calls.ssm_calls()
        result = invoke(event(*batch))
        if not any(inside(raw, bucket, prefix) for raw in batch):
            assert sandbox.calls.ssm_calls() == before  # not even a read
            assert result["alerts"] == []

    assert registered_value(sandbox.ssm, name) == newest_inside_upload(batches, bucket, prefix)
    for version in history(sandbox.ssm, name) if registered_value(sandbox.ssm, name) else []:
        assert version["Value"].startswith(prefix)
        assert not bucket or json.loads(version["Description"])["bucket"] == bucket
