"""The registry flow's guarantees for any deliveries (ADR-0071), on moto through the handler:
for any set of uploads with arbitrary metrics and any permutation, duplication and batching of
their S3 deliveries, there is exactly one package per upload and the parameter names the newest
approved upload; when nothing has a metrics file (the default policy approves), that is the
newest upload, exactly as in the plain flow."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from registration.registered_model import Registration, order_key
from registration.s3_events import parse_notification
from tests.unit.model_registry.registry_testkit import RegistrySandbox, metrics_body

# A few values, so that ties, regressions within and beyond the tolerance all occur.
ACCURACY = st.sampled_from([0.80, 0.85, 0.853, 0.86, 0.9])
METRICS = st.one_of(
    st.none(), ACCURACY.map(lambda accuracy: metrics_body(accuracy=accuracy)), st.just(b"{}")
)


@st.composite
def deliveries(draw, uploads: int) -> list[list[int]]:
    """Every upload delivered at least once, some twice or more, in any order, in batches."""
    order = draw(st.permutations(range(uploads)))
    extra = draw(st.lists(st.integers(0, uploads - 1), max_size=uploads))
    sequence = draw(st.permutations([*order, *extra]))
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(sequence) - 1)), max_size=3)))
    bounds = [0, *[c for c in cuts if c < len(sequence)], len(sequence)]
    return [sequence[a:b] for a, b in itertools.pairwise(bounds) if b > a]


SCENARIO = st.lists(METRICS, min_size=1, max_size=4).flatmap(
    lambda metrics: st.tuples(st.just(metrics), deliveries(len(metrics)))
)


def _run(box: RegistrySandbox, metrics: list[bytes | None], batches: list[list[int]]):
    box.fresh_example()
    records = [
        box.upload_model(f"models/{box.group}/m{i}.tar.gz", body) for i, body in enumerate(metrics)
    ]
    for batch in batches:
        box.deliver(*(records[i] for i in batch))
    return records


def _newest_approved_key(box: RegistrySandbox, records) -> str | None:
    by_key = {r["s3"]["object"]["key"]: r for r in records}
    approved = [
        p["CustomerMetadataProperties"]["ModelKey"]
        for p in box.packages()
        if p["ModelApprovalStatus"] == "Approved"
    ]
    if not approved:
        return None
    uploads = {
        key: Registration.from_event(parse_notification({"Records": [by_key[key]]}).records[0])
        for key in approved
    }
    return max(approved, key=lambda key: order_key(uploads[key]))


def test_one_package_per_upload_and_the_newest_approved_is_served():
    with RegistrySandbox() as box:

        @settings(max_examples=40)
        @given(SCENARIO)
        def check(scenario):
            metrics, batches = scenario
            records = _run(box, metrics, batches)

            keys = [p["CustomerMetadataProperties"]["ModelKey"] for p in box.packages()]
            assert sorted(keys) == sorted(r["s3"]["object"]["key"] for r in records)
            assert box.served_key() == _newest_approved_key(box, records)

        check()


def test_without_metrics_files_the_newest_upload_is_served_as_in_the_plain_flow():
    with RegistrySandbox() as box:

        @settings(max_examples=20)
        @given(st.integers(1, 4).flatmap(deliveries))
        def check(batches):
            uploads = 1 + max(i for batch in batches for i in batch)
            records = _run(box, [None] * uploads, batches)

            assert box.served_key() == records[-1]["s3"]["object"]["key"]

        check()
