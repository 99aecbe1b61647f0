"""The window accumulator (lambda/monitoring/window.py): shares, the bounded label and length
counts, the re-binned histograms, drift against a baseline and accuracy from ground truth."""

from __future__ import annotations

import math
import tracemalloc
from datetime import UTC, datetime

import pytest

from demo.capture_traffic import capture_line, ground_truth_line
from monitoring.capture import CaptureRecord, GroundTruthIndex, Prediction, Window
from monitoring.window import (
    DEFAULT_CONFIDENCE_EDGES,
    OTHER_LABELS,
    Baseline,
    Histogram,
    LengthSketch,
    WindowAccumulator,
    population_stability_index,
)

WINDOW = Window(datetime(2026, 11, 27, 13, tzinfo=UTC))


def _record(*predictions: tuple[str, float, int], event_id="e", inference_id=None):
    return CaptureRecord(
        event_id=event_id,
        inference_id=inference_id,
        inference_time=None,
        predictions=tuple(Prediction(*p) for p in predictions),
    )


def _accumulator(**options) -> WindowAccumulator:
    return WindowAccumulator(**{"low_confidence_threshold": 0.6, **options})


def _summary(accumulator, baseline=None, minimum=1):
    return accumulator.summarize(WINDOW, baseline, min_predictions_for_drift=minimum)


def test_shares_low_confidence_and_lengths_of_a_small_window():
    accumulator = _accumulator(known_labels=["NEGATIVE", "POSITIVE", "NEUTRAL"])
    accumulator.add_record(_record(("POSITIVE", 0.9, 10), ("NEGATIVE", 0.6, 0)))
    accumulator.add_record(_record(("POSITIVE", 0.59, 30)))
    accumulator.add_record(_record(("POSITIVE", 0.99, 20)))

    summary = _summary(accumulator)

    assert (summary.captured_requests, summary.predictions) == (3, 4)
    assert summary.label_shares == {"NEGATIVE": 0.25, "POSITIVE": 0.75, "NEUTRAL": 0.0}
    # 0.6 is the threshold itself, so only 0.59 is low.
    assert summary.low_confidence_share == 0.25
    assert summary.empty_inputs == 1
    length = summary.input_length
    assert (length.count, length.mean, length.p50, length.p95, length.max) == (4, 15, 10, 30, 30)


def test_an_empty_window_has_counts_but_no_shares_or_distributions():
    accumulator = _accumulator()
    accumulator.add_capture_lines([b"{oops"])

    summary = _summary(accumulator, Baseline({"POSITIVE": 1.0}))

    assert (summary.captured_requests, summary.predictions, summary.malformed_total) == (0, 0, 1)
    assert summary.label_shares == {}
    assert summary.low_confidence_share is None
    assert summary.input_length is None
    assert summary.confidence_histogram is None
    assert summary.input_length_histogram is None
    assert summary.label_psi is None
    assert summary.drift_skipped == "insufficient_predictions"


def test_labels_beyond_the_cap_share_one_counter():
    accumulator = _accumulator(max_distinct_labels=2, known_labels=["POSITIVE"])
    for label in ["NEGATIVE", "POSITIVE", "X", "Y", "X", "NEGATIVE"]:
        accumulator.add_record(_record((label, 0.9, 5)))

    assert accumulator.observed_label_counts() == {"POSITIVE": 1, "NEGATIVE": 2, OTHER_LABELS: 3}
    assert math.fsum(_summary(accumulator).label_shares.values()) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"low_confidence_threshold": 0.0}, "low_confidence_threshold"),
        ({"low_confidence_threshold": 1.5}, "low_confidence_threshold"),
        ({"max_distinct_labels": 0}, "max_distinct_labels"),
        ({"max_distinct_labels": 1, "known_labels": ["A", "B"]}, "hold the 2 known labels"),
    ],
)
def test_the_accumulator_refuses_impossible_settings(options, message):
    with pytest.raises(ValueError, match=message):
        _accumulator(**options)


def test_summarize_needs_a_positive_drift_minimum():
    with pytest.raises(ValueError, match="min_predictions_for_drift"):
        _summary(_accumulator(), minimum=0)


def test_confidence_is_rebinned_exactly_at_grid_edges():
    accumulator = _accumulator()
    just_below = math.nextafter(0.562, 0)
    # int(just_below * 1000) is 562: binning by multiplication would put it above the edge.
    for score in [0.0, 0.3, 0.562, just_below, 0.999, 1.0]:
        accumulator.add_record(_record(("POSITIVE", score, 1)))

    assert accumulator.confidence_counts([0.0, 0.3, 0.562, 1.0]) == [1, 2, 3]
    assert accumulator.confidence_counts(DEFAULT_CONFIDENCE_EDGES) == [1, 0, 0, 1, 0, 2, 0, 0, 0, 2]


def test_the_summary_reports_histograms_on_the_baselines_edges():
    baseline = Baseline(
        {"POSITIVE": 1.0},
        confidence=Histogram((0.0, 0.5, 1.0), (0.5, 0.5)),
        input_length=Histogram((0, 10, math.inf), (0.5, 0.5)),
    )
    accumulator = _accumulator()
    accumulator.add_record(_record(("POSITIVE", 0.2, 3), ("POSITIVE", 0.8, 12)))

    summary = _summary(accumulator, baseline)

    assert summary.confidence_histogram == Histogram((0.0, 0.5, 1.0), (0.5, 0.5))
    assert summary.input_length_histogram == Histogram((0, 10, math.inf), (0.5, 0.5))
    assert (summary.label_psi, summary.confidence_psi, summary.input_length_psi) == (0, 0, 0)
    assert summary.drift_skipped is None


def test_drift_follows_the_baseline_and_skips_what_it_lacks():
    accumulator = _accumulator()
    for _ in range(9):
        accumulator.add_record(_record(("NEGATIVE", 0.95, 40)))
    accumulator.add_record(_record(("POSITIVE", 0.95, 40)))
    baseline = Baseline({"POSITIVE": 0.5, "NEGATIVE": 0.5})

    summary = _summary(accumulator, baseline)

    assert summary.label_psi == pytest.approx(population_stability_index([0.9, 0.1], [0.5, 0.5]))
    assert summary.confidence_psi is None
    assert summary.input_length_psi is None


def test_without_a_baseline_or_enough_predictions_no_drift_is_computed():
    accumulator = _accumulator()
    accumulator.add_record(_record(("POSITIVE", 0.9, 5)))
    baseline = Baseline({"NEGATIVE": 1.0})

    assert _summary(accumulator).drift_skipped == "no_baseline"
    thin = _summary(accumulator, baseline, minimum=2)
    assert thin.drift_skipped == "insufficient_predictions"
    assert thin.label_psi is None
    assert _summary(accumulator, baseline, minimum=1).label_psi > 0


def test_accuracy_joins_ground_truth_by_inference_id_then_event_id():
    index = GroundTruthIndex(max_labels=10)
    index.add_lines(
        [
            ground_truth_line("order-1", ["POSITIVE"]),
            ground_truth_line("event-2", ["POSITIVE"]),
            ground_truth_line("order-3", ["NEGATIVE", "NEGATIVE"]),
            ground_truth_line("order-4", ["NEGATIVE", "NEGATIVE"]),
        ]
    )
    accumulator = _accumulator(ground_truth=index)
    accumulator.add_record(_record(("POSITIVE", 0.9, 5), event_id="x", inference_id="order-1"))
    accumulator.add_record(_record(("NEGATIVE", 0.9, 5), event_id="event-2"))
    accumulator.add_record(
        _record(("NEGATIVE", 0.9, 5), ("POSITIVE", 0.9, 5), event_id="y", inference_id="order-3")
    )
    # A redelivered capture does not count its label twice.
    accumulator.add_record(_record(("POSITIVE", 0.9, 5), event_id="z", inference_id="order-1"))
    # Two labels for a one-input request: counted as a mismatch, not scored.
    accumulator.add_record(_record(("NEGATIVE", 0.9, 5), event_id="w", inference_id="order-4"))
    # The eventId of a capture that has an inferenceId does not join.
    accumulator.add_record(_record(("NEGATIVE", 0.9, 5), event_id="order-5", inference_id="q"))

    summary = _summary(accumulator)

    assert summary.labelled_predictions == 4
    assert summary.accuracy == 0.5
    assert index.malformed == {"input_output_count_mismatch": 1}


def test_without_labels_there_is_no_accuracy():
    accumulator = _accumulator(ground_truth=GroundTruthIndex(max_labels=1))
    accumulator.add_record(_record(("POSITIVE", 0.9, 5)))

    summary = _summary(accumulator)

    assert (summary.labelled_predictions, summary.accuracy) == (0, None)


def test_capture_lines_are_read_and_malformed_ones_counted():
    accumulator = _accumulator()

    accumulator.add_capture_lines(
        [
            capture_line(
                inputs=["great", "awful!"],
                answers=[("POSITIVE", 0.99), ("NEGATIVE", 0.98)],
                event_id="e-1",
                inference_time=WINDOW.start,
            ),
            b"{oops",
            capture_line(
                inputs="plain text",
                answers=[("NEGATIVE", 0.5)],
                event_id="e-2",
                inference_time=WINDOW.start,
                input_encoding="BASE64",
                input_content_type="text/plain",
            ),
        ]
    )
    summary = _summary(accumulator)

    assert (summary.captured_requests, summary.predictions) == (1, 2)
    assert summary.malformed_lines == {"invalid_json_line": 1, "non_json_payload": 1}
    assert summary.input_length.max == 6


def test_small_lengths_are_exact_and_large_ones_within_the_relative_accuracy():
    sketch = LengthSketch()
    values = [3, 1023, 1024, 5000, 123_456, 6_291_456]
    for value in values:
        sketch.add(value)

    for rank, value in enumerate(values, start=1):
        estimate = sketch.percentile(rank / len(values))
        if value < LengthSketch.EXACT_BELOW:
            assert estimate == value
        else:
            # The bound is reached at a bucket's lower edge; allow for floating-point rounding.
            assert abs(estimate - value) <= LengthSketch.RELATIVE_ACCURACY * value + 1e-9
    assert sketch.maximum == 6_291_456
    assert sketch.counts_in([0, 1024, math.inf]) == [2, 4]


def test_the_sketch_uses_a_bounded_number_of_buckets():
    sketch = LengthSketch()
    for length in range(0, LengthSketch.MAX_LENGTH + 1, 997):
        sketch.add(length)

    assert sketch.bucket_count <= LengthSketch.MAX_BUCKETS
    assert LengthSketch.MAX_BUCKETS < 1500


def test_the_sketch_refuses_negative_lengths_and_bad_fractions():
    sketch = LengthSketch()
    with pytest.raises(ValueError, match="never negative"):
        sketch.add(-1)
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        sketch.percentile(0)
    assert sketch.percentile(0.5) is None
    assert sketch.mean() is None


def _retained_bytes(records: int) -> int:
    """Memory the accumulator still holds after ``records`` records, each with a new label."""
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        accumulator = _accumulator(max_distinct_labels=16)
        for index in range(records):
            accumulator.add_record(_record((f"label-{index}", index % 1000 / 1000, index)))
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    assert len(accumulator.label_counts) == 16
    return sum(stat.size_diff for stat in after.compare_to(before, "filename"))


def test_memory_does_not_grow_with_the_number_of_records():
    small, large = _retained_bytes(2_000), _retained_bytes(20_000)

    # Ten times the records (each with a label never seen before) retain about the same
    # memory; a per-record structure would grow by hundreds of kilobytes.
    assert large - small < 64 * 1024
