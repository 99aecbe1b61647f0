"""The SQS batch the rollout function receives, parsed. Pure: no AWS calls, no I/O.

Each record's body is an EventBridge event: a change of the model parameter (a rollout
request) or a terminal status of the stack's update (an outcome). Anything else is an invalid
record, kept (retried, then dead-lettered) when SQS can take it back alone, never raised.
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


ParsedRecord = RolloutRequest | StackOutcome | InvalidRecord


def parse_batch(event: Any, parameter_name: str) -> list[ParsedRecord]:
    """The batch's records, classified; an event that is no batch is one invalid record
    (logged and counted, never raised)."""
    if not isinstance(event, Mapping):
        return [InvalidRecord("", f"event is a {type(event).__name__}, not an SQS batch")]
    records = event.get("Records", [])
    if not isinstance(records, list):
        return [InvalidRecord("", f"event Records is a {type(records).__name__}, not a list")]
    return [parse_record(record, parameter_name) for record in records]


def parse_record(record: Any, parameter_name: str) -> ParsedRecord:
    """Classify one SQS record whose body is an EventBridge event."""
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
