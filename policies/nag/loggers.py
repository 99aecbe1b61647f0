"""A cdk-nag logger that records every rule outcome, for tests.

jsii expands the logger data into keyword arguments only for methods that declare keyword-only
parameters; a bare ``**kwargs`` signature would receive one positional struct.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jsii
from cdk_nag import INagLogger


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
    """Records every outcome, so tests can see COMPLIANT and NOT_APPLICABLE as well as failures.

    Pass as ``additional_loggers=[recorder]`` to a pack; read :attr:`outcomes`.
    """

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
