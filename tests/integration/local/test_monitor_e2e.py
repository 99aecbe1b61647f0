"""The monitor function end to end on moto: capture files in SageMaker's format in S3 -> the
window's metrics in CloudWatch, its summary in S3, and the "retraining recommended" event on the
monitoring bus, through ``monitor_handler.lambda_handler`` as Lambda calls it.

The capture files are ``demo.capture_traffic``'s: SageMaker's capture layout and line format,
batches, ``BASE64`` JSON payloads and ``text/plain`` ones (counted as non-JSON), inference ids
and ground truth in the merge format. The baseline is the committed sample model's metrics file.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

import monitor_handler
from config import constants
from demo.capture_traffic import DRIFTED, NORMAL, write_hour
from demo.monitor_hours import subscribe_queue_to_retraining
from monitoring import contract, report

REPO = Path(__file__).resolve().parents[3]
SAMPLE_METRICS = REPO / "samples" / "sentiment-model.metrics.json"
REGION = "us-east-1"
ENDPOINT = "sagemaker-endpoint"
CAPTURE_BUCKET = "capture-bucket"
MODEL_BUCKET = "model-bucket"
MODEL_KEY = "models/sentiment/v1.tar.gz"
PARAMETER = constants.SSM_PARAMETER_MODEL
BUS = "model-monitoring"
WINDOW_START = datetime(2026, 12, 5, 12, tzinfo=UTC)
SCHEDULED_EVENT = {"time": "2026-12-05T13:15:00Z", "detail-type": "Scheduled Event"}
ENVIRONMENT = {
    contract.ENDPOINT_NAME_ENV_VAR: ENDPOINT,
    contract.VARIANT_NAME_ENV_VAR: constants.SAGEMAKER_VARIANT_NAME,
    contract.CAPTURE_BUCKET_ENV_VAR: CAPTURE_BUCKET,
    contract.CAPTURE_PREFIX_ENV_VAR: constants.DATA_CAPTURE_PREFIX,
    contract.GROUND_TRUTH_PREFIX_ENV_VAR: constants.GROUND_TRUTH_PREFIX,
    contract.SUMMARY_PREFIX_ENV_VAR: constants.MONITOR_SUMMARY_PREFIX,
    contract.MODEL_PARAMETER_ENV_VAR: PARAMETER,
    contract.MODEL_BUCKET_ENV_VAR: MODEL_BUCKET,
    contract.EVENT_BUS_ENV_VAR: BUS,
    contract.EVENT_SOURCE_ENV_VAR: constants.MONITOR_EVENT_SOURCE,
    contract.LOW_CONFIDENCE_THRESHOLD_ENV_VAR: str(constants.MONITOR_LOW_CONFIDENCE_THRESHOLD),
    contract.MIN_PREDICTIONS_FOR_DRIFT_ENV_VAR: str(constants.MONITOR_MIN_PREDICTIONS_FOR_DRIFT),
    contract.MAX_GROUND_TRUTH_LABELS_ENV_VAR: str(constants.MONITOR_MAX_GROUND_TRUTH_LABELS),
    contract.MAX_LABEL_PSI_ENV_VAR: str(constants.MONITOR_MAX_LABEL_PSI),
    contract.MAX_CONFIDENCE_PSI_ENV_VAR: str(constants.MONITOR_MAX_CONFIDENCE_PSI),
    contract.MAX_INPUT_LENGTH_PSI_ENV_VAR: str(constants.MONITOR_MAX_INPUT_LENGTH_PSI),
    contract.MIN_ACCURACY_ENV_VAR: str(constants.MONITOR_MIN_ACCURACY),
    contract.MIN_LABELLED_PREDICTIONS_ENV_VAR: str(constants.MONITOR_MIN_LABELLED_PREDICTIONS),
    "METRICS_NAMESPACE": constants.MONITOR_METRICS_NAMESPACE,
}


class LambdaContext:
    aws_request_id = "test-request"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return constants.MONITOR_TIMEOUT_SECONDS * 1000


@pytest.fixture
def aws(monkeypatch):
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        # The container's clients are cached across invocations: start each test afresh.
        monkeypatch.setattr(monitor_handler.CLIENTS, "_clients", {})
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in (CAPTURE_BUCKET, MODEL_BUCKET):
            s3.create_bucket(Bucket=bucket)
        boto3.client("ssm", region_name=REGION).put_parameter(
            Name=PARAMETER, Value=MODEL_KEY, Type="String"
        )
        sqs, queue_url = subscribe_queue_to_retraining(REGION, BUS, "retraining")
        yield {"s3": s3, "sqs": sqs, "queue_url": queue_url}


def upload_hour(s3, tmp_path: Path, *, profile, requests: int = 600, seed: int = 0):
    written = write_hour(
        tmp_path,
        start=WINDOW_START,
        requests=requests,
        capture_prefix=constants.DATA_CAPTURE_PREFIX,
        ground_truth_prefix=constants.GROUND_TRUTH_PREFIX,
        endpoint_name=ENDPOINT,
        profile=profile,
        seed=seed,
    )
    for key in (*written.capture_keys, *written.ground_truth_keys):
        s3.upload_file(str(tmp_path / key), CAPTURE_BUCKET, key)
    return written


def upload_baseline(s3) -> None:
    s3.put_object(
        Bucket=MODEL_BUCKET,
        Key=MODEL_KEY.removesuffix(".tar.gz") + ".metrics.json",
        Body=SAMPLE_METRICS.read_bytes(),
    )


def published(namespace: str = constants.MONITOR_METRICS_NAMESPACE) -> dict[str, float]:
    """Metric name -> the one value published for the window (fails on a second value)."""
    from moto.cloudwatch.models import cloudwatch_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    backend = cloudwatch_backends[DEFAULT_ACCOUNT_ID][REGION]
    values: dict[str, float] = {}
    for datum in backend.metric_data:
        if datum.namespace != namespace:
            continue
        dimensions = {d.name: d.value for d in datum.dimensions}
        assert dimensions.get(report.ENDPOINT_DIMENSION) == ENDPOINT
        name = datum.name + (f"[{dimensions['Label']}]" if "Label" in dimensions else "")
        assert name not in values, f"{name} was published twice"
        values[name] = float(datum.value)
    return values


def retraining_events(aws) -> list[dict]:
    messages = aws["sqs"].receive_message(QueueUrl=aws["queue_url"], MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


def capture_records(tmp_path: Path, keys) -> int:
    return sum(
        1 for key in keys for line in (tmp_path / key).read_bytes().splitlines() if line.strip()
    )


def test_an_hour_of_captures_becomes_the_window_metrics_and_a_summary_without_text(aws, tmp_path):
    upload_baseline(aws["s3"])
    written = upload_hour(aws["s3"], tmp_path, profile=NORMAL)

    result = monitor_handler.lambda_handler(SCHEDULED_EVENT, LambdaContext())

    assert result["outcome"] == "published"
    assert result["window"] == {"start": "2026-12-05T12:00:00Z", "end": "2026-12-05T13:00:00Z"}
    metrics = published()
    lines = capture_records(tmp_path, written.capture_keys)
    malformed = metrics[report.MALFORMED_CAPTURE_LINES]
    # Every line is a request: read, or counted as malformed (the text/plain ones).
    assert metrics[report.CAPTURED_REQUESTS] + malformed == lines == written.requests
    assert 0 < malformed < 0.05 * lines
    assert metrics[report.PREDICTIONS] >= metrics[report.CAPTURED_REQUESTS]
    shares = [v for k, v in metrics.items() if k.startswith(report.PREDICTED_LABEL_SHARE)]
    assert sum(shares) == pytest.approx(1.0)
    assert metrics[report.LABEL_DRIFT_PSI] < constants.MONITOR_MAX_LABEL_PSI
    assert {report.CONFIDENCE_DRIFT_PSI, report.INPUT_LENGTH_DRIFT_PSI} <= set(metrics)
    assert metrics[report.LABELLED_PREDICTIONS] > 0
    assert 0 <= metrics[report.ACCURACY] <= 1
    summary_body = (
        aws["s3"].get_object(Bucket=CAPTURE_BUCKET, Key=result["summaryKey"])["Body"].read()
    )
    summary = json.loads(summary_body)
    assert summary["captured_requests"] == metrics[report.CAPTURED_REQUESTS]
    assert summary["malformed_lines"]["by_reason"] == {"non_json_payload": malformed}
    first_line = (tmp_path / written.capture_keys[0]).read_bytes().splitlines()[0]
    captured_text = json.loads(json.loads(first_line)["captureData"]["endpointInput"]["data"])
    text = captured_text["inputs"]
    assert (text if isinstance(text, str) else text[0]).encode() not in summary_body


def test_a_shifted_label_mix_crosses_the_drift_threshold_and_emits_the_retraining_event(
    aws, tmp_path
):
    upload_baseline(aws["s3"])
    upload_hour(aws["s3"], tmp_path, profile=DRIFTED)

    result = monitor_handler.lambda_handler(SCHEDULED_EVENT, LambdaContext())

    assert result["retrainingRecommended"] is True
    assert published()[report.LABEL_DRIFT_PSI] > constants.MONITOR_MAX_LABEL_PSI
    [event] = retraining_events(aws)
    assert event["source"] == constants.MONITOR_EVENT_SOURCE
    assert event["detail-type"] == report.RETRAINING_DETAIL_TYPE
    assert event["detail"]["endpoint_name"] == ENDPOINT
    assert event["detail"]["window"]["start"] == "2026-12-05T12:00:00Z"
    reasons = {reason["metric"] for reason in event["detail"]["reasons"]}
    assert report.LABEL_DRIFT_PSI in reasons
    assert event["detail"]["figures"][report.LABEL_DRIFT_PSI] > constants.MONITOR_MAX_LABEL_PSI


def test_a_second_run_of_the_same_window_publishes_nothing_twice(aws, tmp_path):
    upload_baseline(aws["s3"])
    upload_hour(aws["s3"], tmp_path, profile=DRIFTED)
    monitor_handler.lambda_handler(SCHEDULED_EVENT, LambdaContext())
    first = published()
    assert len(retraining_events(aws)) == 1

    again = monitor_handler.lambda_handler(SCHEDULED_EVENT, LambdaContext())

    assert again["outcome"] == "already_reported"
    assert published() == first  # and published() fails on any value sent twice
    assert retraining_events(aws) == []


def test_without_a_baseline_the_absolute_signals_are_published_and_the_log_says_so(
    aws, tmp_path, capsys
):
    upload_hour(aws["s3"], tmp_path, profile=NORMAL, requests=200)

    result = monitor_handler.lambda_handler(SCHEDULED_EVENT, LambdaContext())

    assert result["outcome"] == "published"
    metrics = published()
    assert metrics[report.CAPTURED_REQUESTS] > 0
    assert report.LABEL_DRIFT_PSI not in metrics
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    [warning] = [line for line in lines if line["event"] == "monitor_no_baseline"]
    assert warning["reason"] == "no metrics file"
    assert "absolute signals only" in warning["consequence"]


def test_a_failed_publication_releases_the_window_for_the_retry(aws, tmp_path, monkeypatch):
    upload_baseline(aws["s3"])
    upload_hour(aws["s3"], tmp_path, profile=NORMAL, requests=200)
    cloudwatch = monitor_handler.CLIENTS.client("cloudwatch")

    def refuse(**_):
        raise RuntimeError("PutMetricData throttled")

    monkeypatch.setattr(cloudwatch, "put_metric_data", refuse)
    with pytest.raises(RuntimeError, match="throttled"):
        monitor_handler.lambda_handler(SCHEDULED_EVENT, LambdaContext())
    monkeypatch.undo()
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)

    retry = monitor_handler.lambda_handler(SCHEDULED_EVENT, LambdaContext())

    assert retry["outcome"] == "published"
    assert published()[report.CAPTURED_REQUESTS] > 0
