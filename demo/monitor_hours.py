"""Two hours of the live endpoint, monitored, on the local emulator (moto): a normal hour of
captured traffic, then a drifted one.

    python -m demo.monitor_hours [--requests N]

Each hour is written in SageMaker's capture format (``demo.capture_traffic``: answers of the
sample model's reference forward pass), the monitor function runs in-process as its hourly
schedule would, and the figures it published are read back from CloudWatch. moto does not
evaluate alarms, so each drift and quality alarm of the stack is evaluated here the way
CloudWatch does for one hourly datapoint: the window's value against the threshold and
comparison in config/constants.py (ADR-0070). The drifted hour also shows the "retraining
recommended" event the data-science team receives.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

REPO = Path(__file__).resolve().parent.parent
if str(REPO / "lambda") not in sys.path:
    sys.path.insert(0, str(REPO / "lambda"))

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from config import constants  # noqa: E402
from demo.capture_traffic import DRIFTED, NORMAL, write_hour  # noqa: E402

REGION = "us-east-1"
CAPTURE_BUCKET, MODEL_BUCKET, BUS = "capture-bucket", "model-bucket", "model-monitoring"
MODEL_KEY = "models/sentiment/v1.tar.gz"
FIRST_HOUR = datetime(2026, 12, 5, 12, tzinfo=UTC)
# (metric, threshold, breaching when the value is ...) as the stack's alarms have them.
ALARMS = (
    ("LabelDriftPSI", constants.MONITOR_MAX_LABEL_PSI, "above"),
    ("ConfidenceDriftPSI", constants.MONITOR_MAX_CONFIDENCE_PSI, "above"),
    ("InputLengthDriftPSI", constants.MONITOR_MAX_INPUT_LENGTH_PSI, "above"),
    ("Accuracy", constants.MONITOR_MIN_ACCURACY, "below"),
    ("LowConfidenceShare", constants.MONITOR_MAX_LOW_CONFIDENCE_SHARE, "above"),
)


def environment() -> dict[str, str]:
    names = constants.MONITOR_ENVIRONMENT_NAMES
    values = {
        "endpoint_name": constants.SAGEMAKER_ENDPOINT_NAME,
        "variant_name": constants.SAGEMAKER_VARIANT_NAME,
        "capture_bucket": CAPTURE_BUCKET,
        "capture_prefix": constants.DATA_CAPTURE_PREFIX,
        "ground_truth_prefix": constants.GROUND_TRUTH_PREFIX,
        "summary_prefix": constants.MONITOR_SUMMARY_PREFIX,
        "model_parameter_name": constants.SSM_PARAMETER_MODEL,
        "model_bucket": MODEL_BUCKET,
        "event_bus_name": BUS,
        "event_source": constants.MONITOR_EVENT_SOURCE,
        "metrics_namespace": constants.MONITOR_METRICS_NAMESPACE,
        "low_confidence_threshold": str(constants.MONITOR_LOW_CONFIDENCE_THRESHOLD),
        "min_predictions_for_drift": str(constants.MONITOR_MIN_PREDICTIONS_FOR_DRIFT),
        "max_ground_truth_labels": str(constants.MONITOR_MAX_GROUND_TRUTH_LABELS),
        "max_label_psi": str(constants.MONITOR_MAX_LABEL_PSI),
        "max_confidence_psi": str(constants.MONITOR_MAX_CONFIDENCE_PSI),
        "max_input_length_psi": str(constants.MONITOR_MAX_INPUT_LENGTH_PSI),
        "min_accuracy": str(constants.MONITOR_MIN_ACCURACY),
        "min_labelled_predictions": str(constants.MONITOR_MIN_LABELLED_PREDICTIONS),
    }
    return {names[field]: value for field, value in values.items()} | {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }


def reference_metrics_file(tmp: Path, requests: int) -> bytes:
    """A metrics file whose baseline is an hour of normal traffic (another seed): what the
    held-out set of a model trained for this traffic would show. The committed sample's own
    baseline comes from a different text set, against which even normal demo traffic drifts."""
    from monitoring.capture import Window
    from monitoring.window import WindowAccumulator

    written = write_hour(
        tmp / "reference",
        start=FIRST_HOUR - timedelta(days=1),
        requests=requests,
        capture_prefix=constants.DATA_CAPTURE_PREFIX,
        ground_truth_prefix=constants.GROUND_TRUTH_PREFIX,
        endpoint_name=constants.SAGEMAKER_ENDPOINT_NAME,
        profile=NORMAL,
        seed=99,
    )
    accumulator = WindowAccumulator(low_confidence_threshold=0.5)
    for key in written.capture_keys:
        accumulator.add_capture_lines((tmp / "reference" / key).read_bytes().splitlines())
    edges = [k / 10 for k in range(11)]
    summary = accumulator.summarize(
        Window(FIRST_HOUR - timedelta(days=1)), None, min_predictions_for_drift=1
    )
    counts = accumulator.confidence_counts(edges)
    lengths = summary.input_length

    def rounded(shares: list[float]) -> list[float]:
        values = [round(share, 6) for share in shares]
        values[-1] = round(1 - sum(values[:-1]), 6)
        return values

    labels = sorted(summary.label_shares)
    label_shares = dict(
        zip(labels, rounded([summary.label_shares[k] for k in labels]), strict=True)
    )
    document = {
        "schema_version": 1,
        "metrics": {"accuracy": 0.9},
        "baseline": {
            "num_examples": summary.predictions,
            "predicted_label_shares": label_shares,
            "confidence_histogram": {
                "bin_edges": edges,
                "shares": rounded([c / summary.predictions for c in counts]),
            },
            "input_length": {
                "unit": "characters",
                # The shortest input (the nearest-rank percentile of the smallest rank).
                "min": int(accumulator.input_lengths.percentile(1 / summary.predictions)),
                "mean": lengths.mean,
                "p50": lengths.p50,
                "p95": lengths.p95,
                "max": lengths.max,
            },
        },
    }
    return json.dumps(document).encode()


def alarm_states(cloudwatch, window_start: datetime) -> dict[str, tuple[float | None, str]]:
    """Metric -> (the window's value, ALARM / OK / INSUFFICIENT_DATA)."""
    states = {}
    for metric, threshold, breaching in ALARMS:
        points = cloudwatch.get_metric_statistics(
            Namespace=constants.MONITOR_METRICS_NAMESPACE,
            MetricName=metric,
            Dimensions=[
                {
                    "Name": constants.MONITOR_ENDPOINT_DIMENSION,
                    "Value": constants.SAGEMAKER_ENDPOINT_NAME,
                }
            ],
            StartTime=window_start,
            EndTime=window_start + timedelta(hours=1),
            Period=constants.MONITOR_ALARM_PERIOD_SECONDS,
            Statistics=["Maximum"],
        )["Datapoints"]
        if not points:
            states[metric] = (None, "INSUFFICIENT_DATA")
            continue
        value = points[0]["Maximum"]
        breached = value > threshold if breaching == "above" else value < threshold
        states[metric] = (value, "ALARM" if breached else "OK")
    return states


def run(requests: int, out=sys.stdout) -> dict[str, dict]:
    results: dict[str, dict] = {}
    with (
        mock.patch.dict(os.environ, environment()),
        mock_aws(),
        tempfile.TemporaryDirectory() as tmp,
    ):
        import monitor_handler

        monitor_handler.CLIENTS._clients.clear()
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in (CAPTURE_BUCKET, MODEL_BUCKET):
            s3.create_bucket(Bucket=bucket)
        s3.put_object(
            Bucket=MODEL_BUCKET,
            Key=MODEL_KEY.removesuffix(".tar.gz") + ".metrics.json",
            Body=reference_metrics_file(Path(tmp), requests),
        )
        boto3.client("ssm", region_name=REGION).put_parameter(
            Name=constants.SSM_PARAMETER_MODEL, Value=MODEL_KEY, Type="String"
        )
        sqs, queue = subscribe_queue_to_retraining(REGION, BUS, "data-science")
        cloudwatch = boto3.client("cloudwatch", region_name=REGION)
        for offset, (name, profile) in enumerate((("normal", NORMAL), ("drifted", DRIFTED))):
            start = FIRST_HOUR + timedelta(hours=offset)
            written = write_hour(
                Path(tmp),
                start=start,
                requests=requests,
                capture_prefix=constants.DATA_CAPTURE_PREFIX,
                ground_truth_prefix=constants.GROUND_TRUTH_PREFIX,
                endpoint_name=constants.SAGEMAKER_ENDPOINT_NAME,
                profile=profile,
                seed=offset,
            )
            for key in (*written.capture_keys, *written.ground_truth_keys):
                s3.upload_file(str(Path(tmp) / key), CAPTURE_BUCKET, key)
            scheduled = {"time": (start + timedelta(hours=1, minutes=15)).isoformat()}
            result = monitor_handler.lambda_handler(scheduled, None)
            states = alarm_states(cloudwatch, start)
            messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
            received = [json.loads(m["Body"]) for m in messages.get("Messages", [])]
            results[name] = {"result": result, "alarms": states, "events": received}
            print(f"\n== {name} hour {start:%Y-%m-%d %H:00} UTC: {requests} requests", file=out)
            for metric, (value, state) in states.items():
                shown = "-" if value is None else f"{value:.3f}"
                print(f"   {metric:<22} {shown:>8}  {state}", file=out)
            for event in received:
                reasons = ", ".join(
                    f"{r['metric']} {r['value']:.3f} vs {r['threshold']}"
                    for r in event["detail"]["reasons"]
                )
                print(f"   event to the data-science team: {event['detail-type']}: {reasons}",
                      file=out)  # fmt: skip
    return results


def subscribe_queue_to_retraining(region: str, bus: str, queue_name: str) -> tuple[object, str]:
    """What a data-science team does to hear "retraining recommended": an SQS queue targeted by
    a rule on the monitor's bus (ADR-0070). Returns the SQS client and the queue's URL."""
    events = boto3.client("events", region_name=region)
    sqs = boto3.client("sqs", region_name=region)
    events.create_event_bus(Name=bus)
    queue_url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    events.put_rule(
        Name="retraining",
        EventBusName=bus,
        EventPattern=json.dumps(
            {
                "source": [constants.MONITOR_EVENT_SOURCE],
                "detail-type": [constants.RETRAINING_DETAIL_TYPE],
            }
        ),
    )
    events.put_targets(
        Rule="retraining", EventBusName=bus, Targets=[{"Id": "queue", "Arn": queue_arn}]
    )
    return sqs, queue_url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args(argv)
    run(args.requests)
    return 0


if __name__ == "__main__":
    sys.exit(main())
