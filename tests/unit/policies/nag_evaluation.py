"""Test support: synthesize an app with some packs and read what every rule concluded.

:class:`NagRecorder` is a cdk-nag logger that records every outcome, so that tests see
COMPLIANT and NOT_APPLICABLE as well as findings. jsii expands the logger data into keyword
arguments only for methods that declare keyword-only parameters; a bare ``**kwargs`` signature
would receive one positional struct.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import cx_api
from cdk_nag import INagLogger, NagPack

from policies.nag import PACK_NAMES
from policies.nag.findings import NagFinding, nag_findings
from policies.nag.strict import StrictNagAspect


@dataclass(frozen=True)
class RuleOutcome:
    """What one rule concluded about one resource."""

    rule_id: str
    path: str
    outcome: str  # COMPLIANT | NON_COMPLIANT | NOT_APPLICABLE | SUPPRESSED | ERROR
    finding_id: str = ""
    detail: str = ""


@jsii.implements(INagLogger)
class NagRecorder:
    """Records every outcome; pass as ``additional_loggers=[recorder]`` to a pack."""

    def __init__(self) -> None:
        self.outcomes: list[RuleOutcome] = []

    def _record(self, outcome: str, rule_id: str, resource: Any, **extra: str) -> None:
        self.outcomes.append(RuleOutcome(rule_id, resource.node.path, outcome, **extra))

    def on_compliance(self, *, rule_id: str, resource: Any, **_: Any) -> None:
        self._record("COMPLIANT", rule_id, resource)

    def on_not_applicable(self, *, rule_id: str, resource: Any, **_: Any) -> None:
        self._record("NOT_APPLICABLE", rule_id, resource)

    def on_non_compliance(self, *, rule_id: str, resource: Any, finding_id: str, **_: Any) -> None:
        self._record("NON_COMPLIANT", rule_id, resource, finding_id=finding_id)

    def on_suppressed(
        self, *, rule_id: str, resource: Any, finding_id: str, suppression_reason: str, **_: Any
    ) -> None:
        self._record(
            "SUPPRESSED", rule_id, resource, finding_id=finding_id, detail=suppression_reason
        )

    def on_error(self, *, rule_id: str, resource: Any, error_message: str, **_: Any) -> None:
        self._record("ERROR", rule_id, resource, detail=error_message)

    def on_suppressed_error(
        self, *, rule_id: str, resource: Any, error_suppression_reason: str, **_: Any
    ) -> None:
        self._record("SUPPRESSED", rule_id, resource, detail=error_suppression_reason)

    def outcome(self, rule_id: str, path: str) -> list[RuleOutcome]:
        """Outcomes of ``rule_id`` on the resource at construct ``path`` (e.g. ``S/B/Resource``)."""
        return [o for o in self.outcomes if o.rule_id == rule_id and o.path == path]


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
