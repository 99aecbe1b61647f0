"""One structured JSON log line and one CloudWatch metric per rollout event.

Events: requested, started, deferred, failed, up_to_date (the attempt's outcomes), succeeded,
rolled_back, update_failed (the stack's own verdict, from its status-change events), and
invalid_request. The log line is written immediately; the metrics of one invocation are sent
in a single PutMetricData call at the end. A metrics failure is logged, never raised: the
rollout's result must not depend on its telemetry, and the log line remains the record.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from typing import Any, TextIO

# Event name -> CloudWatch metric name. Alarms in the ModelRollout construct use these names.
METRIC_NAMES = {
    "requested": "RolloutRequested",
    "started": "RolloutStarted",
    "deferred": "RolloutDeferred",
    "failed": "RolloutFailed",
    "up_to_date": "RolloutUpToDate",
    "succeeded": "RolloutSucceeded",
    "rolled_back": "RolloutRolledBack",
    "update_failed": "RolloutUpdateFailed",
    "invalid_request": "RolloutInvalidRequest",
}
STACK_DIMENSION = "StackName"


class Telemetry:
    """Collects the events of one invocation; ``flush`` sends their metrics."""

    def __init__(
        self, cloudwatch: Any, namespace: str, stack_name: str, stream: TextIO | None = None
    ) -> None:
        self._cloudwatch = cloudwatch
        self._namespace = namespace
        self._stack_name = stack_name
        self._stream = stream
        self._counts: Counter[str] = Counter()

    def event(self, name: str, count: int = 1, **fields: Any) -> None:
        if name not in METRIC_NAMES:
            raise ValueError(f"unknown rollout event {name!r}; known: {sorted(METRIC_NAMES)}")
        self._write({"event": f"rollout_{name}", "stack_name": self._stack_name, **fields})
        self._counts[name] += count

    def flush(self) -> None:
        if not self._counts:
            return
        metric_data = [
            {
                "MetricName": METRIC_NAMES[name],
                "Dimensions": [{"Name": STACK_DIMENSION, "Value": self._stack_name}],
                "Value": float(count),
                "Unit": "Count",
            }
            for name, count in sorted(self._counts.items())
        ]
        try:
            self._cloudwatch.put_metric_data(Namespace=self._namespace, MetricData=metric_data)
        # Any failure: telemetry must never change the rollout's outcome.
        except Exception as error:
            self._write(
                {
                    "event": "rollout_metrics_unavailable",
                    "stack_name": self._stack_name,
                    "error": f"{type(error).__name__}: {error}",
                    "unsent": dict(self._counts),
                }
            )
        self._counts.clear()

    def _write(self, fields: dict[str, Any]) -> None:
        stream = self._stream or sys.stdout
        stream.write(json.dumps(fields, sort_keys=True, default=str) + "\n")
        stream.flush()
