"""One monitoring run: read a window's captures and labels from S3, publish its figures once.

Reading (the layout SageMaker documents: "View Captured Data" in
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-endpoint.html):
the window's capture files are listed under ``<capture prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/``
and each is streamed line by line (``StreamingBody.iter_lines``), so memory holds one chunk and
the accumulator's counts whatever the traffic. Ground-truth labels of the window are read
first into a bounded index (``capture.GroundTruthIndex``) and joined by ``inferenceId``.

**Once per window.** The window's summary object is the record that it was reported:

1. if the summary exists, the run publishes nothing (``already_reported``);
2. the summary is written with ``If-None-Match: *`` (a conditional write: of two concurrent
   runs only one succeeds; the other gets 412 and publishes nothing);
3. then the metrics and, when a threshold is crossed, the "retraining recommended" event are
   sent. If either call fails, the summary is deleted again and the error raised, so Lambda's
   retry (or the next schedule) reports the window afresh: a window is published at most once
   and, after a transient failure, still once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .capture import (
    GroundTruthIndex,
    Window,
    capture_hour_prefix,
    ground_truth_hour_prefix,
    is_capture_file,
)
from .report import (
    RETRAINING_DETAIL_TYPE,
    metric_data,
    retraining_recommendation,
    summary_document,
    summary_object_key,
)
from .settings import MonitorSettings
from .storage import list_keys, object_exists, stream_lines
from .window import Baseline, WindowAccumulator, WindowSummary

# PutMetricData takes at most 1,000 data per request; a summary has 12 figures and one share per
# label (at most 32 labels plus "other").
_MAX_DATA_PER_REQUEST = 1000


@dataclass(frozen=True)
class RunResult:
    outcome: str  # "published" or "already_reported"
    summary_key: str
    summary: WindowSummary | None = None
    retraining: dict[str, Any] | None = None
    capture_files: int = 0


def summarize_window(
    s3: Any, settings: MonitorSettings, window: Window, baseline: Baseline | None
) -> tuple[WindowSummary, int, GroundTruthIndex]:
    """The window's summary, the number of capture files read, and the label index."""
    labels = GroundTruthIndex(settings.max_ground_truth_labels)
    for key in list_keys(
        s3, settings.capture_bucket, ground_truth_hour_prefix(settings.ground_truth_prefix, window)
    ):
        if is_capture_file(key):
            labels.add_lines(stream_lines(s3, settings.capture_bucket, key))
    accumulator = WindowAccumulator(
        low_confidence_threshold=settings.low_confidence_threshold,
        known_labels=baseline.label_shares if baseline else (),
        ground_truth=labels if len(labels) else None,
    )
    files = 0
    prefix = capture_hour_prefix(
        settings.capture_prefix, settings.endpoint_name, settings.variant_name, window
    )
    for key in list_keys(s3, settings.capture_bucket, prefix):
        if not is_capture_file(key):
            continue
        files += 1
        accumulator.add_capture_lines(stream_lines(s3, settings.capture_bucket, key))
    summary = accumulator.summarize(
        window, baseline, min_predictions_for_drift=settings.min_predictions_for_drift
    )
    return summary, files, labels


def run_window(
    clients: Any,
    settings: MonitorSettings,
    window: Window,
    baseline: Baseline | None,
) -> RunResult:
    """Report ``window`` once (see the module docstring)."""
    s3 = clients.client("s3")
    key = summary_object_key(settings.summary_prefix, settings.endpoint_name, window)
    if object_exists(s3, settings.capture_bucket, key):
        return RunResult("already_reported", key)
    summary, files, labels = summarize_window(s3, settings, window, baseline)
    document = summary_document(summary, settings.endpoint_name)
    document["capture_files"] = files
    document["ground_truth"] = {
        "labels_read": len(labels) + labels.duplicate_ids + labels.dropped_over_capacity,
        "unmatched": len(labels),
        "duplicate_ids": labels.duplicate_ids,
        "dropped_over_capacity": labels.dropped_over_capacity,
        "malformed_lines": dict(sorted(labels.malformed.items())),
    }
    retraining = retraining_recommendation(summary, settings.endpoint_name, settings.thresholds)
    document["retraining_recommended"] = retraining is not None
    try:
        s3.put_object(
            Bucket=settings.capture_bucket,
            Key=key,
            Body=json.dumps(document, sort_keys=True).encode("utf-8"),
            ContentType="application/json",
            IfNoneMatch="*",
        )
    except s3.exceptions.ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        if code in {"PreconditionFailed", "ConditionalRequestConflict", "412"}:
            return RunResult("already_reported", key)
        raise
    try:
        data = metric_data(summary, settings.endpoint_name)
        cloudwatch = clients.client("cloudwatch")
        for start in range(0, len(data), _MAX_DATA_PER_REQUEST):
            cloudwatch.put_metric_data(
                Namespace=settings.metrics_namespace,
                MetricData=data[start : start + _MAX_DATA_PER_REQUEST],
            )
        if retraining is not None:
            _send_retraining_event(clients.client("events"), settings, retraining)
    except BaseException:
        # Publishing failed: release the window so that the retry reports it (at most once).
        s3.delete_object(Bucket=settings.capture_bucket, Key=key)
        raise
    return RunResult("published", key, summary, retraining, files)


def _send_retraining_event(events: Any, settings: MonitorSettings, detail: dict) -> None:
    response = events.put_events(
        Entries=[
            {
                "Source": settings.event_source,
                "DetailType": RETRAINING_DETAIL_TYPE,
                "Detail": json.dumps(detail, sort_keys=True),
                "EventBusName": settings.event_bus_name,
            }
        ]
    )
    if response.get("FailedEntryCount"):
        entry = response["Entries"][0]
        raise RuntimeError(
            f"PutEvents refused the retraining event: {entry.get('ErrorCode')} "
            f"{entry.get('ErrorMessage')}"
        )
