"""The templates the tests inspect are the templates `cdk synth` writes.

The CDK CLI passes cdk.json's feature flags to the app; an in-process ``cdk.App()`` does not
see them, so every test app is built with them (tests/cdk_apps.py, used by tests/conftest.py).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cdk_apps import cdk_json_context, cli_like_app

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_cdk_json_runs_the_app_from_the_project_virtualenv():
    config = json.loads((REPO_ROOT / "cdk.json").read_text(encoding="utf-8"))
    assert config["app"] == ".venv/bin/python app.py"
    assert "cdk.out" in config["watch"]["exclude"]


def test_cdk_json_has_no_context_lookups():
    # Synthesis is offline: no cached lookups (cdk.context.json) and no lookup keys in cdk.json.
    context = json.loads((REPO_ROOT / "cdk.json").read_text(encoding="utf-8"))["context"]
    assert not [key for key in context if ":" in key and not key.startswith("@aws-cdk")]
    assert not (REPO_ROOT / "cdk.context.json").exists()


def test_the_tested_app_sees_cdk_json_feature_flags():
    app = cli_like_app()
    flags = cdk_json_context()
    assert flags, "cdk.json sets no feature flags"
    assert all(app.node.try_get_context(key) == value for key, value in flags.items())
