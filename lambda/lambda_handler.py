"""Registers the newest uploaded model's S3 key in a Parameter Store parameter.

Flow: settings (env) -> parse the S3 notification -> read the registered model (only if the
event touches a model key) -> HeadObject of each upload that could be registered (ADR-0017) ->
decide (pure) -> at most one PutParameter -> one log line per record -> one PutMetricData.
Deliberate failures raise a named error (``common.errors``) before anything is written, so
Lambda's async retries and on-failure destination keep the event.

Environment: SSM_SENTIMENT_MODEL (required, fully qualified parameter name),
METRICS_NAMESPACE (default ModelRegistration), MODEL_BUCKET and MODEL_KEY_PREFIX (default
empty: any bucket, any key; records outside them are ignored, ADR-0016). MODEL_PACKAGE_GROUP
(optional) and MODEL_GATE_POLICY: every upload becomes a model package, the gate decides and the
parameter names the newest approved package (registry/flow.py, ADR-0071); unset, none of it.

Every AWS attempt is sent only if the context's remaining time covers it (ADR-0013), so an
invocation ends with a result or a named error, never by the function's timeout.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from functools import partial
from typing import Any

from common.aws_clients import FINISH_MARGIN_SECONDS, AwsClients, RetryBudget
from common.errors import ConfigurationError
from common.metrics import publish
from registration.contract import DEFAULT_METRICS_NAMESPACE
from registration.decision import (
    REGISTERED,
    Decision,
    decide_test_event,
    needs_registered_state,
)
from registration.parameter_description import to_description
from registration.parameter_store import (
    ParameterState,
    ParameterStoreError,
    read_state,
    write_registration,
)
from registration.registered_model import Registration
from registration.s3_events import MalformedEventError, parse_notification
from registration.settings import Settings, load_settings
from registration.telemetry import Counts, DecisionLog, record_fields
from registration.uploaded_object import ObjectCheckError, decide_verified
from registry.flow import REGISTRY_BUDGETS
from registry.flow import handle as handle_with_registry
from registry.packages import RegistryError
from registry.settings import RegistrySettings, load_registry_settings

# 3 attempts: a throttled PutParameter (SSM throttles it at a few TPS) waits up to 1 + 2 s
# (plus jitter) before giving up, and Lambda's asynchronous retries take over from there.
SSM_BUDGET = RetryBudget(total_max_attempts=3, connect_timeout=2, read_timeout=3)
# Metrics are best-effort: a short budget, so they never hold up a finished registration.
CLOUDWATCH_BUDGET = RetryBudget(total_max_attempts=2, connect_timeout=1, read_timeout=2)
# HeadObject of an upload before it is registered (ADR-0017), and the metrics file read in
# registry mode (ADR-0071): the registry's S3 budget, SSM's, a cheap read.
BUDGETS = {"ssm": SSM_BUDGET, "cloudwatch": CLOUDWATCH_BUDGET, **REGISTRY_BUDGETS}
# Time a call must leave behind it: after SSM or S3, room for the whole metrics call, so a
# registration that succeeds is always counted (the longest path makes six SSM calls).
RESERVE_SECONDS = {
    "ssm": CLOUDWATCH_BUDGET.call_seconds + FINISH_MARGIN_SECONDS,
    "cloudwatch": FINISH_MARGIN_SECONDS,
    # S3 (ADR-0017) and SageMaker (ADR-0071) calls leave room for the metrics, as SSM's do.
    **dict.fromkeys(REGISTRY_BUDGETS, CLOUDWATCH_BUDGET.call_seconds + FINISH_MARGIN_SECONDS),
}
# Created lazily, reused by every invocation in this container.
CLIENTS = AwsClients(BUDGETS, RESERVE_SECONDS)


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    log = DecisionLog(request_id=getattr(context, "aws_request_id", None))
    CLIENTS.start_invocation(context)
    namespace = DEFAULT_METRICS_NAMESPACE
    try:
        settings = load_settings(os.environ)
        log.parameter = settings.parameter_name
        namespace = settings.metrics_namespace
        registry = load_registry_settings(os.environ)
        if registry is not None:
            return _register_with_registry(event, settings, registry, log)
        return _register(event, settings, log)
    except (ConfigurationError, MalformedEventError) as error:
        log.rejected(error)
        _publish(namespace, Counts(rejected=1), log)
        raise
    except ParameterStoreError as error:
        # Not the event's fault: no rejection metric; Lambda's Errors metric and the retry
        # (then the on-failure destination) cover it.
        log.problem("ERROR", "parameter_store_failed", str(error))
        raise
    except ObjectCheckError as error:
        log.problem("ERROR", "object_check_failed", str(error))
        raise
    except RegistryError as error:
        # Like a Parameter Store failure: the retry repeats the work idempotently (ADR-0071).
        log.problem("ERROR", "model_registry_failed", str(error))
        raise


def _register_with_registry(
    event: Any, settings: Settings, registry: RegistrySettings, log: DecisionLog
) -> dict[str, Any]:
    """MODEL_PACKAGE_GROUP set: one package per upload, the parameter follows the registry."""
    run = handle_with_registry(event, settings, registry, CLIENTS, log)
    publish(partial(CLIENTS.client, "cloudwatch"), settings.metrics_namespace, run.metrics(), log)
    return {
        "registeredKey": run.served_key,
        "parameterVersion": run.parameter_version,
        "records": run.records,
        "decisions": run.decisions,
        "alerts": run.alerts,
        "packages": run.packages,
    }


def _register(event: Any, settings: Settings, log: DecisionLog) -> dict[str, Any]:
    notification = parse_notification(event)
    state = ParameterState()
    if notification.test_event is not None:
        decision = decide_test_event()
    else:
        location = settings.model_location
        if needs_registered_state(notification.records, location):
            state = read_state(CLIENTS.client("ssm"), settings.parameter_name)
        s3 = partial(CLIENTS.client, "s3")
        now = datetime.now(UTC)
        decision = decide_verified(notification.records, state.registered, location, s3, now)

    written_version = None
    if decision.registration is not None:
        written_version = _write(settings.parameter_name, decision.registration, state, log)

    for outcome in decision.outcomes:
        if outcome.decision == REGISTERED:
            log.outcome(outcome, **_registered_details(decision, written_version))
        elif notification.test_event is not None:
            test_event = notification.test_event
            log.outcome(outcome, bucket=test_event.bucket, eventTime=test_event.time)
        else:
            log.outcome(outcome)
    _publish(settings.metrics_namespace, Counts.of(decision), log)
    return {
        "registeredKey": decision.registration.key if decision.registration else None,
        "parameterVersion": written_version,
        "records": len(notification.records),
        "decisions": [outcome.decision for outcome in decision.outcomes],
        "alerts": [outcome.alert for outcome in decision.outcomes if outcome.alert],
    }


def _publish(namespace: str, counts: Counts, log: DecisionLog) -> None:
    publish(partial(CLIENTS.client, "cloudwatch"), namespace, counts.by_metric(), log)


def _write(name: str, registration: Registration, state: ParameterState, log: DecisionLog) -> int:
    """Exactly one PutParameter, then a check that no other writer interleaved.

    With reserved concurrency 1 the check never fires. If another writer did slip in between
    our read and our write, the newest registration among the versions written since our read
    is restored with one more PutParameter (ADR-0010 describes the residual window).
    """
    description = to_description(registration)
    ssm = CLIENTS.client("ssm")
    try:
        written = write_registration(ssm, name, registration, description)
    except ParameterStoreError as error:
        log.problem(
            "ERROR",
            "registration_failed",
            str(error),
            **record_fields(registration),
        )
        raise
    if written != state.latest_version + 1:
        _repair_after_interleaving(ssm, name, registration, state.latest_version, written, log)
    return written


def _repair_after_interleaving(
    ssm: Any, name: str, registration: Registration, read: int, written: int, log: DecisionLog
) -> None:
    """Our write did not land right after our read: restore the newest registration since.

    If this fails, our registration stays written and the invocation raises; its retry finds
    our version registered and writes nothing, so the repair is not attempted again
    (ADR-0010, ADR-0013).
    """
    try:
        current = read_state(ssm, name)
        if all(v.registration == registration for v in current.versions_since(read)):
            # No other writer: a PutParameter attempt whose answer was lost had written our
            # registration already, and botocore's retry wrote it once more.
            log.problem(
                "INFO",
                "registration_written_twice",
                f"versions {read + 1}-{written} of {name} all hold this registration: a "
                "PutParameter attempt whose answer was lost had already written it",
                parameterVersion=written,
            )
            return
        restore = current.newer_registration_since(read)
        restored_version = None
        if restore is not None:
            restored_version = write_registration(ssm, name, restore, to_description(restore))
    except ParameterStoreError as error:
        log.problem(
            "ERROR",
            "concurrent_write_repair_failed",
            f"our registration is written as version {written}, but checking for (and "
            f"restoring) a newer one written since version {read} failed; the event's retry "
            f"will not try again: {error}",
            parameterVersion=written,
            **record_fields(registration),
        )
        raise
    log.problem(
        "WARNING",
        "concurrent_write_detected",
        f"another writer changed {name} between our read (version {read}) "
        f"and our write (version {written})",
        restoredKey=restore.key if restore else None,
        restoredVersion=restored_version,
    )


def _registered_details(decision: Decision, written_version: int | None) -> dict[str, Any]:
    previous = decision.previous
    return {
        "parameterVersion": written_version,
        "previousKey": previous.key if previous else None,
        "previousVersionId": previous.version_id if previous else None,
        "previousEventTime": previous.event_time if previous else None,
    }
