"""boto3 clients, created on first use and kept for the life of the container.

boto3 is imported here, lazily, so importing the handler costs no more than the standard
library; invocations that touch no AWS service never load it. Retries are botocore's
"standard" mode: exponential backoff with jitter on throttling and transient errors
(PutParameter throttles at a few TPS). Timeouts keep the worst case inside the 60 s function
timeout (ADR-0013).
"""

from __future__ import annotations

from typing import Any

# 5 attempts in all (the first + 4 retries): at most 1 + 2 + 4 + 8 s of jittered backoff for
# a throttled call. ("max_attempts" would count retries only: 6 attempts.)
SSM_CLIENT_CONFIG: dict[str, Any] = {
    "retries": {"mode": "standard", "total_max_attempts": 5},
    "connect_timeout": 3,
    "read_timeout": 5,
}
# Metrics are best-effort: a short budget, so they never hold up a finished registration.
CLOUDWATCH_CLIENT_CONFIG: dict[str, Any] = {
    "retries": {"mode": "standard", "total_max_attempts": 2},
    "connect_timeout": 2,
    "read_timeout": 3,
}
_CONFIGS = {"ssm": SSM_CLIENT_CONFIG, "cloudwatch": CLOUDWATCH_CLIENT_CONFIG}


class AwsClients:
    """One SSM and one CloudWatch client per container, created when first needed."""

    def __init__(self) -> None:
        self._clients: dict[str, Any] = {}

    def ssm(self) -> Any:
        return self._client("ssm")

    def cloudwatch(self) -> Any:
        return self._client("cloudwatch")

    def _client(self, service: str) -> Any:
        client = self._clients.get(service)
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.client(service, config=Config(**_CONFIGS[service]))
            self._clients[service] = client
        return client
