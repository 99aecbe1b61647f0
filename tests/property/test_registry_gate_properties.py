"""Properties of the metric gate (lambda/registry/gate.py), for any policy and any metrics:

- monotone: a candidate at least as good as the incumbent on the primary metric and on every
  guard (in each metric's direction) is never Rejected;
- stable under tolerance: a larger tolerance or guard allowance never makes a verdict worse
  (Rejected < PendingManualApproval < Approved); in particular an approval stays an approval;
- never approved without usable evidence: a broken file, or one missing a metric the policy
  names, is never Approved.
"""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from registry.gate import (
    ApprovalStatus,
    Direction,
    GatePolicy,
    GuardMetric,
    MissingMetricsPolicy,
    evaluate,
)
from registry.metrics_file import MetricsFileError, MetricsProblem

RANK = {
    ApprovalStatus.REJECTED: 0,
    ApprovalStatus.PENDING_MANUAL_APPROVAL: 1,
    ApprovalStatus.APPROVED: 2,
}

NAMES = ["accuracy", "macro_f1", "log_loss", "latency_p95_ms", "recall"]
# Mostly metric-sized numbers, where a tolerance of 0.01 matters (next to 1e300 it rounds
# away), plus any finite float for the corners.
values = (
    st.floats(-2, 2)
    | st.sampled_from([0.0, 0.5, 0.86, 1.0])
    | st.floats(allow_nan=False, allow_infinity=False)
)
allowances = st.floats(0, 0.5) | st.sampled_from([0.0, 0.01]) | st.floats(0, 1e300)
# Pure functions: cheap enough for more examples than the suite's default.
MANY = settings(max_examples=200)
directions = st.sampled_from(list(Direction))


@st.composite
def policies(draw: st.DrawFn) -> GatePolicy:
    names = draw(st.permutations(NAMES))
    guard_count = draw(st.integers(0, 3))
    guards = tuple(
        GuardMetric(name, draw(allowances), draw(directions)) for name in names[1 : 1 + guard_count]
    )
    return GatePolicy(
        primary_metric=names[0],
        direction=draw(directions),
        tolerance=draw(allowances),
        guards=guards,
        missing_metrics=draw(st.sampled_from(list(MissingMetricsPolicy))),
    )


def judged(policy: GatePolicy) -> list[tuple[str, Direction]]:
    return [(policy.primary_metric, policy.direction)] + [
        (guard.name, guard.direction) for guard in policy.guards
    ]


# Usually every metric (so comparisons happen), sometimes only some (incumbents registered
# without metrics, or before a guard existed).
incumbents = st.fixed_dictionaries({name: values for name in NAMES}) | st.dictionaries(
    st.sampled_from(NAMES), values
)
candidates = incumbents


def at_least_as_good(value: float, direction: Direction) -> st.SearchStrategy[float]:
    """Equal to ``value``, slightly better, or anything better."""
    if direction == Direction.HIGHER_IS_BETTER:
        return st.sampled_from([value, value + 0.001]) | st.floats(min_value=value)
    return st.sampled_from([value, value - 0.001]) | st.floats(max_value=value)


@MANY
@given(policy=policies(), incumbent=incumbents, data=st.data())
def test_a_candidate_at_least_as_good_on_every_judged_metric_is_never_rejected(
    policy, incumbent, data
):
    candidate = data.draw(candidates, label="others")
    for name, direction in judged(policy):
        if name not in incumbent:
            candidate[name] = data.draw(values, label=name)
        else:
            candidate[name] = data.draw(at_least_as_good(incumbent[name], direction), label=name)

    verdict = evaluate(candidate, incumbent, policy)

    assert verdict.status != ApprovalStatus.REJECTED, verdict.reasons


@MANY
@example(
    policy=GatePolicy(tolerance=0.01),
    candidate={"accuracy": 0.85},
    incumbent={"accuracy": 0.86},
    extra=0.0,
    guard_extras=[0.0, 0.0, 0.0],
).via("approved within the tolerance")
@example(
    policy=GatePolicy(primary_metric="log_loss", direction="lower", tolerance=0.01),
    candidate={"log_loss": 0.36},
    incumbent={"log_loss": 0.355},
    extra=0.0,
    guard_extras=[0.0, 0.0, 0.0],
).via("lower is better, approved within the tolerance")
@example(
    policy=GatePolicy(guards=(GuardMetric("f1", 0.02, Direction.LOWER_IS_BETTER),)),
    candidate={"accuracy": 0.9, "f1": 0.31},
    incumbent={"accuracy": 0.9, "f1": 0.3},
    extra=0.0,
    guard_extras=[0.0, 0.0, 0.0],
).via("guard approved within its allowance")
@given(
    policy=policies(),
    candidate=candidates,
    incumbent=st.none() | incumbents,
    extra=allowances,
    guard_extras=st.lists(allowances, min_size=3, max_size=3),
)
def test_more_tolerance_never_makes_a_verdict_worse(
    policy, candidate, incumbent, extra, guard_extras
):
    looser = GatePolicy(
        primary_metric=policy.primary_metric,
        direction=policy.direction,
        tolerance=policy.tolerance + extra,
        guards=tuple(
            GuardMetric(guard.name, guard.max_drop + more, guard.direction)
            for guard, more in zip(policy.guards, guard_extras, strict=False)
        ),
        missing_metrics=policy.missing_metrics,
    )

    strict_verdict = evaluate(candidate, incumbent, policy)
    loose_verdict = evaluate(candidate, incumbent, looser)
    zero_verdict = evaluate(candidate, incumbent, no_tolerance(policy))

    assert RANK[loose_verdict.status] >= RANK[strict_verdict.status] >= RANK[zero_verdict.status]
    if strict_verdict.approved:
        assert loose_verdict.approved


def no_tolerance(policy: GatePolicy) -> GatePolicy:
    return GatePolicy(
        primary_metric=policy.primary_metric,
        direction=policy.direction,
        tolerance=0,
        guards=tuple(GuardMetric(g.name, 0, g.direction) for g in policy.guards),
        missing_metrics=policy.missing_metrics,
    )


@MANY
@given(policy=policies(), incumbent=st.none() | incumbents, data=st.data())
def test_a_candidate_missing_a_judged_metric_is_never_approved(policy, incumbent, data):
    candidate = data.draw(candidates)
    missing, _ = data.draw(st.sampled_from(judged(policy)))
    candidate.pop(missing, None)

    verdict = evaluate(candidate, incumbent, policy)

    assert verdict.status == ApprovalStatus.PENDING_MANUAL_APPROVAL
    assert any(missing in reason for reason in verdict.reasons)


@given(policy=policies(), incumbent=st.none() | incumbents, message=st.text(min_size=1))
def test_a_broken_file_is_never_approved(policy, incumbent, message):
    broken = MetricsFileError((MetricsProblem("/metrics", message),))

    verdict = evaluate(broken, incumbent, policy)

    assert verdict.status == ApprovalStatus.PENDING_MANUAL_APPROVAL
    assert verdict.reasons == (f"metrics file invalid: {broken}",)
