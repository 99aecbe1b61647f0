"""Client reuse across invocations, and the shape of the log lines and metrics.

(Cold start and the clients themselves: tests/unit/common.)"""

from __future__ import annotations

import lambda_handler
from tests.unit.registration.registration_testkit import (
    PARAMETER,
    event,
    invoke,
    log_lines,
    metric_sums,
)

REQUIRED_LOG_FIELDS = {"bucket", "key", "versionId", "eTag", "size", "eventTime"}
METRICS = {
    "ModelRegistered",
    "EventIgnored",
    "EventRejected",
    "RegisteredModelDeleted",
    "RegisteredModelOverwritten",
    "UnverifiedUploadIgnored",
}


def test_invocations_reuse_the_containers_clients(aws):
    invoke(event(aws.uploads.put("models/a.tar.gz")))
    first = aws.clients.client("ssm")

    invoke(event(aws.uploads.put("models/b.tar.gz")))

    assert aws.clients.client("ssm") is first
    assert lambda_handler.CLIENTS is aws.clients


def test_every_record_gets_one_json_line_with_its_object_fields(aws, capsys):
    records = [
        aws.uploads.put("models/a.tar.gz"),
        aws.uploads.put("notes/readme.txt"),
        aws.uploads.put("models/b.tar.gz"),
    ]

    invoke(event(*records))

    lines = log_lines(capsys.readouterr().out)
    assert [line["decision"] for line in lines] == ["ignored", "ignored", "registered"]
    for line, record in zip(lines, records, strict=True):
        assert line.keys() >= REQUIRED_LOG_FIELDS
        assert line["versionId"] == record["s3"]["object"]["versionId"]
        assert line["eventTime"] == record["eventTime"]
        assert line["requestId"] == "req-test"
        assert line["logger"] == "model_registration"
        assert line["parameter"] == PARAMETER
        assert line["reason"]
    assert lines[0]["reason"] == "superseded by a newer model upload in the same event"


def test_each_invocation_sends_all_six_metrics_in_one_call(aws):
    invoke(event(aws.uploads.put("models/a.tar.gz")))

    assert aws.calls["cloudwatch.PutMetricData"] == 1
    assert set(metric_sums(aws.cloudwatch)) == METRICS


def test_the_metrics_namespace_comes_from_the_environment(aws, monkeypatch):
    monkeypatch.setenv("METRICS_NAMESPACE", "Team/Registration")

    invoke(event(aws.uploads.put("models/a.tar.gz")))

    assert metric_sums(aws.cloudwatch, "Team/Registration")["ModelRegistered"] == 1
    assert metric_sums(aws.cloudwatch, "ModelRegistration") == {}
