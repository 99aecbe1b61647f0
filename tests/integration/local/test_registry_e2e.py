"""The model registry end to end on moto, in-process (ADR-0071): uploads with their metrics
files become model packages, the gate decides, operators approve and reject in the registry,
and the parameter always names the newest approved model.

What stands in for AWS (tests/unit/model_registry/registry_testkit.py): the S3 notification
(built from moto's answer to the real write) and SageMaker's "Model Package State Change"
event (built as EventBridge delivers it). moto's SageMaker ignores ClientToken, so "one
package per upload" here is the function's own lookup by upload identity.
"""

from __future__ import annotations

import boto3
import pytest

from registry.packages import RegistryError
from tests.unit.model_registry.registry_testkit import (
    GROUP,
    RegistrySandbox,
    metrics_body,
    state_change_event,
)
from tests.unit.registration.registration_testkit import BUCKET, log_lines, metric_sums

GOOD, WORSE, BETTER = "models/good.tar.gz", "models/worse.tar.gz", "models/better.tar.gz"


@pytest.fixture
def box():
    with RegistrySandbox() as sandbox:
        yield sandbox


def test_a_worse_model_is_registered_rejected_and_not_served(box, capsys):
    box.deliver(box.upload_model(GOOD, metrics_body(accuracy=0.9)))
    capsys.readouterr()

    result = box.deliver(box.upload_model(WORSE, metrics_body(accuracy=0.8)))

    rejected = box.package_for(WORSE)
    assert rejected["ModelApprovalStatus"] == "Rejected"
    assert rejected["ApprovalDescription"] == (
        "primary accuracy 0.8 < incumbent 0.9 - tolerance 0.005"
    )
    assert rejected["CustomerMetadataProperties"]["GateDecision"] == "Rejected"
    assert box.served_key() == GOOD
    assert result["registeredKey"] is None
    [line] = [line for line in log_lines(capsys.readouterr().out) if line.get("key") == WORSE]
    assert line["level"] == "WARNING"
    assert line["approvalStatus"] == "Rejected"
    assert metric_sums(boto3.client("cloudwatch"))["ModelRejectedByGate"] == 1


def test_a_better_model_is_approved_served_and_recorded_with_its_metrics(box):
    box.deliver(box.upload_model(GOOD, metrics_body(accuracy=0.9)))

    box.deliver(box.upload_model(BETTER, metrics_body(accuracy=0.92, macro_f1=0.91)))

    package = box.package_for(BETTER)
    assert package["ModelApprovalStatus"] == "Approved"
    assert package["ModelPackageGroupName"] == GROUP
    statistics = package["ModelMetrics"]["ModelQuality"]["Statistics"]
    assert statistics["S3Uri"] == f"s3://{BUCKET}/models/better.metrics.json"
    assert statistics["ContentType"] == "application/json"
    assert statistics["ContentDigest"].startswith("sha256:")
    metadata = package["CustomerMetadataProperties"]
    assert metadata["ModelKey"] == BETTER
    assert metadata["Metric.accuracy"] == "0.92"
    assert {"VersionId", "EventTime", "Sequencer", "MetricsSha256"} <= set(metadata)
    assert box.served_key() == BETTER


def test_operator_approval_serves_a_rejected_model_and_rejection_rolls_back(box):
    box.deliver(box.upload_model(GOOD, metrics_body(accuracy=0.9)))
    box.deliver(box.upload_model(WORSE, metrics_body(accuracy=0.8)))
    worse = box.package_for(WORSE)["ModelPackageArn"]

    approved = box.operator_sets_status(worse, "Approved")

    assert approved["registeredKey"] == WORSE
    assert box.served_key() == WORSE

    box.operator_sets_status(worse, "Rejected")

    assert box.served_key() == GOOD
    assert len(box.packages()) == 2


def test_a_redelivered_or_duplicated_upload_never_creates_a_second_package(box):
    record = box.upload_model(GOOD, metrics_body(accuracy=0.9))

    box.deliver(record)
    box.deliver(record, record)
    box.deliver(record)

    assert len(box.packages()) == 1
    assert box.served_key() == GOOD


def test_a_late_older_upload_is_registered_but_the_newest_approved_stays_served(box):
    older = box.upload_model(GOOD, metrics_body(accuracy=0.9))
    newer = box.upload_model(BETTER, metrics_body(accuracy=0.95))

    box.deliver(newer)
    box.deliver(older)

    assert {p["CustomerMetadataProperties"]["ModelKey"] for p in box.packages()} == {GOOD, BETTER}
    assert box.served_key() == BETTER


def test_without_a_metrics_file_the_model_is_served_without_comparison(box):
    box.deliver(box.upload_model(GOOD, metrics_body(accuracy=0.9)))

    box.deliver(box.upload_model(WORSE, None))

    package = box.package_for(WORSE)
    assert package["ModelApprovalStatus"] == "Approved"
    assert package["ApprovalDescription"] == "no metrics file: registered without comparison"
    assert "ModelMetrics" not in package
    assert box.served_key() == WORSE


def test_the_strict_policy_leaves_a_model_without_metrics_pending_and_not_served():
    with RegistrySandbox(policy={"missing_metrics": "pending"}) as box:
        box.deliver(box.upload_model(GOOD, metrics_body(accuracy=0.9)))
        box.deliver(box.upload_model(WORSE, None))

        assert box.package_for(WORSE)["ModelApprovalStatus"] == "PendingManualApproval"
        assert box.served_key() == GOOD


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "is not JSON"),
        (b'{"metrics": {"accuracy": NaN}}', "/metrics/accuracy"),
        (b'{"metrics": {"f1": 0.9}}', "no primary metric accuracy"),
        (b'{"scores": {}}', "/metrics: missing"),
    ],
    ids=["not-json", "nan", "no-primary", "no-metrics-object"],
)
def test_a_broken_metrics_file_is_never_served_and_the_package_says_why(box, body, reason):
    box.deliver(box.upload_model(GOOD, metrics_body(accuracy=0.9)))

    box.deliver(box.upload_model(WORSE, body))

    package = box.package_for(WORSE)
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert reason in package["ApprovalDescription"]
    assert box.served_key() == GOOD


def test_the_first_model_with_a_broken_file_leaves_nothing_served(box):
    box.deliver(box.upload_model(GOOD, b"{}"))

    assert box.package_for(GOOD)["ModelApprovalStatus"] == "PendingManualApproval"
    assert box.served_key() is None


def test_a_state_change_of_another_group_changes_nothing(box):
    box.deliver(box.upload_model(GOOD, metrics_body(accuracy=0.9)))
    box.deliver(box.upload_model(WORSE, metrics_body(accuracy=0.8)))
    worse = box.package_for(WORSE)["ModelPackageArn"]
    box.sagemaker.update_model_package(ModelPackageArn=worse, ModelApprovalStatus="Approved")

    box.invoke(state_change_event(worse, "Approved", group="another-group"))

    assert box.served_key() == GOOD


def test_without_a_group_the_function_is_the_plain_flow(box, monkeypatch):
    monkeypatch.delenv("MODEL_PACKAGE_GROUP")

    result = box.deliver(box.upload_model(WORSE, metrics_body(accuracy=0.1)))

    assert result["registeredKey"] == WORSE
    assert box.served_key() == WORSE
    assert box.packages() == []


def test_a_registry_failure_is_a_named_error_and_the_parameter_is_untouched(
    box, capsys, monkeypatch
):
    box.deliver(box.upload_model(GOOD, metrics_body(accuracy=0.9)))
    # A group that does not exist: CreateModelPackage fails as SageMaker would.
    monkeypatch.setenv("MODEL_PACKAGE_GROUP", "no-such-group")
    capsys.readouterr()

    with pytest.raises(RegistryError, match="CreateModelPackage in group"):
        box.deliver(box.upload_model(BETTER, metrics_body(accuracy=0.95)))

    assert box.served_key() == GOOD
    [line] = [
        line
        for line in log_lines(capsys.readouterr().out)
        if line.get("event") == "model_registry_failed"
    ]
    assert line["level"] == "ERROR"


def test_a_forged_event_for_a_missing_object_creates_no_package(box):
    """ADR-0017 holds in registry mode too: S3 must confirm the version the event names."""
    box.deliver(box.upload_model(GOOD, metrics_body(accuracy=0.9)))
    genuine = box.upload_model(BETTER, metrics_body(accuracy=0.95))
    forged = {**genuine, "s3": {**genuine["s3"], "object": {**genuine["s3"]["object"]}}}
    forged["s3"]["object"]["key"] = "models/never-uploaded.tar.gz"

    result = box.deliver(forged)

    assert [p["CustomerMetadataProperties"].get("ModelKey") for p in box.packages()] == [GOOD]
    assert box.served_key() == GOOD
    assert "upload_not_verified" in result["alerts"]
    assert metric_sums(boto3.client("cloudwatch"))["UnverifiedUploadIgnored"] == 1


def test_a_key_sagemaker_cannot_load_creates_no_package(box):
    record = box.upload_model("models/line\u2028break.tar.gz", metrics_body(accuracy=0.9))

    result = box.deliver(record)

    assert box.packages() == []
    assert box.served_key() is None
    assert result["decisions"] == ["rejected"]
    assert metric_sums(boto3.client("cloudwatch"))["EventRejected"] == 1
