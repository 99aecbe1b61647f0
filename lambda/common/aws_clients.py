"""boto3 clients, created on first use and kept for the life of the container, each attempt
sent only if the function's remaining time covers it.

boto3 is imported here, lazily, so importing a handler costs no more than the standard library;
invocations that touch no AWS service never load it. Retries are botocore's "standard" mode:
exponential backoff with jitter on throttling and transient errors. Each function gives its
retry budgets as data (``RetryBudget`` per service) and the time each call must leave behind it
(``reserve_seconds``: what still has to run after it, such as the metrics call).

No static budget fits every path inside a function's timeout, so a time guard runs before
every attempt, first try and retries alike: it sends the attempt only if the time the Lambda
context reports left covers the attempt at its worst, the backoff sleep that may follow it,
and the reserve. An invocation therefore ends, with its result or a named error, at least
FINISH_MARGIN_SECONDS before the timeout (ADR-0013 has the arithmetic).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from common.errors import OutOfTimeError

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


class AwsClients:
    """One client per service and container, created when first needed, each attempt guarded
    by the invocation's remaining time."""

    def __init__(
        self, budgets: Mapping[str, RetryBudget], reserve_seconds: Mapping[str, float]
    ) -> None:
        """
        :param budgets: the retry budget of every service the function calls.
        :param reserve_seconds: per service, the time a call must leave behind it.
        """
        if set(budgets) != set(reserve_seconds):
            raise ValueError(
                f"every service needs a retry budget and a reserve: budgets for "
                f"{sorted(budgets)}, reserves for {sorted(reserve_seconds)}"
            )
        self.budgets = dict(budgets)
        self.reserve_seconds = dict(reserve_seconds)
        self._clients: dict[str, Any] = {}
        self._remaining_millis: Callable[[], int] | None = None

    def start_invocation(self, context: Any) -> None:
        """Take this invocation's clock from the Lambda context.

        Lambda's context always has ``get_remaining_time_in_millis``; a caller without one (a
        local script, the rehearsal) gets no time guard, only the per-attempt timeouts.
        """
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        self._remaining_millis = remaining if callable(remaining) else None

    def seconds_needed(self, service: str, attempt: int) -> float:
        """The time left below which the guard refuses to send attempt ``attempt`` (1-based)."""
        budget = self._budget(service)
        return budget.attempt_seconds + budget.sleep_after(attempt) + self.reserve_seconds[service]

    def client(self, service: str) -> Any:
        client = self._clients.get(service)
        if client is None:
            budget = self._budget(service)
            import boto3
            from botocore.config import Config

            client = boto3.client(service, config=Config(**budget.botocore_config()))
            # request-created fires for every attempt, after any backoff sleep and before the
            # request is signed and sent; registered first so nothing runs before it.
            client.meta.events.register_first("request-created", self._guard(service))
            self._clients[service] = client
        return client

    def _budget(self, service: str) -> RetryBudget:
        try:
            return self.budgets[service]
        except KeyError:
            raise ValueError(
                f"no retry budget for {service!r}: this function budgets {sorted(self.budgets)}"
            ) from None

    def _guard(self, service: str) -> Callable[..., None]:
        budget = self._budget(service)
        reserve = self.reserve_seconds[service]

        def refuse_attempts_that_could_outlive_the_function(
            request: Any, operation_name: str, **_: Any
        ) -> None:
            if self._remaining_millis is None:
                return
            left = self._remaining_millis() / 1000
            attempt = request.context.get("retries", {}).get("attempt", 1)
            needed = self.seconds_needed(service, attempt)
            if left >= needed:
                return
            sleep = budget.sleep_after(attempt)
            raise OutOfTimeError(
                f"{operation_name} attempt {attempt} not sent: {left:.1f} s of the function's "
                f"time left, {needed:g} s needed (the attempt at its worst "
                f"{budget.attempt_seconds:g} s"
                + (f", the backoff before a further attempt {sleep:g} s" if sleep else "")
                + f", {reserve:g} s kept for what follows)"
            )

        return refuse_attempts_that_could_outlive_the_function
