#!/usr/bin/env python3
"""cdk-nag's CSV reports as one SARIF 2.1.0 log, for code scanning.

    python3 scripts/nag_sarif.py <cdk.out dir> <output .sarif file>

cdk-nag writes ``<Pack>--<stack>-NagReport.csv`` per pack and stack on every synthesis, the
failing ones included (README, "Reports"). Reviewers read checkov's findings in code scanning;
this puts cdk-nag's beside them:

- ``Non-Compliant`` rows become results at the rule's level (``error`` or ``warning``;
  ADR-0041 makes both fail synthesis).
- ``UNKNOWN`` rows (the rule crashed on the resource) become ``error`` results.
- ``Suppressed`` rows become results carrying an accepted suppression whose justification is
  the acknowledgment's ``ADR-NNNN: ...`` reason, so every exception is listed with its ADR.
- ``Compliant`` rows are not findings and are left out.

Each result points at the resource in ``<cdk.out>/<stack>.template.json`` (the line of its
``aws:cdk:path`` metadata) and names the construct path as its logical location. Paths are
written relative to the current directory (the repository root in CI), as code scanning wants.

Exit 0: the SARIF log was written. Exit 2: nothing to convert (no reports: synthesize first) or
a report is not a cdk-nag report. Standard library only.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
from importlib import metadata
from pathlib import Path

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
REPORT_NAME = re.compile(r"^(?P<pack>.+)--(?P<stack>.+)-NagReport\.csv$")
COLUMNS = ("Rule ID", "Resource ID", "Compliance", "Exception Reason", "Rule Level", "Rule Info")
LEVELS = {"Error": "error", "Warning": "warning"}
REPORTED = ("Non-Compliant", "UNKNOWN", "Suppressed")


class NagReportError(ValueError):
    """A file named like a cdk-nag report that cannot be read as one."""


def report_files(cdk_out: Path) -> list[Path]:
    return sorted(p for p in cdk_out.glob("*-NagReport.csv") if REPORT_NAME.match(p.name))


def read_report(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise NagReportError(f"{path}: not a cdk-nag report, missing columns {missing}")
        return list(reader)


def cdk_path_lines(template: Path) -> dict[str, int]:
    """Construct path -> line of its ``aws:cdk:path`` metadata in the template (1-based)."""
    if not template.is_file():
        return {}
    lines = {}
    marker = re.compile(r'"aws:cdk:path":\s*"([^"]+)"')
    for number, line in enumerate(template.read_text(encoding="utf-8").splitlines(), 1):
        if match := marker.search(line):
            lines.setdefault(match.group(1), number)
    return lines


def _uri(path: Path) -> str:
    """``path`` relative to the working directory when below it, POSIX-style."""
    try:
        return Path(os.path.relpath(path.resolve(), Path.cwd())).as_posix()
    except ValueError:  # another drive (Windows): keep it absolute
        return path.resolve().as_posix()


def _result(row: dict[str, str], template: Path, lines: dict[str, int]) -> dict:
    compliance = row["Compliance"]
    construct = row["Resource ID"]
    level = LEVELS.get(row["Rule Level"], "error")
    if compliance == "UNKNOWN":
        level = "error"
        text = f"{row['Rule ID']} crashed on {construct} (ADR-0041: a crashed rule fails synthesis)"
    else:
        text = f"{row['Rule ID']}: {row['Rule Info']} ({construct})"
    result = {
        "ruleId": row["Rule ID"],
        "level": level,
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(template)},
                    "region": {"startLine": lines.get(construct, 1)},
                },
                "logicalLocations": [{"fullyQualifiedName": construct, "kind": "resource"}],
            }
        ],
        "properties": {"compliance": compliance},
    }
    if compliance == "Suppressed":
        result["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": row["Exception Reason"]}
        ]
    return result


def _tool_version() -> str | None:
    try:
        return metadata.version("cdk-nag")
    except metadata.PackageNotFoundError:
        return None


def nag_sarif(cdk_out: Path) -> dict:
    """The SARIF log of every cdk-nag report in ``cdk_out``."""
    reports = report_files(cdk_out)
    if not reports:
        raise NagReportError(f"no *-NagReport.csv in {cdk_out}: synthesize first")
    rules: dict[str, dict] = {}
    results = []
    for report in reports:
        stack = REPORT_NAME.match(report.name).group("stack")
        template = cdk_out / f"{stack}.template.json"
        lines = cdk_path_lines(template)
        for row in read_report(report):
            if row["Compliance"] not in REPORTED:
                continue
            rules.setdefault(
                row["Rule ID"],
                {
                    "id": row["Rule ID"],
                    "shortDescription": {"text": row["Rule Info"]},
                    "properties": {"pack": REPORT_NAME.match(report.name).group("pack")},
                },
            )
            results.append(_result(row, template, lines))
    driver = {
        "name": "cdk-nag",
        "informationUri": "https://github.com/cdklabs/cdk-nag",
        "rules": [rules[rule_id] for rule_id in sorted(rules)],
    }
    if version := _tool_version():
        driver["version"] = version
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "results": results}],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cdk_out", type=Path, help="cloud assembly directory (cdk.out)")
    parser.add_argument("output", type=Path, help="SARIF file to write")
    args = parser.parse_args(argv)
    try:
        log = nag_sarif(args.cdk_out)
    except NagReportError as error:
        print(f"nag_sarif: {error}", file=sys.stderr)
        return 2
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(log, indent=1), encoding="utf-8")
    results = log["runs"][0]["results"]
    suppressed = sum(1 for r in results if "suppressions" in r)
    print(
        f"nag_sarif: {len(results) - suppressed} findings, {suppressed} acknowledged "
        f"exceptions -> {args.output}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
