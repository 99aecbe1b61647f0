"""cdk-nag loggers: warnings and rule crashes become errors; outcomes can be recorded.

cdk-nag 2.x reports an unsuppressed ERROR-level finding as an error annotation, which fails
``cdk synth``; a WARN-level finding, and a rule that *crashed* (``CdkNagValidationFailure``),
only as a warning, which does not. A compliance gate cannot pass on a crashed rule, so
:class:`StrictNagLogger` re-reports both as errors (ADR 0041). ``cdk synth --strict`` would do
the same for every CDK warning, deprecations included; this logger touches nag findings only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import jsii
from cdk_nag import INagLogger, NagMessageLevel

STRICT_MARKER = "treated as an error (ADR 0041)"


@jsii.implements(INagLogger)
class StrictNagLogger:
    """Adds an error annotation for every unsuppressed WARN finding and every rule crash."""

    # jsii expands the logger data into keyword arguments only for methods that declare
    # keyword-only parameters; a bare ``**kwargs`` signature receives one positional struct.
    def on_compliance(self, *, rule_id: str, **_: Any) -> None:
        return None

    def on_not_applicable(self, *, rule_id: str, **_: Any) -> None:
        return None

    def on_suppressed(self, *, rule_id: str, **_: Any) -> None:
        return None

    def on_suppressed_error(self, *, rule_id: str, **_: Any) -> None:
        return None

    def on_non_compliance(
        self, *, rule_id: str, rule_level: NagMessageLevel, resource: Any, finding_id: str, **_: Any
    ) -> None:
        if rule_level == NagMessageLevel.WARN:
            label = f"{rule_id}[{finding_id}]" if finding_id else rule_id
            cdk.Annotations.of(resource).add_error(
                f"{label}: warning-level cdk-nag finding {STRICT_MARKER}; fix the resource or "
                "acknowledge it with policies.exceptions.acknowledge."
            )

    def on_error(self, *, rule_id: str, resource: Any, error_message: str, **_: Any) -> None:
        cdk.Annotations.of(resource).add_error(
            f"CdkNagValidationFailure[{rule_id}]: the rule could not evaluate this resource "
            f"({error_message}); {STRICT_MARKER}."
        )


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
