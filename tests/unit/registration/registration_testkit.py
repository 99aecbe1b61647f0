"""Test helpers for the registration handler: S3's key encoding, S3-shaped events, and an
S3 simulator on moto that produces the notification S3 would send for each real write.

moto drops S3 -> Lambda notifications (no Docker), so the simulator performs the real write
on moto's S3 and builds the record from moto's answer (versionId, eTag, size), adding the two
fields only S3's notification service knows: eventTime and sequencer.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote_plus

PARAMETER = "/sentiment_model/latest_object_key"
BUCKET = "model-bucket-test"
# Like the contexts of scripts and the local rehearsal: no clock, so no time guard.
CONTEXT = SimpleNamespace(aws_request_id="req-test", function_name="s3-object-to-ssm")


class LambdaContext:
    """The parts of Lambda's context the handler uses, with a clock the test moves: every
    simulated attempt and backoff sleep ``spend``s from the remaining time."""

    def __init__(self, remaining_seconds: float = 60.0, request_id: str = "req-test") -> None:
        self.aws_request_id = request_id
        self.function_name = "s3-object-to-ssm"
        self.remaining_seconds = remaining_seconds

    def spend(self, seconds: float) -> None:
        self.remaining_seconds -= seconds

    def get_remaining_time_in_millis(self) -> int:
        return int(self.remaining_seconds * 1000)


def s3_encode_key(key: str, safe: str = "/") -> str:
    """Encode a key the way S3 does in notifications: form encoding (space -> '+'), UTF-8
    percent-escapes for everything outside ``safe`` and the unreserved set."""
    return quote_plus(key, safe=safe, encoding="utf-8")


def iso(moment: datetime) -> str:
    """S3's eventTime format: UTC, milliseconds, 'Z'."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )


def s3_record(
    key: str,
    *,
    event_time: str = "2026-11-27T10:00:00.000Z",
    sequencer: str = "0A",
    bucket: str = BUCKET,
    event_name: str = "ObjectCreated:Put",
    version_id: str | None = "v1",
    etag: str | None = "0123456789abcdef0123456789abcdef",
    size: int | None = 1024,
    encode: bool = True,
) -> dict[str, Any]:
    """One record as S3 sends it (key encoded unless ``encode`` is False)."""
    obj: dict[str, Any] = {
        "key": s3_encode_key(key) if encode else key,
        "sequencer": sequencer,
    }
    if version_id is not None:
        obj["versionId"] = version_id
    if etag is not None:
        obj["eTag"] = etag
    if size is not None:
        obj["size"] = size
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": event_time,
        "eventName": event_name,
        "userIdentity": {"principalId": "AWS:EXAMPLE"},
        "requestParameters": {"sourceIPAddress": "192.0.2.1"},
        "responseElements": {"x-amz-request-id": "R", "x-amz-id-2": "I"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "model-registration",
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": "EXAMPLE"},
                "arn": f"arn:aws:s3:::{bucket}",
            },
            "object": obj,
        },
    }


def event(*records: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(records)}


def s3_test_event(bucket: str = BUCKET) -> dict[str, Any]:
    return {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": "2026-11-27T09:00:00.000Z",
        "Bucket": bucket,
        "RequestId": "R",
        "HostId": "H",
    }


class S3Simulator:
    """Real writes on moto's S3, each returning the notification record S3 would send."""

    def __init__(self, s3: Any, bucket: str = BUCKET, start: datetime | None = None) -> None:
        self.s3 = s3
        self.bucket = bucket
        self.clock = start or datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
        self._sequence = 0x0055AB1234567890

    def _tick(self) -> tuple[str, str]:
        self.clock += timedelta(milliseconds=1500)
        self._sequence += 0x100
        return iso(self.clock), f"{self._sequence:018X}"

    def put(
        self,
        key: str,
        body: bytes = b"model bytes",
        *,
        event_time: str | None = None,
        sequencer: str | None = None,
    ) -> dict[str, Any]:
        """A real upload; ``event_time`` and ``sequencer`` replace the simulated ones."""
        answer = self.s3.put_object(Bucket=self.bucket, Key=key, Body=body)
        head = self.s3.head_object(Bucket=self.bucket, Key=key, VersionId=answer["VersionId"])
        simulated_time, simulated_sequencer = self._tick()
        event_time = event_time or simulated_time
        sequencer = sequencer or simulated_sequencer
        return s3_record(
            key,
            event_time=event_time,
            sequencer=sequencer,
            bucket=self.bucket,
            event_name="ObjectCreated:Put",
            version_id=answer["VersionId"],
            etag=answer["ETag"].strip('"'),
            size=head["ContentLength"],
        )

    def delete(self, key: str) -> dict[str, Any]:
        """A versionless DELETE on a versioned bucket: a delete marker hides the key."""
        answer = self.s3.delete_object(Bucket=self.bucket, Key=key)
        event_time, sequencer = self._tick()
        return s3_record(
            key,
            event_time=event_time,
            sequencer=sequencer,
            bucket=self.bucket,
            event_name="ObjectRemoved:DeleteMarkerCreated",
            version_id=answer["VersionId"],
            etag=None,
            size=None,
        )

    def delete_version(self, key: str, version_id: str) -> dict[str, Any]:
        """A DELETE with a versionId: that version is gone for good."""
        self.s3.delete_object(Bucket=self.bucket, Key=key, VersionId=version_id)
        event_time, sequencer = self._tick()
        return s3_record(
            key,
            event_time=event_time,
            sequencer=sequencer,
            bucket=self.bucket,
            event_name="ObjectRemoved:Delete",
            version_id=version_id,
            etag=None,
            size=None,
        )


def uploaded(s3: Any, record: dict[str, Any], body: bytes = b"model bytes") -> dict[str, Any]:
    """``record`` (an upload built by ``s3_record``) made true: the object is written on moto
    (its bucket created, versioned, if need be) and the record carries moto's versionId, eTag
    and size; its eventTime, sequencer and key are kept. The handler confirms every upload it
    registers with HeadObject (ADR-0017), so a record naming no real version is never
    registered."""
    from urllib.parse import unquote_plus

    obj = record["s3"]["object"]
    bucket = record["s3"]["bucket"]["name"]
    key = unquote_plus(obj["key"])
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    answer = s3.put_object(Bucket=bucket, Key=key, Body=body)
    real = copy.deepcopy(record)
    real["s3"]["object"].update(
        versionId=answer["VersionId"], eTag=answer["ETag"].strip('"'), size=len(body)
    )
    return real


class CallCounter:
    """Counts API calls (``before-call``: one per operation, retries excluded) on clients."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def attach(self, client: Any) -> None:
        service = client.meta.service_model.service_name
        client.meta.events.register(f"before-call.{service}", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[f"{model.service_model.service_name}.{model.name}"] += 1

    def __getitem__(self, operation: str) -> int:
        return self.calls[operation]

    def ssm_calls(self) -> int:
        return sum(n for op, n in self.calls.items() if op.startswith("ssm."))


def invoke(notification: Any, context: Any = CONTEXT) -> dict[str, Any]:
    import lambda_handler

    return lambda_handler.lambda_handler(notification, context)


def error_response(status: int, code: str, message: str, headers: dict | None = None):
    """A ``before-send`` handler answering one HTTP attempt with an AWS error.

    moto's stubber is itself a ``before-send`` handler and botocore calls every handler, so
    the request is pointed at a host moto does not serve: moto then leaves it alone instead of
    executing it behind the injected error.
    """
    import json

    from botocore.awsrequest import AWSResponse
    from moto.core.botocore_stubber import MockRawResponse

    body = json.dumps({"__type": code, "message": message})

    def respond(request, **_):
        answer = AWSResponse(request.url, status, dict(headers or {}), MockRawResponse(body))
        request.url = "https://fault-injected.invalid/"
        return answer

    return respond


def write_then_lose_the_answer(ssm: Any):
    """A ``before-send`` handler for PutParameter: the write reaches Parameter Store (done
    here with ``ssm``, on the same moto backend), then the answer is lost (a 500)."""
    import json

    lost = error_response(500, "InternalServerError", "the answer was lost")

    def respond(request, **_):
        ssm.put_parameter(**json.loads(request.body))
        return lost(request)

    return respond


# ``mutate``'s default: delete the field instead of replacing it.
DELETE = object()


def mutate(record: dict[str, Any], path: tuple, value: Any = DELETE) -> dict[str, Any]:
    """A deep copy of ``record`` with the field at ``path`` set to ``value`` (or deleted)."""
    mutated = copy.deepcopy(record)
    parent = mutated
    for part in path[:-1]:
        parent = parent[part]
    if value is DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return mutated


def registration_after(
    record: dict[str, Any],
    seconds: float,
    key: str,
    sequencer: str,
    version_id: str | None = None,
) -> Any:
    """An S3-event Registration of ``key`` in ``record``'s bucket, ``seconds`` after (before,
    if negative) ``record``'s eventTime."""
    from registration.registered_model import ORIGIN_S3_EVENT, Registration

    moment = datetime.fromisoformat(record["eventTime"]) + timedelta(seconds=seconds)
    return Registration(
        key=key,
        occurred_at=moment,
        event_time=iso(moment),
        origin=ORIGIN_S3_EVENT,
        bucket=record["s3"]["bucket"]["name"],
        sequencer=sequencer,
        version_id=version_id,
    )


def interleave_write(
    hook: Callable[[Any, str, Callable[..., None]], None],
    handler_ssm: Any,
    writer_ssm: Any,
    registration: Any,
    name: str = PARAMETER,
) -> list[bool]:
    """Another writer puts ``registration`` just before the handler's first PutParameter.

    ``hook(client, event_name, handler)`` registers (and later removes) the botocore handler
    on the handler's SSM client; the returned list holds True once the other writer wrote.
    """
    from registration.parameter_description import to_description

    written: list[bool] = []

    def other_writer(**_: Any) -> None:
        if not written:
            written.append(True)
            writer_ssm.put_parameter(
                Name=name,
                Value=registration.key,
                Description=to_description(registration),
                Type="String",
                Overwrite=True,
            )

    hook(handler_ssm, "before-call.ssm.PutParameter", other_writer)
    return written


def registered_value(ssm: Any, name: str = PARAMETER) -> str | None:
    try:
        return ssm.get_parameter(Name=name)["Parameter"]["Value"]
    except ssm.exceptions.ParameterNotFound:
        return None


def history(ssm: Any, name: str = PARAMETER) -> list[dict[str, Any]]:
    versions: list[dict[str, Any]] = []
    request: dict[str, Any] = {"Name": name, "MaxResults": 50}
    while True:
        page = ssm.get_parameter_history(**request)
        versions.extend(page["Parameters"])
        if not page.get("NextToken"):
            return versions
        request["NextToken"] = page["NextToken"]


def latest_provenance(ssm: Any, name: str = PARAMETER) -> dict[str, Any]:
    import json

    return json.loads(history(ssm, name)[-1]["Description"])


def log_lines(captured_out: str) -> list[dict[str, Any]]:
    """The handler's JSON log lines from captured stdout."""
    import json

    return [json.loads(line) for line in captured_out.splitlines() if line.startswith("{")]


def metric_sums(cloudwatch: Any, namespace: str = "ModelRegistration") -> dict[str, float]:
    """Sum of every metric in ``namespace`` as stored by (moto's) CloudWatch."""
    now = datetime.now(UTC)
    sums: dict[str, float] = {}
    for metric in cloudwatch.list_metrics(Namespace=namespace)["Metrics"]:
        points = cloudwatch.get_metric_statistics(
            Namespace=namespace,
            MetricName=metric["MetricName"],
            StartTime=now - timedelta(hours=1),
            EndTime=now + timedelta(hours=1),
            Period=7200,
            Statistics=["Sum"],
        )["Datapoints"]
        sums[metric["MetricName"]] = sum(p["Sum"] for p in points)
    return sums


FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
# The handler's settings that have defaults: unset, so every test starts from the defaults.
OPTIONAL_SETTINGS = ("METRICS_NAMESPACE", "MODEL_BUCKET", "MODEL_KEY_PREFIX")


class HandlerSandbox:
    """moto + the handler's environment for a whole Hypothesis test.

    Function-scoped pytest fixtures do not reset between Hypothesis examples, so property
    tests open one sandbox per test and call ``fresh_parameter()`` per example: a new
    parameter name is a fresh, empty registration state without moto's reset cost.
    """

    def __enter__(self) -> HandlerSandbox:
        import os
        from unittest import mock

        import boto3
        from moto import mock_aws

        import lambda_handler
        from common.aws_clients import AwsClients

        self._environment = mock.patch.dict(
            os.environ, {**FAKE_CREDENTIALS, "SSM_SENTIMENT_MODEL": PARAMETER}
        )
        self._environment.start()
        for optional in OPTIONAL_SETTINGS:
            os.environ.pop(optional, None)
        self._moto = mock_aws()
        self._moto.start()
        self._handler_module = lambda_handler
        self._previous_clients = lambda_handler.CLIENTS
        self.clients = AwsClients(lambda_handler.BUDGETS, lambda_handler.RESERVE_SECONDS)
        lambda_handler.CLIENTS = self.clients
        self.calls = CallCounter()
        self.calls.attach(self.clients.client("ssm"))
        self.calls.attach(self.clients.client("cloudwatch"))
        self.calls.attach(self.clients.client("s3"))
        self.ssm = boto3.client("ssm")
        self.s3 = boto3.client("s3")
        self.s3.create_bucket(Bucket=BUCKET)
        self.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        self._examples = 0
        return self

    def fresh_parameter(self) -> str:
        import os

        self._examples += 1
        name = f"/property/example-{self._examples}"
        os.environ["SSM_SENTIMENT_MODEL"] = name
        self.calls.calls.clear()
        return name

    def __exit__(self, *exc_info: object) -> None:
        self._handler_module.CLIENTS = self._previous_clients
        self._moto.stop()
        self._environment.stop()
