"""Whatever AWS does, attempt by attempt (slow answers, throttling with or without
x-amz-retry-after, server errors, a PutParameter whose answer is lost after it wrote), and
however little time the invocation starts with, the handler ends with a result or a
ParameterStoreError at least FINISH_MARGIN_SECONDS before Lambda's timeout; every parameter
version it leaves is whole; and the event's retry completes the registration (ADR-0013).

The clock is a fake Lambda context: each attempt spends its drawn duration (at most the
attempt's worst case, connect + read timeout), each botocore backoff sleep spends its delay.
The longest path is drawn too: another writer interleaving before our PutParameter makes the
handler re-read and repair (six SSM calls at most, ADR-0010).
"""

from __future__ import annotations

import io
import json
from contextlib import contextmanager, redirect_stdout
from datetime import datetime, timedelta
from types import SimpleNamespace
from unittest import mock

from hypothesis import example, given, settings, target
from hypothesis import strategies as st

from common.aws_clients import FINISH_MARGIN_SECONDS
from config import constants
from lambda_handler import BUDGETS
from registration.parameter_store import ParameterStoreError
from registration.uploaded_object import ObjectCheckError
from tests.unit.registration.registration_testkit import (
    LambdaContext,
    error_response,
    event,
    history,
    interleave_write,
    invoke,
    iso,
    log_lines,
    registered_value,
    registration_after,
    s3_record,
    write_then_lose_the_answer,
)

OPERATIONS = {
    "GetParameterHistory": "ssm",
    "HeadObject": "s3",
    "PutParameter": "ssm",
    "PutMetricData": "cloudwatch",
}
# s3_record's defaults: the ETag and size S3 answers for every upload of this test.
DEFAULT_ETAG = "0123456789abcdef0123456789abcdef"
DEFAULT_SIZE = 1024
FAULTS = ["none", "none", "throttle", "throttle_retry_after", "server_error", "lost_answer"]
START = datetime.fromisoformat("2026-11-27T10:00:00+00:00")
PREVIOUS = s3_record("models/previous.tar.gz", event_time=iso(START), version_id="v-prev")
OURS = s3_record(
    "models/ours.tar.gz", event_time=iso(START + timedelta(seconds=10)), version_id="v-ours"
)
THEIRS = registration_after(
    OURS, 10, "models/theirs-newer.tar.gz", sequencer="FF", version_id="v-theirs"
)
NOT_A_MODEL = s3_record("models/metrics.json", event_time=iso(START + timedelta(seconds=10)))
VERSION_OF_KEY = {
    "models/previous.tar.gz": "v-prev",
    "models/ours.tar.gz": "v-ours",
    THEIRS.key: "v-theirs",
}


def attempt_plans():
    def attempts(service: str):
        worst = BUDGETS[service].attempt_seconds
        # The worst case is what the budget must survive: draw it often.
        seconds = st.sampled_from([worst, worst, 0.05]) | st.floats(0, worst)
        return st.lists(st.tuples(seconds, st.sampled_from(FAULTS)), max_size=4)

    return st.fixed_dictionaries(
        {operation: attempts(service) for operation, service in OPERATIONS.items()}
    )


SCENARIOS = st.fixed_dictionaries(
    {
        # The full timeout, the guard's thresholds (ADR-0013) and anything in between.
        "start_seconds": st.sampled_from(
            [constants.LAMBDA_TIMEOUT_SECONDS, 40, 30, 26, 25, 19, 14, 11, 5, 2]
        )
        | st.floats(0, constants.LAMBDA_TIMEOUT_SECONDS),
        # A model upload takes the SSM path; a metrics file only sends metrics.
        "uploaded": st.sampled_from([OURS, OURS, NOT_A_MODEL]),
        "previously_registered": st.booleans(),
        "interleaved_writer": st.booleans(),
        "plans": attempt_plans(),
    }
)


class SimulatedAws:
    """before-send handlers that play each operation's planned attempts on the clock; once an
    operation's plan is used up, its attempts take their worst case and succeed."""

    def __init__(self, sandbox, clock: LambdaContext, plans: dict) -> None:
        self.clock = clock
        self.plans = {operation: list(plan) for operation, plan in plans.items()}
        self.sent = {operation: 0 for operation in plans}
        self._lost_put_answer = write_then_lose_the_answer(sandbox.ssm)
        self._answers = {
            "throttle": error_response(400, "ThrottlingException", "Rate exceeded"),
            "throttle_retry_after": error_response(
                400, "ThrottlingException", "Rate exceeded", {"x-amz-retry-after": "60000"}
            ),
            "server_error": error_response(500, "InternalServerError", "try again"),
        }
        # S3 throttles with 503 SlowDown; a HEAD answer has no body to carry a code.
        self._s3_answers = {
            "throttle": error_response(503, "SlowDown", "Please reduce your request rate"),
            "throttle_retry_after": error_response(
                503, "SlowDown", "Please reduce", {"x-amz-retry-after": "60000"}
            ),
        }

    def handler(self, operation: str):
        def attempt(request, **_):
            self.sent[operation] += 1
            worst = BUDGETS[OPERATIONS[operation]].attempt_seconds
            plan = self.plans[operation]
            seconds, fault = plan.pop(0) if plan else (worst, "none")
            self.clock.spend(seconds)
            if fault == "none":
                # S3 confirms the upload the event describes (ADR-0017).
                return _answer_head_object(request) if operation == "HeadObject" else None
            if fault == "lost_answer" and operation == "PutParameter":
                return self._lost_put_answer(request)
            # A lost answer to a read or a metrics call is just a failed attempt.
            if OPERATIONS[operation] == "s3" and fault in self._s3_answers:
                return self._s3_answers[fault](request)
            return self._answers.get(fault, self._answers["server_error"])(request)

        return attempt


def _hooks(sandbox, simulated: SimulatedAws, interleave: bool, name: str):
    """Register the simulation (and the interleaving writer) on the handler's clients; return
    a function that removes them, and the list the other writer records its write in."""
    registered = []

    def hook(client, event_name, handler, first=False):
        (client.meta.events.register_first if first else client.meta.events.register)(
            event_name, handler
        )
        registered.append((client, event_name, handler))

    for operation, service in OPERATIONS.items():
        client = sandbox.clients.client(service)
        hook(client, f"before-send.{service}.{operation}", simulated.handler(operation), True)
    done: list[bool] = []
    if interleave:
        done = interleave_write(hook, sandbox.clients.client("ssm"), sandbox.ssm, THEIRS, name)

    def remove():
        for client, event_name, handler in registered:
            client.meta.events.unregister(event_name, handler)

    return remove, done


def _answer_head_object(request, **_):
    """HeadObject's answer for every record here (s3_record's default ETag and size): the
    versions named are not written on moto, their ids being fixed (VERSION_OF_KEY)."""
    from botocore.awsrequest import AWSResponse
    from moto.core.botocore_stubber import MockRawResponse

    headers = {"ETag": f'"{DEFAULT_ETAG}"', "Content-Length": str(DEFAULT_SIZE)}
    answer = AWSResponse(request.url, 200, headers, MockRawResponse(b""))
    request.url = "https://fault-injected.invalid/"
    return answer


@contextmanager
def s3_confirming_uploads(sandbox):
    """HeadObject answered as S3 would for the records here, ahead of moto's stubber."""
    client = sandbox.clients.client("s3")
    client.meta.events.register_first("before-send.s3.HeadObject", _answer_head_object)
    try:
        yield
    finally:
        client.meta.events.unregister("before-send.s3.HeadObject", _answer_head_object)


def _assert_every_version_is_whole(ssm, name: str) -> None:
    if registered_value(ssm, name) is None:
        return
    for version in history(ssm, name):
        provenance = json.loads(version["Description"])
        assert provenance["versionId"] == VERSION_OF_KEY[version["Value"]]


def scenario(start, uploaded=None, interleaved=False, **plans):
    return {
        "start_seconds": start,
        "uploaded": uploaded or OURS,
        "previously_registered": True,
        "interleaved_writer": interleaved,
        "plans": {operation: plans.get(operation, []) for operation in OPERATIONS},
    }


SLOW_THROTTLED = [(5.0, "throttle_retry_after")] * 4


@settings(max_examples=max(10, settings.default.max_examples // 2))
@given(SCENARIOS)
# The boundaries, pinned (random search rarely lands on them): a metrics call whose retry-after
# backoff could outlast the function; an upload whose metrics could not follow its write; the
# longest path (six SSM calls), every attempt slow and throttled with retry-after.
@example(scenario(6.0, NOT_A_MODEL, PutMetricData=[(3.0, "throttle_retry_after")]))
@example(scenario(19.0))
@example(
    scenario(
        60.0,
        interleaved=True,
        GetParameterHistory=SLOW_THROTTLED,
        PutParameter=SLOW_THROTTLED,
        PutMetricData=[(3.0, "throttle_retry_after")] * 2,
    )
)
def test_the_handler_ends_before_the_timeout_and_its_retry_completes_the_work(sandbox, scenario):
    name = sandbox.fresh_parameter()
    if scenario["previously_registered"]:
        with s3_confirming_uploads(sandbox):
            invoke(event(PREVIOUS))
    clock = LambdaContext(remaining_seconds=scenario["start_seconds"])
    simulated = SimulatedAws(sandbox, clock, scenario["plans"])
    remove, theirs_written = _hooks(sandbox, simulated, scenario["interleaved_writer"], name)
    output = io.StringIO()
    sleeps = SimpleNamespace(sleep=clock.spend)
    try:
        with mock.patch("botocore.endpoint.time", sleeps), redirect_stdout(output):
            try:
                result = invoke(event(scenario["uploaded"]), clock)
            except (ParameterStoreError, ObjectCheckError):
                result = None
    finally:
        remove()

    # The function ended by itself, with the margin to spare (or spent nothing at all).
    target(scenario["start_seconds"] - clock.remaining_seconds, label="seconds spent")
    if scenario["start_seconds"] >= FINISH_MARGIN_SECONDS:
        assert clock.remaining_seconds >= FINISH_MARGIN_SECONDS
    # A registration is always counted: every SSM attempt keeps the metrics call's budget.
    if result is not None and result["registeredKey"] is not None:
        assert simulated.sent["PutMetricData"] >= 1
    if scenario["uploaded"] is NOT_A_MODEL:
        assert simulated.sent["GetParameterHistory"] == simulated.sent["PutParameter"] == 0
        return
    _assert_every_version_is_whole(sandbox.ssm, name)

    # Lambda's retry of the event (or the next invocation), with time and no faults.
    sandbox.calls.calls.clear()
    with redirect_stdout(output), s3_confirming_uploads(sandbox):
        invoke(event(OURS), LambdaContext(remaining_seconds=constants.LAMBDA_TIMEOUT_SECONDS))
    assert sandbox.calls["ssm.PutParameter"] <= 1
    _assert_every_version_is_whole(sandbox.ssm, name)
    final = registered_value(sandbox.ssm, name)
    if not theirs_written:
        assert final == OURS["s3"]["object"]["key"]
    elif final != THEIRS.key:
        # ADR-0010's residual: our write landed after theirs and the repair failed; the
        # retry, finding our version registered, does not repair. It is logged.
        events = [line.get("event") for line in log_lines(output.getvalue())]
        assert "concurrent_write_repair_failed" in events or "registration_failed" in events
