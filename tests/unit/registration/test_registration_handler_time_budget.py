"""The handler on moto against the function's clock: retries stop before the timeout, and a
write interrupted at any point leaves a whole registration or none, which the event's retry
completes without writing twice (ADR-0013).

The clock is a fake Lambda context: each simulated attempt spends its duration from the
remaining time, and botocore's backoff sleeps spend theirs, so the tests run in milliseconds.
"""

from __future__ import annotations

from types import SimpleNamespace

import botocore.endpoint
import pytest

from common.aws_clients import FINISH_MARGIN_SECONDS
from lambda_handler import SSM_BUDGET
from registration.parameter_store import ParameterStoreError
from tests.unit.registration.registration_testkit import (
    LambdaContext,
    error_response,
    event,
    history,
    invoke,
    latest_provenance,
    log_lines,
    metric_sums,
    registered_value,
    write_then_lose_the_answer,
)

THROTTLE = error_response(400, "ThrottlingException", "Rate exceeded")


@pytest.fixture
def clock(monkeypatch):
    """A 60 s Lambda context whose clock botocore's backoff sleeps advance."""
    context = LambdaContext(remaining_seconds=60)
    monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=context.spend))
    return context


def _attempts(aws, client, operation, clock, seconds, answers=()):
    """Every attempt of ``operation`` takes ``seconds`` of the clock; the n-th is answered by
    ``answers[n]`` (a before-send handler) if there is one, else by moto. Returns the list the
    attempts are recorded in."""
    sent = []

    def attempt(request, **_):
        sent.append(1)
        clock.spend(seconds)
        answer = answers[len(sent) - 1] if len(sent) <= len(answers) else None
        return answer(request) if answer else None

    service = client.meta.service_model.service_name
    aws.hook(client, f"before-send.{service}.{operation}", attempt, first=True)
    return sent


def _slow_and_throttled(aws, clock, read_failures: int, put_failures: int):
    """Every SSM attempt takes its worst case; the first ones are throttled."""
    ssm = aws.clients.client("ssm")
    seconds = SSM_BUDGET.attempt_seconds
    reads = _attempts(aws, ssm, "GetParameterHistory", clock, seconds, [THROTTLE] * read_failures)
    puts = _attempts(aws, ssm, "PutParameter", clock, seconds, [THROTTLE] * put_failures)
    return reads, puts


def test_a_put_that_keeps_failing_stops_before_the_timeout_and_writes_nothing(aws, clock, capsys):
    record = aws.uploads.put("models/a.tar.gz")
    clock.remaining_seconds = 30
    reads, puts = _slow_and_throttled(aws, clock, read_failures=0, put_failures=3)

    with pytest.raises(ParameterStoreError, match="PutParameter attempt 2 not sent"):
        invoke(event(record), clock)

    # 30 s: the read (5 s) leaves 25 s, enough for attempt 1 of the put (5 s, a backoff of up
    # to 6 s, 14 s kept); attempt 2 would need 26 s and is not sent.
    assert (len(reads), len(puts)) == (1, 1)
    assert registered_value(aws.ssm) is None
    assert clock.remaining_seconds >= FINISH_MARGIN_SECONDS
    failure = next(line for line in log_lines(capsys.readouterr().out) if "event" in line)
    assert failure["event"] == "registration_failed"
    assert "s of the function's time left" in failure["reason"]


def test_an_invocation_that_starts_too_late_sends_no_ssm_attempt(aws, clock):
    record = aws.uploads.put("models/a.tar.gz")
    clock.remaining_seconds = 10
    reads = _attempts(aws, aws.clients.client("ssm"), "GetParameterHistory", clock, 0)

    with pytest.raises(ParameterStoreError, match="GetParameterHistory attempt 1 not sent"):
        invoke(event(record), clock)

    assert reads == []
    assert registered_value(aws.ssm) is None
    assert clock.remaining_seconds == 10


def test_slow_throttled_reads_stop_with_time_to_spare(aws, clock):
    record = aws.uploads.put("models/a.tar.gz")
    clock.remaining_seconds = 30
    reads, puts = _slow_and_throttled(aws, clock, read_failures=2, put_failures=3)

    with pytest.raises(ParameterStoreError, match="GetParameterHistory attempt 2 not sent"):
        invoke(event(record), clock)

    assert (len(reads), len(puts)) == (1, 0)
    assert clock.remaining_seconds >= FINISH_MARGIN_SECONDS


def test_without_a_clock_the_same_failures_would_outlive_the_function(aws, clock):
    # Why the guard exists: the scenario above, with no remaining time to consult, runs every
    # attempt and sleeps every backoff, past the 30 s the function had.
    record = aws.uploads.put("models/a.tar.gz")
    clock.remaining_seconds = 30
    reads, puts = _slow_and_throttled(aws, clock, read_failures=2, put_failures=3)
    no_clock = SimpleNamespace(aws_request_id="req-test")

    with pytest.raises(ParameterStoreError, match="ThrottlingException"):
        invoke(event(record), no_clock)

    assert (len(reads), len(puts)) == (3, 3)
    assert clock.remaining_seconds < 0  # Lambda would have ended it mid-way


def test_metrics_that_could_outlive_the_function_are_skipped_not_waited_for(aws, clock, capsys):
    clock.remaining_seconds = 4  # less than one CloudWatch attempt plus its margin
    metrics = _attempts(aws, aws.clients.client("cloudwatch"), "PutMetricData", clock, 0)

    result = invoke(event(aws.uploads.put("notes/readme.txt")), clock)

    assert result["decisions"] == ["ignored"]
    assert metrics == []
    failure = next(line for line in log_lines(capsys.readouterr().out) if "event" in line)
    assert failure["event"] == "metrics_failed"
    assert "PutMetricData attempt 1 not sent" in failure["reason"]


def test_slow_retried_calls_that_fit_register_and_send_their_metrics(aws, clock):
    record = aws.uploads.put("models/a.tar.gz")
    _slow_and_throttled(aws, clock, read_failures=1, put_failures=1)

    invoke(event(record), clock)

    assert registered_value(aws.ssm) == "models/a.tar.gz"
    assert metric_sums(aws.cloudwatch)["ModelRegistered"] == 1
    assert clock.remaining_seconds >= FINISH_MARGIN_SECONDS


def test_persistent_metrics_throttling_gives_up_after_two_attempts_and_keeps_the_registration(
    aws, clock, capsys
):
    attempts = _attempts(
        aws, aws.clients.client("cloudwatch"), "PutMetricData", clock, 0, [THROTTLE] * 2
    )

    result = invoke(event(aws.uploads.put("models/a.tar.gz")), clock)

    assert len(attempts) == 2  # metrics are best-effort: one retry, not the SSM budget
    assert result["registeredKey"] == "models/a.tar.gz"
    assert registered_value(aws.ssm) == "models/a.tar.gz"
    lines = log_lines(capsys.readouterr().out)
    assert [line["event"] for line in lines if "event" in line] == ["metrics_failed"]


def test_a_put_whose_answer_was_lost_leaves_one_whole_registration_and_its_retry_writes_nothing(
    aws, no_backoff_sleep, capsys
):
    record = aws.uploads.put("models/a.tar.gz")
    lost_once = []
    lose = write_then_lose_the_answer(aws.ssm)

    def first_answer_lost(request, **_):
        if not lost_once:
            lost_once.append(1)
            return lose(request)
        return None

    aws.hook(
        aws.clients.client("ssm"), "before-send.ssm.PutParameter", first_answer_lost, first=True
    )

    invoke(event(record))

    # Attempt 1 wrote version 1, botocore's retry wrote version 2: both whole and identical.
    versions = history(aws.ssm)
    assert [v["Value"] for v in versions] == ["models/a.tar.gz"] * 2
    assert versions[0]["Description"] == versions[1]["Description"]
    assert latest_provenance(aws.ssm)["versionId"] == record["s3"]["object"]["versionId"]
    notes = [line for line in log_lines(capsys.readouterr().out) if "event" in line]
    assert [line["event"] for line in notes] == ["registration_written_twice"]

    invoke(event(record))  # Lambda's retry, had the invocation failed after all

    assert len(history(aws.ssm)) == 2


class FunctionTimedOut(BaseException):
    """Lambda ending the function: no handler code runs after it."""


def test_a_function_killed_right_after_its_write_is_completed_by_the_retry_without_a_write(aws):
    record = aws.uploads.put("models/a.tar.gz")

    def kill(**_):
        raise FunctionTimedOut

    aws.hook(aws.clients.client("ssm"), "after-call.ssm.PutParameter", kill)
    with pytest.raises(FunctionTimedOut):
        invoke(event(record))
    assert registered_value(aws.ssm) == "models/a.tar.gz"  # whole: value and provenance
    assert latest_provenance(aws.ssm)["versionId"] == record["s3"]["object"]["versionId"]
    aws.clients.client("ssm").meta.events.unregister("after-call.ssm.PutParameter", kill)
    aws.calls.calls.clear()

    result = invoke(event(record))  # Lambda's asynchronous retry of the timed-out event

    assert aws.calls["ssm.PutParameter"] == 0
    assert result["decisions"] == ["ignored"]
    assert len(history(aws.ssm)) == 1


def test_a_function_killed_before_its_write_leaves_the_parameter_untouched(aws):
    invoke(event(aws.uploads.put("models/old.tar.gz")))
    record = aws.uploads.put("models/new.tar.gz")

    def kill(**_):
        raise FunctionTimedOut

    aws.hook(aws.clients.client("ssm"), "before-call.ssm.PutParameter", kill)
    with pytest.raises(FunctionTimedOut):
        invoke(event(record))
    assert [v["Value"] for v in history(aws.ssm)] == ["models/old.tar.gz"]
    aws.clients.client("ssm").meta.events.unregister("before-call.ssm.PutParameter", kill)

    invoke(event(record))  # the retry

    assert [v["Value"] for v in history(aws.ssm)] == ["models/old.tar.gz", "models/new.tar.gz"]
