"""What the registration function reports: one JSON line per decision and one set of counts
per invocation, in the schema and through the publisher every function shares
(``common.json_log``, ``common.metrics``; ADR-0012)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TextIO

from common.json_log import ERROR, INFO, WARNING, JsonLog
from registration.contract import (
    EVENT_IGNORED,
    EVENT_REJECTED,
    MODEL_REGISTERED,
    REGISTERED_MODEL_DELETED,
    REGISTERED_MODEL_OVERWRITTEN,
    UNVERIFIED_UPLOAD_IGNORED,
)
from registration.decision import (
    ALERT_REGISTERED_MODEL_DELETED,
    ALERT_REGISTERED_MODEL_OVERWRITTEN,
    ALERT_UPLOAD_NOT_VERIFIED,
    IGNORED,
    REGISTERED,
    REJECTED,
    Decision,
    Outcome,
)
from registration.registered_model import Registration
from registration.s3_events import ObjectEvent

LOGGER_NAME = "model_registration"


class DecisionLog(JsonLog):
    """The handler's structured lines for one invocation; every line names the parameter
    (null until the settings are read)."""

    def __init__(self, request_id: str | None, stream: TextIO | None = None) -> None:
        super().__init__(LOGGER_NAME, request_id, stream, parameter=None)

    @property
    def parameter(self) -> str | None:
        return self.context["parameter"]

    @parameter.setter
    def parameter(self, name: str | None) -> None:
        self.context["parameter"] = name

    def outcome(self, outcome: Outcome, **extra: Any) -> None:
        if outcome.alert == ALERT_REGISTERED_MODEL_DELETED or outcome.decision == REJECTED:
            level = ERROR
        elif outcome.alert is not None or outcome.unexpected:
            level = WARNING
        else:
            level = INFO
        fields: dict[str, Any] = {"decision": outcome.decision, "reason": outcome.reason}
        if outcome.alert is not None:
            fields["alert"] = outcome.alert
        if outcome.record is not None:
            fields.update(record_fields(outcome.record))
        fields.update(extra)
        self.write(level, fields)

    def rejected(self, error: Exception) -> None:
        self.write(
            ERROR, {"decision": REJECTED, "reason": str(error), "error": type(error).__name__}
        )

    def problem(self, level: str, event: str, reason: str, **extra: Any) -> None:
        """An operational line that is not a decision (a failed call, a concurrent writer)."""
        self.write(level, {"event": event, "reason": reason, **extra})


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


@dataclass(frozen=True)
class Counts:
    registered: int = 0
    ignored: int = 0
    rejected: int = 0
    deleted: int = 0
    overwritten: int = 0
    unverified: int = 0

    @classmethod
    def of(cls, decision: Decision) -> Counts:
        return cls(
            registered=decision.count(REGISTERED),
            ignored=decision.count(IGNORED),
            rejected=decision.count(REJECTED),
            deleted=decision.count_alert(ALERT_REGISTERED_MODEL_DELETED),
            overwritten=decision.count_alert(ALERT_REGISTERED_MODEL_OVERWRITTEN),
            unverified=decision.count_alert(ALERT_UPLOAD_NOT_VERIFIED),
        )

    def by_metric(self) -> dict[str, int]:
        """Every metric, zeros included, so alarms see data on every invocation."""
        return {
            MODEL_REGISTERED: self.registered,
            EVENT_IGNORED: self.ignored,
            EVENT_REJECTED: self.rejected,
            REGISTERED_MODEL_DELETED: self.deleted,
            REGISTERED_MODEL_OVERWRITTEN: self.overwritten,
            UNVERIFIED_UPLOAD_IGNORED: self.unverified,
        }
