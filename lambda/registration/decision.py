"""Which model an event registers, and what every record means: pure, no AWS.

``decide`` takes the records of one event and the currently registered model and returns at
most one registration to write (the newest model upload, if it is newer than the registered
one) plus one outcome per record, for the log and the metrics. Folding ``decide`` over any
permutation, duplication and batching of deliveries ends at the newest upload, because
``order_key`` is a strict total order and a write happens only for a strictly larger key.
Uploads that could not be served, dated beyond the function's clock or without a versionId are
rejected, and uploads S3 does not confirm (``unverified``) are ignored: neither is ever
registered (ADR-0017).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from registration.contract import MAX_EVENT_TIME_AHEAD_SECONDS, MODEL_ARTIFACT_SUFFIX
from registration.registered_model import Registration, order_key, same_object
from registration.s3_events import ANYWHERE, ModelLocation, ObjectEvent
from registration.servable import why_unservable

REGISTERED = "registered"
IGNORED = "ignored"
REJECTED = "rejected"

ALERT_REGISTERED_MODEL_DELETED = "registered_model_deleted"
ALERT_REGISTERED_MODEL_OVERWRITTEN = "registered_model_overwritten"
ALERT_UPLOAD_NOT_VERIFIED = "upload_not_verified"

MAX_EVENT_TIME_AHEAD = timedelta(seconds=MAX_EVENT_TIME_AHEAD_SECONDS)


@dataclass(frozen=True)
class Outcome:
    """What one record (or S3's test event) led to, and why."""

    decision: str
    reason: str
    record: ObjectEvent | None = None
    alert: str | None = None
    # A record S3's notification filter should never have sent (outside the model location).
    unexpected: bool = False


@dataclass(frozen=True)
class Decision:
    registration: Registration | None
    outcomes: tuple[Outcome, ...]
    previous: Registration | None = None

    def count(self, decision: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.decision == decision)

    def count_alert(self, alert: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.alert == alert)


def needs_registered_state(
    records: Sequence[ObjectEvent], location: ModelLocation = ANYWHERE
) -> bool:
    """Only model uploads and model removals inside the model location need the registered
    model; the rest never read."""
    return any(
        r.is_model and (r.is_created or r.is_removal) and location.why_outside(r) is None
        for r in records
    )


def decide_test_event() -> Decision:
    reason = "s3:TestEvent (sent when the notification was configured); nothing to register"
    return Decision(registration=None, outcomes=(Outcome(IGNORED, reason),))


def why_refused(record: ObjectEvent, now: datetime | None) -> str | None:
    """Why a model upload inside the model location must not be registered whatever S3 holds,
    or None. ``now`` None: no clock to compare eventTime with (pure tests only; the handler
    always passes its clock)."""
    if record.version_id is None:
        return (
            "no versionId: the model bucket is versioned, so S3 names the version of every "
            "upload; an event without one did not come from its notification"
        )
    if now is not None and record.occurred_at > now + MAX_EVENT_TIME_AHEAD:
        return (
            f"eventTime {record.event_time} is more than {_minutes(MAX_EVENT_TIME_AHEAD)} "
            f"minutes after the function's clock ({now.isoformat()}): not an S3 event"
        )
    return why_unservable(record.bucket, record.key)


def uploads_to_verify(
    records: Sequence[ObjectEvent],
    registered: Registration | None,
    location: ModelLocation = ANYWHERE,
    now: datetime | None = None,
) -> list[int]:
    """Indexes of the uploads ``decide`` could register: each must be confirmed in S3 first
    (``uploaded_object.check_upload``). Older uploads and duplicates are never looked up."""
    return [
        i
        for i, record in enumerate(records)
        if record.is_created
        and record.is_model
        and location.why_outside(record) is None
        and why_refused(record, now) is None
        and (registered is None or order_key(record) > order_key(registered))
    ]


def decide(
    records: Sequence[ObjectEvent],
    registered: Registration | None,
    location: ModelLocation = ANYWHERE,
    now: datetime | None = None,
    unverified: Mapping[int, str] | None = None,
) -> Decision:
    """The registration to write (or None) and one outcome per record, in record order.

    Records outside ``location`` are ignored whatever they are: an upload there is never
    registered, a removal there never raises the deleted-model alert. Uploads ``why_refused``
    names are rejected; uploads in ``unverified`` (record index -> why S3 does not confirm
    them) are ignored with the ``upload_not_verified`` alert. Neither is ever registered.
    """
    unverified = unverified or {}
    outside = [location.why_outside(record) for record in records]
    refused = [
        why_refused(r, now) if r.is_created and r.is_model and outside[i] is None else None
        for i, r in enumerate(records)
    ]
    uploads = [
        (i, r)
        for i, r in enumerate(records)
        if r.is_created
        and r.is_model
        and outside[i] is None
        and refused[i] is None
        and i not in unverified
    ]
    winner_index: int | None = None
    if uploads:
        # The first of identical duplicates wins, so outcomes are deterministic.
        index, newest = max(uploads, key=lambda item: (order_key(item[1]), -item[0]))
        if registered is None or order_key(newest) > order_key(registered):
            winner_index = index
    registration = (
        Registration.from_event(records[winner_index]) if winner_index is not None else None
    )
    served = registration or registered

    def outcome(i: int, record: ObjectEvent) -> Outcome:
        if outside[i] is not None:
            return Outcome(IGNORED, outside[i], record, unexpected=True)
        if refused[i] is not None:
            return Outcome(REJECTED, refused[i], record)
        if i in unverified:
            return Outcome(IGNORED, unverified[i], record, ALERT_UPLOAD_NOT_VERIFIED)
        return _outcome(i, record, winner_index, registration, registered, served)

    outcomes = tuple(outcome(i, record) for i, record in enumerate(records))
    return Decision(registration=registration, outcomes=outcomes, previous=registered)


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _outcome(
    index: int,
    record: ObjectEvent,
    winner_index: int | None,
    registration: Registration | None,
    registered: Registration | None,
    served: Registration | None,
) -> Outcome:
    if record.is_created:
        return _upload_outcome(index, record, winner_index, registration, registered)
    if record.is_removal:
        return _removal_outcome(record, served)
    return Outcome(IGNORED, f"event type {record.event_name} does not register models", record)


def _upload_outcome(
    index: int,
    record: ObjectEvent,
    winner_index: int | None,
    registration: Registration | None,
    registered: Registration | None,
) -> Outcome:
    if not record.is_model:
        reason = f"not a model artifact: the key does not end in {MODEL_ARTIFACT_SUFFIX}"
        return Outcome(IGNORED, reason, record)
    if index == winner_index:
        if registered is not None and same_object(record, registered):
            reason = (
                "new version of the registered key: running instances keep the previous "
                f"bytes (versionId {registered.version_id}), new instances load these"
            )
            return Outcome(REGISTERED, reason, record, ALERT_REGISTERED_MODEL_OVERWRITTEN)
        return Outcome(REGISTERED, "newest model upload", record)
    if registered is not None and order_key(record) <= order_key(registered):
        relation = "duplicate of" if order_key(record) == order_key(registered) else "older than"
        reason = (
            f"{relation} the registered model {registered.key!r} "
            f"(eventTime {registered.event_time})"
        )
        return Outcome(IGNORED, reason, record)
    if registration is not None and order_key(record) == order_key(registration):
        return Outcome(IGNORED, "duplicate of a record in the same event", record)
    return Outcome(IGNORED, "superseded by a newer model upload in the same event", record)


def _removal_outcome(record: ObjectEvent, served: Registration | None) -> Outcome:
    if not record.is_model:
        reason = f"removed object is not a model artifact (no {MODEL_ARTIFACT_SUFFIX} suffix)"
        return Outcome(IGNORED, reason, record)
    if served is None or not same_object(record, served):
        return Outcome(IGNORED, "removed object is not the registered model", record)
    if order_key(record) < order_key(served):
        return Outcome(IGNORED, "removal happened before the registered upload", record)
    if (
        record.removes_one_version
        and record.version_id is not None
        and served.version_id is not None
        and record.version_id != served.version_id
    ):
        return Outcome(IGNORED, "removed version is not the registered version", record)
    reason = (
        "the registered model was removed; the parameter is unchanged, but instances "
        "launched from now on (scale-out, replacement) cannot load it"
    )
    return Outcome(IGNORED, reason, record, ALERT_REGISTERED_MODEL_DELETED)
