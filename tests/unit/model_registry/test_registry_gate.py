"""The gate as a pure function: one test per rule, with the exact status and reasons an
operator reads in the registry."""

from __future__ import annotations

import math

import pytest

from registry.gate import (
    DEFAULT_TOLERANCE,
    ApprovalStatus,
    Direction,
    GatePolicy,
    GateVerdict,
    GuardMetric,
    MissingMetricsPolicy,
    evaluate,
)
from registry.metrics_file import MetricsFileError, parse_metrics_file

APPROVED = ApprovalStatus.APPROVED
REJECTED = ApprovalStatus.REJECTED
PENDING = ApprovalStatus.PENDING_MANUAL_APPROVAL
STRICT = MissingMetricsPolicy.PENDING
DEFAULT = GatePolicy()
WITH_GUARD = GatePolicy(tolerance=0.01, guards=(GuardMetric("macro_f1", max_drop=0.02),))


def broken_file() -> MetricsFileError:
    try:
        parse_metrics_file(b'{"metrics": {"accuracy": NaN}}')
    except MetricsFileError as error:
        return error
    raise AssertionError("the file should be broken")


# --- Defaults and the status values -----------------------------------------------------------


def test_the_default_policy():
    assert DEFAULT.primary_metric == "accuracy"
    assert DEFAULT.direction == Direction.HIGHER_IS_BETTER
    assert DEFAULT.tolerance == DEFAULT_TOLERANCE == 0.005
    assert DEFAULT.guards == ()
    assert DEFAULT.missing_metrics == MissingMetricsPolicy.APPROVE


def test_statuses_are_spelt_as_sagemaker_spells_them():
    # ModelApprovalStatus in the CreateModelPackage/UpdateModelPackage API.
    assert {status.value for status in ApprovalStatus} == {
        "Approved",
        "Rejected",
        "PendingManualApproval",
    }


# --- No metrics file --------------------------------------------------------------------------


def test_no_metrics_file_is_approved_without_comparison_by_default():
    verdict = evaluate(None, {"accuracy": 0.9}, DEFAULT)
    assert verdict == GateVerdict(APPROVED, ("no metrics file: registered without comparison",))
    assert verdict.approved


def test_no_metrics_file_is_left_pending_under_the_strict_policy():
    verdict = evaluate(None, None, GatePolicy(missing_metrics=STRICT))
    assert verdict == GateVerdict(
        PENDING, ("no metrics file: left for manual approval (strict policy)",)
    )
    assert not verdict.approved


# --- Broken metrics: never approved -----------------------------------------------------------


@pytest.mark.parametrize("policy", [DEFAULT, GatePolicy(missing_metrics=STRICT)])
@pytest.mark.parametrize("incumbent", [None, {"accuracy": 0.1}])
def test_a_broken_file_is_pending_with_the_parsers_reason(policy, incumbent):
    verdict = evaluate(broken_file(), incumbent, policy)
    assert verdict.status == PENDING
    assert verdict.reasons == (
        "metrics file invalid: /metrics/accuracy: must be a finite number within the double "
        "range, got NaN",
    )


@pytest.mark.parametrize("incumbent", [None, {"accuracy": 0.1}])
def test_a_file_without_the_primary_metric_is_pending(incumbent):
    verdict = evaluate({"macro_f1": 0.99}, incumbent, DEFAULT)
    assert verdict == GateVerdict(PENDING, ("metrics file has no primary metric accuracy",))


def test_a_file_without_a_guard_metric_is_pending_so_omitting_it_cannot_dodge_the_guard():
    verdict = evaluate({"accuracy": 0.99}, {"accuracy": 0.5, "macro_f1": 0.9}, WITH_GUARD)
    assert verdict == GateVerdict(PENDING, ("metrics file has no guard metric macro_f1",))


@pytest.mark.parametrize("value", [math.nan, math.inf, True, "0.9", None])
def test_a_plain_mapping_with_an_unusable_primary_value_is_pending(value):
    verdict = evaluate({"accuracy": value}, {"accuracy": 0.5}, DEFAULT)
    assert verdict.status == PENDING
    assert verdict.reasons == (f"primary metric accuracy is not a finite number: {value!r}",)


# --- First model ------------------------------------------------------------------------------


def test_the_first_model_is_approved_whatever_its_numbers():
    verdict = evaluate({"accuracy": 0.01, "macro_f1": 0.0}, None, WITH_GUARD)
    assert verdict == GateVerdict(APPROVED, ("first model: no approved incumbent to compare with",))


def test_a_parsed_file_is_judged_on_its_metrics():
    parsed = parse_metrics_file(b'{"metrics": {"accuracy": 0.8}}')
    verdict = evaluate(parsed, {"accuracy": 0.9}, DEFAULT)
    assert verdict.status == REJECTED


# --- The primary metric -----------------------------------------------------------------------


def test_a_worse_primary_metric_beyond_the_tolerance_is_rejected():
    verdict = evaluate({"accuracy": 0.81}, {"accuracy": 0.86}, GatePolicy(tolerance=0.01))
    assert verdict == GateVerdict(
        REJECTED, ("primary accuracy 0.81 < incumbent 0.86 - tolerance 0.01",)
    )


def test_a_worse_primary_metric_within_the_tolerance_is_approved():
    verdict = evaluate({"accuracy": 0.855}, {"accuracy": 0.86}, GatePolicy(tolerance=0.01))
    assert verdict == GateVerdict(
        APPROVED, ("primary accuracy 0.855 >= incumbent 0.86 - tolerance 0.01",)
    )


def test_an_equal_primary_metric_is_approved_with_zero_tolerance():
    verdict = evaluate({"accuracy": 0.86}, {"accuracy": 0.86}, GatePolicy(tolerance=0))
    assert verdict.status == APPROVED


def test_a_lower_is_better_primary_metric_is_rejected_when_it_rises_too_much():
    policy = GatePolicy(primary_metric="log_loss", direction="lower", tolerance=0.01)

    worse = evaluate({"log_loss": 0.41}, {"log_loss": 0.35}, policy)
    better = evaluate({"log_loss": 0.30}, {"log_loss": 0.35}, policy)

    assert worse == GateVerdict(
        REJECTED, ("primary log_loss 0.41 > incumbent 0.35 + tolerance 0.01",)
    )
    assert better == GateVerdict(
        APPROVED, ("primary log_loss 0.3 <= incumbent 0.35 + tolerance 0.01",)
    )


def test_metrics_the_policy_does_not_name_are_ignored():
    verdict = evaluate({"accuracy": 0.9, "recall": 0.0}, {"accuracy": 0.9, "recall": 1.0}, DEFAULT)
    assert verdict.status == APPROVED


# --- Guards -----------------------------------------------------------------------------------


def test_a_guard_dropping_more_than_its_allowance_rejects_even_a_better_primary():
    verdict = evaluate(
        {"accuracy": 0.95, "macro_f1": 0.80}, {"accuracy": 0.90, "macro_f1": 0.89}, WITH_GUARD
    )
    assert verdict == GateVerdict(
        REJECTED,
        (
            "primary accuracy 0.95 >= incumbent 0.9 - tolerance 0.01",
            "guard macro_f1 0.8 < incumbent 0.89 - allowance 0.02",
        ),
    )


def test_a_guard_within_its_allowance_is_approved_and_recorded():
    verdict = evaluate(
        {"accuracy": 0.90, "macro_f1": 0.88}, {"accuracy": 0.90, "macro_f1": 0.89}, WITH_GUARD
    )
    assert verdict == GateVerdict(
        APPROVED,
        (
            "primary accuracy 0.9 >= incumbent 0.9 - tolerance 0.01",
            "guard macro_f1 0.88 >= incumbent 0.89 - allowance 0.02",
        ),
    )


def test_a_lower_is_better_guard_rejects_a_rise_beyond_its_allowance():
    policy = GatePolicy(guards=(GuardMetric("latency_p95_ms", 20, Direction.LOWER_IS_BETTER),))
    verdict = evaluate(
        {"accuracy": 0.9, "latency_p95_ms": 130}, {"accuracy": 0.9, "latency_p95_ms": 100}, policy
    )
    assert verdict.status == REJECTED
    assert verdict.reasons[-1] == "guard latency_p95_ms 130.0 > incumbent 100.0 + allowance 20.0"


def test_a_guard_the_incumbent_lacks_is_recorded_as_not_compared():
    verdict = evaluate({"accuracy": 0.9, "macro_f1": 0.1}, {"accuracy": 0.9}, WITH_GUARD)
    assert verdict == GateVerdict(
        APPROVED,
        (
            "primary accuracy 0.9 >= incumbent 0.9 - tolerance 0.01",
            "guard macro_f1 not compared: incumbent has none",
        ),
    )


def test_both_primary_and_guard_failures_are_reported():
    verdict = evaluate(
        {"accuracy": 0.5, "macro_f1": 0.5}, {"accuracy": 0.9, "macro_f1": 0.9}, WITH_GUARD
    )
    assert verdict.status == REJECTED
    assert [reason.split(" ")[0] for reason in verdict.reasons] == ["primary", "guard"]
    assert all(" < " in reason for reason in verdict.reasons)


# --- An incumbent registered without metrics --------------------------------------------------


def test_an_incumbent_without_the_primary_metric_follows_the_missing_metrics_policy():
    lenient = evaluate({"accuracy": 0.5}, {}, DEFAULT)
    strict = evaluate({"accuracy": 0.5}, {}, GatePolicy(missing_metrics=STRICT))

    assert lenient == GateVerdict(
        APPROVED, ("incumbent has no primary metric accuracy: registered without comparison",)
    )
    assert strict == GateVerdict(
        PENDING,
        ("incumbent has no primary metric accuracy: left for manual approval (strict policy)",),
    )


def test_an_incumbent_with_a_nan_primary_counts_as_having_none():
    verdict = evaluate({"accuracy": 0.5}, {"accuracy": math.nan}, DEFAULT)
    assert verdict.reasons == (
        "incumbent has no primary metric accuracy: registered without comparison",
    )


def test_an_incumbent_without_the_primary_still_rejects_on_a_failed_guard():
    verdict = evaluate({"accuracy": 0.5, "macro_f1": 0.1}, {"macro_f1": 0.9}, WITH_GUARD)
    assert verdict.status == REJECTED


# --- The policy refuses nonsense --------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"primary_metric": ""}, "primary_metric must be 1-64 ASCII"),
        ({"primary_metric": "bad name"}, "primary_metric must be 1-64 ASCII"),
        ({"tolerance": -0.01}, "tolerance must be a finite number >= 0, got -0.01"),
        ({"tolerance": math.nan}, "tolerance must be a finite number >= 0"),
        ({"tolerance": True}, "tolerance must be a finite number >= 0, got True"),
        ({"direction": "up"}, "direction must be one of higher, lower, got 'up'"),
        ({"missing_metrics": "reject"}, "missing_metrics must be one of approve, pending"),
        ({"guards": ("macro_f1",)}, "guards must be GuardMetric values"),
        ({"guards": (GuardMetric("accuracy", 0.1),)}, "accuracy is the primary metric"),
        (
            {"guards": (GuardMetric("f1", 0.1), GuardMetric("f1", 0.2))},
            "guard metrics appear more than once: f1",
        ),
    ],
)
def test_a_wrong_policy_is_refused_naming_the_field(arguments, message):
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        GatePolicy(**arguments)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"name": "f1", "max_drop": -1}, "max_drop of guard f1 must be a finite number >= 0"),
        ({"name": "f 1", "max_drop": 0}, "guard metric name must be 1-64 ASCII"),
        ({"name": "f1", "max_drop": 0, "direction": "down"}, "direction must be one of"),
    ],
)
def test_a_wrong_guard_is_refused_naming_the_field(arguments, message):
    with pytest.raises(ValueError, match="^" + message):
        GuardMetric(**arguments)


def test_strings_from_configuration_become_the_enums():
    policy = GatePolicy(direction="lower", missing_metrics="pending", guards=[GuardMetric("f1", 0)])
    assert policy.direction is Direction.LOWER_IS_BETTER
    assert policy.missing_metrics is MissingMetricsPolicy.PENDING
    assert policy.guards == (GuardMetric("f1", 0),)
