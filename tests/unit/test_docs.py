"""Documentation integrity: ADR links resolve, the ADR index is complete and current, every
ADR says how it is confirmed, and the README's commands are real Makefile targets."""

from __future__ import annotations

import ast
import os
import re
import sys
from pathlib import Path

import pytest

from scripts import adr_index

REPO = Path(__file__).resolve().parents[2]

ADR_DIR = REPO / "ADR"
RELATIVE_LINK = re.compile(r"\]\((?!\w+://|mailto:)([^)\s]*)\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
FENCED_CODE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
ADR_MENTION = re.compile(r"\bADR[- ](\d{4})\b")
SCANNED_SUFFIXES = {".md", ".py"}
# Build output and installed packages; hidden directories (.git, .venv, .demo...) are skipped too.
SKIPPED_DIRS = {"node_modules", "cdk.out", "reports", "__pycache__"}


def _repo_files() -> list[Path]:
    """The project's own Markdown and Python files, untracked ones included (pruned walk)."""
    found = []
    for directory, subdirectories, files in os.walk(REPO):
        subdirectories[:] = [
            d for d in subdirectories if d not in SKIPPED_DIRS and not d.startswith(".")
        ]
        found += [Path(directory, f) for f in files if Path(f).suffix in SCANNED_SUFFIXES]
    return found


def _existing_adr_numbers() -> set[str]:
    return {p.name[:4] for p in adr_index.adr_files()}


def unknown_adr_mentions(files: list[Path]) -> list[str]:
    """`ADR-NNNN` mentions, in Markdown and Python, of no existing ADR (links to ADR files are
    checked with every other link, by broken_relative_links)."""
    numbers = _existing_adr_numbers()
    return [
        f"{path.relative_to(REPO)} mentions missing ADR-{number}"
        for path in files
        if path.name != "template.md"
        for number in ADR_MENTION.findall(path.read_text(encoding="utf-8", errors="replace"))
        if number not in numbers and number != "0000"
    ]


def test_every_adr_mention_resolves():
    assert unknown_adr_mentions(_repo_files()) == []


def test_the_mention_checker_fires_on_a_missing_adr(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "REPO", tmp_path)
    (tmp_path / "ADR").mkdir()
    doc = tmp_path / "README.md"
    missing_mention = "ADR" + "-9999"  # split so this file does not mention it itself
    doc.write_text(f"See {missing_mention}.\n", encoding="utf-8")
    assert unknown_adr_mentions([doc]) == [f"README.md mentions missing {missing_mention}"]


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


def test_the_index_marks_every_record_that_is_not_accepted(tmp_path):
    (tmp_path / "0010-kept.md").write_text("# 0010. Kept\n\n- Status: accepted\n", "utf-8")
    (tmp_path / "0011-old.md").write_text(
        "# 0011. Old (v1)\n\n- Status: superseded by [0010](0010-kept.md)\n", "utf-8"
    )
    index = adr_index.render_index(tmp_path)
    assert "\n- [0010](0010-kept.md) Kept\n" in index
    assert "\n- [0011](0011-old.md) Old (v1) — status: superseded by [0010](0010-kept.md)\n" in (
        index
    )


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


CONFIRMATION = re.compile(r"^#+\s*Confirmation\s*$(.*?)(?=^#+\s|\Z)", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`([^`\n]+)`")
PATH_REF = re.compile(
    r"^([\w./-]+\.(?:py|sh|ya?ml|json|toml|md)|Makefile|\.ci/run)(?:::([\w:]+))?$"
)
TEST_NAME = re.compile(r"^(test_\w+)$")
# `path.py::name`, `path.py::Class::name`, optionally with a parametrised id `[...]`.
QUALIFIED_REF = re.compile(r"([\w./-]*\w\.py)::((?:\w+::)*\w+)(?:\[[^\]\s`]*\])?")
TESTS_PATH = re.compile(r"\btests/[\w./-]*\w")
# Rule ids of the cdk-nag packs (stock and the project's Mlops* packs) and of checkov.
RULE_ID = re.compile(
    r"\b(?:Mlops\w*-\w[\w-]*|AwsSolutions-\w+|HIPAA\.Security-\w+|NIST\.800\.53\.R5-\w+"
    r"|Serverless-\w+|CKV2?_\w+)"
)


def _defined_names(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    return set(re.findall(r"^\s*(?:def|class)\s+(\w+)", text, re.MULTILINE))


def _all_test_names() -> set[str]:
    return {name for p in (REPO / "tests").rglob("*.py") for name in _defined_names(p)}


def _defines(path: Path, qualified_name: list[str]) -> bool:
    """Whether the module defines Class::...::name, each part nested in the one before."""
    scope = ast.parse(path.read_text(encoding="utf-8")).body
    for part in qualified_name:
        found = [
            node
            for node in scope
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and node.name == part
        ]
        if not found:
            return False
        scope = found[0].body
    return True


def _python_files_by_name() -> dict[str, list[Path]]:
    by_name: dict[str, list[Path]] = {}
    for path in _repo_files():
        if path.suffix == ".py":
            by_name.setdefault(path.name, []).append(path)
    return by_name


def _checked(adr: Path) -> bool:
    """A proposed design names tests not written yet; a superseded record keeps its old text."""
    _, _, status = adr_index.read_adr(adr)
    return not status.lower().startswith(("proposed", "superseded"))


def reference_problems(adr: Path, by_name: dict[str, list[Path]]) -> list[str]:
    """Mentions of tests/ paths that do not exist, and `path.py::test_name` mentions anywhere in
    the ADR that name no file or no definition (a glob such as `tests/unit/test_x_*` is skipped).

    A bare file name (`test_x.py::test_y`) must name exactly one file of the repository."""
    text = adr.read_text(encoding="utf-8")
    problems = [
        f"{adr.name}: {match.group()} does not exist"
        for match in TESTS_PATH.finditer(text)
        if text[match.end() : match.end() + 1] != "*" and not (REPO / match.group()).exists()
    ]
    for path_text, qualified in QUALIFIED_REF.findall(text):
        if "/" in path_text:
            target = REPO / path_text
            if not target.is_file():
                problems.append(f"{adr.name}: {path_text} does not exist")
                continue
        elif len(by_name.get(path_text, [])) == 1:
            target = by_name[path_text][0]
        else:
            problems.append(f"{adr.name}: {path_text} names no single file; give its path")
            continue
        if not _defines(target, qualified.split("::")):
            problems.append(f"{adr.name}: {path_text} defines no {qualified}")
    return problems


def confirmation_problems(adr: Path, test_names: set[str]) -> list[str]:
    """A Confirmation that is missing, names no test or rule, or names files that do not exist."""
    section = CONFIRMATION.search(adr.read_text(encoding="utf-8"))
    if not section:
        return [f"{adr.name}: no Confirmation section"]
    body = section.group(1)
    problems = []
    if not (QUALIFIED_REF.search(body) or TESTS_PATH.search(body) or RULE_ID.search(body)):
        problems.append(
            f"{adr.name}: Confirmation names no test (path::test_name, tests/...) and no rule id"
        )
    # A bare `test_name` after a `tests/...py` span names a test of that file.
    current_file: Path | None = None
    for span in CODE_SPAN.findall(body):
        span = span.strip()
        if path_ref := PATH_REF.match(span):
            target = REPO / path_ref.group(1)
            if ("/" in path_ref.group(1) or target.exists()) and not target.exists():
                problems.append(f"{adr.name}: {path_ref.group(1)} does not exist")
            elif target.suffix == ".py" and target.is_file() and not path_ref.group(2):
                current_file = target
        elif name := TEST_NAME.match(span):
            if current_file is not None and name.group(1) not in _defined_names(current_file):
                where = current_file.relative_to(REPO)
                problems.append(f"{adr.name}: {where} defines no test {name.group(1)}")
            elif current_file is None and name.group(1) not in test_names:
                problems.append(f"{adr.name}: test {name.group(1)} does not exist")
    return problems


def test_every_adr_test_reference_resolves():
    by_name = _python_files_by_name()
    problems = [
        p
        for adr in adr_index.adr_files()
        if _checked(adr)
        for p in reference_problems(adr, by_name)
    ]
    assert problems == []


def test_every_accepted_adr_confirmation_names_an_existing_test_or_rule():
    test_names = _all_test_names()
    problems = [
        p
        for adr in adr_index.adr_files()
        if _checked(adr)
        for p in confirmation_problems(adr, test_names)
    ]
    assert problems == []


def _adr(tmp_path: Path, confirmation: str, body: str = "") -> Path:
    adr = tmp_path / "0998-x.md"
    adr.write_text(
        f"# 0998. X\n\n- Status: accepted\n\n## Decision\n\n{body}\n\n"
        f"## Confirmation\n\n{confirmation}\n",
        encoding="utf-8",
    )
    return adr


def test_reference_checker_fires_on_missing_files_tests_and_methods(tmp_path):
    here = "tests/unit/test_docs.py"
    adr = _adr(
        tmp_path,
        f"`{here}::test_adr_index_is_current`",
        body=(
            f"`{here}::test_that_does_not_exist`, `tests/unit/nowhere.py::test_a`, "
            f"`{here}::NoSuchClass::test_adr_index_is_current`, `test_docs.py::test_nor_this`"
        ),
    )
    problems = reference_problems(adr, _python_files_by_name())
    assert len(problems) == 5, problems
    assert any("test_that_does_not_exist" in p for p in problems)
    assert sum("nowhere.py does not exist" in p for p in problems) == 2  # as path and as ref
    assert any("NoSuchClass::test_adr_index_is_current" in p for p in problems)
    assert any("test_nor_this" in p for p in problems)


def test_reference_checker_accepts_parametrised_ids_and_class_methods(tmp_path):
    (tmp_path / "test_sample.py").write_text(
        "class TestGroup:\n    def test_member(self):\n        pass\n", encoding="utf-8"
    )
    adr = _adr(
        tmp_path,
        "`tests/unit/test_docs.py::test_adr_is_madr_with_confirmation[0001-x.md]` and "
        "`test_sample.py::TestGroup::test_member`",
    )
    by_name = {"test_sample.py": [tmp_path / "test_sample.py"]}
    assert reference_problems(adr, by_name) == []
    by_name_missing_method = {"test_sample.py": [tmp_path / "test_sample.py"]}
    (tmp_path / "test_sample.py").write_text("class TestGroup:\n    pass\n", encoding="utf-8")
    assert reference_problems(adr, by_name_missing_method) != []


def test_confirmation_checker_fires_on_a_missing_test(tmp_path):
    adr = _adr(tmp_path, "`tests/unit/nowhere.py` and `test_nowhere_at_all`")
    problems = confirmation_problems(adr, _all_test_names())
    assert any("nowhere.py" in p for p in problems)
    assert any("test_nowhere_at_all" in p for p in problems)


def test_a_bare_test_name_after_a_file_must_be_a_test_of_that_file(tmp_path):
    adr = _adr(
        tmp_path,
        "`tests/unit/test_docs.py`: `test_adr_index_is_current`, "
        "`test_each_asset_imports_exactly_what_it_ships`",
    )
    problems = confirmation_problems(adr, _all_test_names())
    assert problems == [
        "0998-x.md: tests/unit/test_docs.py defines no test "
        "test_each_asset_imports_exactly_what_it_ships"
    ]


def test_confirmation_checker_fires_when_no_test_or_rule_is_named(tmp_path):
    adr = _adr(tmp_path, "Checked while writing this ADR.")
    assert any("names no test" in p for p in confirmation_problems(adr, _all_test_names()))


@pytest.mark.parametrize(
    "named",
    [
        "`tests/unit/test_docs.py::test_adr_index_is_current`",
        "the tests in `tests/unit/test_docs.py`",
        "cdk-nag rule `MlopsS3-VersionedWithNoncurrentExpiry`",
        "`AwsSolutions-IAM5`",
        "checkov `CKV2_MLOPS_3`",
    ],
)
def test_confirmation_checker_accepts_a_test_or_a_rule(tmp_path, named):
    assert confirmation_problems(_adr(tmp_path, named), _all_test_names()) == []


ADR_MAX_BYTES = 10 * 1024


def oversized(adr: Path) -> str | None:
    """An accepted ADR over the size an auditor reads in a few minutes; a proposed design is
    checked once it is decided."""
    _, _, status = adr_index.read_adr(adr)
    size = len(adr.read_bytes())
    if status.lower().startswith("proposed") or size <= ADR_MAX_BYTES:
        return None
    return f"{adr.name}: {size} bytes > {ADR_MAX_BYTES}"


def test_every_decided_adr_is_within_ten_kilobytes():
    assert [problem for adr in adr_index.adr_files() if (problem := oversized(adr))] == []


def test_the_size_check_fires_on_a_long_adr(tmp_path):
    adr = _adr(tmp_path, "`tests/unit/test_docs.py`", body="x" * ADR_MAX_BYTES)
    assert "bytes > 10240" in (oversized(adr) or "")


# Issue 15: an auditor reads the whole documentation in about an hour.
MARKDOWN_BUDGET_BYTES = 250_000
README_BUDGET_BYTES = 20_000
# A briefing that lived outside the repository: no reader can follow a reference to it.
OUTSIDE_BRIEFING = "FACTS" + ".md"


def markdown_over_budget(files: list[Path], budget: int) -> str | None:
    total = sum(len(f.read_bytes()) for f in files)
    if total <= budget:
        return None
    largest = sorted(files, key=lambda f: -len(f.read_bytes()))[:5]
    sizes = ", ".join(f"{f.name} {len(f.read_bytes())}" for f in largest)
    return f"{total} bytes of markdown > {budget}; largest: {sizes}"


def test_all_markdown_stays_within_an_hours_reading():
    markdown = [f for f in _repo_files() if f.suffix == ".md"]
    assert len(markdown) > 60, "the walk found too few files to be the project's"
    assert markdown_over_budget(markdown, MARKDOWN_BUDGET_BYTES) is None


def test_the_markdown_budget_check_fires(tmp_path):
    page = tmp_path / "long.md"
    page.write_text("x" * 101, encoding="utf-8")
    assert markdown_over_budget([page], 100) == "101 bytes of markdown > 100; largest: long.md 101"
    assert markdown_over_budget([page], 101) is None


def test_readme_is_within_its_budget():
    assert len((REPO / "README.md").read_bytes()) <= README_BUDGET_BYTES


def test_nothing_refers_to_the_briefing_outside_the_repository():
    assert [f for f in _repo_files() if OUTSIDE_BRIEFING in f.read_text("utf-8")] == []


def heading_anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as
    hyphens; a repeated heading gets -1, -2... (code blocks hold no headings)."""
    anchors: set[str] = set()
    for heading in HEADING.findall(FENCED_CODE.sub("", markdown)):
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text only
        slug = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
        candidate, count = slug, 0
        while candidate in anchors:
            count += 1
            candidate = f"{slug}-{count}"
        anchors.add(candidate)
    return anchors


def broken_relative_links(files: list[Path]) -> list[str]:
    """Relative links (and same-page anchors) of Markdown files whose target file or heading
    does not exist."""
    problems = []
    for path in files:
        if path.suffix != ".md" or path.name == "template.md":
            continue
        prose = INLINE_CODE.sub("", FENCED_CODE.sub("", path.read_text(encoding="utf-8")))
        for target in RELATIVE_LINK.findall(prose):
            file_part, _, anchor = target.partition("#")
            resolved = (path.parent / file_part).resolve() if file_part else path
            where = f"{path.relative_to(REPO)} links {target}"
            if not resolved.exists():
                problems.append(f"{where}: no such file")
            elif (
                anchor
                and resolved.suffix == ".md"
                and anchor not in heading_anchors(resolved.read_text(encoding="utf-8"))
            ):
                problems.append(f"{where}: no such heading")
    return problems


def test_every_relative_link_and_anchor_resolves():
    assert broken_relative_links(_repo_files()) == []


def test_the_link_checker_fires_on_a_missing_file_or_heading(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "REPO", tmp_path)
    (tmp_path / "other.md").write_text("# Other\n\n## Roll back by hand (v2)\n", "utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](other.md#roll-back-by-hand-v2) [ok](#page) [gone](missing.md) "
        "[bad](other.md#roll-back) [bad](#nowhere)\n\n# Page\n",
        encoding="utf-8",
    )
    assert broken_relative_links([page]) == [
        "page.md links missing.md: no such file",
        "page.md links other.md#roll-back: no such heading",
        "page.md links #nowhere: no such heading",
    ]


def test_repeated_headings_get_numbered_anchors():
    assert heading_anchors("# A\n## Notes\n## Notes\n```\n# not a heading\n```\n") == {
        "a",
        "notes",
        "notes-1",
    }
