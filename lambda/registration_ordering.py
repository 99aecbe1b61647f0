"""What "newer" means, and the provenance stored with every registration.

Pure: no AWS calls. The registered model's provenance is kept in the parameter version's
Description (JSON), written in the same PutParameter as the value, so value and ordering state
can never disagree (ADR-0010).

Order (a strict total order, so any permutation of deliveries ends at the same maximum):
eventTime, then bucket, then key, then sequencer as a hex number, then versionId, then eTag.
For one key the sequencer breaks eventTime ties; across keys the sequencer means nothing (S3
orders it per key only), so equal times of different keys are decided by bucket and key names,
which is arbitrary but deterministic (ADR-0011).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from registration_errors import MalformedEventError
from registration_events import (
    ObjectEvent,
    is_hex,
    is_json_type,
    parse_event_time,
    valid_size,
)

PROVENANCE_SCHEMA = "model-registration/1"
MAX_DESCRIPTION_LENGTH = 1024
ORIGIN_S3_EVENT = "s3-event"
# A value written by someone else (console, CLI, a stack): ordered by its write time.
ORIGIN_OUT_OF_BAND = "out-of-band"


class Ordered(Protocol):
    occurred_at: datetime
    bucket: str | None
    key: str
    sequencer: str | None
    version_id: str | None
    etag: str | None


@dataclass(frozen=True)
class Registration:
    """The model a parameter version points at, with where it came from."""

    key: str
    occurred_at: datetime
    event_time: str
    origin: str
    bucket: str | None = None
    event_name: str | None = None
    sequencer: str | None = None
    version_id: str | None = None
    etag: str | None = None
    size: int | None = None

    @classmethod
    def from_event(cls, record: ObjectEvent) -> Registration:
        return cls(
            key=record.key,
            occurred_at=record.occurred_at,
            event_time=record.event_time,
            origin=ORIGIN_S3_EVENT,
            bucket=record.bucket,
            event_name=record.event_name,
            sequencer=record.sequencer,
            version_id=record.version_id,
            etag=record.etag,
            size=record.size,
        )


def order_key(item: Ordered) -> tuple:
    """Sort key of an upload or a registration: larger is newer (see the module docstring)."""
    return (
        item.occurred_at,
        item.bucket or "",
        item.key,
        int(item.sequencer, 16) if item.sequencer else -1,
        item.version_id or "",
        item.etag or "",
    )


def same_object(a: Ordered, b: Ordered) -> bool:
    """Same key in the same bucket; an unknown bucket (out-of-band value) matches any."""
    return a.key == b.key and (a.bucket is None or b.bucket is None or a.bucket == b.bucket)


def to_description(registration: Registration) -> str:
    """The provenance JSON stored as the parameter version's Description."""
    description = json.dumps(
        {
            "schema": PROVENANCE_SCHEMA,
            "origin": registration.origin,
            "bucket": registration.bucket,
            "eventName": registration.event_name,
            "eventTime": registration.event_time,
            "sequencer": registration.sequencer,
            "versionId": registration.version_id,
            "eTag": registration.etag,
            "size": registration.size,
        },
        separators=(",", ":"),
        sort_keys=True,
    )
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise MalformedEventError(
            f"the provenance of {registration.key!r} is {len(description)} characters; a "
            f"parameter description holds {MAX_DESCRIPTION_LENGTH} (event fields too long)"
        )
    return description


def from_parameter_version(
    value: str, description: str | None, last_modified: datetime
) -> Registration:
    """The registration a stored parameter version records.

    A version without our provenance (created by a stack, the console, or an older handler)
    counts as registered at its write time, so later uploads replace it and late deliveries
    of earlier uploads do not. So does a version whose provenance cannot be trusted (wrong
    types, a time outside years 1-9999, JSON nested too deeply to parse): stored state is
    never a reason to fail, since no retry of the event could repair it.
    """
    provenance = _parse_provenance(description)
    if provenance is not None:
        try:
            return Registration(
                key=value,
                occurred_at=parse_event_time(provenance["eventTime"], "description.eventTime"),
                event_time=provenance["eventTime"],
                origin=provenance["origin"],
                bucket=provenance.get("bucket"),
                event_name=provenance.get("eventName"),
                sequencer=provenance.get("sequencer"),
                version_id=provenance.get("versionId"),
                etag=provenance.get("eTag"),
                size=provenance.get("size"),
            )
        except MalformedEventError:
            pass
    written_at = last_modified.astimezone(UTC)
    return Registration(
        key=value,
        occurred_at=written_at,
        event_time=written_at.isoformat(),
        origin=ORIGIN_OUT_OF_BAND,
    )


_PROVENANCE_TYPES: dict[str, tuple[type, ...]] = {
    "origin": (str,),
    "bucket": (str, type(None)),
    "eventName": (str, type(None)),
    "eventTime": (str,),
    "sequencer": (str, type(None)),
    "versionId": (str, type(None)),
    "eTag": (str, type(None)),
    "size": (int, type(None)),
}


def _parse_provenance(description: str | None) -> dict[str, Any] | None:
    if not description:
        return None
    try:
        data = json.loads(description)
    # RecursionError: 1024 characters of "[" nest deeper than json's recursion limit.
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("schema") != PROVENANCE_SCHEMA:
        return None
    for name, types in _PROVENANCE_TYPES.items():
        if not is_json_type(data.get(name), types):
            return None
    sequencer = data.get("sequencer")
    if sequencer is not None and not is_hex(sequencer):
        return None
    size = data.get("size")
    if size is not None and not valid_size(size):
        return None
    return data
