"""Pure decisions of the rollout: no AWS calls, no I/O.

- which queue records are rollout requests, stack outcomes, or malformed (``parse_record``);
- whether a stack in a given status can be updated now, later, or needs an operator
  (``action_for_status``);
- what an UpdateStack error means (``classify_update_error``);
- the parameters of the UpdateStack call that re-reads the SSM-typed template parameters
  (``update_parameters``).
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SSM_SOURCE = "aws.ssm"
SSM_DETAIL_TYPE = "Parameter Store Change"
ROLLOUT_OPERATIONS = frozenset({"Create", "Update"})
CLOUDFORMATION_SOURCE = "aws.cloudformation"
STACK_STATUS_DETAIL_TYPE = "CloudFormation Stack Status Change"
SSM_PARAMETER_TYPE_PREFIX = "AWS::SSM::Parameter::Value<"
# Prefix of the ClientRequestToken of every update this function starts, so that the stack's
# status-change events tell its updates apart from a human's `cdk deploy`.
REQUEST_TOKEN_PREFIX = "model-rollout-"  # noqa: S105 - an idempotency token, not a secret
_TOKEN_MAX_LENGTH = 128

# Statuses from which UpdateStack is accepted.
UPDATABLE_STATUSES = frozenset(
    {
        "CREATE_COMPLETE",
        "UPDATE_COMPLETE",
        "UPDATE_ROLLBACK_COMPLETE",
        "IMPORT_COMPLETE",
        "IMPORT_ROLLBACK_COMPLETE",
    }
)

_NO_UPDATES = "No updates are to be performed"
_BUSY_STACK = re.compile(r"\b[A-Z_]+_IN_PROGRESS\b.*can ?not be updated", re.IGNORECASE)
_TRANSIENT_ERROR_CODES = frozenset(
    {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"}
)


class StackAction(enum.Enum):
    UPDATE = "update"
    DEFER = "defer"
    NEEDS_OPERATOR = "needs_operator"


class Outcome(enum.Enum):
    """What one rollout attempt achieved; ``retry`` says whether the requests go back to the
    queue."""

    STARTED = ("started", False)
    UP_TO_DATE = ("up_to_date", False)
    DEFERRED = ("deferred", True)
    FAILED = ("failed", True)

    def __init__(self, label: str, retry: bool) -> None:
        self.label = label
        self.retry = retry


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


def action_for_status(status: str) -> StackAction:
    """Update a settled stack, wait for a busy one; anything else needs a human (runbook)."""
    if status in UPDATABLE_STATUSES:
        return StackAction.UPDATE
    if status.endswith("_IN_PROGRESS"):
        return StackAction.DEFER
    return StackAction.NEEDS_OPERATOR


def classify_update_error(code: str, message: str) -> Outcome:
    """The outcome an UpdateStack (or DescribeStacks) error stands for.

    "No updates are to be performed" means the stack already serves the newest value: an
    earlier update re-read the parameter after this request's change. An update that raced a
    concurrent one, or a throttled call, is retried later. Everything else failed.
    """
    if code == "ValidationError" and _NO_UPDATES in message:
        return Outcome.UP_TO_DATE
    if code == "TokenAlreadyExistsException":
        # This very request was accepted before (a retry after a lost response).
        return Outcome.UP_TO_DATE
    if code == "ValidationError" and _BUSY_STACK.search(message):
        return Outcome.DEFERRED
    if code in _TRANSIENT_ERROR_CODES:
        return Outcome.DEFERRED
    return Outcome.FAILED


def update_parameters(
    declared: Sequence[Mapping[str, Any]], current: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """UpdateStack parameters that keep every value and re-read every SSM-typed parameter.

    ``declared`` is GetTemplateSummary's ``Parameters`` (key, type, default); ``current`` is
    DescribeStacks' ``Parameters``. An SSM-typed parameter is passed explicitly with the
    parameter NAME, so CloudFormation fetches its newest value: the name CloudFormation reports
    in use (DescribeStacks returns it as ``ParameterValue`` next to a ``ResolvedValue``), else
    the template's default (ADR-0050 explains why not ``UsePreviousValue``). Every other
    parameter keeps its previous value (``UsePreviousValue``, which also keeps NoEcho values).
    """
    in_use = {p["ParameterKey"]: p for p in current if "ParameterKey" in p}
    result: list[dict[str, Any]] = []
    for parameter in declared:
        key = parameter["ParameterKey"]
        if not str(parameter.get("ParameterType", "")).startswith(SSM_PARAMETER_TYPE_PREFIX):
            result.append({"ParameterKey": key, "UsePreviousValue": True})
            continue
        reported = in_use.get(key, {})
        name = reported.get("ParameterValue") if "ResolvedValue" in reported else None
        name = name or parameter.get("DefaultValue")
        if not name:
            raise ValueError(
                f"SSM-typed template parameter {key!r} has no parameter name: neither the stack "
                "reports one nor does the template declare a default"
            )
        result.append({"ParameterKey": key, "ParameterValue": name})
    return result


def request_token(message_ids: Sequence[str]) -> str:
    """A ClientRequestToken for the update started for these (one or more) requests.

    Derived from the first message id, so a retry of the same batch after a lost response is
    recognised by CloudFormation as the same request. Token syntax: [a-zA-Z0-9][-a-zA-Z0-9]*.
    """
    seed = re.sub(r"[^a-zA-Z0-9-]", "-", message_ids[0])
    return (REQUEST_TOKEN_PREFIX + seed)[:_TOKEN_MAX_LENGTH]
