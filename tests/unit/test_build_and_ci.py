"""The build installs compiled bytecode (ADR-0002)."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _makefile() -> str:
    return (REPO / "Makefile").read_text(encoding="utf-8")


def _install_lines(makefile: str) -> list[str]:
    """Recipe lines that install packages into a virtualenv with uv."""
    variables = dict(re.findall(r"^(\w+) :?= (.*)$", makefile, re.MULTILINE))
    lines = []
    for line in makefile.splitlines():
        expanded = re.sub(r"\$\((\w+)\)", lambda m: variables.get(m.group(1), m.group(0)), line)
        if line.startswith("\t") and "pip install" in expanded and "-r requirements" in expanded:
            lines.append(expanded.strip())
    return lines


def bytecode_problems(makefile: str) -> list[str]:
    problems = [
        f"installs without --compile-bytecode: {line}"
        for line in _install_lines(makefile)
        if "--compile-bytecode" not in line
    ]
    if len(_install_lines(makefile)) < 2:
        problems.append("expected the dev and the checkov virtualenv installs")
    if re.search(r"^\s*export\s+PYTHONDONTWRITEBYTECODE", makefile, re.MULTILINE):
        problems.append("the Makefile exports PYTHONDONTWRITEBYTECODE (no bytecode cache)")
    return problems


def test_both_virtualenvs_are_compiled_to_bytecode_at_install():
    assert bytecode_problems(_makefile()) == []


def test_bytecode_check_fires_on_a_plain_install_and_on_dontwritebytecode():
    plain = (
        "UV := .venv/bin/uv\n"
        "x:\n\t$(UV) pip install --quiet -r requirements-dev.lock\n"
        "y:\n\t$(UV) pip install --compile-bytecode -r requirements-checkov.lock\n"
        "export PYTHONDONTWRITEBYTECODE := 1\n"
    )
    problems = bytecode_problems(plain)
    assert any("requirements-dev.lock" in p for p in problems)
    assert not any("requirements-checkov.lock" in p for p in problems)
    assert any("PYTHONDONTWRITEBYTECODE" in p for p in problems)
