"""The real app passes every compliance pack, and every exception in it is traced to an ADR.

The session fixture ``synthesized_app`` builds the app with ``app.build_app``, which applies the
packs (ADR-0040); an unacknowledged finding makes that synthesis raise, so these tests also check
that the packs really ran (their reports) and that no acknowledgment is stale or unexplained
(ADR-0046, ADR-0048).
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path

import pytest

from config import constants
from policies.exceptions import invalid_exceptions
from policies.nag import (
    AWS_SOLUTIONS_PACK,
    HIPAA_PACK,
    NIST_PACK,
    PACK_NAMES,
    SERVERLESS_PACK,
)
from policies.nag.findings import nag_findings

REPO_ROOT = Path(__file__).resolve().parents[3]
ADR_DIR = REPO_ROOT / "ADR"
ADR_REASON = re.compile(r"^ADR-(?P<number>\d{4}): \S")
STACKS = (constants.LAMBDA_STACK_NAME, constants.S3_STACK_NAME, constants.SAGEMAKER_STACK_NAME)
STOCK_PACKS = (AWS_SOLUTIONS_PACK, HIPAA_PACK, NIST_PACK, SERVERLESS_PACK)


# The packs with at least one rule that applies to a resource of the stack (rows in its
# report; the Serverless pack has no rule for S3 buckets).
EXPECTED_PACKS = {
    # MlopsSageMaker: the model registry's state-change rule (ADR-0071)
    constants.LAMBDA_STACK_NAME: {*STOCK_PACKS, "MlopsIAM", "MlopsLambda", "MlopsSageMaker"},
    constants.S3_STACK_NAME: {
        AWS_SOLUTIONS_PACK,
        HIPAA_PACK,
        NIST_PACK,
        "MlopsS3",
        # the bucket policies (resource-policy semantics, ADR-0044)
        "MlopsIAM",
    },
    # MlopsS3: the data-capture bucket and its log bucket (ADR-0070)
    constants.SAGEMAKER_STACK_NAME: {
        *STOCK_PACKS,
        "MlopsIAM",
        "MlopsLambda",
        "MlopsSageMaker",
        "MlopsS3",
    },
}


def _report_rows(outdir: Path, stack: str) -> list[dict[str, str]]:
    rows = []
    for report in sorted(outdir.glob(f"*--{stack}-NagReport.csv")):
        pack = report.name.removesuffix(f"--{stack}-NagReport.csv")
        assert pack in PACK_NAMES, report.name
        with report.open(newline="", encoding="utf-8") as handle:
            rows.extend(csv.DictReader(handle))
    return rows


@pytest.fixture(scope="module")
def reports(synthesized_app) -> dict[str, list[dict[str, str]]]:
    outdir = Path(synthesized_app.directory)
    for stack in STACKS:
        for pack in STOCK_PACKS:
            assert (outdir / f"{pack}--{stack}-NagReport.csv").is_file(), (pack, stack)
    return {stack: _report_rows(outdir, stack) for stack in STACKS}


def _exception_entries(templates) -> list[tuple[str, str, str, str, tuple[str, ...]]]:
    """(tool, stack, rule or check ID, reason, applies_to) of every exception in the
    templates' metadata, read directly (independently of policies.exceptions)."""
    entries = []
    for stack, template in templates.items():
        holders = [template.get("Metadata", {})] + [
            resource.get("Metadata", {}) for resource in template["Resources"].values()
        ]
        for metadata in holders:
            for rule in metadata.get("cdk_nag", {}).get("rules_to_suppress", []):
                applies_to = tuple(
                    item if isinstance(item, str) else item["regex"]
                    for item in rule.get("applies_to", [])
                )
                entries.append(("cdk-nag", stack, rule["id"], rule["reason"], applies_to))
            for skip in metadata.get("checkov", {}).get("skip", []):
                entries.append(("checkov", stack, skip["id"], skip["comment"], ()))
    return entries


@pytest.fixture(scope="module")
def exceptions(templates):
    return _exception_entries(templates)


def test_the_app_synthesizes_with_zero_unacknowledged_findings(synthesized_app):
    assert [str(finding) for finding in nag_findings(synthesized_app)] == []


@pytest.mark.parametrize("stack", STACKS)
def test_every_pack_evaluated_every_stack(reports, stack):
    # Without this, "zero findings" would also hold for an app that applies no pack at all.
    outcomes = defaultdict(set)
    for row in reports[stack]:
        outcomes[row["Rule ID"].split("-", 1)[0]].add(row["Compliance"])
    assert set(outcomes) == EXPECTED_PACKS[stack]
    for pack, seen in outcomes.items():
        assert "Compliant" in seen, f"{pack} found nothing compliant in {stack}"
    assert not any(row["Compliance"] == "Non-Compliant" for row in reports[stack])
    assert not any(row["Compliance"] == "UNKNOWN" for row in reports[stack]), "a rule crashed"


def test_no_exception_is_invalid(templates):
    assert [str(problem) for problem in invalid_exceptions(templates)] == []


def test_every_exception_reason_starts_with_an_existing_adr(exceptions):
    assert exceptions, "the app has acknowledgments; none were read"
    problems = []
    for tool, stack, rule_id, reason, _ in exceptions:
        match = ADR_REASON.match(reason)
        if match is None:
            problems.append(f"{tool} {stack} {rule_id}: reason {reason!r} names no ADR")
        elif not list(ADR_DIR.glob(f"{match['number']}-*.md")):
            problems.append(f"{tool} {stack} {rule_id}: ADR-{match['number']} does not exist")
    assert problems == []


@pytest.mark.parametrize("stack", STACKS)
def test_every_acknowledgment_suppresses_a_finding_that_really_fires(reports, exceptions, stack):
    """No stale acknowledgment: each acknowledged rule (and each listed finding of a granular
    one) is reported as Suppressed somewhere in the stack; a fixed resource must drop its
    acknowledgment."""
    suppressed = [row for row in reports[stack] if row["Compliance"] == "Suppressed"]
    suppressed_rules = {row["Rule ID"] for row in suppressed}
    stale = []
    for tool, owner, rule_id, _, applies_to in exceptions:
        if tool != "cdk-nag" or owner != stack:
            continue
        if rule_id not in suppressed_rules:
            stale.append(rule_id)
        for finding in applies_to:
            if not any(
                row["Rule ID"] == rule_id and row["Exception Reason"].startswith(f"[{finding}]")
                for row in suppressed
            ):
                stale.append(f"{rule_id}[{finding}]")
    assert stale == []
