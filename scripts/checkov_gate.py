#!/usr/bin/env python3
"""checkov gate: scan the synthesized templates, write reports, fail on anything unskipped.

    python3 scripts/checkov_gate.py <cdk.out dir> <reports dir>

- Scans only ``<cdk.out>/*.template.json`` (never asset directories or cdk-nag reports), with
  the stock CloudFormation checks plus ``policies/checkov``, offline (``BC_SKIP_MAPPING=TRUE``,
  ``--skip-download``), in checkov's own virtualenv (ADR 0047).
- Prints one line per failed check and writes checkov's reports to the reports directory:
  ``results_cli.txt``, ``results_json.json`` (passed, failed and skipped checks),
  ``results_sarif.sarif`` and ``results_junitxml.xml``.
- Exit 0: no unskipped failure. Exit 1: failed checks, or a skip whose comment does not start
  with ``ADR-NNNN:`` naming an existing ADR. Exit 2: the gate could not judge (checkov crashed,
  a custom check did not load, a template did not parse, nothing was scanned).

Runs with any Python 3.11+ (standard library only); checkov itself comes from ``.venv-checkov``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from policies.adr_references import reason_problem  # noqa: E402

DEFAULT_CHECKOV = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"
DEFAULT_CHECKS_DIR = REPO_ROOT / "policies" / "checkov"
# checkov output -> where it goes ("console", or a file name in the reports directory).
OUTPUTS = {
    "cli": "results_cli.txt",
    "json": "results_json.json",
    "sarif": "results_sarif.sarif",
    "junitxml": "results_junitxml.xml",
}
JSON_REPORT = OUTPUTS["json"]
# checkov logs these and carries on without the check: a gate must not.
LOAD_FAILURES = ("Cannot load external check", "Failed to parse check id")
PASSED, FAILED, UNJUDGED = 0, 1, 2


def templates_in(cdk_out: Path) -> list[Path]:
    """The stack templates of a cloud assembly directory (top level only)."""
    return sorted(cdk_out.glob("*.template.json"))


def checkov_command(
    checkov: Path, templates: list[Path], checks_dir: Path, reports: Path
) -> list[str]:
    command = [str(checkov)]
    for template in templates:
        command += ["-f", str(template)]
    command += ["--framework", "cloudformation", "--external-checks-dir", str(checks_dir)]
    destinations = []
    for output, destination in OUTPUTS.items():
        command += ["-o", output]
        destinations.append(str(reports / destination))
    command += ["--output-file-path", ",".join(destinations)]
    # No --quiet: it also drops the passed checks from the JSON report auditors read.
    command += ["--skip-download", "--compact"]
    return command


def clean_environment(home: str) -> dict[str, str]:
    """The environment checkov runs in: no inherited CKV_*/BC_* settings (a stray
    CKV_SKIP_CHECK would silently disable checks), no user config file, offline mapping."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CKV_", "BC_", "PRISMA_"))
    }
    environment.update(HOME=home, BC_SKIP_MAPPING="TRUE", LOG_LEVEL="WARNING")
    return environment


def load_failures(stderr: str) -> list[str]:
    """Lines in checkov's log that say a custom check was not loaded."""
    return [line for line in stderr.splitlines() if any(m in line for m in LOAD_FAILURES)]


def _reports(report: dict | list) -> list[dict]:
    return report if isinstance(report, list) else [report]


def unjustified_skips(report: dict | list, adr_dir: Path | None = None) -> list[str]:
    """Skipped results whose comment does not rest on an existing ADR."""
    problems = []
    for section in _reports(report):
        for result in section.get("results", {}).get("skipped_checks", []):
            comment = (result.get("check_result") or {}).get("suppress_comment", "")
            problem = reason_problem(comment, adr_dir) if adr_dir else reason_problem(comment)
            if problem:
                problems.append(f"{result.get('check_id')} on {result.get('resource')}: {problem}")
    return problems


def failed_results(report: dict | list) -> list[str]:
    """One line per failed check: ID, resource, file and lines, title."""
    lines = []
    for section in _reports(report):
        for result in section.get("results", {}).get("failed_checks", []):
            first, last = (result.get("file_line_range") or [0, 0])[:2]
            lines.append(
                f"FAILED {result.get('check_id')} {result.get('resource')} "
                f"({result.get('file_path')}:{first}-{last}) {result.get('check_name')}"
            )
    return lines


def summarize(report: dict | list) -> dict[str, int]:
    totals = {"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0, "resource_count": 0}
    for section in _reports(report):
        summary = section.get("summary", {})
        for key in totals:
            totals[key] += int(summary.get(key, 0))
    return totals


def run_gate(
    cdk_out: Path,
    reports: Path,
    *,
    checkov: Path = DEFAULT_CHECKOV,
    checks_dir: Path = DEFAULT_CHECKS_DIR,
) -> int:
    # checkov runs in a temporary working directory: every path it gets must be absolute.
    cdk_out, reports = cdk_out.resolve(), reports.resolve()
    checkov, checks_dir = checkov.absolute(), checks_dir.resolve()
    templates = templates_in(cdk_out)
    if not templates:
        print(f"checkov gate: no *.template.json in {cdk_out}; synthesize first", file=sys.stderr)
        return UNJUDGED
    if not Path(checkov).is_file():
        print(
            f"checkov gate: {checkov} not found; run `make .venv-checkov/.stamp`", file=sys.stderr
        )
        return UNJUDGED
    reports.mkdir(parents=True, exist_ok=True)
    json_report = reports / JSON_REPORT
    json_report.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="checkov-home-") as home:
        completed = subprocess.run(
            checkov_command(Path(checkov), templates, checks_dir, reports.resolve()),
            cwd=home,
            env=clean_environment(home),
            capture_output=True,
            text=True,
            check=False,
        )
    sys.stderr.write(completed.stderr)

    if completed.returncode not in (0, 1):
        print(f"checkov gate: checkov exited {completed.returncode} (crash)", file=sys.stderr)
        return UNJUDGED
    failures = load_failures(completed.stderr)
    if failures:
        print("checkov gate: custom checks did not load:", *failures, sep="\n  ", file=sys.stderr)
        return UNJUDGED
    if not json_report.is_file():
        print(f"checkov gate: checkov wrote no {json_report}", file=sys.stderr)
        return UNJUDGED
    report = json.loads(json_report.read_text())
    totals = summarize(report)
    if totals["parsing_errors"] or not totals["resource_count"]:
        print(f"checkov gate: templates not scanned properly: {totals}", file=sys.stderr)
        return UNJUDGED

    unjustified = unjustified_skips(report)
    for line in failed_results(report):
        print(line)
    print(
        f"checkov gate: {len(templates)} templates, {totals['passed']} passed, "
        f"{totals['failed']} failed, {totals['skipped']} skipped; reports in {reports}"
    )
    if unjustified:
        print("checkov gate: skips without an ADR:", *unjustified, sep="\n  ", file=sys.stderr)
    if totals["failed"] or unjustified or completed.returncode == 1:
        return FAILED
    return PASSED


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cdk_out", type=Path, help="cloud assembly directory (cdk.out)")
    parser.add_argument("reports", type=Path, help="directory for the CLI/JSON/SARIF/JUnit reports")
    parser.add_argument("--checkov", type=Path, default=DEFAULT_CHECKOV)
    parser.add_argument("--external-checks-dir", type=Path, default=DEFAULT_CHECKS_DIR)
    args = parser.parse_args(argv)
    return run_gate(
        args.cdk_out, args.reports, checkov=args.checkov, checks_dir=args.external_checks_dir
    )


if __name__ == "__main__":
    sys.exit(main())
