"""Read unsuppressed cdk-nag findings out of a synthesized cloud assembly.

Tests assert "zero findings" with :func:`nag_findings`. It reads the annotations that synthesis
already wrote into the assembly; ``aws_cdk.assertions.Annotations.from_stack`` would synthesize
the stage again, re-running every pack and appending every report row a second time.

With the feature flag ``@aws-cdk/core:annotationsInValidationReport`` (set in cdk.json), an
error annotation makes ``app.synth()`` itself raise ``ValidationFailed`` and lists the
annotations in ``<outdir>/validation-report.json``; :func:`validation_report_findings` reads
them from there, for tests that show a non-compliant change failing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import cx_api

from . import PACK_NAMES
from .strict import nag_message_pattern

_LEVELS = {
    cx_api.SynthesisMessageLevel.ERROR: "error",
    cx_api.SynthesisMessageLevel.WARNING: "warning",
}


@dataclass(frozen=True)
class NagFinding:
    """One unsuppressed finding: where, how severe, which rule, and cdk-nag's message."""

    stack: str
    path: str
    level: str  # "error" | "warning"
    rule_id: str
    finding_id: str
    message: str

    def __str__(self) -> str:
        label = f"{self.rule_id}[{self.finding_id}]" if self.finding_id else self.rule_id
        return f"{self.level.upper()} {self.stack} {self.path} {label}"


def nag_findings(
    assembly: cx_api.CloudAssembly,
    *,
    levels: tuple[str, ...] = ("error", "warning"),
    packs: tuple[str, ...] = PACK_NAMES,
) -> list[NagFinding]:
    """Every unsuppressed cdk-nag error and warning of every stack of ``assembly``.

    Warnings count: a WARN-level rule and a crashed rule are warnings in cdk-nag 2.x, and both
    are findings here (ADR 0041). Messages that are not cdk-nag's (e.g. CDK deprecation
    warnings) are left out.
    """
    pattern = nag_message_pattern(packs)
    findings = []
    for stack in assembly.stacks:
        for message in stack.messages:
            level = _LEVELS.get(message.level)
            if level not in levels:
                continue
            text = str(message.entry.data)
            match = pattern.match(text)
            if match:
                findings.append(
                    NagFinding(
                        stack=stack.stack_name,
                        path=message.id,
                        level=level,
                        rule_id=match.group("rule"),
                        finding_id=match.group("finding") or "",
                        message=text,
                    )
                )
    return findings


def validation_report_findings(
    outdir: str | Path, *, packs: tuple[str, ...] = PACK_NAMES
) -> list[NagFinding]:
    """The cdk-nag findings listed in ``<outdir>/validation-report.json`` (see module doc)."""
    pattern = nag_message_pattern(packs)
    report = json.loads((Path(outdir) / "validation-report.json").read_text())
    findings = []
    for plugin in report.get("pluginReports", []):
        for violation in plugin.get("violations", []):
            text = violation.get("description", "")
            match = pattern.match(text)
            if not match:
                continue
            for construct in violation.get("violatingConstructs", []):
                template = (construct.get("cloudFormationResource") or {}).get("templatePath", "")
                findings.append(
                    NagFinding(
                        stack=template.removesuffix(".template.json"),
                        path="/" + construct.get("constructPath", "").lstrip("/"),
                        level=violation.get("severity", "error"),
                        rule_id=match.group("rule"),
                        finding_id=match.group("finding") or "",
                        message=text,
                    )
                )
    return findings
