"""A window summary as CloudWatch metric data, as a JSON document, and as a retraining decision.

Metric names are stable: alarms, the dashboard and the ADR name them. Every datum carries the
endpoint name as its ``EndpointName`` dimension and the window's start as its timestamp, so a
window's figures land in the hour they describe whenever the monitor runs. A figure that does
not exist for the window (no predictions, no baseline, no labels) is not published at all,
rather than published as 0: CloudWatch alarms then treat it as missing data, not as a value.

Shares, PSI and accuracy are fractions in [0, 1] (PSI is unbounded above) with unit ``None``;
input lengths are characters, for which CloudWatch has no unit, so also ``None``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .capture import Window
from .window import Histogram, WindowSummary

NAMESPACE = "ModelMonitoring"
ENDPOINT_DIMENSION = "EndpointName"
LABEL_DIMENSION = "Label"
SUMMARY_SCHEMA_VERSION = 1
RETRAINING_DETAIL_TYPE = "Model Retraining Recommended"

CAPTURED_REQUESTS = "CapturedRequests"
PREDICTIONS = "Predictions"
MALFORMED_CAPTURE_LINES = "MalformedCaptureLines"
LOW_CONFIDENCE_SHARE = "LowConfidenceShare"
INPUT_LENGTH_MEAN = "InputLengthMean"
INPUT_LENGTH_P50 = "InputLengthP50"
INPUT_LENGTH_P95 = "InputLengthP95"
LABEL_DRIFT_PSI = "LabelDriftPSI"
CONFIDENCE_DRIFT_PSI = "ConfidenceDriftPSI"
INPUT_LENGTH_DRIFT_PSI = "InputLengthDriftPSI"
ACCURACY = "Accuracy"
LABELLED_PREDICTIONS = "LabelledPredictions"
# One metric per label (dimensions EndpointName and Label); the accumulator caps the labels.
PREDICTED_LABEL_SHARE = "PredictedLabelShare"

_COUNT, _NONE = "Count", "None"


@dataclass(frozen=True)
class RetrainingThresholds:
    """Limits beyond which retraining is recommended (the values live in config/constants.py
    and reach the function through its environment)."""

    max_label_psi: float
    max_confidence_psi: float
    max_input_length_psi: float
    min_accuracy: float
    min_labelled_predictions: int

    def __post_init__(self) -> None:
        for name in ("max_label_psi", "max_confidence_psi", "max_input_length_psi"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value!r}")
        if not 0 <= self.min_accuracy <= 1:
            raise ValueError(f"min_accuracy must be in [0, 1], got {self.min_accuracy!r}")
        if self.min_labelled_predictions < 1:
            raise ValueError(
                f"min_labelled_predictions must be at least 1, got {self.min_labelled_predictions}"
            )


def window_figures(summary: WindowSummary) -> dict[str, tuple[float, str]]:
    """Metric name -> (value, unit) for the figures this window has (per-label shares aside)."""
    length = summary.input_length
    figures: dict[str, tuple[float | None, str]] = {
        CAPTURED_REQUESTS: (summary.captured_requests, _COUNT),
        PREDICTIONS: (summary.predictions, _COUNT),
        MALFORMED_CAPTURE_LINES: (summary.malformed_total, _COUNT),
        LOW_CONFIDENCE_SHARE: (summary.low_confidence_share, _NONE),
        INPUT_LENGTH_MEAN: (None if length is None else length.mean, _NONE),
        INPUT_LENGTH_P50: (None if length is None else length.p50, _NONE),
        INPUT_LENGTH_P95: (None if length is None else length.p95, _NONE),
        LABEL_DRIFT_PSI: (summary.label_psi, _NONE),
        CONFIDENCE_DRIFT_PSI: (summary.confidence_psi, _NONE),
        INPUT_LENGTH_DRIFT_PSI: (summary.input_length_psi, _NONE),
        LABELLED_PREDICTIONS: (summary.labelled_predictions, _COUNT),
        ACCURACY: (summary.accuracy, _NONE),
    }
    return {
        name: (float(value), unit) for name, (value, unit) in figures.items() if value is not None
    }


def metric_data(summary: WindowSummary, endpoint_name: str) -> list[dict[str, Any]]:
    """``PutMetricData`` ``MetricData`` entries for namespace :data:`NAMESPACE`."""
    if not endpoint_name:
        raise ValueError("endpoint_name is empty")
    endpoint = [{"Name": ENDPOINT_DIMENSION, "Value": endpoint_name}]
    data = [
        _datum(name, value, unit, endpoint, summary.window)
        for name, (value, unit) in window_figures(summary).items()
    ]
    data.extend(
        _datum(
            PREDICTED_LABEL_SHARE,
            share,
            _NONE,
            [*endpoint, {"Name": LABEL_DIMENSION, "Value": label}],
            summary.window,
        )
        for label, share in summary.label_shares.items()
    )
    return data


def _datum(
    name: str, value: float, unit: str, dimensions: list[dict[str, str]], window: Window
) -> dict[str, Any]:
    return {
        "MetricName": name,
        "Dimensions": dimensions,
        "Timestamp": window.start,
        "Value": value,
        "Unit": unit,
    }


def summary_document(summary: WindowSummary, endpoint_name: str) -> dict[str, Any]:
    """The window's JSON summary: figures and distributions, never a captured text."""
    length = summary.input_length
    return {
        "schema_version": SUMMARY_SCHEMA_VERSION,
        "endpoint_name": endpoint_name,
        "window": summary.window.as_dict(),
        "captured_requests": summary.captured_requests,
        "predictions": summary.predictions,
        "malformed_lines": {
            "total": summary.malformed_total,
            "by_reason": dict(summary.malformed_lines),
        },
        "label_shares": dict(summary.label_shares),
        "low_confidence": {
            "threshold": summary.low_confidence_threshold,
            "share": summary.low_confidence_share,
        },
        "empty_inputs": summary.empty_inputs,
        "input_length": None
        if length is None
        else {
            "unit": "characters",
            "count": length.count,
            "mean": length.mean,
            "p50": length.p50,
            "p95": length.p95,
            "max": length.max,
        },
        "confidence_histogram": _histogram(summary.confidence_histogram),
        "input_length_histogram": _histogram(summary.input_length_histogram),
        "drift": {
            "skipped": summary.drift_skipped,
            "label_psi": summary.label_psi,
            "confidence_psi": summary.confidence_psi,
            "input_length_psi": summary.input_length_psi,
        },
        "quality": {
            "labelled_predictions": summary.labelled_predictions,
            "accuracy": summary.accuracy,
        },
    }


def _histogram(histogram: Histogram | None) -> dict[str, Any] | None:
    return None if histogram is None else histogram.as_dict()


def summary_object_key(summary_prefix: str, endpoint_name: str, window: Window) -> str:
    """``<prefix>/<endpoint>/yyyy/mm/dd/hh.json``: one summary per window, so its existence
    tells a later run that the window was already reported."""
    if not endpoint_name or "/" in endpoint_name:
        raise ValueError(f"endpoint_name must be a non-empty name without '/': {endpoint_name!r}")
    prefix = summary_prefix.strip("/")
    path = f"{endpoint_name}/{window.start.strftime('%Y/%m/%d/%H')}.json"
    return f"{prefix}/{path}" if prefix else path


def retraining_recommendation(
    summary: WindowSummary, endpoint_name: str, thresholds: RetrainingThresholds
) -> dict[str, Any] | None:
    """The detail of a "retraining recommended" event when drift or accuracy is beyond its
    threshold, else None. A PSI recommends only above its limit; accuracy only below its
    minimum and on at least ``min_labelled_predictions`` labels (fewer is noise)."""
    reasons = [
        _reason(metric, value, limit, "GreaterThanThreshold")
        for metric, value, limit in (
            (LABEL_DRIFT_PSI, summary.label_psi, thresholds.max_label_psi),
            (CONFIDENCE_DRIFT_PSI, summary.confidence_psi, thresholds.max_confidence_psi),
            (INPUT_LENGTH_DRIFT_PSI, summary.input_length_psi, thresholds.max_input_length_psi),
        )
        if value is not None and value > limit
    ]
    if (
        summary.accuracy is not None
        and summary.labelled_predictions >= thresholds.min_labelled_predictions
        and summary.accuracy < thresholds.min_accuracy
    ):
        reasons.append(
            _reason(ACCURACY, summary.accuracy, thresholds.min_accuracy, "LessThanThreshold")
        )
    if not reasons:
        return None
    return {
        "endpoint_name": endpoint_name,
        "window": summary.window.as_dict(),
        "reasons": reasons,
        "figures": {name: value for name, (value, _unit) in window_figures(summary).items()},
        "label_shares": dict(summary.label_shares),
    }


def _reason(metric: str, value: float, threshold: float, comparison: str) -> Mapping[str, Any]:
    return {"metric": metric, "value": value, "threshold": threshold, "comparison": comparison}
