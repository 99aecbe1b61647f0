"""What a registration is, and what "newer" means. Pure: no AWS calls.

Order (a strict total order, so any permutation of deliveries ends at the same maximum):
eventTime, then bucket, then key, then sequencer as a hex number, then versionId, then eTag.
For one key the sequencer breaks eventTime ties; across keys the sequencer means nothing (S3
orders it per key only), so equal times of different keys are decided by bucket and key names,
which is arbitrary but deterministic (ADR-0011).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from registration.s3_events import ObjectEvent

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
