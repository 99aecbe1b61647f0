"""The rollout function's settings, read from its environment.

The asset ships alone: it never imports the CDK app's ``config/``. The rollout construct sets
these variables from ``config/constants.py``; tests/unit/test_runtime_contract.py checks that
both sides use the same names (``rollout.contract``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from common.errors import ConfigurationError
from common.metrics import METRICS_NAMESPACE_ENV_VAR
from rollout.contract import (
    CFN_ROLE_ARN_ENV_VAR,
    DEFAULT_METRICS_NAMESPACE,
    PARAMETER_NAME_ENV_VAR,
    REQUIRED_ENV_VARS,
    STACK_NAME_ENV_VAR,
)


@dataclass(frozen=True)
class RolloutSettings:
    stack_name: str
    cfn_role_arn: str
    parameter_name: str
    metrics_namespace: str = DEFAULT_METRICS_NAMESPACE


def load_settings(environ: Mapping[str, str]) -> RolloutSettings:
    """Settings from ``environ``; raise ConfigurationError naming every missing or bad
    variable."""
    missing = [name for name in REQUIRED_ENV_VARS if not environ.get(name, "").strip()]
    if missing:
        raise ConfigurationError(f"rollout function environment lacks {', '.join(missing)}")
    role_arn = environ[CFN_ROLE_ARN_ENV_VAR].strip()
    if not role_arn.startswith("arn:") or ":role/" not in role_arn:
        raise ConfigurationError(f"{CFN_ROLE_ARN_ENV_VAR}={role_arn!r} is not an IAM role ARN")
    parameter_name = environ[PARAMETER_NAME_ENV_VAR].strip()
    if not parameter_name.startswith("/"):
        raise ConfigurationError(
            f"{PARAMETER_NAME_ENV_VAR}={parameter_name!r} must be a fully qualified SSM name"
        )
    return RolloutSettings(
        stack_name=environ[STACK_NAME_ENV_VAR].strip(),
        cfn_role_arn=role_arn,
        parameter_name=parameter_name,
        metrics_namespace=environ.get(METRICS_NAMESPACE_ENV_VAR, "").strip()
        or DEFAULT_METRICS_NAMESPACE,
    )
