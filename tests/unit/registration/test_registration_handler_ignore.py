"""The handler on moto: events that must not change the parameter, and the alerts."""

from __future__ import annotations

import pytest

from common.errors import ConfigurationError
from tests.unit.registration.registration_testkit import (
    PARAMETER,
    event,
    history,
    invoke,
    log_lines,
    metric_sums,
    registered_value,
    s3_record,
    s3_test_event,
    uploaded,
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


# -- the model location (MODEL_BUCKET, MODEL_KEY_PREFIX; ADR-0016) ------------------------------


@pytest.fixture
def located(aws, monkeypatch):
    """The handler restricted to the test bucket's ``models/`` prefix."""
    monkeypatch.setenv("MODEL_BUCKET", aws.uploads.bucket)
    monkeypatch.setenv("MODEL_KEY_PREFIX", "models/")
    return aws


def test_a_model_outside_the_key_prefix_is_ignored_with_a_warning(located, capsys):
    result = invoke(event(located.uploads.put("drafts/model.tar.gz")))

    assert located.calls.ssm_calls() == 0
    assert registered_value(located.ssm) is None
    assert result["decisions"] == ["ignored"]
    (line,) = log_lines(capsys.readouterr().out)
    assert line["level"] == "WARNING"
    assert line["key"] == "drafts/model.tar.gz"
    assert "outside the model prefix 'models/' (MODEL_KEY_PREFIX)" in line["reason"]
    assert metric_sums(located.cloudwatch)["EventIgnored"] == 1


def test_a_model_from_another_bucket_is_ignored_with_a_warning(located, capsys):
    foreign = s3_record("models/model.tar.gz", bucket="someone-elses-bucket")

    invoke(event(foreign))

    assert located.calls.ssm_calls() == 0
    (line,) = log_lines(capsys.readouterr().out)
    assert line["level"] == "WARNING"
    assert "bucket 'someone-elses-bucket' is not the model bucket" in line["reason"]


def test_a_newer_record_outside_the_location_does_not_shadow_an_older_one_inside(located):
    inside = located.uploads.put("models/inside.tar.gz")
    outside = located.uploads.put("elsewhere/newer.tar.gz")

    result = invoke(event(outside, inside))

    assert registered_value(located.ssm) == "models/inside.tar.gz"
    assert result["decisions"] == ["ignored", "registered"]


def test_a_removal_in_another_bucket_is_no_alert_for_an_out_of_band_registration(located):
    # An out-of-band value has no bucket, so without MODEL_BUCKET a removal of the same key in
    # any bucket would match it.
    located.ssm.put_parameter(Name=PARAMETER, Value="models/a.tar.gz", Type="String")
    removal = s3_record(
        "models/a.tar.gz",
        bucket="someone-elses-bucket",
        event_name="ObjectRemoved:DeleteMarkerCreated",
        event_time="2030-01-01T00:00:00.000Z",
        etag=None,
        size=None,
    )

    result = invoke(event(removal))

    assert result["alerts"] == []
    assert located.calls.ssm_calls() == 0


def test_without_a_location_any_bucket_and_key_may_register(aws):
    # The defaults: MODEL_BUCKET and MODEL_KEY_PREFIX unset (the stack sets them).
    invoke(event(uploaded(aws.s3, s3_record("anywhere/model.tar.gz", bucket="another-bucket"))))

    assert registered_value(aws.ssm) == "anywhere/model.tar.gz"


@pytest.mark.parametrize(
    ("variable", "value"), [("MODEL_BUCKET", "s3://bucket"), ("MODEL_KEY_PREFIX", " models/")]
)
def test_an_invalid_location_is_a_configuration_error(aws, monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)

    with pytest.raises(ConfigurationError, match=f"{variable}="):
        invoke(event(aws.uploads.put("models/a.tar.gz")))

    assert aws.calls.ssm_calls() == 0
