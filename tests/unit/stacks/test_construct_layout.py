"""The layout of ADR-0004: constructs take props, so no module of a pipeline part's folder
(``cdk_exercise_stacks/<part>/``) nor the shared construct modules read ``config/constants.py``;
only the brief's three stacks and ``app.py`` do. And each part's folder has its tests' folder."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
STACKS = REPO / "cdk_exercise_stacks"
# Shared by every part; they take props like the parts' constructs.
SHARED_CONSTRUCT_MODULES = ("common.py", "compliance.py")


def construct_modules(stacks_dir: Path = STACKS) -> list[Path]:
    """Every module of every part's folder, and the shared construct modules."""
    parts = [p for p in stacks_dir.iterdir() if p.is_dir() and (p / "__init__.py").exists()]
    modules = [m for part in parts for m in part.rglob("*.py")]
    return modules + [stacks_dir / name for name in SHARED_CONSTRUCT_MODULES]


def constants_imports(module: Path) -> list[str]:
    """The lines of ``module`` that import config.constants, in any spelling."""
    found = []
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module == "config":
            names = [f"config.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        else:
            continue
        if any(
            name == "config.constants" or name.startswith("config.constants.") for name in names
        ):
            found.append(f"{module.name}:{node.lineno}")
    return found


def test_constructs_do_not_read_the_constants():
    modules = construct_modules()
    assert len(modules) > len(SHARED_CONSTRUCT_MODULES), "no part folder found"
    assert [hit for module in modules for hit in constants_imports(module)] == []


def test_the_check_finds_every_spelling_of_a_constants_import(tmp_path):
    part = tmp_path / "storage"
    part.mkdir()
    (part / "__init__.py").write_text("", encoding="utf-8")
    (part / "a.py").write_text("from config import constants\n", encoding="utf-8")
    (part / "b.py").write_text("import config.constants as c\n", encoding="utf-8")
    (part / "c.py").write_text("from config.constants import X\n", encoding="utf-8")
    (part / "ok.py").write_text("from config.naming import DeploymentNaming\n", encoding="utf-8")
    for name in SHARED_CONSTRUCT_MODULES:
        (tmp_path / name).write_text("", encoding="utf-8")
    hits = sorted(hit for m in construct_modules(tmp_path) for hit in constants_imports(m))
    assert hits == ["a.py:1", "b.py:1", "c.py:1"]


def test_the_stacks_do_read_the_constants():
    """The check above sees imports at all: the composition root imports the constants."""
    assert constants_imports(STACKS / "s3.py") != []


def test_each_part_has_its_tests_folder():
    parts = {p.name for p in STACKS.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    tested = {p.name for p in (REPO / "tests" / "unit" / "stacks").iterdir() if p.is_dir()}
    assert parts - tested == set()
