"""The rollout function's settings, read from its environment.

The asset ships alone: it never imports the CDK app's ``config/``. The construct that deploys it
(``cdk_exercise_stacks/constructs/model_rollout.py``) sets these variables from
``config/constants.py``; a unit test checks that both sides use the same names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

STACK_NAME_ENV_VAR = "STACK_NAME"
CFN_ROLE_ARN_ENV_VAR = "CFN_ROLE_ARN"
PARAMETER_NAME_ENV_VAR = "MODEL_PARAMETER_NAME"
METRICS_NAMESPACE_ENV_VAR = "METRICS_NAMESPACE"
DEFAULT_METRICS_NAMESPACE = "ModelRollout"

REQUIRED_ENV_VARS = (STACK_NAME_ENV_VAR, CFN_ROLE_ARN_ENV_VAR, PARAMETER_NAME_ENV_VAR)


class SettingsError(ValueError):
    """The function's environment is incomplete or malformed."""


@dataclass(frozen=True)
class RolloutSettings:
    stack_name: str
    cfn_role_arn: str
    parameter_name: str
    metrics_namespace: str = DEFAULT_METRICS_NAMESPACE


def load_settings(environ: Mapping[str, str]) -> RolloutSettings:
    """Settings from ``environ``; raise SettingsError naming every missing or bad variable."""
    missing = [name for name in REQUIRED_ENV_VARS if not environ.get(name, "").strip()]
    if missing:
        raise SettingsError(f"rollout function environment lacks {', '.join(missing)}")
    role_arn = environ[CFN_ROLE_ARN_ENV_VAR].strip()
    if not role_arn.startswith("arn:") or ":role/" not in role_arn:
        raise SettingsError(f"{CFN_ROLE_ARN_ENV_VAR}={role_arn!r} is not an IAM role ARN")
    parameter_name = environ[PARAMETER_NAME_ENV_VAR].strip()
    if not parameter_name.startswith("/"):
        raise SettingsError(
            f"{PARAMETER_NAME_ENV_VAR}={parameter_name!r} must be a fully qualified SSM name"
        )
    return RolloutSettings(
        stack_name=environ[STACK_NAME_ENV_VAR].strip(),
        cfn_role_arn=role_arn,
        parameter_name=parameter_name,
        metrics_namespace=environ.get(METRICS_NAMESPACE_ENV_VAR, "").strip()
        or DEFAULT_METRICS_NAMESPACE,
    )
