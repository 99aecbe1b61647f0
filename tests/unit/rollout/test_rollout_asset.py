"""The rollout asset ships alone (constants.ROLLOUT_ASSET_DIR): it may import only its own
modules, the standard library and the AWS SDK the Lambda runtime provides."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import rollout_handler

from config import constants

ROLLOUT_DIR = Path(rollout_handler.__file__).resolve().parent
ALLOWED = set(sys.stdlib_module_names) | {"boto3", "botocore", "__future__"}


def _imported_modules(source: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # a relative import: the asset is a flat directory, not a package
                names.append("." * node.level + (node.module or ""))
            else:
                names.append(node.module or "")
    return names


def test_the_asset_is_the_rollout_directory_of_prefixed_modules():
    assert ROLLOUT_DIR.name == constants.ROLLOUT_ASSET_DIR
    sources = sorted(ROLLOUT_DIR.glob("*.py"))
    assert sources
    # Prefixed, so they cannot clash with the registration asset's modules (lambda/).
    assert all(source.name.startswith("rollout_") for source in sources)


def test_the_asset_imports_only_its_own_modules_the_stdlib_and_boto3():
    own = {source.stem for source in ROLLOUT_DIR.glob("*.py")}
    strays = [
        f"{source.name} imports {name}"
        for source in sorted(ROLLOUT_DIR.glob("*.py"))
        for name in _imported_modules(source)
        if name.split(".")[0] not in ALLOWED | own
    ]
    assert strays == []


def test_the_import_check_can_fire(tmp_path):
    source = tmp_path / "rollout_probe.py"
    source.write_text("import json\nfrom config import constants\nfrom . import sibling\n")
    assert _imported_modules(source) == ["json", "config", "."]
    assert "config" not in ALLOWED
