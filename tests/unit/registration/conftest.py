"""Fixtures for the registration function's tests (the kit: registration_testkit.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.unit.registration.registration_testkit import (
    BUCKET,
    FAKE_CREDENTIALS,
    OPTIONAL_SETTINGS,
    PARAMETER,
    CallCounter,
    S3Simulator,
)


@pytest.fixture
def handler_env(monkeypatch):
    """The Lambda's environment: the parameter name set, everything else defaulted."""
    monkeypatch.setenv("SSM_SENTIMENT_MODEL", PARAMETER)
    for optional in OPTIONAL_SETTINGS:
        monkeypatch.delenv(optional, raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def no_backoff_sleep(monkeypatch):
    """Record botocore's retry delays instead of sleeping them."""
    import botocore.endpoint

    delays: list[float] = []
    monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=delays.append))
    return delays


@pytest.fixture(scope="session")
def _session_clients():
    """Clients are built once per session (building one costs ~0.1 s); moto intercepts every
    client created after moto is imported, and each test gets a fresh moto state."""
    import boto3
    import moto  # noqa: F401 - must be imported before the clients are created

    from common.aws_clients import AwsClients
    from lambda_handler import BUDGETS, RESERVE_SECONDS

    with pytest.MonkeyPatch.context() as patch:
        for name, value in FAKE_CREDENTIALS.items():
            patch.setenv(name, value)
        handler_clients = AwsClients(BUDGETS, RESERVE_SECONDS)
        counter = CallCounter()
        counter.attach(handler_clients.client("ssm"))
        counter.attach(handler_clients.client("cloudwatch"))
        counter.attach(handler_clients.client("s3"))
        return SimpleNamespace(
            handler=handler_clients,
            counter=counter,
            s3=boto3.client("s3"),
            ssm=boto3.client("ssm"),
            cloudwatch=boto3.client("cloudwatch"),
        )


@pytest.fixture
def aws(handler_env, monkeypatch, _session_clients):
    """moto S3 + SSM + CloudWatch, a versioned model bucket, the handler's clients (their API
    calls counted in ``calls``), and ``hook`` to add botocore handlers for one test only."""
    from moto import mock_aws

    import lambda_handler

    clients = _session_clients
    registered: list[tuple] = []

    def hook(client, event_name, handler, first=False):
        (client.meta.events.register_first if first else client.meta.events.register)(
            event_name, handler
        )
        registered.append((client, event_name, handler))

    with mock_aws():
        monkeypatch.setattr(lambda_handler, "CLIENTS", clients.handler)
        clients.counter.calls.clear()
        clients.s3.create_bucket(Bucket=BUCKET)
        clients.s3.put_bucket_versioning(
            Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"}
        )
        yield SimpleNamespace(
            s3=clients.s3,
            ssm=clients.ssm,
            cloudwatch=clients.cloudwatch,
            uploads=S3Simulator(clients.s3),
            calls=clients.counter,
            clients=clients.handler,
            hook=hook,
        )
    for client, event_name, handler in registered:
        client.meta.events.unregister(event_name, handler)
