"""The templates the tests inspect are the templates `cdk synth` writes.

The CDK CLI passes cdk.json's feature flags to the app; an in-process ``cdk.App()`` does not
see them. If a flag changed a template, the session fixture would test a different template
than the one deployed. This module builds the app once with cdk.json's context and compares.
"""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest

import app as app_module

REPO_ROOT = Path(__file__).resolve().parents[3]


def _normalized(node):
    """Order-insensitive IAM action lists (the minimizePolicies flag sorts them)."""
    if isinstance(node, dict):
        return {
            key: sorted(value)
            if key == "Action" and isinstance(value, list)
            else _normalized(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_normalized(item) for item in node]
    return node


@pytest.fixture(scope="module")
def cli_templates(tmp_path_factory):
    context = json.loads((REPO_ROOT / "cdk.json").read_text(encoding="utf-8"))["context"]
    app = cdk.App(
        outdir=str(tmp_path_factory.mktemp("cli.cdk.out")),
        builtin_cloud_formation_validation=False,
        context=context,
    )
    assembly = app_module.build_app(app).synth()
    return {stack.stack_name: stack.template for stack in assembly.stacks}


def test_cdk_json_runs_the_app_from_the_project_virtualenv():
    config = json.loads((REPO_ROOT / "cdk.json").read_text(encoding="utf-8"))
    assert config["app"] == ".venv/bin/python app.py"
    assert "cdk.out" in config["watch"]["exclude"]


def test_cdk_json_has_no_context_lookups():
    # Synthesis is offline: no cached lookups (cdk.context.json) and no lookup keys in cdk.json.
    context = json.loads((REPO_ROOT / "cdk.json").read_text(encoding="utf-8"))["context"]
    assert not [key for key in context if ":" in key and not key.startswith("@aws-cdk")]
    assert not (REPO_ROOT / "cdk.context.json").exists()


def test_feature_flags_do_not_change_the_tested_templates(templates, cli_templates):
    assert set(cli_templates) == set(templates)
    for name, template in cli_templates.items():
        assert _normalized(template) == _normalized(templates[name]), name
