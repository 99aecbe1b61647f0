"""Opt-in gate of the real-AWS tests: collected always, run only when asked and able.

Every test under this directory gets the ``aws`` marker and is skipped, with the reason, unless
``RUN_AWS_INTEGRATION=1`` is set AND STS ``GetCallerIdentity`` succeeds with the ambient
credentials. Without the variable no AWS call is made at all (CI has no credentials and must
not try). What the tests cost and how long they take: docs/demo.md.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

OPT_IN_VARIABLE = "RUN_AWS_INTEGRATION"
HERE = Path(__file__).resolve().parent


@functools.cache
def skip_reason() -> str | None:
    """Why the AWS tests cannot run here, or None when they can."""
    if os.environ.get(OPT_IN_VARIABLE) != "1":
        return (
            f"opt-in: set {OPT_IN_VARIABLE}=1 to deploy to the AWS account of your credentials "
            "(real resources and cost: docs/demo.md)"
        )
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        boto3.client("sts").get_caller_identity()
    except (BotoCoreError, ClientError) as error:
        return f"{OPT_IN_VARIABLE}=1 but no usable AWS credentials: {error}"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    ours = [item for item in items if Path(str(item.fspath)).resolve().is_relative_to(HERE)]
    if not ours:
        return
    reason = skip_reason()
    for item in ours:
        item.add_marker(pytest.mark.aws)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))
