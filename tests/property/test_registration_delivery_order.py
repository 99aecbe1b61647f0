"""For any uploads and any permutation, duplication and batching of their at-least-once
deliveries, the parameter ends at the newest upload's key and never moves back.

The oracle is written independently of the handler's ``order_key``: uploads are generated in
creation order (non-decreasing eventTime, S3 sequencers growing with creation, rendered with
random zero-padding and case), and "newest" is the last-created upload among those with the
latest eventTime, ties between different keys going to the greatest key (ADR-0011).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from registration.decision import decide
from registration.s3_events import parse_notification
from tests.unit.registration.registration_testkit import (
    event,
    history,
    invoke,
    latest_provenance,
    registered_value,
    s3_record,
    uploaded,
)

MODEL_KEYS = ["models/a.tar.gz", "models/b +c.tar.gz", "models/\u00e9.tar.gz"]
OTHER_KEYS = ["models/a.tar.gz.sha256", "models/metrics.json", "models/"]


@dataclass(frozen=True)
class Upload:
    index: int
    key: str
    millisecond: int
    record: dict

    @property
    def is_model(self) -> bool:
        return self.key in MODEL_KEYS

    def oracle_rank(self) -> tuple:
        # Later time first; equal times: greater key; same key: later creation.
        return (self.millisecond, self.key, self.index)


@st.composite
def uploads_and_batches(draw):
    count = draw(st.integers(1, 6))
    uploads = []
    millisecond = 0
    sequence = 0x5A00
    for index in range(count):
        key = draw(st.sampled_from(MODEL_KEYS * 2 + OTHER_KEYS))
        millisecond += draw(st.sampled_from([0, 0, 0, 1, 250]))  # equal times are common
        sequence += draw(st.integers(1, 0x300))  # S3 sequencers grow with creation
        sequencer = draw(st.sampled_from(["{:X}", "{:x}", "{:016X}", "00{:X}"])).format(sequence)
        seconds, ms = divmod(millisecond, 1000)
        record = s3_record(
            key,
            event_time=f"2026-11-27T10:{seconds // 60:02d}:{seconds % 60:02d}.{ms:03d}Z",
            sequencer=sequencer,
            # Opaque, as S3's are: their order must not stand in for the creation order.
            version_id=f"{draw(st.integers(0, 2**64)):016x}-{index}",
            etag=f"{draw(st.integers(0, 2**128)):032x}",
        )
        uploads.append(Upload(index, key, millisecond, record))
    # At least once: every upload is delivered, some more than once, in any order.
    extra = draw(st.lists(st.integers(0, count - 1), max_size=count))
    deliveries = draw(st.permutations(list(range(count)) + extra))
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(deliveries) - 1)))))
    bounds = [0, *[c for c in cuts if c < len(deliveries)], len(deliveries)]
    batches = [deliveries[a:b] for a, b in pairwise(bounds) if b > a]
    return uploads, batches


def newest_model(uploads):
    models = [u for u in uploads if u.is_model]
    return max(models, key=Upload.oracle_rank) if models else None


@given(uploads_and_batches())
def test_folding_the_decision_over_any_delivery_ends_at_the_newest_upload(case):
    uploads, batches = case
    by_version = {u.record["s3"]["object"]["versionId"]: u for u in uploads}
    registered = None
    written_ranks = []
    for batch in batches:
        records = parse_notification(event(*(uploads[i].record for i in batch))).records
        decision = decide(records, registered)
        if decision.registration is not None:
            registered = decision.registration
            written_ranks.append(by_version[registered.version_id].oracle_rank())

    expected = newest_model(uploads)
    if expected is None:
        assert registered is None
    else:
        assert registered.key == expected.key
        assert registered.version_id == expected.record["s3"]["object"]["versionId"]
    # Never back: every write is newer than the one before it.
    assert written_ranks == sorted(set(written_ranks))


@settings(max_examples=max(10, settings.default.max_examples // 4))
@given(uploads_and_batches())
def test_the_handler_on_moto_ends_at_the_newest_upload_with_at_most_one_put_per_event(
    sandbox, case
):
    uploads, batches = case
    name = sandbox.fresh_parameter()
    # Each upload written on moto, so the handler's HeadObject confirms it (ADR-0017).
    uploads = [replace(u, record=uploaded(sandbox.s3, u.record)) for u in uploads]

    for batch in batches:
        before = sandbox.calls["ssm.PutParameter"]
        invoke(event(*(uploads[i].record for i in batch)))
        assert sandbox.calls["ssm.PutParameter"] - before <= 1

    expected = newest_model(uploads)
    if expected is None:
        assert registered_value(sandbox.ssm, name) is None
        assert sandbox.calls["ssm.PutParameter"] == 0
    else:
        assert registered_value(sandbox.ssm, name) == expected.key
        assert (
            latest_provenance(sandbox.ssm, name)["versionId"]
            == (expected.record["s3"]["object"]["versionId"])
        )
        assert len(history(sandbox.ssm, name)) == sandbox.calls["ssm.PutParameter"]
