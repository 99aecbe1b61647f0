"""The monitor function's settings, read from its environment (names in ``contract``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from common.errors import ConfigurationError
from common.metrics import METRICS_NAMESPACE_ENV_VAR

from . import contract
from .report import NAMESPACE, RetrainingThresholds


@dataclass(frozen=True)
class MonitorSettings:
    endpoint_name: str
    variant_name: str
    capture_bucket: str
    capture_prefix: str
    ground_truth_prefix: str
    summary_prefix: str
    model_parameter_name: str
    model_bucket: str
    model_package_group: str | None
    event_bus_name: str
    event_source: str
    low_confidence_threshold: float
    min_predictions_for_drift: int
    max_ground_truth_labels: int
    thresholds: RetrainingThresholds
    metrics_namespace: str = NAMESPACE


def load_settings(environ: Mapping[str, str]) -> MonitorSettings:
    """Settings from ``environ``; ConfigurationError naming every missing or invalid variable."""
    missing = [name for name in contract.REQUIRED_ENV_VARS if not environ.get(name, "").strip()]
    if missing:
        raise ConfigurationError(f"monitor function environment lacks {', '.join(missing)}")
    value = {name: environ[name].strip() for name in contract.REQUIRED_ENV_VARS}
    problems: list[str] = []

    def number(name: str, kind: type) -> float:
        try:
            parsed = kind(value[name])
        except ValueError:
            problems.append(f"{name}={value[name]!r} is not a {kind.__name__}")
            return kind(1)
        if not math.isfinite(parsed):
            problems.append(f"{name}={value[name]!r} is not finite")
            return kind(1)
        return parsed

    low_confidence = number(contract.LOW_CONFIDENCE_THRESHOLD_ENV_VAR, float)
    min_predictions = number(contract.MIN_PREDICTIONS_FOR_DRIFT_ENV_VAR, int)
    max_labels = number(contract.MAX_GROUND_TRUTH_LABELS_ENV_VAR, int)
    numbers = {
        "max_label_psi": number(contract.MAX_LABEL_PSI_ENV_VAR, float),
        "max_confidence_psi": number(contract.MAX_CONFIDENCE_PSI_ENV_VAR, float),
        "max_input_length_psi": number(contract.MAX_INPUT_LENGTH_PSI_ENV_VAR, float),
        "min_accuracy": number(contract.MIN_ACCURACY_ENV_VAR, float),
        "min_labelled_predictions": number(contract.MIN_LABELLED_PREDICTIONS_ENV_VAR, int),
    }
    if not problems:
        try:
            thresholds = RetrainingThresholds(**numbers)
        except ValueError as error:
            problems.append(str(error))
        if not 0 < low_confidence <= 1:
            problems.append(f"{contract.LOW_CONFIDENCE_THRESHOLD_ENV_VAR} must be in (0, 1]")
        if min_predictions < 1 or max_labels < 1:
            problems.append(
                f"{contract.MIN_PREDICTIONS_FOR_DRIFT_ENV_VAR} and "
                f"{contract.MAX_GROUND_TRUTH_LABELS_ENV_VAR} must be at least 1"
            )
    if problems:
        raise ConfigurationError("monitor function environment: " + "; ".join(problems))
    return MonitorSettings(
        endpoint_name=value[contract.ENDPOINT_NAME_ENV_VAR],
        variant_name=value[contract.VARIANT_NAME_ENV_VAR],
        capture_bucket=value[contract.CAPTURE_BUCKET_ENV_VAR],
        capture_prefix=value[contract.CAPTURE_PREFIX_ENV_VAR],
        ground_truth_prefix=value[contract.GROUND_TRUTH_PREFIX_ENV_VAR],
        summary_prefix=value[contract.SUMMARY_PREFIX_ENV_VAR],
        model_parameter_name=value[contract.MODEL_PARAMETER_ENV_VAR],
        model_bucket=value[contract.MODEL_BUCKET_ENV_VAR],
        model_package_group=environ.get(contract.MODEL_PACKAGE_GROUP_ENV_VAR, "").strip() or None,
        event_bus_name=value[contract.EVENT_BUS_ENV_VAR],
        event_source=value[contract.EVENT_SOURCE_ENV_VAR],
        low_confidence_threshold=low_confidence,
        min_predictions_for_drift=min_predictions,
        max_ground_truth_labels=max_labels,
        thresholds=thresholds,
        metrics_namespace=environ.get(METRICS_NAMESPACE_ENV_VAR, "").strip() or NAMESPACE,
    )
