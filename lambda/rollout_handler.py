"""Entry point of the model rollout function (ADR-0050, ADR-0051).

SQS delivers a batch of EventBridge events: changes of the model parameter (rollout requests)
and terminal statuses of the SageMaker stack's updates (outcomes). All requests of a batch are
served by ONE stack update, because every update re-reads the parameter's newest value:

- started or already up to date: the requests are done;
- deferred (the stack is busy) or failed: the requests are reported as batch item failures, so
  SQS hands them back after the visibility timeout; after the queue's maxReceiveCount they
  move to the dead-letter queue, which has an alarm.

Outcome events are logged and counted; events of another account or region are dropped, logged
and counted (ADR-0017); malformed records are reported as failures so that they end up in the
dead-letter queue for inspection instead of being dropped. A record without a
message id (or an event that is not an SQS batch at all) cannot be handed back on its own: it is
logged and counted as invalid, and the rest of the batch is served as usual.

Every AWS attempt is sent only if the context's remaining time covers it and the metrics call
after it (``common.aws_clients``, ADR-0013); a refused attempt defers the requests, so an
invocation ends with its answer, never by the function's timeout.
"""

from __future__ import annotations

import os
from functools import partial
from typing import Any, Protocol

from common.aws_clients import FINISH_MARGIN_SECONDS, AwsClients, RetryBudget
from rollout.cloudformation import attempt_rollout
from rollout.decision import outcome_event
from rollout.queue_records import (
    ANY_ORIGIN,
    ForeignEvent,
    FunctionIdentity,
    InvalidRecord,
    RolloutRequest,
    StackOutcome,
    parse_batch,
)
from rollout.settings import RolloutSettings, load_settings
from rollout.telemetry import Telemetry

# Every call (DescribeStacks, GetTemplateSummary, GetParameters, UpdateStack, PutMetricData):
# 3 attempts of at most 1 s to connect and 1.5 s to read. A call that runs out of attempts, or
# whose next attempt the time guard refuses, defers its requests (ADR-0051).
CALL_BUDGET = RetryBudget(total_max_attempts=3, connect_timeout=1.0, read_timeout=1.5)
BUDGETS = {"cloudformation": CALL_BUDGET, "ssm": CALL_BUDGET, "cloudwatch": CALL_BUDGET}
# Time a call must leave behind it: room for the whole metrics call after the rollout's own
# calls, so an attempt's outcome is always counted.
RESERVE_SECONDS = {
    "cloudformation": CALL_BUDGET.call_seconds + FINISH_MARGIN_SECONDS,
    "ssm": CALL_BUDGET.call_seconds + FINISH_MARGIN_SECONDS,
    "cloudwatch": FINISH_MARGIN_SECONDS,
}
# Created lazily, reused by every invocation in this container.
CLIENTS = AwsClients(BUDGETS, RESERVE_SECONDS)


class ClientSource(Protocol):
    """Where the handler gets its boto3 clients: ``AwsClients`` (or a test's fixed clients)."""

    def client(self, service: str) -> Any: ...


def lambda_handler(event: Any, context: Any) -> dict[str, list[dict[str, str]]]:
    CLIENTS.start_invocation(context)
    return handle_batch(
        event,
        load_settings(os.environ),
        CLIENTS,
        request_id=getattr(context, "aws_request_id", None),
        identity=FunctionIdentity.of(context, os.environ),
    )


def handle_batch(
    event: Any,
    settings: RolloutSettings,
    clients: ClientSource,
    request_id: str | None = None,
    identity: FunctionIdentity = ANY_ORIGIN,
) -> dict[str, list[dict[str, str]]]:
    """Process one SQS batch; return the SQS partial-batch response. Events of another account
    or region than ``identity``'s are dropped with a log line and a count (ADR-0017)."""
    telemetry = Telemetry(
        partial(clients.client, "cloudwatch"),
        settings.metrics_namespace,
        settings.stack_name,
        request_id,
    )
    parsed = parse_batch(event, settings.parameter_name, identity)
    failed_ids: list[str] = []
    try:
        for item in parsed:
            if isinstance(item, StackOutcome):
                _report_outcome(telemetry, item)
            elif isinstance(item, InvalidRecord):
                telemetry.event(
                    "invalid_request",
                    messageId=item.message_id,
                    problem=item.problem,
                    willRetry=item.returnable,
                )
                if item.returnable:
                    failed_ids.append(item.message_id)
            elif isinstance(item, ForeignEvent):
                telemetry.event(
                    "foreign_event_ignored", messageId=item.message_id, problem=item.problem
                )
        requests = [item for item in parsed if isinstance(item, RolloutRequest)]
        if requests:
            failed_ids.extend(_roll_out(telemetry, clients, settings, requests))
    finally:
        telemetry.flush()
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed_ids]}


def _roll_out(
    telemetry: Telemetry,
    clients: ClientSource,
    settings: RolloutSettings,
    requests: list[RolloutRequest],
) -> list[str]:
    message_ids = [request.message_id for request in requests]
    telemetry.event(
        "requested",
        count=len(requests),
        messageIds=message_ids,
        parameter=settings.parameter_name,
        eventTimes=[request.event_time for request in requests],
    )
    result = attempt_rollout(
        clients.client("cloudformation"), clients.client("ssm"), settings, message_ids
    )
    telemetry.event(
        result.outcome.label,
        messageIds=message_ids,
        reason=result.reason,
        stackStatus=result.stack_status,
        clientRequestToken=result.client_request_token,
        parameterVersion=result.parameter_version,
        willRetry=result.outcome.retry,
    )
    return message_ids if result.outcome.retry else []


def _report_outcome(telemetry: Telemetry, outcome: StackOutcome) -> None:
    telemetry.event(
        outcome_event(outcome.status),
        messageId=outcome.message_id,
        stackId=outcome.stack_id,
        stackStatus=outcome.status,
        statusReason=outcome.reason,
        clientRequestToken=outcome.client_request_token,
        startedByRollout=outcome.started_by_rollout,
    )
