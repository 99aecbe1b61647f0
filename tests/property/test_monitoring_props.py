"""Properties of the monitor's pure core (lambda/monitoring): PSI, shares, the malformed-line
count, the label cap and the percentile sketch's documented accuracy."""

from __future__ import annotations

import json
import math
from collections import Counter
from datetime import UTC, datetime
from itertools import pairwise

from hypothesis import assume, given
from hypothesis import strategies as st

from demo.capture_traffic import capture_line
from monitoring.capture import (
    CaptureRecord,
    MalformedLineError,
    Prediction,
    Window,
    parse_capture_line,
    read_capture_lines,
)
from monitoring.window import (
    PSI_EPSILON,
    LengthSketch,
    WindowAccumulator,
    population_stability_index,
)

WINDOW = Window(datetime(2026, 11, 27, 13, tzinfo=UTC))
PSI_BOUND = 2 * math.log((1 + PSI_EPSILON) / PSI_EPSILON)

weights = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def distributions(draw, bins=None):
    size = bins if bins is not None else draw(st.integers(min_value=1, max_value=12))
    values = draw(st.lists(weights, min_size=size, max_size=size))
    assume(math.fsum(values) > 0)
    return values


@st.composite
def distribution_pairs(draw):
    first = draw(distributions())
    return first, draw(distributions(bins=len(first)))


@given(distributions())
def test_psi_of_a_distribution_with_itself_is_zero(shares):
    assert population_stability_index(shares, shares) == 0.0


@given(distribution_pairs())
def test_psi_is_finite_non_negative_bounded_and_symmetric(pair):
    actual, expected = pair

    psi = population_stability_index(actual, expected)

    assert 0 <= psi <= PSI_BOUND + 1e-9
    assert math.isclose(
        psi, population_stability_index(expected, actual), rel_tol=1e-9, abs_tol=1e-12
    )


def _normalised(values):
    total = math.fsum(values)
    return [v / total for v in values]


@given(distribution_pairs(), st.lists(st.floats(0, 1), min_size=2, max_size=6))
def test_psi_grows_as_the_window_shifts_away_from_the_baseline(pair, mixings):
    baseline, shifted = (_normalised(v) for v in pair)
    psis = [
        population_stability_index(
            [(1 - t) * e + t * q for e, q in zip(baseline, shifted, strict=True)], baseline
        )
        for t in sorted(mixings)
    ]

    for smaller, larger in pairwise(psis):
        assert smaller <= larger * (1 + 1e-9) + 1e-12


label_names = st.sampled_from(["POSITIVE", "NEGATIVE", "NEUTRAL", "MIXED", "SPAM", "X", "Y"])
predictions = st.builds(
    Prediction,
    label=label_names,
    score=st.floats(min_value=0, max_value=1),
    input_length=st.integers(min_value=0, max_value=5000),
)
records = st.builds(
    CaptureRecord,
    event_id=st.just("e"),
    inference_id=st.none(),
    inference_time=st.none(),
    predictions=st.lists(predictions, min_size=1, max_size=4).map(tuple),
)


@given(st.lists(records, min_size=1, max_size=40), st.integers(min_value=1, max_value=8))
def test_shares_sum_to_one_and_labels_stay_under_the_cap(window_records, cap):
    accumulator = WindowAccumulator(low_confidence_threshold=0.6, max_distinct_labels=cap)
    for record in window_records:
        accumulator.add_record(record)

    summary = accumulator.summarize(WINDOW, None, min_predictions_for_drift=1)

    assert len(accumulator.label_counts) <= cap
    assert sum(accumulator.observed_label_counts().values()) == summary.predictions
    assert math.isclose(math.fsum(summary.label_shares.values()), 1.0, rel_tol=1e-9)
    assert math.isclose(math.fsum(summary.confidence_histogram.shares), 1.0, rel_tol=1e-9)
    assert math.isclose(math.fsum(summary.input_length_histogram.shares), 1.0, rel_tol=1e-9)
    assert 0 <= summary.low_confidence_share <= 1


@given(st.lists(st.binary(max_size=200), max_size=20))
def test_arbitrary_bytes_are_counted_never_raised(lines):
    accumulator = WindowAccumulator(low_confidence_threshold=0.6)

    accumulator.add_capture_lines(lines)

    non_blank = sum(1 for line in lines if line.strip())
    assert accumulator.captured_requests + sum(accumulator.malformed.values()) == non_blank


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))


VALID = json.loads(
    capture_line(
        inputs=["fine", "bad"],
        answers=[("POSITIVE", 0.9), ("NEGATIVE", 0.8)],
        event_id="e-1",
        inference_time=WINDOW.start,
        inference_id="order-1",
    )
)
FIELD_PATHS = [path for path in _paths(VALID) if path]


@given(st.sampled_from(FIELD_PATHS), json_values, st.booleans())
def test_a_capture_record_with_a_field_removed_or_replaced_is_read_or_named(path, value, delete):
    document = json.loads(json.dumps(VALID))
    target = document
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value

    try:
        record = parse_capture_line(json.dumps(document))
    except MalformedLineError:
        return
    assert all(0 <= p.score <= 1 for p in record.predictions)


@given(st.lists(st.sampled_from([b"{}", b"null", b"", json.dumps(VALID).encode()]), max_size=30))
def test_reading_lines_counts_every_line_once(lines):
    malformed: Counter[str] = Counter()

    read = list(read_capture_lines(lines, malformed))

    assert len(read) + sum(malformed.values()) == sum(1 for line in lines if line.strip())


lengths = st.one_of(
    st.integers(min_value=0, max_value=LengthSketch.EXACT_BELOW - 1),
    st.integers(min_value=LengthSketch.EXACT_BELOW, max_value=LengthSketch.MAX_LENGTH),
)


@given(
    st.lists(lengths, min_size=1, max_size=300),
    st.sampled_from([0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 1.0]),
)
def test_percentiles_are_within_the_documented_accuracy(values, fraction):
    sketch = LengthSketch()
    for value in values:
        sketch.add(value)
    exact = sorted(values)[math.ceil(fraction * len(values)) - 1]

    estimate = sketch.percentile(fraction)

    if exact < LengthSketch.EXACT_BELOW:
        assert estimate == exact
    else:
        assert abs(estimate - exact) <= LengthSketch.RELATIVE_ACCURACY * exact + 1e-9
    assert sketch.mean() == sum(values) / len(values)
    assert sketch.maximum == max(values)
    assert sketch.bucket_count <= LengthSketch.MAX_BUCKETS
