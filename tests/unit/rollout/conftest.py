"""Fixtures for the rollout function's tests.

The asset directory ``rollout/`` goes on sys.path and its modules are imported by name; they
are all prefixed ``rollout_`` so they cannot clash with the registration asset's modules in the
same session.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROLLOUT_TESTS = Path(__file__).resolve().parent
ROLLOUT_DIR = ROLLOUT_TESTS.parents[2] / "rollout"
for _path in (ROLLOUT_DIR, ROLLOUT_TESTS):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))


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
