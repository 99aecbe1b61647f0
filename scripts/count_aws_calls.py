"""Count the AWS API calls the registration handler makes per invocation, on moto.

Prints JSON: {case: {"service.Operation": count}} for a single-record event, a ten-record
event and an ignored event (s3:TestEvent). Used by scripts/bench.py; a measurement, not a test
(the handler's unit tests assert the PutParameter counts).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote_plus

REPO = Path(__file__).resolve().parent.parent
PARAMETER = "/bench/sentiment_model/latest_object_key"
BUCKET = "bench-model-bucket"

sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "lambda"))

from demo.emulator import FAKE_CREDENTIALS  # noqa: E402

os.environ.update({**FAKE_CREDENTIALS, "SSM_SENTIMENT_MODEL": PARAMETER})

import botocore.client  # noqa: E402
from moto import mock_aws  # noqa: E402

CALLS: Counter = Counter()
_original_make_api_call = botocore.client.BaseClient._make_api_call


def _counting_make_api_call(self, operation_name, api_params):
    CALLS[f"{self.meta.service_model.service_name}.{operation_name}"] += 1
    return _original_make_api_call(self, operation_name, api_params)


def s3_record(key: str, second: int, sequencer: int) -> dict:
    """The notification of a real upload of ``key`` on moto: the handler confirms each upload
    with HeadObject before registering it (ADR-0017), so the object version must exist."""
    import boto3

    s3 = boto3.client("s3")
    put = s3.put_object(Bucket=BUCKET, Key=key, Body=b"m" * 1024)
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": f"2026-11-27T10:00:{second:02d}.000Z",
        "eventName": "ObjectCreated:Put",
        "s3": {
            "s3SchemaVersion": "1.0",
            "bucket": {"name": BUCKET, "arn": f"arn:aws:s3:::{BUCKET}"},
            "object": {
                "key": quote_plus(key, safe="/"),
                "size": 1024,
                "eTag": put["ETag"].strip('"'),
                "versionId": put["VersionId"],
                "sequencer": f"{sequencer:016X}",
            },
        },
    }


def _versioned_bucket() -> None:
    import boto3

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})


def main() -> int:
    import lambda_handler  # imported inside moto so clients are created against it

    context = SimpleNamespace(aws_request_id="bench", function_name="bench")
    _versioned_bucket()
    cases = {
        "single_record": {"Records": [s3_record("models/one.tar.gz", 1, 1)]},
        "ten_records": {
            "Records": [s3_record(f"models/m{i}.tar.gz", 10 + i, 100 + i) for i in range(10)]
        },
        "ignored_event": {
            "Service": "Amazon S3",
            "Event": "s3:TestEvent",
            "Time": "2026-11-27T10:00:00.000Z",
            "Bucket": BUCKET,
            "RequestId": "x",
            "HostId": "y",
        },
    }
    results = {}
    botocore.client.BaseClient._make_api_call = _counting_make_api_call
    try:
        for name, event in cases.items():
            CALLS.clear()
            with contextlib.redirect_stdout(io.StringIO()):  # the handler logs JSON to stdout
                lambda_handler.lambda_handler(event, context)
            results[name] = dict(CALLS)
    finally:
        botocore.client.BaseClient._make_api_call = _original_make_api_call
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    with mock_aws():
        sys.exit(main())
