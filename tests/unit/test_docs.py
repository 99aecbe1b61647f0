"""Documentation integrity: ADR links resolve, the ADR index is complete and current, every
ADR says how it is confirmed, and the README's commands are real Makefile targets."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import adr_index  # noqa: E402

ADR_DIR = REPO / "ADR"
MARKDOWN_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
FENCED_CODE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
ADR_MENTION = re.compile(r"\bADR[- ](\d{4})\b")
SCANNED_SUFFIXES = {".md", ".py"}
SKIPPED_DIRS = {".venv", ".venv-checkov", "node_modules", "cdk.out", ".git", "reports"}


def _repo_files() -> list[Path]:
    return [
        p
        for p in REPO.rglob("*")
        if p.is_file()
        and p.suffix in SCANNED_SUFFIXES
        and not (set(p.relative_to(REPO).parts) & SKIPPED_DIRS)
    ]


def _existing_adr_numbers() -> set[str]:
    return {p.name[:4] for p in adr_index.adr_files()}


def broken_adr_links(files: list[Path]) -> list[str]:
    """Markdown links into ADR/ that point at no file, and `ADR-NNNN` mentions of no ADR."""
    numbers = _existing_adr_numbers()
    problems = []
    for path in files:
        if path.name == "template.md":
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".md":
            prose = INLINE_CODE.sub("", FENCED_CODE.sub("", text))
            for target in MARKDOWN_LINK.findall(prose):
                if "://" in target:
                    continue
                resolved = (path.parent / target).resolve()
                if "ADR" in resolved.parts and not resolved.exists():
                    problems.append(f"{path.relative_to(REPO)} links missing {target}")
        for number in ADR_MENTION.findall(text):
            if number not in numbers and number != "0000":
                problems.append(f"{path.relative_to(REPO)} mentions missing ADR-{number}")
    return problems


def test_every_adr_link_and_mention_resolves():
    assert broken_adr_links(_repo_files()) == []


def test_broken_link_detector_reports_missing_targets(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "REPO", tmp_path)
    (tmp_path / "ADR").mkdir()
    doc = tmp_path / "README.md"
    missing_mention = "ADR" + "-9999"  # split so this file does not mention it itself
    doc.write_text(f"See [x](ADR/9998-nope.md) and {missing_mention}.\n", encoding="utf-8")
    problems = broken_adr_links([doc])
    assert any("9998-nope.md" in p for p in problems)
    assert any(missing_mention in p for p in problems)


def test_adr_index_is_current():
    index = ADR_DIR / "README.md"
    assert index.exists(), "ADR/README.md missing: run python scripts/adr_index.py"
    assert index.read_text(encoding="utf-8") == adr_index.render_index(), (
        "ADR/README.md is stale: run python scripts/adr_index.py"
    )


def test_every_adr_is_listed_in_the_index():
    index = (ADR_DIR / "README.md").read_text(encoding="utf-8")
    missing = [p.name for p in adr_index.adr_files() if f"({p.name})" not in index]
    assert missing == []


@pytest.mark.parametrize("path", adr_index.adr_files(), ids=lambda p: p.name)
def test_adr_is_madr_with_confirmation(path):
    text = path.read_text(encoding="utf-8")
    adr_index.read_adr(path)  # raises with the file name when title/status is malformed
    for section in ("Context", "Decision", "Consequences", "Confirmation"):
        assert re.search(rf"^#+ .*{section}|\*\*{section}\*\*", text, re.MULTILINE | re.I), (
            f"{path.name} has no {section} section"
        )


def test_read_adr_rejects_missing_status(tmp_path):
    bad = tmp_path / "0999-bad.md"
    bad.write_text("# 0999. Bad\n\nno status\n", encoding="utf-8")
    with pytest.raises(adr_index.AdrFormatError, match="Status"):
        adr_index.read_adr(bad)


def _readme_first_commands() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```[a-z]*\n(.*?)```", readme, re.DOTALL)
    assert block, "README.md must open with a code block holding its commands"
    return re.findall(r"^make ([a-z-]+)", block.group(1), re.MULTILINE)


def _makefile_documented_targets() -> set[str]:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][a-z-]*):[^=\n]*## ", makefile, re.MULTILINE))


def test_readme_opens_with_synth_and_test():
    assert _readme_first_commands()[:2] == ["synth", "test"]


def test_readme_commands_are_makefile_targets():
    assert set(_readme_first_commands()) <= _makefile_documented_targets()


def test_ci_runs_the_readme_test_command():
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test\s*$", ci, re.MULTILINE)
