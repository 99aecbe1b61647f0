"""Telemetry: one JSON line per event, one PutMetricData call per invocation, and a metrics
failure that is logged instead of changing the rollout's result."""

from __future__ import annotations

import io
import json

import pytest
from botocore.stub import Stubber
from moto import mock_aws
from rollout_telemetry import METRIC_NAMES, Telemetry
from rollout_testkit import NAMESPACE, STACK_NAME, CallRecorder, clients


@pytest.fixture
def cloudwatch(aws_credentials):
    with mock_aws():
        yield clients()["cloudwatch"]


def lines(stream):
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_each_event_is_one_json_line_and_all_metrics_one_call(cloudwatch):
    stream = io.StringIO()
    recorder = CallRecorder(cloudwatch)
    telemetry = Telemetry(cloudwatch, NAMESPACE, STACK_NAME, stream)

    telemetry.event("requested", count=3, message_ids=["a", "b", "c"])
    telemetry.event("deferred", reason="stack is UPDATE_IN_PROGRESS")
    telemetry.flush()

    assert [line["event"] for line in lines(stream)] == ["rollout_requested", "rollout_deferred"]
    assert all(line["stack_name"] == STACK_NAME for line in lines(stream))
    [call] = recorder.named("PutMetricData")
    sent = {d["MetricName"]: d["Value"] for d in call["MetricData"]}
    assert sent == {"RolloutRequested": 3.0, "RolloutDeferred": 1.0}
    assert call["Namespace"] == NAMESPACE


def test_nothing_to_send_sends_nothing(cloudwatch):
    recorder = CallRecorder(cloudwatch)
    Telemetry(cloudwatch, NAMESPACE, STACK_NAME, io.StringIO()).flush()
    assert recorder.named("PutMetricData") == []


def test_metrics_failure_is_logged_not_raised(cloudwatch):
    stream = io.StringIO()
    stubber = Stubber(cloudwatch)
    stubber.add_client_error("put_metric_data", "InternalServiceError", "CloudWatch is down")
    telemetry = Telemetry(cloudwatch, NAMESPACE, STACK_NAME, stream)
    telemetry.event("started")

    with stubber:
        telemetry.flush()

    last = lines(stream)[-1]
    assert last["event"] == "rollout_metrics_unavailable"
    assert "CloudWatch is down" in last["error"]
    assert last["unsent"] == {"started": 1}


def test_unknown_event_is_refused_by_name(cloudwatch):
    telemetry = Telemetry(cloudwatch, NAMESPACE, STACK_NAME, io.StringIO())
    with pytest.raises(ValueError, match="'begun'"):
        telemetry.event("begun")


def test_every_event_has_a_distinct_metric():
    assert len(set(METRIC_NAMES.values())) == len(METRIC_NAMES)
