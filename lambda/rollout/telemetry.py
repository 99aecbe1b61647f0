"""What the rollout function reports: one JSON line and one CloudWatch count per rollout event,
in the schema and through the publisher every function shares (``common.json_log``,
``common.metrics``).

Events: requested, started, deferred, failed, up_to_date (the attempt's outcomes), succeeded,
rolled_back, update_failed (the stack's own verdict, from its status-change events),
invalid_request and foreign_event_ignored; each line's ``event`` is ``rollout_<event>``. The
line is written immediately; the counts of one invocation are sent in a single PutMetricData
call at the end (``flush``). A metrics failure is a ``metrics_failed`` line, never raised: the
rollout's result must not depend on its telemetry, and the log line remains the record.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any, TextIO

from common.json_log import ERROR, INFO, WARNING, JsonLog
from common.metrics import publish
from rollout.contract import METRIC_NAMES, STACK_DIMENSION

LOGGER_NAME = "model_rollout"
# The level of each event's line: ERROR where an alarm fires (an operator is needed).
EVENT_LEVELS = {
    "requested": INFO,
    "started": INFO,
    "deferred": INFO,
    "failed": ERROR,
    "up_to_date": INFO,
    "succeeded": INFO,
    "rolled_back": ERROR,
    "update_failed": ERROR,
    "invalid_request": WARNING,
    "foreign_event_ignored": WARNING,
}


class Telemetry:
    """Collects the events of one invocation; ``flush`` sends their counts."""

    def __init__(
        self,
        cloudwatch: Callable[[], Any],
        namespace: str,
        stack_name: str,
        request_id: str | None = None,
        stream: TextIO | None = None,
    ) -> None:
        """
        :param cloudwatch: returns the CloudWatch client (called only when counts are sent).
        """
        self._cloudwatch = cloudwatch
        self._namespace = namespace
        self._stack_name = stack_name
        self.log = JsonLog(LOGGER_NAME, request_id, stream, stackName=stack_name)
        self._counts: Counter[str] = Counter()

    def event(self, name: str, count: int = 1, **fields: Any) -> None:
        """Log ``rollout_<name>`` with ``fields`` (camelCase) and count ``count`` of it."""
        if name not in METRIC_NAMES:
            raise ValueError(f"unknown rollout event {name!r}; known: {sorted(METRIC_NAMES)}")
        self.log.write(EVENT_LEVELS[name], {"event": f"rollout_{name}", **fields})
        self._counts[name] += count

    def flush(self) -> None:
        if not self._counts:
            return
        counts = {METRIC_NAMES[name]: count for name, count in sorted(self._counts.items())}
        publish(
            self._cloudwatch,
            self._namespace,
            counts,
            self.log,
            dimensions={STACK_DIMENSION: self._stack_name},
        )
        self._counts.clear()
