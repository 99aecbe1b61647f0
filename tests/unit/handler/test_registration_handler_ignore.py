"""The handler on moto: events that must not change the parameter, and the alerts."""

from __future__ import annotations

import pytest
from registration_testkit import (
    event,
    history,
    invoke,
    log_lines,
    metric_sums,
    registered_value,
    s3_record,
    s3_test_event,
)


def test_the_s3_test_event_is_acknowledged_without_touching_parameter_store(aws, capsys):
    result = invoke(s3_test_event())

    assert aws.calls.ssm_calls() == 0
    assert result["decisions"] == ["ignored"]
    (line,) = log_lines(capsys.readouterr().out)
    assert line["decision"] == "ignored"
    assert line["reason"].startswith("s3:TestEvent")
    assert line["bucket"] == "model-bucket-test"
    assert metric_sums(aws.cloudwatch)["EventIgnored"] == 1


@pytest.mark.parametrize(
    "key",
    [
        "models/metrics.json",
        "models/model.tar.gz.sha256",
        "models/model.tar",
        "models/folder.tar.gz/",
        "models/",
        "models/model.TAR.GZ",
    ],
)
def test_non_model_keys_never_touch_parameter_store(aws, capsys, key):
    invoke(event(aws.uploads.put("models/registered.tar.gz")))
    capsys.readouterr()
    aws.calls.calls.clear()

    invoke(event(aws.uploads.put(key, body=b"" if key.endswith("/") else b"data")))

    assert aws.calls.ssm_calls() == 0
    assert registered_value(aws.ssm) == "models/registered.tar.gz"
    (line,) = log_lines(capsys.readouterr().out)
    assert line["reason"].startswith("not a model artifact")
    assert line["key"] == key


def test_an_unhandled_event_type_is_ignored(aws, capsys):
    record = s3_record("models/a.tar.gz", event_name="ObjectRestore:Completed")

    invoke(event(record))

    assert aws.calls.ssm_calls() == 0
    (line,) = log_lines(capsys.readouterr().out)
    assert line["reason"] == "event type ObjectRestore:Completed does not register models"


def test_deleting_the_registered_model_alerts_and_keeps_the_parameter(aws, capsys):
    invoke(event(aws.uploads.put("models/a.tar.gz")))
    capsys.readouterr()

    result = invoke(event(aws.uploads.delete("models/a.tar.gz")))

    assert registered_value(aws.ssm) == "models/a.tar.gz"
    assert aws.calls["ssm.PutParameter"] == 1
    assert result["alerts"] == ["registered_model_deleted"]
    (line,) = log_lines(capsys.readouterr().out)
    assert line["level"] == "ERROR"
    assert line["alert"] == "registered_model_deleted"
    assert line["eventName"] == "ObjectRemoved:DeleteMarkerCreated"
    assert metric_sums(aws.cloudwatch)["RegisteredModelDeleted"] == 1


def test_permanently_deleting_the_registered_version_alerts(aws):
    upload = aws.uploads.put("models/a.tar.gz")
    invoke(event(upload))

    result = invoke(
        event(aws.uploads.delete_version("models/a.tar.gz", upload["s3"]["object"]["versionId"]))
    )

    assert result["alerts"] == ["registered_model_deleted"]
    assert metric_sums(aws.cloudwatch)["RegisteredModelDeleted"] == 1


def test_deleting_another_version_of_the_registered_key_is_not_an_alert(aws, capsys):
    old = aws.uploads.put("models/a.tar.gz", body=b"old")
    invoke(event(aws.uploads.put("models/a.tar.gz", body=b"new")))
    capsys.readouterr()

    result = invoke(
        event(aws.uploads.delete_version("models/a.tar.gz", old["s3"]["object"]["versionId"]))
    )

    assert result["alerts"] == []
    (line,) = log_lines(capsys.readouterr().out)
    assert line["reason"] == "removed version is not the registered version"


def test_deleting_a_model_that_is_not_registered_is_ignored(aws, capsys):
    aws.uploads.put("models/old.tar.gz")
    invoke(event(aws.uploads.put("models/current.tar.gz")))
    capsys.readouterr()

    result = invoke(event(aws.uploads.delete("models/old.tar.gz")))

    assert result["alerts"] == []
    assert registered_value(aws.ssm) == "models/current.tar.gz"
    (line,) = log_lines(capsys.readouterr().out)
    assert line["reason"] == "removed object is not the registered model"


def test_a_late_removal_that_precedes_the_registered_upload_is_not_an_alert(aws):
    aws.uploads.put("models/a.tar.gz", body=b"v1")
    removal = aws.uploads.delete("models/a.tar.gz")
    invoke(event(aws.uploads.put("models/a.tar.gz", body=b"v2")))

    result = invoke(event(removal))

    assert result["alerts"] == []
    assert len(history(aws.ssm)) == 1


def test_removals_of_non_model_keys_never_touch_parameter_store(aws):
    aws.uploads.put("notes/readme.txt")

    invoke(event(aws.uploads.delete("notes/readme.txt")))

    assert aws.calls.ssm_calls() == 0
