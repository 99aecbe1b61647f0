"""boto3 clients, created on first use and kept for the life of the container.

boto3 is imported here, lazily, so importing the handler costs no more than the standard
library; invocations that touch no AWS service never load it. Retries are botocore's
"standard" mode: exponential backoff with jitter on throttling and transient errors
(PutParameter throttles at a few TPS).

No static budget fits every path inside the 60 s function timeout (the longest one makes six
SSM calls), so a time guard runs before every attempt, first try and retries alike: it sends
the attempt only if the time the Lambda context reports left covers the attempt at its worst,
the backoff sleep that may follow it, and what must still run after the call. The invocation
therefore ends, registered or with a named error, at least FINISH_MARGIN_SECONDS before the
timeout (ADR-0013 has the arithmetic).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from registration_errors import OutOfTimeError

# botocore's standard mode caps one backoff at 20 s and, when a response carries
# x-amz-retry-after, may wait up to 5 s longer than its computed backoff.
_BOTOCORE_MAX_BACKOFF_SECONDS = 20
_BOTOCORE_RETRY_AFTER_EXTRA_SECONDS = 5
# Kept free at the end of every invocation for the last log lines and the return.
FINISH_MARGIN_SECONDS = 2.0


@dataclass(frozen=True)
class RetryBudget:
    """One client's attempts and timeouts, and the longest time they allow."""

    total_max_attempts: int
    connect_timeout: float
    read_timeout: float

    @property
    def attempt_seconds(self) -> float:
        """One attempt at its worst: a connection that times out, or a reply that does."""
        return self.connect_timeout + self.read_timeout

    def sleep_after(self, attempt: int) -> float:
        """The backoff before attempt ``attempt + 1`` at its worst (full jitter, retry-after);
        0 after the last attempt, which nothing follows."""
        if attempt >= self.total_max_attempts:
            return 0
        backoff = min(2 ** (attempt - 1), _BOTOCORE_MAX_BACKOFF_SECONDS)
        return backoff + _BOTOCORE_RETRY_AFTER_EXTRA_SECONDS

    @property
    def max_backoff_seconds(self) -> float:
        """All the sleeps between attempts of one call, at their worst."""
        return sum(self.sleep_after(n) for n in range(1, self.total_max_attempts))

    @property
    def call_seconds(self) -> float:
        """One API call with all its retries, at its worst."""
        return self.total_max_attempts * self.attempt_seconds + self.max_backoff_seconds

    def botocore_config(self) -> dict[str, Any]:
        # total_max_attempts counts the first attempt ("max_attempts" would count retries).
        return {
            "retries": {"mode": "standard", "total_max_attempts": self.total_max_attempts},
            "connect_timeout": self.connect_timeout,
            "read_timeout": self.read_timeout,
        }


# 3 attempts: a throttled PutParameter waits up to 1 + 2 s (plus jitter) before giving up,
# and Lambda's asynchronous retries take over from there.
SSM_BUDGET = RetryBudget(total_max_attempts=3, connect_timeout=2, read_timeout=3)
# Metrics are best-effort: a short budget, so they never hold up a finished registration.
CLOUDWATCH_BUDGET = RetryBudget(total_max_attempts=2, connect_timeout=1, read_timeout=2)
# Time a call must leave behind it: after SSM, room for the whole metrics call, so a
# registration that succeeds is always counted.
RESERVE_SECONDS = {
    "ssm": CLOUDWATCH_BUDGET.call_seconds + FINISH_MARGIN_SECONDS,
    "cloudwatch": FINISH_MARGIN_SECONDS,
}
BUDGETS = {"ssm": SSM_BUDGET, "cloudwatch": CLOUDWATCH_BUDGET}


def seconds_needed(service: str, attempt: int) -> float:
    """The time left below which the guard refuses to send attempt ``attempt`` (1-based)."""
    budget = BUDGETS[service]
    return budget.attempt_seconds + budget.sleep_after(attempt) + RESERVE_SECONDS[service]


class AwsClients:
    """One SSM and one CloudWatch client per container, created when first needed."""

    def __init__(self) -> None:
        self._clients: dict[str, Any] = {}
        self._remaining_millis: Callable[[], int] | None = None

    def start_invocation(self, context: Any) -> None:
        """Take this invocation's clock from the Lambda context.

        Lambda's context always has ``get_remaining_time_in_millis``; a caller without one (a
        local script) gets no time guard, only the per-attempt timeouts.
        """
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        self._remaining_millis = remaining if callable(remaining) else None

    def ssm(self) -> Any:
        return self._client("ssm")

    def cloudwatch(self) -> Any:
        return self._client("cloudwatch")

    def _client(self, service: str) -> Any:
        client = self._clients.get(service)
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.client(service, config=Config(**BUDGETS[service].botocore_config()))
            # request-created fires for every attempt, after any backoff sleep and before the
            # request is signed and sent; registered first so nothing runs before it.
            client.meta.events.register_first("request-created", self._guard(service))
            self._clients[service] = client
        return client

    def _guard(self, service: str) -> Callable[..., None]:
        budget = BUDGETS[service]

        def refuse_attempts_that_could_outlive_the_function(
            request: Any, operation_name: str, **_: Any
        ) -> None:
            if self._remaining_millis is None:
                return
            left = self._remaining_millis() / 1000
            attempt = request.context.get("retries", {}).get("attempt", 1)
            needed = seconds_needed(service, attempt)
            if left >= needed:
                return
            sleep = budget.sleep_after(attempt)
            raise OutOfTimeError(
                f"{operation_name} attempt {attempt} not sent: {left:.1f} s of the function's "
                f"time left, {needed:g} s needed (the attempt at its worst "
                f"{budget.attempt_seconds:g} s"
                + (f", the backoff before a further attempt {sleep:g} s" if sleep else "")
                + f", {RESERVE_SECONDS[service]:g} s kept for what follows)"
            )

        return refuse_attempts_that_could_outlive_the_function
