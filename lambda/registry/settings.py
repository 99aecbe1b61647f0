"""The registry's settings, read from the environment: the model package group and the gate.

``load_registry_settings`` returns None when ``MODEL_PACKAGE_GROUP`` is unset or empty: the
function then behaves exactly as the plain flow (no registry). Every problem raises
``ConfigurationError`` naming the variable, before anything is read or written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from common.errors import ConfigurationError

from .contract import GATE_POLICY_ENV_VAR, MODEL_PACKAGE_GROUP_ENV_VAR
from .gate import GatePolicy, GuardMetric

# ModelPackageGroupName's pattern (SageMaker API reference, CreateModelPackageGroup).
GROUP_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
_POLICY_FIELDS = ("primary_metric", "direction", "tolerance", "guards", "missing_metrics")
_GUARD_FIELDS = ("name", "max_drop", "direction")


@dataclass(frozen=True)
class RegistrySettings:
    group_name: str
    policy: GatePolicy


def load_registry_settings(environ: Mapping[str, str]) -> RegistrySettings | None:
    group = environ.get(MODEL_PACKAGE_GROUP_ENV_VAR, "").strip()
    if not group:
        return None
    if not GROUP_NAME.fullmatch(group):
        raise ConfigurationError(
            f"{MODEL_PACKAGE_GROUP_ENV_VAR}={group!r} is not a model package group name: 1-63 "
            "letters, digits and inner hyphens"
        )
    return RegistrySettings(group_name=group, policy=parse_gate_policy(environ))


def parse_gate_policy(environ: Mapping[str, str]) -> GatePolicy:
    """The gate from ``MODEL_GATE_POLICY`` (JSON object with the GatePolicy fields; guards as
    a list of ``{"name", "max_drop", "direction"}``); unset or empty: the defaults."""
    raw = environ.get(GATE_POLICY_ENV_VAR, "").strip()
    if not raw:
        return GatePolicy()
    try:
        data = json.loads(raw)
    except ValueError as error:
        raise _invalid(f"not JSON: {error}") from None
    if not isinstance(data, dict):
        raise _invalid("must be a JSON object")
    unknown = sorted(set(data) - set(_POLICY_FIELDS))
    if unknown:
        raise _invalid(f"unknown fields {unknown} (allowed: {', '.join(_POLICY_FIELDS)})")
    try:
        guards = tuple(_guard(item) for item in data.get("guards", []))
        fields: dict[str, Any] = {k: v for k, v in data.items() if k != "guards"}
        return GatePolicy(**fields, guards=guards)
    except (TypeError, ValueError) as error:
        raise _invalid(str(error)) from None


def _guard(item: Any) -> GuardMetric:
    if not isinstance(item, dict) or set(item) - set(_GUARD_FIELDS):
        raise ValueError(f"each guard is an object with {', '.join(_GUARD_FIELDS)}, got {item!r}")
    return GuardMetric(**item)


def _invalid(why: str) -> ConfigurationError:
    return ConfigurationError(f"{GATE_POLICY_ENV_VAR} is not a valid gate policy: {why}")
