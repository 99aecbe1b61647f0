"""What the rollout decides, pure: no AWS calls, no I/O.

- whether a stack in a given status can be updated now, later, or needs an operator
  (``action_for_status``);
- what an UpdateStack (or DescribeStacks) error means (``classify_update_error``);
- the parameters of the UpdateStack call that re-reads the SSM-typed template parameters
  (``update_parameters``), and its idempotency token (``request_token``);
- the verdict a terminal stack status is reported as (``outcome_event``).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from typing import Any

from rollout.contract import STACK_OUTCOME_EVENTS

SSM_PARAMETER_TYPE_PREFIX = "AWS::SSM::Parameter::Value<"
# Prefix of the ClientRequestToken of every update this function starts, so that the stack's
# status-change events tell its updates apart from a human's `cdk deploy`.
REQUEST_TOKEN_PREFIX = "model-rollout-"  # noqa: S105 - an idempotency token, not a secret
_TOKEN_MAX_LENGTH = 128
# The verdict of a terminal status the outcome rule should not deliver: it needs an operator.
_UNKNOWN_STATUS_EVENT = "update_failed"

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


def outcome_event(status: str) -> str:
    """The telemetry event of a terminal stack status: succeeded, rolled back, or failed."""
    return STACK_OUTCOME_EVENTS.get(status, _UNKNOWN_STATUS_EVENT)
