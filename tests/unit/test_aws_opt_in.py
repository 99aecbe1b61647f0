"""The opt-in gate of the real-AWS tests (ADR-0067): without RUN_AWS_INTEGRATION=1 they are
skipped with the reason and no AWS call is made; with it, they still skip while STS cannot
identify the caller, and run only when it can."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import NoCredentialsError

GATE_FILE = Path(__file__).resolve().parents[1] / "integration" / "aws" / "conftest.py"


@pytest.fixture
def gate():
    """The gate module, loaded from its file (it is a conftest, not an importable package)."""
    spec = importlib.util.spec_from_file_location("aws_opt_in_gate", GATE_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Sts:
    def __init__(self, error: Exception | None) -> None:
        self.error = error
        self.calls = 0

    def get_caller_identity(self) -> dict:
        self.calls += 1
        if self.error:
            raise self.error
        return {"Account": "123456789012"}


def _client_factory(sts: _Sts, created: list[str]):
    def client(service: str, *args, **kwargs):
        created.append(service)
        return sts

    return client


def test_without_the_opt_in_the_tests_skip_and_no_aws_client_is_created(gate, monkeypatch):
    monkeypatch.delenv(gate.OPT_IN_VARIABLE, raising=False)
    created: list[str] = []
    monkeypatch.setattr(boto3, "client", _client_factory(_Sts(None), created))
    reason = gate.skip_reason()
    assert f"set {gate.OPT_IN_VARIABLE}=1" in (reason or "")
    assert created == []


def test_opted_in_without_credentials_the_tests_skip_for_the_credentials(gate, monkeypatch):
    monkeypatch.setenv(gate.OPT_IN_VARIABLE, "1")
    sts = _Sts(NoCredentialsError())
    monkeypatch.setattr(boto3, "client", _client_factory(sts, []))
    reason = gate.skip_reason()
    assert "no usable AWS credentials" in (reason or "")
    assert sts.calls == 1


def test_opted_in_with_credentials_the_tests_run(gate, monkeypatch):
    monkeypatch.setenv(gate.OPT_IN_VARIABLE, "1")
    sts = _Sts(None)
    monkeypatch.setattr(boto3, "client", _client_factory(sts, []))
    assert gate.skip_reason() is None
    assert sts.calls == 1
