"""A function's counts as CloudWatch metric data, sent in one best-effort PutMetricData call.

``metric_data`` is pure; ``publish`` is the only AWS call here. A metrics failure is logged and
swallowed: it must never fail (and so retry) an invocation whose work already happened, and the
log line remains the record (ADR-0012).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from common.json_log import ERROR, JsonLog

# The environment variable that gives every function its metrics namespace.
METRICS_NAMESPACE_ENV_VAR = "METRICS_NAMESPACE"
# The ``event`` of the line written when PutMetricData fails.
METRICS_FAILED = "metrics_failed"


def metric_data(
    counts: Mapping[str, int], dimensions: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """One Count datum per metric name, in the given order, each with ``dimensions``."""
    dimension_list = [{"Name": name, "Value": value} for name, value in (dimensions or {}).items()]
    return [
        {
            "MetricName": name,
            **({"Dimensions": dimension_list} if dimension_list else {}),
            "Value": value,
            "Unit": "Count",
        }
        for name, value in counts.items()
    ]


def publish(
    cloudwatch: Callable[[], Any],
    namespace: str,
    counts: Mapping[str, int],
    log: JsonLog,
    dimensions: Mapping[str, str] | None = None,
) -> bool:
    """One PutMetricData call; False (and an ERROR line) if it failed, never an exception.

    ``cloudwatch`` returns the client, so a failure to create it is caught here too.
    """
    try:
        cloudwatch().put_metric_data(
            Namespace=namespace, MetricData=metric_data(counts, dimensions)
        )
    # Any failure here, whatever its type, must not change the invocation's result.
    except Exception as error:
        log.write(
            ERROR,
            {
                "event": METRICS_FAILED,
                "reason": f"PutMetricData to namespace {namespace!r} failed: {error}",
                "error": type(error).__name__,
                "unsent": dict(counts),
            },
        )
        return False
    return True
