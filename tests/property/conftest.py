"""Fixtures for the property tests.

The handler asset (``lambda`` is a Python keyword, so not a package) and the handler's test
kit go on sys.path here, before the test modules are imported, so they import by name.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
for _path in (REPO / "lambda", REPO / "tests" / "unit" / "handler"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))


@pytest.fixture(scope="module")
def sandbox():
    """moto and the handler's environment, opened once per module (see HandlerSandbox)."""
    from registration_testkit import HandlerSandbox

    with HandlerSandbox() as opened:
        yield opened
