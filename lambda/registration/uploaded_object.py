"""Does the object version an upload event names exist, with the event's ETag and size?

Anyone allowed to invoke the function can hand it an event; S3 is the authority on what was
uploaded. One HeadObject per candidate upload, with the event's VersionId (the bucket is
versioned, so a version's bytes never change): the answer must carry the event's ETag and
size. ``mismatch`` is pure; ``check_upload`` is the thin AWS side; ``decide_verified`` runs
``decision.decide`` on what S3 confirmed (ADR-0017).

The function may read object versions under the model prefix and nothing else (no
s3:ListBucket), so S3 answers 403, not 404, for a version that does not exist (HeadObject,
https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html); a HEAD on a delete marker
is a 405, a malformed version id a 400. These four answers all mean "this event does not name
a readable object version": the upload is ignored and counted, and an alarm fires. Any other
failure (throttling after the retries, 5xx, a timeout, the time guard) is raised, so Lambda
retries the event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from common.errors import NamedError, OutOfTimeError
from registration.decision import Decision, decide, uploads_to_verify
from registration.registered_model import Registration, order_key
from registration.s3_events import ModelLocation, ObjectEvent

# HeadObject has no error body: only the status says what went wrong.
NOT_READABLE_STATUSES = frozenset({400, 403, 404, 405})


class ObjectCheckError(NamedError):
    """HeadObject failed for a reason that says nothing about the event (throttling, 5xx, a
    timeout, no time left); nothing was written and the event's retry checks again."""


def strip_etag(etag: str) -> str:
    """S3 quotes the ETag in HeadObject's answer and not in the notification."""
    return etag.strip('"')


def mismatch(record: ObjectEvent, head: Mapping[str, Any]) -> str | None:
    """Why HeadObject's answer is not the object the event describes, or None if it is."""
    found_etag = strip_etag(str(head.get("ETag", "")))
    expected_etag = strip_etag(record.etag or "")
    if found_etag != expected_etag:
        return (
            f"object version {record.version_id} has ETag {found_etag!r}, the event says "
            f"{expected_etag!r}: the event does not describe this upload"
        )
    found_size = head.get("ContentLength")
    if found_size != record.size:
        return (
            f"object version {record.version_id} is {found_size} bytes, the event says "
            f"{record.size}: the event does not describe this upload"
        )
    return None


def check_upload(s3: Any, record: ObjectEvent) -> str | None:
    """None if the event's object version exists as described; else why the upload must be
    ignored. Raises ObjectCheckError when S3 could not answer."""
    from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

    try:
        head = s3.head_object(Bucket=record.bucket, Key=record.key, VersionId=record.version_id)
    except ParamValidationError as error:
        # The event's bucket, key or version id cannot even form a request: not an S3 upload.
        return f"S3 cannot be asked about this object as the event names it: {error}"
    except ClientError as error:
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status in NOT_READABLE_STATUSES:
            return (
                f"object version {record.version_id} of s3://{record.bucket}/{record.key} "
                f"cannot be read (HeadObject: HTTP {status}): it does not exist, is a delete "
                "marker, or is outside what the function may read"
            )
        raise ObjectCheckError(_failed(record, error)) from error
    except (BotoCoreError, OutOfTimeError) as error:
        raise ObjectCheckError(_failed(record, error)) from error
    return mismatch(record, head)


def _failed(record: ObjectEvent, error: Exception) -> str:
    return (
        f"HeadObject on s3://{record.bucket}/{record.key} version {record.version_id} failed; "
        f"nothing was written and the event's retry checks again: {error}"
    )


def decide_verified(
    records: Sequence[ObjectEvent],
    registered: Registration | None,
    location: ModelLocation,
    s3: Callable[[], Any],
    now: datetime,
) -> Decision:
    """``decide``, after HeadObject of the uploads it could register, newest first, until S3
    confirms one: that one wins, and the older ones would only be superseded by it (``s3``
    returns the client, created only when a lookup is needed)."""
    unverified: dict[int, str] = {}
    candidates = uploads_to_verify(records, registered, location, now)
    for index in sorted(candidates, key=lambda i: (order_key(records[i]), -i), reverse=True):
        reason = check_upload(s3(), records[index])
        if reason is None:
            break
        unverified[index] = reason
    return decide(records, registered, location, now=now, unverified=unverified)
