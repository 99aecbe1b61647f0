"""Fixtures for the property tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def sandbox():
    """moto and the handler's environment, opened once per module (see HandlerSandbox)."""
    from tests.unit.registration.registration_testkit import HandlerSandbox

    with HandlerSandbox() as opened:
        yield opened
