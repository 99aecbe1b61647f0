"""The invocation's counts as CloudWatch metric data, sent in one best-effort call.

``metric_data`` is pure; ``publish`` is the only AWS call here. A metrics failure is logged and
swallowed: it must never fail (and so retry) an invocation whose registration already
happened (ADR-0012).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from registration_decision import (
    ALERT_REGISTERED_MODEL_DELETED,
    ALERT_REGISTERED_MODEL_OVERWRITTEN,
    IGNORED,
    REGISTERED,
    Decision,
)
from registration_log import DecisionLog

MODEL_REGISTERED = "ModelRegistered"
EVENT_IGNORED = "EventIgnored"
EVENT_REJECTED = "EventRejected"
REGISTERED_MODEL_DELETED = "RegisteredModelDeleted"
REGISTERED_MODEL_OVERWRITTEN = "RegisteredModelOverwritten"
METRIC_NAMES = (
    MODEL_REGISTERED,
    EVENT_IGNORED,
    EVENT_REJECTED,
    REGISTERED_MODEL_DELETED,
    REGISTERED_MODEL_OVERWRITTEN,
)


@dataclass(frozen=True)
class Counts:
    registered: int = 0
    ignored: int = 0
    rejected: int = 0
    deleted: int = 0
    overwritten: int = 0

    @classmethod
    def of(cls, decision: Decision) -> Counts:
        return cls(
            registered=decision.count(REGISTERED),
            ignored=decision.count(IGNORED),
            deleted=decision.count_alert(ALERT_REGISTERED_MODEL_DELETED),
            overwritten=decision.count_alert(ALERT_REGISTERED_MODEL_OVERWRITTEN),
        )


def metric_data(counts: Counts) -> list[dict[str, Any]]:
    """All five metrics, zeros included, so alarms see data on every invocation."""
    values = {
        MODEL_REGISTERED: counts.registered,
        EVENT_IGNORED: counts.ignored,
        EVENT_REJECTED: counts.rejected,
        REGISTERED_MODEL_DELETED: counts.deleted,
        REGISTERED_MODEL_OVERWRITTEN: counts.overwritten,
    }
    return [{"MetricName": name, "Value": values[name], "Unit": "Count"} for name in METRIC_NAMES]


def publish(
    cloudwatch: Callable[[], Any], namespace: str, counts: Counts, log: DecisionLog
) -> bool:
    """One PutMetricData call; False (and an error line) if it failed, never an exception.

    ``cloudwatch`` returns the client, so a failure to create it is caught here too.
    """
    try:
        cloudwatch().put_metric_data(Namespace=namespace, MetricData=metric_data(counts))
    # Any failure here, whatever its type, must not fail a finished registration.
    except Exception as error:
        log.problem(
            "ERROR",
            "metrics_failed",
            f"PutMetricData to namespace {namespace!r} failed: {error}",
            error=type(error).__name__,
        )
        return False
    return True
