"""One JSON line per decision, written to stdout (CloudWatch Logs keeps it as-is).

Plain ``json`` + ``sys.stdout`` instead of a logging library: the line is the same whether the
function's log format is Text or JSON, costs nothing at import, and Logs Insights parses it
(ADR-0012).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from registration_decision import ALERT_REGISTERED_MODEL_DELETED, REJECTED, Outcome
from registration_events import ObjectEvent
from registration_ordering import Registration

LOGGER_NAME = "model_registration"


class DecisionLog:
    """Writes the handler's structured lines for one invocation."""

    def __init__(self, request_id: str | None, stream: TextIO | None = None) -> None:
        self.request_id = request_id
        self.parameter: str | None = None
        self._stream = stream

    def outcome(self, outcome: Outcome, **extra: Any) -> None:
        if outcome.alert == ALERT_REGISTERED_MODEL_DELETED:
            level = "ERROR"
        elif outcome.alert is not None or outcome.unexpected:
            level = "WARNING"
        else:
            level = "INFO"
        fields: dict[str, Any] = {"decision": outcome.decision, "reason": outcome.reason}
        if outcome.alert is not None:
            fields["alert"] = outcome.alert
        if outcome.record is not None:
            fields.update(record_fields(outcome.record))
        fields.update(extra)
        self.write(level, fields)

    def rejected(self, error: Exception) -> None:
        self.write(
            "ERROR", {"decision": REJECTED, "reason": str(error), "error": type(error).__name__}
        )

    def problem(self, level: str, event: str, reason: str, **extra: Any) -> None:
        """An operational line that is not a decision (a failed call, a concurrent writer)."""
        self.write(level, {"event": event, "reason": reason, **extra})

    def write(self, level: str, fields: dict[str, Any]) -> None:
        line = {
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "level": level,
            "logger": LOGGER_NAME,
            "requestId": self.request_id,
            "parameter": self.parameter,
            **fields,
        }
        stream = self._stream or sys.stdout
        stream.write(json.dumps(line, default=str) + "\n")


def record_fields(record: ObjectEvent | Registration) -> dict[str, Any]:
    """The S3 fields of an upload, or of the registration made from it."""
    return {
        "eventName": record.event_name,
        "bucket": record.bucket,
        "key": record.key,
        "versionId": record.version_id,
        "eTag": record.etag,
        "size": record.size,
        "eventTime": record.event_time,
        "sequencer": record.sequencer,
    }
