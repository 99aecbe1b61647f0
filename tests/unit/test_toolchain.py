"""The toolchain is pinned and the lock files agree with the top-level pins (ADR-0002)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s;#]+)", re.MULTILINE)


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    """Exact pins of a requirement file, following `-r` includes."""
    text = path.read_text(encoding="utf-8")
    found = {_normalise(name): version for name, version in PIN.findall(text)}
    for include in re.findall(r"^-r\s+(\S+)", text, re.MULTILINE):
        found.update(pins(path.parent / include))
    return found


def unpinned_requirements(path: Path) -> list[str]:
    lines = [
        line.strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith(("#", "-r"))
    ]
    return [line for line in lines if not PIN.match(line)]


@pytest.mark.parametrize(
    ("top_level", "lock"),
    [
        ("requirements-dev.txt", "requirements-dev.lock"),
        ("requirements-checkov.txt", "requirements-checkov.lock"),
    ],
)
def test_lock_agrees_with_every_top_level_pin(top_level, lock):
    wanted = pins(REPO / top_level)
    locked = pins(REPO / lock)
    disagreements = {
        name: (version, locked.get(name))
        for name, version in wanted.items()
        if locked.get(name) != version
    }
    assert disagreements == {}, f"run `make lock`: {disagreements}"


@pytest.mark.parametrize(
    "requirement_file",
    ["requirements.txt", "requirements-dev.txt", "requirements-checkov.txt"],
)
def test_every_requirement_is_pinned_exactly(requirement_file):
    assert unpinned_requirements(REPO / requirement_file) == []


def test_pin_reader_sees_a_drifted_lock(tmp_path):
    (tmp_path / "top.txt").write_text("boto3==1.0.0\n", encoding="utf-8")
    (tmp_path / "top.lock").write_text("boto3==2.0.0\n", encoding="utf-8")
    assert pins(tmp_path / "top.txt")["boto3"] != pins(tmp_path / "top.lock")["boto3"]
    (tmp_path / "loose.txt").write_text("boto3>=1\n", encoding="utf-8")
    assert unpinned_requirements(tmp_path / "loose.txt") == ["boto3>=1"]


def test_cdk_cli_is_pinned_exactly_and_locked():
    package = json.loads((REPO / "package.json").read_text(encoding="utf-8"))
    version = package["devDependencies"]["aws-cdk"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), "pin the CDK CLI to an exact version"
    lock = json.loads((REPO / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"]["node_modules/aws-cdk"]["version"] == version


def test_makefile_runs_the_project_local_cdk_cli():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "CDK := node_modules/.bin/cdk" in makefile
    assert "npx" not in makefile
