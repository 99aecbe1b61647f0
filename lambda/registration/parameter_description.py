"""The provenance stored with every registration: the codec between a Registration and the
JSON Description of the parameter version that holds it. Pure: no AWS calls.

The Description is written in the same PutParameter as the value, so value and ordering state
can never disagree (ADR-0010).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from registration.contract import MAX_EVENT_TIME_AHEAD_SECONDS
from registration.registered_model import ORIGIN_OUT_OF_BAND, Registration
from registration.s3_events import MalformedEventError, parse_event_time, parse_upload_record

PROVENANCE_SCHEMA = "model-registration/1"
MAX_DESCRIPTION_LENGTH = 1024
MAX_STORED_EVENT_TIME_AHEAD = timedelta(seconds=MAX_EVENT_TIME_AHEAD_SECONDS)


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

    A stored eventTime is trusted only up to ``last_modified`` + MAX_EVENT_TIME_AHEAD (the
    skew the handler itself allows): anyone with ssm:PutParameter could write 2099 there, and
    every later genuine upload would look older (ADR-0017). Later times count as that bound.
    """
    provenance = parse_upload_record(description, PROVENANCE_SCHEMA, _PROVENANCE_TYPES)
    written_at = last_modified.astimezone(UTC)
    if provenance is not None:
        try:
            occurred_at = parse_event_time(provenance["eventTime"], "description.eventTime")
            return Registration(
                key=value,
                occurred_at=min(occurred_at, _latest_trusted(written_at)),
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
    return Registration(
        key=value,
        occurred_at=written_at,
        event_time=written_at.isoformat(),
        origin=ORIGIN_OUT_OF_BAND,
    )


def _latest_trusted(written_at: datetime) -> datetime:
    """The latest eventTime a version written at ``written_at`` can carry (the end of year 9999
    caps it, rather than overflowing)."""
    try:
        return written_at + MAX_STORED_EVENT_TIME_AHEAD
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC)


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
