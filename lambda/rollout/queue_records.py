"""The SQS batch the rollout function receives, parsed. Pure: no AWS calls, no I/O.

Each record's body is an EventBridge event: a change of the model parameter (a rollout
request) or a terminal status of the stack's update (an outcome). Anything else is an invalid
record, kept (retried, then dead-lettered) when SQS can take it back alone, never raised. An
event of another account or region than the function's own is foreign: dropped, counted, never
acted on (ADR-0017).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rollout.contract import (
    CLOUDFORMATION_SOURCE,
    ROLLOUT_OPERATIONS,
    SSM_DETAIL_TYPE,
    SSM_SOURCE,
    STACK_STATUS_DETAIL_TYPE,
)
from rollout.decision import REQUEST_TOKEN_PREFIX


@dataclass(frozen=True)
class RolloutRequest:
    """A change of the model parameter, as delivered by EventBridge through the queue."""

    message_id: str
    parameter_name: str
    operation: str
    event_time: str


@dataclass(frozen=True)
class StackOutcome:
    """A terminal status of the stack's update, reported by CloudFormation."""

    message_id: str
    stack_id: str
    status: str
    reason: str
    client_request_token: str

    @property
    def started_by_rollout(self) -> bool:
        return self.client_request_token.startswith(REQUEST_TOKEN_PREFIX)


@dataclass(frozen=True)
class InvalidRecord:
    """A queue record that is neither. One with a message id is kept (retried, then
    dead-lettered), never dropped; one without cannot be handed back to the queue on its own,
    so it is only logged and counted (``returnable``)."""

    message_id: str
    problem: str

    @property
    def returnable(self) -> bool:
        """Whether SQS can take this record back alone: a partial-batch response with an empty
        itemIdentifier fails the whole batch, valid records included."""
        return bool(self.message_id)


@dataclass(frozen=True)
class ForeignEvent:
    """A parameter change or stack status of another account or region: anyone allowed to send
    to the queue could have written it. Never acted on, never returned to the queue."""

    message_id: str
    problem: str


@dataclass(frozen=True)
class FunctionIdentity:
    """The account and region the function runs in; None: unknown, not checked (a local run
    without Lambda's context). Lambda always gives both."""

    account: str | None = None
    region: str | None = None

    @classmethod
    def of(cls, context: Any, environ: Mapping[str, str]) -> FunctionIdentity:
        """The account from ``context.invoked_function_arn``
        (``arn:<partition>:lambda:<region>:<account>:function:<name>``), the region from
        ``AWS_REGION``, which Lambda sets."""
        arn = getattr(context, "invoked_function_arn", None)
        parts = arn.split(":") if isinstance(arn, str) else []
        account = parts[4] if len(parts) > 4 and parts[4] else None
        return cls(account=account, region=environ.get("AWS_REGION") or None)

    def why_foreign(self, event: Mapping[str, Any]) -> str | None:
        """Why ``event`` is not of this account and region, or None."""
        for field, own in (("account", self.account), ("region", self.region)):
            if own is not None and event.get(field) != own:
                return f"event {field} {event.get(field)!r} is not the function's {own!r}"
        return None


ANY_ORIGIN = FunctionIdentity()

ParsedRecord = RolloutRequest | StackOutcome | InvalidRecord | ForeignEvent


def parse_batch(
    event: Any, parameter_name: str, identity: FunctionIdentity = ANY_ORIGIN
) -> list[ParsedRecord]:
    """The batch's records, classified; an event that is no batch is one invalid record
    (logged and counted, never raised)."""
    if not isinstance(event, Mapping):
        return [InvalidRecord("", f"event is a {type(event).__name__}, not an SQS batch")]
    records = event.get("Records", [])
    if not isinstance(records, list):
        return [InvalidRecord("", f"event Records is a {type(records).__name__}, not a list")]
    return [parse_record(record, parameter_name, identity) for record in records]


def parse_record(
    record: Any, parameter_name: str, identity: FunctionIdentity = ANY_ORIGIN
) -> ParsedRecord:
    """Classify one SQS record whose body is an EventBridge event; a parameter change or stack
    status of another account or region than ``identity``'s is a ForeignEvent."""
    if not isinstance(record, Mapping):
        return InvalidRecord("", f"SQS record is a {type(record).__name__}, not an object")
    message_id = str(record.get("messageId") or "")
    if not message_id:
        return InvalidRecord("", "SQS record has no messageId")
    try:
        event = json.loads(record.get("body") or "")
    except (TypeError, ValueError) as error:
        return InvalidRecord(message_id, f"body is not JSON: {error}")
    if not isinstance(event, dict) or not isinstance(event.get("detail"), dict):
        return InvalidRecord(message_id, "body is not an EventBridge event with a detail object")
    source, detail_type, detail = event.get("source"), event.get("detail-type"), event["detail"]
    known = (source, detail_type) in (
        (SSM_SOURCE, SSM_DETAIL_TYPE),
        (CLOUDFORMATION_SOURCE, STACK_STATUS_DETAIL_TYPE),
    )
    foreign = identity.why_foreign(event) if known else None
    if foreign is not None:
        return ForeignEvent(message_id, foreign)
    if source == SSM_SOURCE and detail_type == SSM_DETAIL_TYPE:
        return _parse_parameter_change(message_id, event, detail, parameter_name)
    if source == CLOUDFORMATION_SOURCE and detail_type == STACK_STATUS_DETAIL_TYPE:
        return _parse_stack_status(message_id, detail)
    return InvalidRecord(message_id, f"unexpected event source={source!r} type={detail_type!r}")


def _parse_parameter_change(
    message_id: str, event: Mapping[str, Any], detail: Mapping[str, Any], parameter_name: str
) -> ParsedRecord:
    name, operation = detail.get("name"), detail.get("operation")
    if name != parameter_name:
        return InvalidRecord(
            message_id, f"parameter {name!r} is not the model parameter {parameter_name!r}"
        )
    if operation not in ROLLOUT_OPERATIONS:
        return InvalidRecord(
            message_id, f"operation {operation!r} is not one of {sorted(ROLLOUT_OPERATIONS)}"
        )
    return RolloutRequest(message_id, name, operation, str(event.get("time", "")))


def _parse_stack_status(message_id: str, detail: Mapping[str, Any]) -> ParsedRecord:
    status_details = detail.get("status-details")
    if not isinstance(status_details, dict) or not status_details.get("status"):
        return InvalidRecord(message_id, "stack status event has no status-details.status")
    return StackOutcome(
        message_id=message_id,
        stack_id=str(detail.get("stack-id", "")),
        status=str(status_details["status"]),
        reason=str(status_details.get("status-reason", "")),
        client_request_token=str(detail.get("client-request-token", "")),
    )
