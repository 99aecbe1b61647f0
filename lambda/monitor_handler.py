"""Entry point of the model monitor function (ADR-0070).

Run hourly by an EventBridge schedule. Reports the last complete UTC hour before the event's
``time`` (or ``{"window_start": "2026-12-05T12:00:00Z"}`` to report a given hour again after its
summary was removed): the served model's baseline is looked up (``monitoring.baseline``), the
window's captures are streamed and summarised, and the figures published once
(``monitoring.run``). Without a baseline the absolute signals are still published, and the log
says why drift was not computed.

Every AWS attempt is sent only if the remaining time covers it (``common.aws_clients``); the
function fails rather than publish half a window, and Lambda's retry of the scheduled event
reports it again.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from common.aws_clients import FINISH_MARGIN_SECONDS, AwsClients, RetryBudget
from common.errors import ConfigurationError
from common.json_log import INFO, WARNING, JsonLog
from monitoring.baseline import find_baseline
from monitoring.capture import Window
from monitoring.run import run_window
from monitoring.settings import MonitorSettings, load_settings

LOGGER_NAME = "model_monitor"
# Reads stream capture files: a longer read timeout than the control-plane calls.
S3_BUDGET = RetryBudget(total_max_attempts=3, connect_timeout=2.0, read_timeout=20.0)
CALL_BUDGET = RetryBudget(total_max_attempts=3, connect_timeout=1.0, read_timeout=3.0)
BUDGETS = {
    "s3": S3_BUDGET,
    "ssm": CALL_BUDGET,
    "sagemaker": CALL_BUDGET,
    "cloudwatch": CALL_BUDGET,
    "events": CALL_BUDGET,
}
# After the reads, the publishing calls and the release of the summary must still fit.
_PUBLISH_SECONDS = 2 * CALL_BUDGET.call_seconds + S3_BUDGET.attempt_seconds
RESERVE_SECONDS = {
    "s3": _PUBLISH_SECONDS + FINISH_MARGIN_SECONDS,
    "ssm": _PUBLISH_SECONDS + FINISH_MARGIN_SECONDS,
    "sagemaker": _PUBLISH_SECONDS + FINISH_MARGIN_SECONDS,
    "cloudwatch": FINISH_MARGIN_SECONDS,
    "events": FINISH_MARGIN_SECONDS,
}
CLIENTS = AwsClients(BUDGETS, RESERVE_SECONDS)


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    CLIENTS.start_invocation(context)
    return handle(
        event,
        load_settings(os.environ),
        CLIENTS,
        request_id=getattr(context, "aws_request_id", None),
    )


def window_of(event: Any, now: datetime | None = None) -> Window:
    """The window an event asks for: ``window_start`` if given, else the last complete hour
    before the event's ``time`` (a scheduled event's), else before ``now``."""
    if isinstance(event, dict) and event.get("window_start"):
        try:
            return Window(_timestamp(event["window_start"], "window_start"))
        except ValueError as error:
            raise ConfigurationError(f"event window_start: {error}") from None
    if isinstance(event, dict) and event.get("time"):
        return Window.last_complete_before(_timestamp(event["time"], "time"))
    return Window.last_complete_before(now or datetime.now(UTC))


def handle(
    event: Any, settings: MonitorSettings, clients: Any, request_id: str | None = None
) -> dict[str, Any]:
    log = JsonLog(LOGGER_NAME, request_id, endpointName=settings.endpoint_name)
    window = window_of(event)
    lookup = find_baseline(
        ssm=clients.client("ssm"),
        s3=clients.client("s3"),
        sagemaker=clients.client("sagemaker") if settings.model_package_group else None,
        parameter_name=settings.model_parameter_name,
        model_bucket=settings.model_bucket,
        package_group=settings.model_package_group,
    )
    if lookup.baseline is None:
        log.write(
            WARNING,
            {
                "event": "monitor_no_baseline",
                "window": window.as_dict(),
                "modelKey": lookup.model_key,
                "source": lookup.source,
                "reason": lookup.reason,
                "consequence": "absolute signals only: no drift figures for this window",
            },
        )
    result = run_window(clients, settings, window, lookup.baseline)
    fields: dict[str, Any] = {
        "event": f"monitor_{result.outcome}",
        "window": window.as_dict(),
        "summaryKey": result.summary_key,
    }
    if result.summary is not None:
        summary = result.summary
        fields |= {
            "captureFiles": result.capture_files,
            "capturedRequests": summary.captured_requests,
            "predictions": summary.predictions,
            "malformedLines": summary.malformed_total,
            "labelPsi": summary.label_psi,
            "confidencePsi": summary.confidence_psi,
            "inputLengthPsi": summary.input_length_psi,
            "driftSkipped": summary.drift_skipped,
            "accuracy": summary.accuracy,
            "baselineSource": lookup.source if lookup.baseline else None,
            "retrainingRecommended": result.retraining is not None,
        }
    log.write(WARNING if result.retraining else INFO, fields)
    return {
        "outcome": result.outcome,
        "window": window.as_dict(),
        "summaryKey": result.summary_key,
        "retrainingRecommended": result.retraining is not None,
    }


def _timestamp(text: Any, name: str) -> datetime:
    if not isinstance(text, str):
        raise ConfigurationError(f"event {name} must be an ISO 8601 text, got {text!r}")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigurationError(f"event {name} {text!r} is not an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        raise ConfigurationError(f"event {name} {text!r} has no time zone")
    return moment.astimezone(UTC)
