"""The one log schema and the one metrics publisher every function writes through
(lambda/common/json_log.py, lambda/common/metrics.py)."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta

from common.json_log import JsonLog
from common.metrics import METRICS_FAILED, metric_data, publish
from registration.telemetry import DecisionLog
from rollout.telemetry import Telemetry

SCHEMA = ["timestamp", "level", "logger", "requestId"]


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_line_is_the_schema_then_the_context_then_its_own_fields():
    stream = io.StringIO()
    log = JsonLog("some_function", "req-1", stream, parameter="/p", stackName="s")

    log.write("WARNING", {"event": "something", "messageId": "m1"})

    [line] = _lines(stream)
    assert list(line) == [*SCHEMA, "parameter", "stackName", "event", "messageId"]
    assert (line["level"], line["logger"], line["requestId"]) == (
        "WARNING",
        "some_function",
        "req-1",
    )
    written = datetime.fromisoformat(line["timestamp"])
    assert written.utcoffset() == timedelta(0)


def test_both_functions_write_the_same_schema():
    registration_stream, rollout_stream = io.StringIO(), io.StringIO()
    DecisionLog("req-r", registration_stream).problem("INFO", "registration_written_twice", "x")
    Telemetry(lambda: None, "ns", "stack", "req-o", rollout_stream).event("requested")

    [registration_line], [rollout_line] = _lines(registration_stream), _lines(rollout_stream)
    assert list(registration_line)[:4] == list(rollout_line)[:4] == SCHEMA
    assert (registration_line["logger"], rollout_line["logger"]) == (
        "model_registration",
        "model_rollout",
    )
    assert (registration_line["requestId"], rollout_line["requestId"]) == ("req-r", "req-o")


def test_metric_data_is_one_count_per_name_in_order_with_the_dimensions_given():
    assert metric_data({"B": 2, "A": 0}) == [
        {"MetricName": "B", "Value": 2, "Unit": "Count"},
        {"MetricName": "A", "Value": 0, "Unit": "Count"},
    ]
    [datum] = metric_data({"A": 1}, {"StackName": "s"})
    assert datum["Dimensions"] == [{"Name": "StackName", "Value": "s"}]


def test_a_client_that_cannot_be_created_is_a_logged_metrics_failure_not_an_exception():
    def no_client():
        raise RuntimeError("no credentials")

    stream = io.StringIO()
    sent = publish(no_client, "ns", {"A": 1}, JsonLog("f", "req", stream))

    assert sent is False
    [line] = _lines(stream)
    assert (line["level"], line["event"], line["error"]) == (
        "ERROR",
        METRICS_FAILED,
        "RuntimeError",
    )
    assert "no credentials" in line["reason"]
    assert line["unsent"] == {"A": 1}
