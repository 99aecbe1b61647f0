"""The one AWS client policy every function runs on (lambda/common/aws_clients.py): boto3 loaded
only when a client is first needed, one client per service and container, a retry budget for
every service the function calls. The time guard is exercised through each function's handler
(tests/unit/registration/test_registration_handler_time_budget.py, tests/property,
tests/unit/rollout/test_rollout_handler.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from moto import mock_aws

import lambda_handler
from common.aws_clients import AwsClients, RetryBudget
from config import constants

RUNTIME_DIR = Path(__file__).resolve().parents[3] / constants.RUNTIME_DIR


@pytest.mark.parametrize("handler", [constants.LAMBDA_HANDLER, constants.ROLLOUT_HANDLER])
def test_importing_a_handler_loads_no_aws_sdk(handler):
    module = handler.rsplit(".", 1)[0]
    probe = (
        f"import sys, {module}; print(sorted(m for m in ('boto3', 'botocore') if m in sys.modules))"
    )
    # A fresh interpreter whose path is the runtime directory alone, as Lambda's /var/task.
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(RUNTIME_DIR)},
    )
    assert result.stdout.strip() == "[]"


def test_clients_are_created_once_and_reused():
    clients = AwsClients(lambda_handler.BUDGETS, lambda_handler.RESERVE_SECONDS)
    with mock_aws():
        assert clients.client("ssm") is clients.client("ssm")
        assert clients.client("cloudwatch") is clients.client("cloudwatch")
        assert clients.client("ssm") is not clients.client("cloudwatch")


def test_each_client_gets_its_services_retry_budget():
    budgets = {"ssm": RetryBudget(3, 2, 3), "cloudwatch": RetryBudget(2, 1, 2)}
    clients = AwsClients(budgets, {"ssm": 14, "cloudwatch": 2})
    with mock_aws():
        config = clients.client("cloudwatch").meta.config
    assert config.retries == {"mode": "standard", "total_max_attempts": 2}
    assert (config.connect_timeout, config.read_timeout) == (1, 2)


def test_a_service_without_a_budget_is_refused_by_name():
    clients = AwsClients(lambda_handler.BUDGETS, lambda_handler.RESERVE_SECONDS)
    with pytest.raises(
        ValueError, match=r"no retry budget for 'sqs'.*\['cloudwatch', 's3', 'sagemaker', 'ssm'\]"
    ):
        clients.client("sqs")


def test_every_budgeted_service_needs_a_reserve():
    with pytest.raises(
        ValueError, match=r"budgets for \['cloudwatch', 's3', 'sagemaker', 'ssm'\], reserves for"
    ):
        AwsClients(lambda_handler.BUDGETS, {"ssm": 14})
