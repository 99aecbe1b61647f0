"""The configuration reference (docs/configuration.md) is generated from config/constants.py by
scripts/config_reference.py: the committed page must be what the script writes, it must carry
every public constant with its evaluated value, and every constant must be explained by the
comment above it in config/constants.py (the reference the page links to)."""

from __future__ import annotations

from pathlib import Path

from config import constants
from scripts import config_reference

REPO = Path(__file__).resolve().parents[2]


def test_committed_page_is_what_constants_py_gives():
    committed = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert committed == config_reference.render(), (
        "docs/configuration.md is stale: run python scripts/config_reference.py"
    )


def test_every_public_constant_of_the_module_is_on_the_page():
    page = config_reference.render()
    public = [n for n in vars(constants) if n.isupper() and not n.startswith("_")]
    assert public, "no constants found"
    assert [n for n in public if f"`{n} = " not in page] == []


SAMPLE = '''\
import re

# ----------------------------------------------------------------------
# Things (the first stack)
# ----------------------------------------------------------------------

# Comment for the run: applies to both.
FIRST = 2
SECOND = 3 * FIRST
_PRIVATE = 1

# Its own range, 1-9 | pipes escaped; see ADR-0001.
THIRD = {"a": 1}

UNCOMMENTED_AFTER_BLANK = "x"


def derived(name: str) -> str:
    """What it derives.

    Details not shown."""
    return name
'''


def test_sections_rows_and_values_come_from_the_source(tmp_path):
    module = tmp_path / "sample_constants.py"
    module.write_text(SAMPLE, encoding="utf-8")
    page = config_reference.render(module)
    # a banner opens a section, linked to its title's line in the module
    assert "\n## Things (the first stack)\n\n[The constants and their comments](" in page
    assert "constants.py#L4)" in page
    # one line per commented run; a derived value shows its expression and its result
    assert "\n- `FIRST = 2`; `SECOND = 3 * FIRST = 6`\n" in page
    assert "_PRIVATE" not in page
    # a blank line ends the run
    assert "\n- `THIRD = {'a': 1}`\n- `UNCOMMENTED_AFTER_BLANK = 'x'`\n" in page
    assert "- Derived by `derived()`\n" in page
    # the comments stay in the module, the one place that explains the constants
    assert "Comment for the run" not in page


def test_comments_are_collected_per_run(tmp_path):
    module = tmp_path / "sample_constants.py"
    module.write_text(SAMPLE, encoding="utf-8")
    rows = [row for section in config_reference.sections(module) for row in section.rows]
    assert [(row.names, row.comment) for row in rows] == [
        (["FIRST", "SECOND"], "Comment for the run: applies to both."),
        (["THIRD"], "Its own range, 1-9 | pipes escaped; see ADR-0001."),
        (["UNCOMMENTED_AFTER_BLANK"], ""),
    ]


def test_check_mode_reports_a_stale_page(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "configuration.md"
    stale.write_text("# old\n", encoding="utf-8")
    monkeypatch.setattr(config_reference, "OUTPUT", stale)
    monkeypatch.setattr(config_reference, "REPO", tmp_path)
    assert config_reference.main(["--check"]) == 1
    assert "stale" in capsys.readouterr().out


def test_every_constant_is_explained_by_a_comment_above_it_or_its_run():
    """constants.py is the configuration reference: a constant (or the run of constants it
    belongs to) without a comment would be a row that says nothing."""
    silent = [
        row.names
        for section in config_reference.sections(config_reference.CONSTANTS)
        for row in section.rows
        if not row.comment
    ]
    assert silent == [], f"add a comment above these constants in config/constants.py: {silent}"


def test_a_constant_without_a_comment_is_reported(tmp_path):
    module = tmp_path / "sample_constants.py"
    module.write_text("# Explained.\nA = 1\n\nB = 2\n", encoding="utf-8")
    rows = [row for section in config_reference.sections(module) for row in section.rows]
    assert [(row.names, bool(row.comment)) for row in rows] == [(["A"], True), (["B"], False)]
