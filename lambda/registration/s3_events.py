"""S3 event notifications, parsed and validated into plain values.

Pure: no AWS calls. Anything that is not a well-formed S3 notification raises
MalformedEventError with the path of the offending field, never a bare KeyError/TypeError.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

from common.errors import NamedError
from registration.contract import MODEL_ARTIFACT_SUFFIX

# S3's own limit on a key, in UTF-8 bytes; also keeps the value far below SSM's 4 KB.
MAX_KEY_BYTES = 1024
# Object sizes are 64-bit integers in S3's APIs and SDKs; anything larger is not a real object
# (and an integer beyond 4300 digits could not even be written to the log).
MAX_OBJECT_SIZE = 2**63 - 1
SUPPORTED_EVENT_VERSION_MAJOR = "2"
S3_EVENT_SOURCE = "aws:s3"
TEST_EVENT_NAME = "s3:TestEvent"

CREATED_PREFIX = "ObjectCreated:"
# Events after which the object (or the version named in the event) can no longer be read.
REMOVAL_EVENT_NAMES = frozenset(
    {
        "ObjectRemoved:Delete",
        "ObjectRemoved:DeleteMarkerCreated",
        "LifecycleExpiration:Delete",
        "LifecycleExpiration:DeleteMarkerCreated",
    }
)
# These remove exactly the version in the event; the DeleteMarkerCreated ones hide the key.
VERSION_REMOVAL_EVENT_NAMES = frozenset({"ObjectRemoved:Delete", "LifecycleExpiration:Delete"})

# fullmatch, not "^...$": "$" also matches before a trailing newline.
_HEX = re.compile(r"[0-9A-Fa-f]+")


class MalformedEventError(NamedError):
    """The event is not an S3 notification this handler understands (or one of its fields
    cannot be stored as provenance); nothing was written."""


@dataclass(frozen=True)
class ObjectEvent:
    """One S3 record, key decoded, fields validated."""

    event_name: str
    event_time: str
    occurred_at: datetime
    bucket: str
    key: str
    sequencer: str | None
    version_id: str | None
    etag: str | None
    size: int | None

    @property
    def is_created(self) -> bool:
        return self.event_name.startswith(CREATED_PREFIX)

    @property
    def is_removal(self) -> bool:
        return self.event_name in REMOVAL_EVENT_NAMES

    @property
    def removes_one_version(self) -> bool:
        return self.event_name in VERSION_REMOVAL_EVENT_NAMES

    @property
    def is_model(self) -> bool:
        return is_model_key(self.key)


@dataclass(frozen=True)
class ModelLocation:
    """Where models may come from: one bucket (empty: any) and a key prefix (empty: any).

    Mirrors the bucket notification's filter, so an event the filter would not have sent (a
    re-drive of a foreign event, another bucket's notification) is never registered.
    """

    bucket: str = ""
    key_prefix: str = ""

    def why_outside(self, record: ObjectEvent) -> str | None:
        """Why ``record`` is outside this location, or None if it is inside."""
        if self.bucket and record.bucket != self.bucket:
            return (
                f"bucket {record.bucket!r} is not the model bucket {self.bucket!r} "
                "(MODEL_BUCKET): not this function's models"
            )
        if self.key_prefix and not record.key.startswith(self.key_prefix):
            return (
                f"key is outside the model prefix {self.key_prefix!r} (MODEL_KEY_PREFIX): "
                "the endpoint could not read it"
            )
        return None


ANYWHERE = ModelLocation()


@dataclass(frozen=True)
class S3TestEvent:
    """The ``s3:TestEvent`` S3 sends when a notification is configured."""

    bucket: str | None
    time: str | None


@dataclass(frozen=True)
class Notification:
    """A parsed event: either S3's test event or one or more object records."""

    records: tuple[ObjectEvent, ...]
    test_event: S3TestEvent | None = None


def is_model_key(key: str) -> bool:
    """A model artifact is an object whose (decoded) key ends in ``.tar.gz``."""
    return key.endswith(MODEL_ARTIFACT_SUFFIX)


def decode_key(encoded: str, path: str = "s3.object.key") -> str:
    """Undo S3's form encoding of keys: ``+`` is a space, ``%XX`` are UTF-8 bytes."""
    try:
        key = unquote_plus(encoded, encoding="utf-8", errors="strict")
    except UnicodeDecodeError as error:
        raise MalformedEventError(
            f"{path}: {encoded!r} does not decode to UTF-8 text ({error.reason})"
        ) from error
    if key == "":
        raise MalformedEventError(f"{path}: the object key is empty")
    try:
        key_bytes = len(key.encode("utf-8"))
    except UnicodeEncodeError as error:
        raise MalformedEventError(
            f"{path}: {encoded!r} contains a lone surrogate, which is not UTF-8 text"
        ) from error
    if key_bytes > MAX_KEY_BYTES:
        raise MalformedEventError(
            f"{path}: the decoded key is longer than S3's {MAX_KEY_BYTES}-byte limit"
        )
    return key


def parse_event_time(value: str, path: str) -> datetime:
    """ISO-8601 time with a zone (S3 sends ``2026-11-27T10:00:00.000Z``), as UTC.

    Anything ``datetime.fromisoformat`` refuses (a leap second ``:60``, a lowercase ``z``, an
    offset of 24 h or more) is malformed, and so is a time whose UTC instant falls outside
    years 1-9999 (``0001-01-01T00:00:00+01:00``), which cannot be compared with others.
    """
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise MalformedEventError(f"{path}: {value!r} is not an ISO-8601 time") from error
    if parsed.tzinfo is None:
        raise MalformedEventError(f"{path}: {value!r} has no time zone (S3 sends UTC, 'Z')")
    try:
        return parsed.astimezone(UTC)
    except OverflowError as error:
        raise MalformedEventError(
            f"{path}: {value!r} is outside years 1-9999 once converted to UTC"
        ) from error


def parse_notification(event: Any) -> Notification:
    """Validate a Lambda event as an S3 notification; raise MalformedEventError if it is not."""
    if not isinstance(event, dict):
        raise MalformedEventError(
            f"event: expected an S3 notification object, got {type(event).__name__}"
        )
    if "Records" not in event:
        if event.get("Event") == TEST_EVENT_NAME:
            return Notification(
                records=(),
                test_event=S3TestEvent(
                    bucket=_optional_str(event, "Bucket"), time=_optional_str(event, "Time")
                ),
            )
        raise MalformedEventError(
            "event: no 'Records' list, so this is not an S3 event notification "
            f"(top-level keys: {sorted(str(k) for k in event)})"
        )
    records = event["Records"]
    if not isinstance(records, list) or not records:
        raise MalformedEventError("event.Records: expected a non-empty list of S3 records")
    return Notification(
        records=tuple(_parse_record(record, f"Records[{i}]") for i, record in enumerate(records))
    )


def _parse_record(record: Any, path: str) -> ObjectEvent:
    _require_mapping(record, path)
    source = _required(record, "eventSource", str, path)
    if source != S3_EVENT_SOURCE:
        raise MalformedEventError(
            f"{path}.eventSource: expected {S3_EVENT_SOURCE!r}, got {source!r}"
        )
    version = _required(record, "eventVersion", str, path)
    if version.split(".", 1)[0] != SUPPORTED_EVENT_VERSION_MAJOR:
        raise MalformedEventError(
            f"{path}.eventVersion: {version!r} is not a {SUPPORTED_EVENT_VERSION_MAJOR}.x "
            "S3 event structure; a new major version may be incompatible"
        )
    event_name = _required(record, "eventName", str, path)
    event_time = _required(record, "eventTime", str, path)
    occurred_at = parse_event_time(event_time, f"{path}.eventTime")

    s3 = _required(record, "s3", dict, path)
    bucket_info = _required(s3, "bucket", dict, f"{path}.s3")
    bucket = _required(bucket_info, "name", str, f"{path}.s3.bucket")
    if bucket == "":
        raise MalformedEventError(f"{path}.s3.bucket.name: the bucket name is empty")
    obj_path = f"{path}.s3.object"
    obj = _required(s3, "object", dict, f"{path}.s3")
    key = decode_key(_required(obj, "key", str, obj_path), f"{obj_path}.key")
    # S3 documents the sequencer for PUTs and DELETEs; tolerate its absence elsewhere
    # (ordering then falls back to eventTime and the key, ADR-0011).
    sequencer = _optional(obj, "sequencer", str, obj_path)
    if sequencer is not None and not is_hex(sequencer):
        raise MalformedEventError(
            f"{obj_path}.sequencer: {sequencer!r} is not a hexadecimal string"
        )
    version_id = _optional(obj, "versionId", str, obj_path)
    # S3 omits size and eTag on removals; a created object always has both.
    is_created = event_name.startswith(CREATED_PREFIX)
    etag = (_required if is_created else _optional)(obj, "eTag", str, obj_path)
    size = (_required if is_created else _optional)(obj, "size", int, obj_path)
    if size is not None:
        check_object_size(size, f"{obj_path}.size")
    return ObjectEvent(
        event_name=event_name,
        event_time=event_time,
        occurred_at=occurred_at,
        bucket=bucket,
        key=key,
        sequencer=sequencer,
        version_id=version_id,
        etag=etag,
        size=size,
    )


def is_hex(text: str) -> bool:
    """A non-empty hexadecimal string, as S3 writes a sequencer."""
    return _HEX.fullmatch(text) is not None


def valid_size(size: int) -> bool:
    """A size a real S3 object can have."""
    return 0 <= size <= MAX_OBJECT_SIZE


def is_json_type(value: Any, expected: type | tuple[type, ...]) -> bool:
    """``isinstance``, except that a boolean is never a number (bool subclasses int)."""
    return isinstance(value, expected) and not isinstance(value, bool)


def parse_upload_record(
    text: str | None, schema: str, field_types: Mapping[str, tuple[type, ...]]
) -> dict[str, Any] | None:
    """The JSON object this function stored to describe an upload (a parameter version's
    provenance, a model package's identity), or None when ``text`` is not one: not JSON, another
    ``schema``, a field of another type than ``field_types`` says, a sequencer that is not hex or
    a size no S3 object has. Stored state is never a reason to fail, so nothing here raises."""
    if not text:
        return None
    try:
        data = json.loads(text)
    # RecursionError: 1024 characters of "[" nest deeper than json's recursion limit.
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("schema") != schema:
        return None
    if not all(is_json_type(data.get(name), types) for name, types in field_types.items()):
        return None
    sequencer, size = data.get("sequencer"), data.get("size")
    if sequencer is not None and not is_hex(sequencer):
        return None
    if size is not None and not valid_size(size):
        return None
    return data


def check_object_size(size: int, path: str) -> None:
    """Raise MalformedEventError unless ``valid_size(size)``, saying which bound is broken."""
    if valid_size(size):
        return
    if size < 0:
        raise MalformedEventError(f"{path}: {_int_text(size)} is negative")
    raise MalformedEventError(
        f"{path}: {_int_text(size)} is larger than any S3 object (sizes are 64-bit "
        f"integers, at most {MAX_OBJECT_SIZE})"
    )


def _int_text(number: int) -> str:
    # str() of an integer beyond 4300 digits raises ValueError: describe it instead.
    if number.bit_length() <= 128:
        return str(number)
    return f"a {number.bit_length()}-bit integer"


def _require_mapping(value: Any, path: str) -> None:
    if not isinstance(value, dict):
        raise MalformedEventError(f"{path}: expected an object, got {_json_type(value)}")


def _required(mapping: dict, name: str, expected: type, path: str) -> Any:
    if name not in mapping:
        raise MalformedEventError(f"{path}.{name}: required field is missing")
    return _typed(mapping[name], expected, f"{path}.{name}")


def _optional(mapping: dict, name: str, expected: type, path: str) -> Any:
    value = mapping.get(name)
    return None if value is None else _typed(value, expected, f"{path}.{name}")


def _typed(value: Any, expected: type, path: str) -> Any:
    if not is_json_type(value, expected):
        raise MalformedEventError(
            f"{path}: expected {_JSON_NAMES[expected]}, got {_json_type(value)}"
        )
    return value


def _optional_str(mapping: dict, name: str) -> str | None:
    value = mapping.get(name)
    return value if isinstance(value, str) else None


_JSON_NAMES = {str: "a string", int: "an integer", dict: "an object"}


def _json_type(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    names.update({list: "a list", dict: "an object", type(None): "null"})
    return names.get(type(value), type(value).__name__)
