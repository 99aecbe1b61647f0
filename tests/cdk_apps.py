"""Building the real CDK app in tests exactly as `cdk synth` does: cdk.json's feature flags,
CDK's built-in validation off (cfn-lint checks the templates, ADR-0003)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from config import constants

REPO_ROOT = Path(__file__).resolve().parent.parent

# Every optional context value, as a user would pass them (spaces around the values included):
# the templates_with_every_option fixture synthesizes the app with them once.
UPLOADER = "arn:aws:iam::111122223333:role/model-publisher"
CI_ROLES = "arn:aws:iam::111122223333:role/ci-*"
ALERT_EMAIL = "ops@example.com"
EVERY_OPTION_CONTEXT = {
    constants.MODEL_UPLOADERS_CONTEXT_KEY: f" {UPLOADER} , {CI_ROLES}",
    constants.ALERT_EMAIL_CONTEXT_KEY: f" {ALERT_EMAIL} ",
}


def cdk_json_context() -> dict[str, Any]:
    """The context (feature flags) the CDK CLI passes to the app."""
    return json.loads((REPO_ROOT / "cdk.json").read_text(encoding="utf-8"))["context"]


def cli_like_app(outdir: Path | str | None = None, **context: Any) -> cdk.App:
    """An empty ``cdk.App`` configured like `cdk synth`, plus extra ``context`` values."""
    return cdk.App(
        outdir=str(outdir) if outdir else None,
        context={**cdk_json_context(), **context},
        builtin_cloud_formation_validation=False,
    )


def templates_of(assembly: Any) -> dict[str, dict]:
    """Template dicts of a cloud assembly's stacks, keyed by stack name."""
    return {stack.stack_name: stack.template for stack in assembly.stacks}
