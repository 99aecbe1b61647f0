"""Fixtures for the rollout's tests (the kits: rollout_testkit.py, rollout_stacks.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def aws_credentials(monkeypatch):
    """Fake credentials and a region, so that no call can reach a real account."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
