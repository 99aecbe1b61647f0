"""Telemetry: one JSON line per event, one PutMetricData call per invocation, and a metrics
failure that is logged instead of changing the rollout's result."""

from __future__ import annotations

import io
import json

import pytest
from botocore.stub import Stubber
from moto import mock_aws

from rollout.contract import METRIC_NAMES
from rollout.telemetry import EVENT_LEVELS, Telemetry
from tests.unit.rollout.rollout_testkit import NAMESPACE, STACK_NAME, CallRecorder, clients


@pytest.fixture
def cloudwatch(aws_credentials):
    with mock_aws():
        yield clients()["cloudwatch"]


def lines(stream):
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_each_event_is_one_json_line_and_all_metrics_one_call(cloudwatch):
    stream = io.StringIO()
    recorder = CallRecorder(cloudwatch)
    telemetry = Telemetry(lambda: cloudwatch, NAMESPACE, STACK_NAME, "req-1", stream)

    telemetry.event("requested", count=3, messageIds=["a", "b", "c"])
    telemetry.event("deferred", reason="stack is UPDATE_IN_PROGRESS")
    telemetry.flush()

    assert [line["event"] for line in lines(stream)] == ["rollout_requested", "rollout_deferred"]
    assert all(line["stackName"] == STACK_NAME for line in lines(stream))
    assert [line["level"] for line in lines(stream)] == ["INFO", "INFO"]
    [call] = recorder.named("PutMetricData")
    sent = {d["MetricName"]: d["Value"] for d in call["MetricData"]}
    assert sent == {"RolloutRequested": 3.0, "RolloutDeferred": 1.0}
    assert call["Namespace"] == NAMESPACE


def test_nothing_to_send_sends_nothing(cloudwatch):
    recorder = CallRecorder(cloudwatch)
    Telemetry(lambda: cloudwatch, NAMESPACE, STACK_NAME, "req-1", io.StringIO()).flush()
    assert recorder.named("PutMetricData") == []


def test_metrics_failure_is_logged_not_raised(cloudwatch):
    stream = io.StringIO()
    stubber = Stubber(cloudwatch)
    stubber.add_client_error("put_metric_data", "InternalServiceError", "CloudWatch is down")
    telemetry = Telemetry(lambda: cloudwatch, NAMESPACE, STACK_NAME, "req-1", stream)
    telemetry.event("started")

    with stubber:
        telemetry.flush()

    last = lines(stream)[-1]
    assert (last["level"], last["event"]) == ("ERROR", "metrics_failed")
    assert "InternalServiceError" in last["reason"]
    assert "CloudWatch is down" in last["reason"]
    assert last["unsent"] == {"RolloutStarted": 1}


def test_unknown_event_is_refused_by_name(cloudwatch):
    telemetry = Telemetry(lambda: cloudwatch, NAMESPACE, STACK_NAME, "req-1", io.StringIO())
    with pytest.raises(ValueError, match="'begun'"):
        telemetry.event("begun")


def test_every_event_has_a_distinct_metric_and_a_level():
    assert len(set(METRIC_NAMES.values())) == len(METRIC_NAMES)
    assert set(EVENT_LEVELS) == set(METRIC_NAMES)
