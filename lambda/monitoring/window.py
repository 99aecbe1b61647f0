"""Statistics of one capture window in bounded memory, and their drift against a baseline.

**Memory.** :class:`WindowAccumulator` keeps counts, never records, so its size does not depend
on the traffic:

- predicted labels: one counter per label up to ``max_distinct_labels``; later new labels share
  one :data:`OTHER_LABELS` counter;
- confidence (the top score): a fixed grid of 1,000 bins of width 0.001 over [0, 1]. Summaries
  re-bin it to the baseline's edges; that is exact for edges on the grid (multiples of 0.001),
  and otherwise assigns each grid bin by its lower edge;
- input length in characters: :class:`LengthSketch`, exact counts below 1,024 characters and
  logarithmic buckets above (at most :data:`LengthSketch.MAX_BUCKETS` buckets in all, because an
  ``InvokeEndpoint`` body is at most 6,291,456 bytes).

**Percentiles** are nearest-rank: the p-th percentile of n values is the ceil(p * n)-th smallest.
The sketch finds the bucket holding that value exactly (counts are exact), then returns the
bucket's representative: the value itself below 1,024, and above it a value within a relative
error of :data:`LengthSketch.RELATIVE_ACCURACY` (1 %, reached at a bucket's lower edge, up to
floating-point rounding) of the true percentile. That is DDSketch's guarantee and bucket rule
(Masson, Rim and Lee, "DDSketch: A Fast and Fully-Mergeable Quantile Sketch with Relative-Error
Guarantees", VLDB 2019, https://arxiv.org/abs/1908.10693), with exact buckets where lengths are
small.

**Population stability index.** For the shares a_i (this window) and e_i (the baseline) over the
same bins, PSI = sum_i (a_i - e_i) * ln(a_i / e_i) (Yurdakul, "Statistical Properties of
Population Stability Index", Western Michigan University, 2018,
https://scholarworks.wmich.edu/dissertations/3208). A bin empty on one side makes a term
infinite, so both distributions are first smoothed additively, p_i -> (p_i + eps) / (1 + k*eps)
for k bins (eps = 1e-4 by default, ADR-0070). Smoothed shares still sum to 1 and are positive,
so PSI stays finite (at most 2 * ln((1 + eps) / eps), about 18.4 for eps = 1e-4), is 0 exactly
for identical distributions, and, being the sum of the two Kullback-Leibler divergences, grows
as the window moves away from the baseline along any mixture (1 - t) * e + t * q (each
divergence is convex in t and 0 at t = 0).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from .capture import (
    CaptureRecord,
    GroundTruthIndex,
    MalformedReason,
    Window,
    read_capture_lines,
)

PSI_EPSILON = 1e-4
OTHER_LABELS = "(other labels)"
# The histograms a summary reports when the baseline does not set the edges (ADR-0070).
DEFAULT_CONFIDENCE_EDGES: tuple[float, ...] = tuple(k / 10 for k in range(11))
DEFAULT_INPUT_LENGTH_EDGES: tuple[float, ...] = (
    0, 16, 32, 64, 128, 256, 512, 1024, 2048, math.inf,
)  # fmt: skip
CONFIDENCE_GRID_BINS = 1000
_CONFIDENCE_GRID = tuple(k / CONFIDENCE_GRID_BINS for k in range(CONFIDENCE_GRID_BINS + 1))
# Shares read from a file are often rounded (three labels at 0.33); PSI normalises them anyway,
# so only a sum clearly away from 1 (a wrong file, not rounding) is refused.
_SHARE_SUM_TOLERANCE = 0.01


# ----------------------------------------------------------------------------------------------
# Histograms and the population stability index
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Histogram:
    """Shares over bins ``[edges[i], edges[i+1])``; the outer bins are open-ended, so a value
    below the first edge counts in the first bin and one at or above the last in the last."""

    edges: tuple[float, ...]
    shares: tuple[float, ...]

    def __post_init__(self) -> None:
        edges, shares = tuple(self.edges), tuple(self.shares)
        object.__setattr__(self, "edges", edges)
        object.__setattr__(self, "shares", shares)
        if len(edges) < 2:
            raise ValueError(f"a histogram needs at least 2 edges, got {len(edges)}")
        if any(math.isnan(edge) for edge in edges) or any(
            low >= high for low, high in pairwise(edges)
        ):
            raise ValueError(f"histogram edges must increase strictly, got {list(edges)}")
        if len(shares) != len(edges) - 1:
            raise ValueError(
                f"a histogram with {len(edges)} edges needs {len(edges) - 1} shares, "
                f"got {len(shares)}"
            )
        _check_shares(shares, "histogram shares")

    @classmethod
    def from_counts(cls, edges: Sequence[float], counts: Sequence[int]) -> Histogram | None:
        """Shares of ``counts``; None when every count is 0 (no distribution to compare)."""
        total = sum(counts)
        if total == 0:
            return None
        return cls(tuple(edges), tuple(count / total for count in counts))

    def as_dict(self) -> dict[str, list[float | None]]:
        """JSON-ready; an infinite last edge is written as null."""
        return {
            "bin_edges": [None if math.isinf(edge) else edge for edge in self.edges],
            "shares": list(self.shares),
        }


def population_stability_index(
    actual: Sequence[float], expected: Sequence[float], epsilon: float = PSI_EPSILON
) -> float:
    """PSI of ``actual`` against ``expected``, two share vectors over the same bins (see the
    module docstring). Each vector is normalised to sum to 1, so counts work too."""
    if len(actual) != len(expected) or not actual:
        raise ValueError(
            f"PSI needs two non-empty share vectors of one length, got {len(actual)} "
            f"and {len(expected)}"
        )
    if not 0 < epsilon < 1:
        raise ValueError(f"epsilon must be in (0, 1), got {epsilon}")
    smoothed_actual = _smoothed(actual, epsilon, "actual")
    smoothed_expected = _smoothed(expected, epsilon, "expected")
    return math.fsum(
        (a - e) * math.log(a / e) for a, e in zip(smoothed_actual, smoothed_expected, strict=True)
    )


def label_psi(
    observed_counts: Mapping[str, int],
    baseline_shares: Mapping[str, float],
    epsilon: float = PSI_EPSILON,
) -> float:
    """PSI over the union of observed and baseline labels; a label missing on one side has
    share 0 there (then smoothed)."""
    labels = sorted(set(observed_counts) | set(baseline_shares))
    return population_stability_index(
        [observed_counts.get(label, 0) for label in labels],
        [baseline_shares.get(label, 0.0) for label in labels],
        epsilon,
    )


def _smoothed(shares: Sequence[float], epsilon: float, name: str) -> list[float]:
    _check_shares_sign(shares, name)
    total = math.fsum(shares)
    if total <= 0:
        raise ValueError(f"{name} distribution is empty (its shares sum to 0)")
    bins = len(shares)
    return [(share / total + epsilon) / (1 + bins * epsilon) for share in shares]


def _check_shares_sign(shares: Sequence[float], name: str) -> None:
    for share in shares:
        if isinstance(share, bool) or not math.isfinite(share) or share < 0:
            raise ValueError(f"{name} must be finite non-negative numbers, got {share!r}")


def _check_shares(shares: Sequence[float], name: str) -> None:
    _check_shares_sign(shares, name)
    total = math.fsum(shares)
    if abs(total - 1) > _SHARE_SUM_TOLERANCE:
        raise ValueError(f"{name} must sum to 1, got {total}")


# ----------------------------------------------------------------------------------------------
# Baseline
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Baseline:
    """The served model's reference distributions (the ``baseline`` section of its metrics
    file): predicted-label shares, the top-score histogram, and optionally the input-length
    histogram in characters. Missing parts disable only their own PSI."""

    label_shares: Mapping[str, float]
    confidence: Histogram | None = None
    input_length: Histogram | None = None

    def __post_init__(self) -> None:
        shares = dict(self.label_shares)
        if not shares:
            raise ValueError("baseline label_shares is empty")
        if not all(isinstance(label, str) and label for label in shares):
            raise ValueError("baseline labels must be non-empty texts")
        _check_shares(list(shares.values()), "baseline label_shares")
        object.__setattr__(self, "label_shares", shares)


# ----------------------------------------------------------------------------------------------
# Input length sketch
# ----------------------------------------------------------------------------------------------


class LengthSketch:
    """Counts of non-negative integer lengths in bounded memory (see the module docstring)."""

    EXACT_BELOW = 1024
    RELATIVE_ACCURACY = 0.01
    _GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
    _LOG_GAMMA = math.log(_GAMMA)
    # An InvokeEndpoint body is at most 6,291,456 bytes, so no text is longer.
    MAX_LENGTH = 6_291_456
    MAX_BUCKETS = EXACT_BELOW + math.ceil(math.log(MAX_LENGTH / EXACT_BELOW) / _LOG_GAMMA) + 1

    def __init__(self) -> None:
        self._exact = [0] * self.EXACT_BELOW
        self._log_buckets: dict[int, int] = {}
        self.count = 0
        self.total = 0
        self.maximum: int | None = None

    def add(self, length: int) -> None:
        if length < 0:
            raise ValueError(f"a length is never negative, got {length}")
        self.count += 1
        self.total += length
        if self.maximum is None or length > self.maximum:
            self.maximum = length
        if length < self.EXACT_BELOW:
            self._exact[length] += 1
        else:
            index = self._log_index(length)
            self._log_buckets[index] = self._log_buckets.get(index, 0) + 1

    @property
    def bucket_count(self) -> int:
        """Buckets in use: never more than MAX_BUCKETS, whatever was added."""
        return self.EXACT_BELOW + len(self._log_buckets)

    def mean(self) -> float | None:
        return self.total / self.count if self.count else None

    def percentile(self, fraction: float) -> float | None:
        """Nearest-rank percentile (``fraction`` in (0, 1]); None when nothing was added."""
        if not 0 < fraction <= 1:
            raise ValueError(f"a percentile fraction is in (0, 1], got {fraction}")
        if not self.count:
            return None
        rank = max(1, math.ceil(fraction * self.count))
        for value, count in self._buckets():
            rank -= count
            if rank <= 0:
                return value
        raise AssertionError("the bucket counts sum to count")  # pragma: no cover

    def counts_in(self, edges: Sequence[float]) -> list[int]:
        """Counts per bin of ``edges`` (outer bins open-ended), each bucket by its value."""
        counts = [0] * (len(edges) - 1)
        for value, count in self._buckets():
            counts[_bin_of(edges, value)] += count
        return counts

    def _buckets(self) -> Iterable[tuple[float, int]]:
        """(representative value, count) in increasing value order, empty buckets skipped."""
        for length, count in enumerate(self._exact):
            if count:
                yield float(length), count
        for index in sorted(self._log_buckets):
            yield self._representative(index), self._log_buckets[index]

    @classmethod
    def _log_index(cls, length: int) -> int:
        """i such that EXACT_BELOW * gamma**i <= length < EXACT_BELOW * gamma**(i+1)."""
        index = math.floor(math.log(length / cls.EXACT_BELOW) / cls._LOG_GAMMA)
        # Correct the rare off-by-one of floating-point logarithms at bucket boundaries.
        while cls._lower_bound(index + 1) <= length:
            index += 1
        while cls._lower_bound(index) > length:
            index -= 1
        return index

    @classmethod
    def _lower_bound(cls, index: int) -> float:
        return cls.EXACT_BELOW * cls._GAMMA**index

    @classmethod
    def _representative(cls, index: int) -> float:
        # 2 * low * high / (low + high) is within RELATIVE_ACCURACY of every value in
        # [low, high) when high = gamma * low (DDSketch).
        return cls._lower_bound(index) * 2 * cls._GAMMA / (1 + cls._GAMMA)


def _bin_of(edges: Sequence[float], value: float) -> int:
    return min(max(bisect_right(edges, value) - 1, 0), len(edges) - 2)


# ----------------------------------------------------------------------------------------------
# Window summary
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InputLengthStats:
    """Input length in characters; p50 and p95 are within the sketch's documented accuracy."""

    count: int
    mean: float
    p50: float
    p95: float
    max: int


@dataclass(frozen=True)
class WindowSummary:
    """What one window's captures say, without any captured text.

    Shares are over predictions (one per classified input; a batch request has several). Every
    drift figure is None when ``drift_skipped`` names why (no baseline, too few predictions) or
    when the baseline lacks that distribution.
    """

    window: Window
    captured_requests: int
    predictions: int
    malformed_lines: Mapping[str, int]
    label_shares: Mapping[str, float]
    low_confidence_threshold: float
    low_confidence_share: float | None
    empty_inputs: int
    input_length: InputLengthStats | None
    confidence_histogram: Histogram | None
    input_length_histogram: Histogram | None
    label_psi: float | None
    confidence_psi: float | None
    input_length_psi: float | None
    drift_skipped: str | None
    labelled_predictions: int
    accuracy: float | None

    @property
    def malformed_total(self) -> int:
        return sum(self.malformed_lines.values())


class WindowAccumulator:
    """Streams a window's capture lines into bounded counts, then summarises them.

    ``known_labels`` (the model's classes, or the baseline's labels) are always counted by
    name; they count towards ``max_distinct_labels``. With a ``ground_truth`` index, each
    prediction whose request the index labels is scored (see :class:`GroundTruthIndex`).
    """

    def __init__(
        self,
        *,
        low_confidence_threshold: float,
        max_distinct_labels: int = 32,
        known_labels: Iterable[str] = (),
        ground_truth: GroundTruthIndex | None = None,
    ) -> None:
        if not 0 < low_confidence_threshold <= 1:
            raise ValueError(
                f"low_confidence_threshold must be in (0, 1], got {low_confidence_threshold}"
            )
        known = list(dict.fromkeys(known_labels))
        if max_distinct_labels < max(1, len(known)):
            raise ValueError(
                f"max_distinct_labels ({max_distinct_labels}) must be at least 1 and hold the "
                f"{len(known)} known labels"
            )
        self.low_confidence_threshold = low_confidence_threshold
        self.max_distinct_labels = max_distinct_labels
        self.ground_truth = ground_truth
        self.label_counts: dict[str, int] = dict.fromkeys(known, 0)
        self.other_label_count = 0
        self.malformed: Counter[str] = Counter()
        self.captured_requests = 0
        self.predictions = 0
        self.low_confidence = 0
        self.empty_inputs = 0
        self.confidence_grid = [0] * CONFIDENCE_GRID_BINS
        self.input_lengths = LengthSketch()
        self.labelled_predictions = 0
        self.correct_predictions = 0

    def add_capture_lines(self, lines: Iterable[bytes | str]) -> None:
        """Read one capture file's lines; malformed ones are counted, never raised."""
        for record in read_capture_lines(lines, self.malformed):
            self.add_record(record)

    def add_record(self, record: CaptureRecord) -> None:
        self.captured_requests += 1
        for prediction in record.predictions:
            self._count_label(prediction.label)
            self.predictions += 1
            if prediction.score < self.low_confidence_threshold:
                self.low_confidence += 1
            # bisect compares the score with the grid's own edges; int(score * 1000) would put
            # some scores just below an edge (0.562 - 1 ulp) above it.
            self.confidence_grid[_bin_of(_CONFIDENCE_GRID, prediction.score)] += 1
            self.input_lengths.add(prediction.input_length)
            if prediction.input_length == 0:
                self.empty_inputs += 1
        if self.ground_truth is not None:
            self._score(record)

    def count_malformed(self, reason: MalformedReason) -> None:
        """For callers that reject a line themselves (e.g. an unreadable object)."""
        self.malformed[reason.value] += 1

    def _count_label(self, label: str) -> None:
        if label in self.label_counts:
            self.label_counts[label] += 1
        elif len(self.label_counts) < self.max_distinct_labels:
            self.label_counts[label] = 1
        else:
            self.other_label_count += 1

    def _score(self, record: CaptureRecord) -> None:
        assert self.ground_truth is not None
        labels = self.ground_truth.take(record.join_key)
        if labels is None:
            return
        if len(labels) != len(record.predictions):
            self.ground_truth.malformed[MalformedReason.INPUT_OUTPUT_COUNT_MISMATCH.value] += 1
            return
        for label, prediction in zip(labels, record.predictions, strict=True):
            self.labelled_predictions += 1
            self.correct_predictions += label == prediction.label

    def observed_label_counts(self) -> dict[str, int]:
        """Counts per label: every known or seen label (0 for a known label not predicted),
        and :data:`OTHER_LABELS` when labels beyond the cap were seen."""
        counts = dict(self.label_counts)
        if self.other_label_count:
            counts[OTHER_LABELS] = self.other_label_count
        return counts

    def confidence_counts(self, edges: Sequence[float]) -> list[int]:
        counts = [0] * (len(edges) - 1)
        for grid_bin, count in enumerate(self.confidence_grid):
            if count:
                counts[_bin_of(edges, _CONFIDENCE_GRID[grid_bin])] += count
        return counts

    def summarize(
        self, window: Window, baseline: Baseline | None, *, min_predictions_for_drift: int
    ) -> WindowSummary:
        """The window's figures; drift only with a baseline and at least
        ``min_predictions_for_drift`` predictions (PSI on a thin window is noise)."""
        if min_predictions_for_drift < 1:
            raise ValueError(
                f"min_predictions_for_drift must be at least 1, got {min_predictions_for_drift}"
            )
        observed = self.observed_label_counts()
        confidence_edges = baseline.confidence.edges if baseline and baseline.confidence else None
        length_edges = baseline.input_length.edges if baseline and baseline.input_length else None
        confidence_histogram = Histogram.from_counts(
            confidence_edges or DEFAULT_CONFIDENCE_EDGES,
            self.confidence_counts(confidence_edges or DEFAULT_CONFIDENCE_EDGES),
        )
        length_histogram = Histogram.from_counts(
            length_edges or DEFAULT_INPUT_LENGTH_EDGES,
            self.input_lengths.counts_in(length_edges or DEFAULT_INPUT_LENGTH_EDGES),
        )
        if baseline is None:
            drift_skipped: str | None = "no_baseline"
        elif self.predictions < min_predictions_for_drift:
            drift_skipped = "insufficient_predictions"
        else:
            drift_skipped = None
        drift = baseline if drift_skipped is None else None
        return WindowSummary(
            window=window,
            captured_requests=self.captured_requests,
            predictions=self.predictions,
            malformed_lines=dict(sorted(self.malformed.items())),
            label_shares=(
                {label: count / self.predictions for label, count in observed.items()}
                if self.predictions
                else {}
            ),
            low_confidence_threshold=self.low_confidence_threshold,
            low_confidence_share=(
                self.low_confidence / self.predictions if self.predictions else None
            ),
            empty_inputs=self.empty_inputs,
            input_length=self._input_length_stats(),
            confidence_histogram=confidence_histogram,
            input_length_histogram=length_histogram,
            label_psi=label_psi(observed, drift.label_shares) if drift else None,
            confidence_psi=(
                population_stability_index(confidence_histogram.shares, drift.confidence.shares)
                if drift and drift.confidence and confidence_histogram
                else None
            ),
            input_length_psi=(
                population_stability_index(length_histogram.shares, drift.input_length.shares)
                if drift and drift.input_length and length_histogram
                else None
            ),
            drift_skipped=drift_skipped,
            labelled_predictions=self.labelled_predictions,
            accuracy=(
                self.correct_predictions / self.labelled_predictions
                if self.labelled_predictions
                else None
            ),
        )

    def _input_length_stats(self) -> InputLengthStats | None:
        sketch = self.input_lengths
        if not sketch.count:
            return None
        return InputLengthStats(
            count=sketch.count,
            mean=sketch.total / sketch.count,
            p50=sketch.percentile(0.5),
            p95=sketch.percentile(0.95),
            max=sketch.maximum,
        )
