"""The notifications S3 would send for an object stored in, or removed from, an emulated bucket.

moto hands S3 notifications for a Lambda destination to a Docker container, and without Docker
they are silently dropped; its event also lacks ``versionId`` and ``sequencer``. So the
rehearsal builds the record itself, from the stored object (HeadObject) and the bucket's own
notification configuration, in the documented event structure 2.1 (S3 User Guide, "Event
message structure"):

- one delivery per Lambda configuration whose event type and key filters match, as S3 does;
- ``key`` form-encoded (space -> ``+``, ``/`` kept), ``size``, ``eTag`` (unquoted) and
  ``versionId`` of the stored version, ``eventTime`` in UTC with milliseconds;
- ``sequencer``: S3's is opaque hex that grows with each event of the same key; here it is the
  nanosecond clock in hex, which grows too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus

OBJECT_CREATED_PUT = "ObjectCreated:Put"


@dataclass(frozen=True)
class Delivery:
    """One notification S3 would send: to ``function_arn``, this ``event``."""

    function_arn: str
    configuration_id: str
    event: dict[str, Any]


def object_created_deliveries(
    s3: Any,
    bucket: str,
    key: str,
    put_response: dict[str, Any],
    *,
    region: str,
    event_name: str = OBJECT_CREATED_PUT,
    event_time: datetime | None = None,
) -> list[Delivery]:
    """The notifications S3 sends after ``put_response`` stored ``key`` in ``bucket``."""
    version_id = put_response.get("VersionId")
    head = (
        s3.head_object(Bucket=bucket, Key=key, VersionId=version_id)
        if version_id
        else s3.head_object(Bucket=bucket, Key=key)
    )
    configuration = s3.get_bucket_notification_configuration(Bucket=bucket)
    when = (event_time or datetime.now(UTC)).astimezone(UTC)
    deliveries = []
    for function_configuration in configuration.get("LambdaFunctionConfigurations", []):
        if not matches(function_configuration, event_name, key):
            continue
        record = _record(
            bucket=bucket,
            key=key,
            head=head,
            put_response=put_response,
            region=region,
            event_name=event_name,
            event_time=when,
            configuration_id=function_configuration.get("Id", ""),
        )
        deliveries.append(
            Delivery(
                function_arn=function_configuration["LambdaFunctionArn"],
                configuration_id=function_configuration.get("Id", ""),
                event={"Records": [record]},
            )
        )
    return deliveries


def matches(function_configuration: dict[str, Any], event_name: str, key: str) -> bool:
    """Whether a Lambda configuration selects this event type and key (S3's filter rules:
    the configured ``s3:ObjectCreated:*`` or the exact type; prefix and suffix on the key)."""
    wanted = f"s3:{event_name}"
    family = f"s3:{event_name.split(':', 1)[0]}:*"
    if not set(function_configuration.get("Events", [])) & {wanted, family}:
        return False
    rules = function_configuration.get("Filter", {}).get("Key", {}).get("FilterRules", [])
    for rule in rules:
        name, value = rule["Name"].lower(), rule["Value"]
        if (name == "prefix" and not key.startswith(value)) or (
            name == "suffix" and not key.endswith(value)
        ):
            return False
    return True


def encode_key(key: str) -> str:
    """A key as S3 writes it into an event: form encoding, ``/`` left as is."""
    return quote_plus(key, safe="/")


def _record(
    *,
    bucket: str,
    key: str,
    head: dict[str, Any],
    put_response: dict[str, Any],
    region: str,
    event_name: str,
    event_time: datetime,
    configuration_id: str,
) -> dict[str, Any]:
    metadata = put_response.get("ResponseMetadata", {})
    headers = metadata.get("HTTPHeaders", {})
    obj: dict[str, Any] = {
        "key": encode_key(key),
        "size": head["ContentLength"],
        "eTag": head["ETag"].strip('"'),
        "sequencer": _sequencer(),
    }
    if head.get("VersionId"):
        obj["versionId"] = head["VersionId"]
    return _envelope(
        bucket=bucket,
        obj=obj,
        region=region,
        event_name=event_name,
        event_time=event_time,
        configuration_id=configuration_id,
        request_id=metadata.get("RequestId", ""),
        host_id=headers.get("x-amz-id-2", metadata.get("HostId", "")),
    )


def object_removed_record(
    bucket: str,
    key: str,
    *,
    event_name: str,
    version_id: str,
    region: str,
    event_time: datetime | None = None,
    configuration_id: str = "",
) -> dict[str, Any]:
    """The record S3 sends for a removal: like an upload's, without ``size`` and ``eTag``;
    ``versionId`` is the delete marker's (or the deleted version's)."""
    return _envelope(
        bucket=bucket,
        obj={"key": encode_key(key), "versionId": version_id, "sequencer": _sequencer()},
        region=region,
        event_name=event_name,
        event_time=(event_time or datetime.now(UTC)).astimezone(UTC),
        configuration_id=configuration_id,
        request_id="rehearsal",
        host_id="rehearsal",
    )


def _sequencer() -> str:
    return f"{time.time_ns():018X}"


def _envelope(
    *,
    bucket: str,
    obj: dict[str, Any],
    region: str,
    event_name: str,
    event_time: datetime,
    configuration_id: str,
    request_id: str,
    host_id: str,
) -> dict[str, Any]:
    """Event structure 2.1 around one object description."""
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": event_time.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "eventName": event_name,
        "userIdentity": {"principalId": "AWS:rehearsal"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": request_id, "x-amz-id-2": host_id},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": "rehearsal"},
                "arn": f"arn:aws:s3:::{bucket}",
            },
            "object": obj,
        },
    }
