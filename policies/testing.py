"""Test support: synthesize an app with some packs and read what every rule concluded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import cx_api
from cdk_nag import NagPack

from .nag import PACK_NAMES
from .nag.findings import NagFinding, nag_findings
from .nag.loggers import NagRecorder, RuleOutcome
from .nag.strict import StrictNagAspect


@dataclass
class Evaluation:
    """A synthesized assembly with the outcomes recorded during its synthesis."""

    assembly: cx_api.CloudAssembly
    recorder: NagRecorder

    def outcomes(self, rule_id: str, path: str) -> list[str]:
        """The outcomes (COMPLIANT, NON_COMPLIANT, ...) of ``rule_id`` on construct ``path``."""
        return [o.outcome for o in self.recorder.outcome(rule_id, path)]

    def findings(self, rule_id: str | None = None) -> list[NagFinding]:
        """Unsuppressed findings (errors and warnings), optionally of one rule."""
        found = nag_findings(self.assembly)
        return [f for f in found if rule_id is None or f.rule_id == rule_id]

    def recorded(self, rule_id: str) -> list[RuleOutcome]:
        return [o for o in self.recorder.outcomes if o.rule_id == rule_id]


def evaluate(
    app: cdk.App, pack_types: Sequence[type[NagPack]], *, strict: bool = False, **pack_options
) -> Evaluation:
    """Add one instance of each pack (recording every outcome) to ``app`` and synthesize it.

    ``strict`` adds the StrictNagAspect, as ``apply_compliance_packs`` does.
    """
    recorder = NagRecorder()
    for pack_type in pack_types:
        options = {"reports": False, **pack_options}
        options["additional_loggers"] = [*options.get("additional_loggers", ()), recorder]
        cdk.Aspects.of(app).add(pack_type(**options))
    if strict:
        cdk.Aspects.of(app).add(StrictNagAspect(PACK_NAMES), priority=cdk.AspectPriority.READONLY)
    return Evaluation(app.synth(), recorder)
