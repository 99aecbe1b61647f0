"""Entry point of the model rollout function (ADR-0050, ADR-0051).

SQS delivers a batch of EventBridge events: changes of the model parameter (rollout requests)
and terminal statuses of the SageMaker stack's updates (outcomes). All requests of a batch are
served by ONE stack update, because every update re-reads the parameter's newest value:

- started or already up to date: the requests are done;
- deferred (the stack is busy) or failed: the requests are reported as batch item failures, so
  SQS hands them back after the visibility timeout; after the queue's maxReceiveCount they
  move to the dead-letter queue, which has an alarm.

Outcome events are logged and counted; malformed records are reported as failures so that they
end up in the dead-letter queue for inspection instead of being dropped. A record without a
message id (or an event that is not an SQS batch at all) cannot be handed back on its own: it is
logged and counted as invalid, and the rest of the batch is served as usual.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from rollout_cloudformation import attempt_rollout
from rollout_decision import (
    InvalidRecord,
    ParsedRecord,
    RolloutRequest,
    StackOutcome,
    parse_record,
)
from rollout_settings import RolloutSettings, load_settings
from rollout_telemetry import Telemetry

_OUTCOME_EVENTS = {
    "UPDATE_COMPLETE": "succeeded",
    "UPDATE_ROLLBACK_COMPLETE": "rolled_back",
}


@dataclass(frozen=True)
class AwsClients:
    cloudformation: Any
    ssm: Any
    cloudwatch: Any


# The worst case of one invocation stays inside the function's timeout (ROLLOUT_TIMEOUT_SECONDS,
# 60 s, in config/constants.py; the asset ships alone and cannot import it): at most
# AWS_CALLS_PER_INVOCATION calls (DescribeStacks, GetTemplateSummary, GetParameters, UpdateStack,
# PutMetricData) x ATTEMPTS_PER_CALL x (CONNECT_TIMEOUT + READ_TIMEOUT) = 5 x 3 x 2.5 s = 37.5 s,
# plus standard mode's jittered backoff before attempts 2 and 3, at most 1 s + 2 s per call
# = 15 s: 52.5 s. A call that runs out of attempts defers its requests (ADR-0051).
# total_max_attempts counts attempts; the retries option max_attempts would count retries.
AWS_CALLS_PER_INVOCATION = 5
ATTEMPTS_PER_CALL = 3
CONNECT_TIMEOUT_SECONDS = 1.0
READ_TIMEOUT_SECONDS = 1.5


@functools.cache
def _default_clients() -> AwsClients:
    config = Config(
        retries={"mode": "standard", "total_max_attempts": ATTEMPTS_PER_CALL},
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
    )
    return AwsClients(
        cloudformation=boto3.client("cloudformation", config=config),
        ssm=boto3.client("ssm", config=config),
        cloudwatch=boto3.client("cloudwatch", config=config),
    )


def lambda_handler(event: Any, context: Any) -> dict[str, list[dict[str, str]]]:
    return handle_batch(event, load_settings(os.environ), _default_clients())


def handle_batch(
    event: Any, settings: RolloutSettings, clients: AwsClients
) -> dict[str, list[dict[str, str]]]:
    """Process one SQS batch; return the SQS partial-batch response."""
    telemetry = Telemetry(clients.cloudwatch, settings.metrics_namespace, settings.stack_name)
    parsed = _parse_batch(event, settings.parameter_name)
    failed_ids: list[str] = []
    try:
        for item in parsed:
            if isinstance(item, StackOutcome):
                _report_outcome(telemetry, item)
            elif isinstance(item, InvalidRecord):
                telemetry.event(
                    "invalid_request",
                    message_id=item.message_id,
                    problem=item.problem,
                    will_retry=item.returnable,
                )
                if item.returnable:
                    failed_ids.append(item.message_id)
        requests = [item for item in parsed if isinstance(item, RolloutRequest)]
        if requests:
            failed_ids.extend(_roll_out(telemetry, clients, settings, requests))
    finally:
        telemetry.flush()
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed_ids]}


def _parse_batch(event: Any, parameter_name: str) -> list[ParsedRecord]:
    """The batch's records, classified; an event that is no batch is one invalid record
    (logged and counted, never raised)."""
    if not isinstance(event, Mapping):
        return [InvalidRecord("", f"event is a {type(event).__name__}, not an SQS batch")]
    records = event.get("Records", [])
    if not isinstance(records, list):
        return [InvalidRecord("", f"event Records is a {type(records).__name__}, not a list")]
    return [parse_record(record, parameter_name) for record in records]


def _roll_out(
    telemetry: Telemetry,
    clients: AwsClients,
    settings: RolloutSettings,
    requests: list[RolloutRequest],
) -> list[str]:
    message_ids = [request.message_id for request in requests]
    telemetry.event(
        "requested",
        count=len(requests),
        message_ids=message_ids,
        parameter_name=settings.parameter_name,
        event_times=[request.event_time for request in requests],
    )
    result = attempt_rollout(clients.cloudformation, clients.ssm, settings, message_ids)
    telemetry.event(
        result.outcome.label,
        message_ids=message_ids,
        reason=result.reason,
        stack_status=result.stack_status,
        client_request_token=result.client_request_token,
        parameter_version=result.parameter_version,
        will_retry=result.outcome.retry,
    )
    return message_ids if result.outcome.retry else []


def outcome_event(status: str) -> str:
    """The telemetry event of a terminal stack status: succeeded, rolled back, or failed."""
    return _OUTCOME_EVENTS.get(status, "update_failed")


def _report_outcome(telemetry: Telemetry, outcome: StackOutcome) -> None:
    telemetry.event(
        outcome_event(outcome.status),
        message_id=outcome.message_id,
        stack_id=outcome.stack_id,
        stack_status=outcome.status,
        status_reason=outcome.reason,
        client_request_token=outcome.client_request_token,
        started_by_rollout=outcome.started_by_rollout,
    )
