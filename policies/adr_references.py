"""What makes an exception's reason acceptable: ``ADR-NNNN: <why>`` naming an existing ADR.

Standard library only: used by ``policies.exceptions`` (CDK side) and by
``scripts/checkov_gate.py`` (which refuses checkov skips without such a reason).
"""

from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ADR_DIR = REPO_ROOT / "ADR"
ADR_REFERENCE = re.compile(r"^ADR-(?P<number>\d{4}): \S")


def adr_file(number: str, adr_dir: Path = ADR_DIR) -> Path | None:
    """The ADR file ``<adr_dir>/<number>-*.md``, or None."""
    matches = sorted(adr_dir.glob(f"{number}-*.md"))
    return matches[0] if matches else None


def referenced_adr(reason: str) -> str | None:
    """The ADR number a reason starts with (``"ADR-0043: ..."`` -> ``"0043"``), or None."""
    match = ADR_REFERENCE.match(reason or "")
    return match.group("number") if match else None


def reason_problem(reason: str | None, adr_dir: Path = ADR_DIR) -> str | None:
    """What is wrong with an exception's reason, or None when it names an existing ADR."""
    if not reason or not reason.strip():
        return "no reason given"
    number = referenced_adr(reason)
    if number is None:
        return f"reason does not start with 'ADR-NNNN: ': {reason!r}"
    if adr_file(number, adr_dir) is None:
        return f"reason names ADR-{number}, but no file {adr_dir.name}/{number}-*.md exists"
    return None
