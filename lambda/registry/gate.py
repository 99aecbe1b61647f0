"""The metric gate: may a candidate model be served instead of the incumbent?

Pure: ``evaluate(candidate, incumbent, policy)`` compares the candidate's metrics with those of
the incumbent (the currently served approved package) under a ``GatePolicy`` and returns a
``GateVerdict``: a SageMaker approval status and the reasons recorded on the package.

The rules, first match wins:

1. No metrics file: the policy decides. ``approve`` (default): Approved, "registered without
   comparison", so the brief's plain flow keeps working; ``pending`` (strict): left for a human.
2. A broken metrics file, or one without the primary metric or a guard metric:
   PendingManualApproval, never Approved. Pending and not Rejected, because the gate has no
   evidence about the model either way: Rejected is kept for "measured and worse", so that
   Rejected counts a quality signal and not a delivery mistake; a human, or the producer
   with a corrected file, decides. A guard metric is required like the primary one: otherwise
   omitting a metric would be a way around its guard.
3. No incumbent: Approved (the first model of the group).
4. The primary metric worse than the incumbent's by more than the tolerance: Rejected.
   A guard metric worse by more than its allowance: Rejected. Every comparison is recorded.
5. The incumbent has no primary metric (it was registered without comparison): nothing to
   compare it with, so, unless a guard failed (rule 4), the missing-metrics policy decides as
   in rule 1. A guard the incumbent has no value for is recorded as not compared (the
   incumbent may predate the guard).
6. Otherwise Approved.

Properties (tests/property/test_registry_gate.py): a candidate at least as good as the
incumbent on the primary metric and every guard is never Rejected; a larger tolerance or
allowance never turns a verdict into a worse one.

Reasons are short stable strings for operators: numbers are printed with ``repr`` (the
shortest text that reads back as the same float), e.g.
``primary accuracy 0.81 < incumbent 0.86 - tolerance 0.01``. They contain ``<`` and ``>``, so
they belong in ``ApprovalDescription``, not in customer metadata values (whose pattern has
no such characters).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from .metrics_file import METRIC_NAME, MetricsFile, MetricsFileError


class ApprovalStatus(StrEnum):
    """SageMaker's ModelApprovalStatus values, spelt as the API spells them."""

    APPROVED = "Approved"
    REJECTED = "Rejected"
    PENDING_MANUAL_APPROVAL = "PendingManualApproval"


class Direction(StrEnum):
    """Which way a metric improves."""

    HIGHER_IS_BETTER = "higher"
    LOWER_IS_BETTER = "lower"


class MissingMetricsPolicy(StrEnum):
    """What the gate does when there is nothing to compare (no metrics file)."""

    APPROVE = "approve"
    PENDING = "pending"


@dataclass(frozen=True)
class GuardMetric:
    """A secondary metric that may get worse by at most ``max_drop`` (in the metric's own
    units, in its worsening direction: a fall when higher is better, a rise when lower is)."""

    name: str
    max_drop: float
    direction: Direction = Direction.HIGHER_IS_BETTER

    def __post_init__(self) -> None:
        _check_metric_name(self.name, "guard metric name")
        _check_allowance(self.max_drop, f"max_drop of guard {self.name}")
        object.__setattr__(self, "direction", _enum(Direction, self.direction, "direction"))


# About one standard error of an accuracy near 0.9 measured on 5,000 held-out examples
# (sqrt(0.9 * 0.1 / 5000) ~= 0.004): a retrain of equal quality passes, a real regression does
# not. The deployment's constants override it.
DEFAULT_TOLERANCE = 0.005


@dataclass(frozen=True)
class GatePolicy:
    """The gate's rule. The metrics file carries values only; everything that judges them
    (which metric decides, its direction, tolerances) lives here, under review."""

    primary_metric: str = "accuracy"
    direction: Direction = Direction.HIGHER_IS_BETTER
    tolerance: float = DEFAULT_TOLERANCE
    guards: tuple[GuardMetric, ...] = ()
    missing_metrics: MissingMetricsPolicy = MissingMetricsPolicy.APPROVE

    def __post_init__(self) -> None:
        _check_metric_name(self.primary_metric, "primary_metric")
        object.__setattr__(self, "direction", _enum(Direction, self.direction, "direction"))
        _check_allowance(self.tolerance, "tolerance")
        object.__setattr__(
            self,
            "missing_metrics",
            _enum(MissingMetricsPolicy, self.missing_metrics, "missing_metrics"),
        )
        guards = tuple(self.guards)
        for guard in guards:
            if not isinstance(guard, GuardMetric):
                raise ValueError(f"guards must be GuardMetric values, got {guard!r}")
        names = [guard.name for guard in guards]
        if self.primary_metric in names:
            raise ValueError(
                f"{self.primary_metric} is the primary metric; it cannot also be a guard"
            )
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"guard metrics appear more than once: {', '.join(repeated)}")
        object.__setattr__(self, "guards", guards)


@dataclass(frozen=True)
class GateVerdict:
    """The gate's decision: the status to give the package, and why (in rule order)."""

    status: ApprovalStatus
    reasons: tuple[str, ...]

    @property
    def approved(self) -> bool:
        return self.status == ApprovalStatus.APPROVED


REASON_FIRST_MODEL = "first model: no approved incumbent to compare with"
REASON_NO_METRICS_FILE = "no metrics file"
_WITHOUT_COMPARISON = {
    MissingMetricsPolicy.APPROVE: (ApprovalStatus.APPROVED, "registered without comparison"),
    MissingMetricsPolicy.PENDING: (
        ApprovalStatus.PENDING_MANUAL_APPROVAL,
        "left for manual approval (strict policy)",
    ),
}


def evaluate(
    candidate: MetricsFile | Mapping[str, float] | MetricsFileError | None,
    incumbent: Mapping[str, float] | None,
    policy: GatePolicy,
) -> GateVerdict:
    """The verdict on ``candidate`` (its parsed metrics file or just its metrics; the
    ``MetricsFileError`` of a broken file; ``None`` when there is no file) against
    ``incumbent`` (the served approved package's metrics; ``None`` when nothing is approved).
    See the module docstring for the rules."""
    if candidate is None:
        status, outcome = _WITHOUT_COMPARISON[policy.missing_metrics]
        return GateVerdict(status, (f"{REASON_NO_METRICS_FILE}: {outcome}",))
    if isinstance(candidate, MetricsFileError):
        return GateVerdict(
            ApprovalStatus.PENDING_MANUAL_APPROVAL, (f"metrics file invalid: {candidate}",)
        )
    metrics = candidate.metrics if isinstance(candidate, MetricsFile) else candidate
    unusable = _unusable_required_metrics(metrics, policy)
    if unusable:
        return GateVerdict(ApprovalStatus.PENDING_MANUAL_APPROVAL, tuple(unusable))
    if incumbent is None:
        return GateVerdict(ApprovalStatus.APPROVED, (REASON_FIRST_MODEL,))

    reasons: list[str] = []
    rejected = False
    primary = policy.primary_metric
    incumbent_primary = _finite(incumbent, primary)
    if incumbent_primary is None:
        comparable = False
        outcome = _WITHOUT_COMPARISON[policy.missing_metrics][1]
        reasons.append(f"incumbent has no primary metric {primary}: {outcome}")
    else:
        comparable = True
        passed, reason = _compare(
            f"primary {primary}",
            metrics[primary],
            incumbent_primary,
            policy.direction,
            policy.tolerance,
            "tolerance",
        )
        rejected |= not passed
        reasons.append(reason)
    for guard in policy.guards:
        incumbent_value = _finite(incumbent, guard.name)
        if incumbent_value is None:
            reasons.append(f"guard {guard.name} not compared: incumbent has none")
            continue
        passed, reason = _compare(
            f"guard {guard.name}",
            metrics[guard.name],
            incumbent_value,
            guard.direction,
            guard.max_drop,
            "allowance",
        )
        rejected |= not passed
        reasons.append(reason)

    if rejected:
        return GateVerdict(ApprovalStatus.REJECTED, tuple(reasons))
    if not comparable:
        return GateVerdict(_WITHOUT_COMPARISON[policy.missing_metrics][0], tuple(reasons))
    return GateVerdict(ApprovalStatus.APPROVED, tuple(reasons))


def _unusable_required_metrics(metrics: Mapping[str, float], policy: GatePolicy) -> list[str]:
    """Reasons for each metric the policy needs that the candidate lacks or has no finite
    value for (a plain mapping may come from anywhere, not only from the parser)."""
    required = [("primary", policy.primary_metric)] + [
        ("guard", guard.name) for guard in policy.guards
    ]
    reasons = []
    for role, name in required:
        if name not in metrics:
            reasons.append(f"metrics file has no {role} metric {name}")
        elif _finite(metrics, name) is None:
            reasons.append(f"{role} metric {name} is not a finite number: {metrics[name]!r}")
    return reasons


def _finite(metrics: Mapping[str, float], name: str) -> float | None:
    value = metrics.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _compare(
    label: str,
    candidate: float,
    incumbent: float,
    direction: Direction,
    allowance: float,
    allowance_name: str,
) -> tuple[bool, str]:
    """Whether ``candidate`` is within ``allowance`` of ``incumbent``, and the reason."""
    candidate, incumbent, allowance = float(candidate), float(incumbent), float(allowance)
    if direction == Direction.HIGHER_IS_BETTER:
        passed = candidate >= incumbent - allowance
        relation, sign = (">=" if passed else "<"), "-"
    else:
        passed = candidate <= incumbent + allowance
        relation, sign = ("<=" if passed else ">"), "+"
    reason = (
        f"{label} {candidate!r} {relation} incumbent {incumbent!r} {sign} "
        f"{allowance_name} {allowance!r}"
    )
    return passed, reason


def _check_metric_name(name: object, what: str) -> None:
    if not isinstance(name, str) or not METRIC_NAME.fullmatch(name):
        raise ValueError(
            f"{what} must be 1-64 ASCII letters, digits, '_', '.' or '-', got {name!r}"
        )


def _check_allowance(value: object, what: str) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        raise ValueError(f"{what} must be a finite number >= 0, got {value!r}")


_E = TypeVar("_E", bound=StrEnum)


def _enum(kind: type[_E], value: object, what: str) -> _E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise ValueError(f"{what} must be one of {allowed}, got {value!r}") from None
