"""The served model's baseline: its metrics file's ``baseline`` section, as ``window.Baseline``.

Where the file is (the adapter, ``find_metrics_location``):

- the served model's key is the value of the model parameter (what the endpoint serves);
- with a model package group configured, the registry's package for that key
  (``CustomerMetadataProperties.ModelKey``) names the file in
  ``ModelMetrics.ModelQuality.Statistics.S3Uri``;
- otherwise, or when no package names the key, the file next to the model
  (``registry.metrics_file.metrics_key_for``) in the model bucket.

**Input length.** The metrics file keeps input-length *statistics* (min, mean, p50, p95, max),
not a histogram. ``input_length_histogram`` turns them into the one histogram they determine:
bins ``[0, p50)``, ``[p50, p95)``, ``[p95, inf)`` with shares 0.5, 0.45 and 0.05 (the outer bins
open-ended). That PSI is coarse (three bins) and ties at a quantile shift a share between
neighbouring bins, so its retraining threshold is set higher than the label PSI's (ADR-0070).
Equal quantiles merge their bins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from registry.metrics_file import (
    MAX_METRICS_FILE_BYTES,
    MetricsFileError,
    MetricsKeyError,
    metrics_key_for,
    parse_metrics_file,
)
from registry.metrics_file import (
    Baseline as FileBaseline,
)

from .contract import PACKAGE_MODEL_KEY_PROPERTY
from .storage import object_exists
from .window import Baseline, Histogram

# How many packages of the group are examined for the served key, newest first.
MAX_PACKAGES_EXAMINED = 50


@dataclass(frozen=True)
class BaselineLookup:
    """What the search found: the baseline (None without one) and why, for the log."""

    baseline: Baseline | None
    model_key: str | None
    source: str | None
    reason: str


def input_length_histogram(p50: float, p95: float) -> Histogram:
    """The histogram the median and 95th percentile determine (see the module docstring)."""
    bins: list[tuple[float, float]] = []  # (lower edge, share)
    for edge, share in ((0.0, 0.5), (p50, 0.45), (p95, 0.05)):
        if bins and edge <= bins[-1][0]:
            bins[-1] = (bins[-1][0], bins[-1][1] + share)
        else:
            bins.append((edge, share))
    edges = [edge for edge, _ in bins] + [math.inf]
    return Histogram(tuple(edges), tuple(share for _, share in bins))


def window_baseline(baseline: FileBaseline) -> Baseline:
    """The monitor's baseline from the metrics file's section."""
    histogram = baseline.confidence_histogram
    return Baseline(
        label_shares=dict(baseline.predicted_label_shares),
        confidence=Histogram(tuple(histogram.bin_edges), tuple(histogram.shares)),
        input_length=input_length_histogram(baseline.input_length.p50, baseline.input_length.p95),
    )


def find_baseline(
    *,
    ssm: Any,
    s3: Any,
    sagemaker: Any | None,
    parameter_name: str,
    model_bucket: str,
    package_group: str | None,
) -> BaselineLookup:
    """The served model's baseline; never raises for a missing or unusable file (the monitor
    then publishes absolute signals only), only for failed AWS calls."""
    model_key = ssm.get_parameter(Name=parameter_name)["Parameter"]["Value"]
    location = None
    if package_group and sagemaker is not None:
        location = _registered_metrics_location(sagemaker, package_group, model_key)
    if location is None:
        try:
            location = (model_bucket, metrics_key_for(model_key))
        except MetricsKeyError as error:
            return BaselineLookup(None, model_key, None, str(error))
    bucket, key = location
    source = f"s3://{bucket}/{key}"
    if not object_exists(s3, bucket, key):
        return BaselineLookup(None, model_key, source, "no metrics file")
    response = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{MAX_METRICS_FILE_BYTES}")
    data = response["Body"].read()
    try:
        parsed = parse_metrics_file(data)
    except MetricsFileError as error:
        return BaselineLookup(None, model_key, source, f"invalid metrics file: {error}")
    if parsed.baseline is None:
        return BaselineLookup(None, model_key, source, "the metrics file has no baseline section")
    try:
        baseline = window_baseline(parsed.baseline)
    except ValueError as error:
        return BaselineLookup(None, model_key, source, f"unusable baseline: {error}")
    return BaselineLookup(baseline, model_key, source, "found")


def _registered_metrics_location(
    sagemaker: Any, package_group: str, model_key: str
) -> tuple[str, str] | None:
    """(bucket, key) of the metrics file of the group's newest package registering
    ``model_key``; None when no examined package does."""
    response = sagemaker.list_model_packages(
        ModelPackageGroupName=package_group,
        SortBy="CreationTime",
        SortOrder="Descending",
        MaxResults=MAX_PACKAGES_EXAMINED,
    )
    for summary in response.get("ModelPackageSummaryList", []):
        package = sagemaker.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
        metadata = package.get("CustomerMetadataProperties", {})
        if metadata.get(PACKAGE_MODEL_KEY_PROPERTY) != model_key:
            continue
        uri = (
            package.get("ModelMetrics", {})
            .get("ModelQuality", {})
            .get("Statistics", {})
            .get("S3Uri")
        )
        if not uri or not uri.startswith("s3://"):
            return None
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        return (bucket, key) if bucket and key else None
    return None
