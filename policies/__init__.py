"""Compliance gates of the pipeline (issue 4): cdk-nag packs, checkov policies, exceptions.

- ``policies.rules``: pure rule logic over CloudFormation dictionaries (standard library only;
  checkov's custom checks import it too).
- ``policies.nag``: cdk-nag packs (stock + custom) and ``apply_compliance_packs``.
- ``policies.exceptions``: ADR-justified acknowledgments, checkov skips, and their audit.
- ``policies/checkov``: custom checkov checks, run by ``scripts/checkov_gate.py``.

The CDK-facing names are imported lazily so that ``policies.rules`` loads without aws-cdk-lib
(checkov runs in its own virtualenv).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_LAZY = {
    "apply_compliance_packs": "policies.nag",
    "compliance_packs": "policies.nag",
    "nag_findings": "policies.nag.findings",
    "validation_report_findings": "policies.nag.findings",
    "acknowledge": "policies.exceptions",
    "acknowledge_by_path": "policies.exceptions",
    "checkov_skip": "policies.exceptions",
    "collect_exceptions": "policies.exceptions",
    "invalid_exceptions": "policies.exceptions",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'policies' has no attribute {name!r}")
    return getattr(import_module(module), name)
