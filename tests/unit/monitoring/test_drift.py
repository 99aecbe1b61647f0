"""The population stability index, histograms and the baseline (lambda/monitoring/window.py)."""

from __future__ import annotations

import math

import pytest

from monitoring.window import (
    PSI_EPSILON,
    Baseline,
    Histogram,
    label_psi,
    population_stability_index,
)


def test_psi_of_a_distribution_with_itself_is_zero():
    assert population_stability_index([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]) == 0.0


def test_psi_matches_a_worked_value():
    # (0.5 - 0.25) ln(0.5 / 0.25) + (0.5 - 0.75) ln(0.5 / 0.75) = 0.25 ln 2 + 0.25 ln 1.5
    worked = 0.25 * math.log(2) + 0.25 * math.log(1.5)

    assert population_stability_index([0.5, 0.5], [0.25, 0.75]) == pytest.approx(worked, abs=1e-3)


def test_psi_is_symmetric_and_takes_counts_as_well_as_shares():
    forward = population_stability_index([10, 30, 60], [0.3, 0.3, 0.4])

    assert forward == pytest.approx(population_stability_index([0.3, 0.3, 0.4], [1, 3, 6]))
    assert forward > 0


def test_psi_stays_finite_when_bins_are_empty_on_either_side():
    psi = population_stability_index([1, 0], [0, 1])

    # Smoothed shares: (1 + eps) / (1 + 2 eps) against eps / (1 + 2 eps), in both bins.
    expected = 2 / (1 + 2 * PSI_EPSILON) * math.log((1 + PSI_EPSILON) / PSI_EPSILON)
    assert math.isfinite(psi)
    assert psi == pytest.approx(expected)


def test_a_larger_epsilon_smooths_more():
    assert population_stability_index([1, 0], [0, 1], epsilon=0.01) < population_stability_index(
        [1, 0], [0, 1]
    )


@pytest.mark.parametrize(
    ("actual", "expected", "message"),
    [
        ([0.5, 0.5], [1.0], "one length"),
        ([], [], "non-empty"),
        ([0, 0], [0.5, 0.5], "actual distribution is empty"),
        ([0.5, 0.5], [-0.5, 1.5], "expected must be finite non-negative"),
        ([math.nan, 1], [0.5, 0.5], "actual must be finite non-negative"),
        ([math.inf, 1], [0.5, 0.5], "actual must be finite non-negative"),
    ],
)
def test_psi_refuses_what_is_not_two_distributions(actual, expected, message):
    with pytest.raises(ValueError, match=message):
        population_stability_index(actual, expected)


@pytest.mark.parametrize("epsilon", [0, -1e-4, 1])
def test_psi_refuses_an_epsilon_outside_the_unit_interval(epsilon):
    with pytest.raises(ValueError, match="epsilon"):
        population_stability_index([0.5, 0.5], [0.5, 0.5], epsilon=epsilon)


def test_label_psi_compares_over_the_union_of_labels():
    observed = {"POSITIVE": 50, "NEGATIVE": 40, "(other labels)": 10}
    baseline = {"POSITIVE": 0.5, "NEGATIVE": 0.4, "NEUTRAL": 0.1}

    assert label_psi(observed, baseline) == pytest.approx(
        population_stability_index([40, 0, 10, 50], [0.4, 0.1, 0, 0.5])
    )
    # Label order does not matter; counts are normalised like shares.
    assert label_psi({"POSITIVE": 5, "NEGATIVE": 4}, {"NEGATIVE": 4 / 9, "POSITIVE": 5 / 9}) == (
        pytest.approx(0.0, abs=1e-12)
    )


def test_a_histogram_from_counts_has_shares_and_none_without_counts():
    histogram = Histogram.from_counts([0, 1, 2, math.inf], [1, 1, 2])

    assert histogram.shares == (0.25, 0.25, 0.5)
    assert histogram.as_dict() == {"bin_edges": [0, 1, 2, None], "shares": [0.25, 0.25, 0.5]}
    assert Histogram.from_counts([0, 1], [0]) is None


@pytest.mark.parametrize(
    ("edges", "shares", "message"),
    [
        ([0.0], [], "at least 2 edges"),
        ([0.0, 0.5, 0.5, 1.0], [0.2, 0.3, 0.5], "increase strictly"),
        ([0.0, math.nan, 1.0], [0.5, 0.5], "increase strictly"),
        ([0.0, 0.5, 1.0], [1.0], "needs 2 shares"),
        ([0.0, 0.5, 1.0], [0.5, 0.4], "sum to 1"),
        ([0.0, 0.5, 1.0], [1.5, -0.5], "finite non-negative"),
    ],
)
def test_a_histogram_refuses_inconsistent_edges_and_shares(edges, shares, message):
    with pytest.raises(ValueError, match=message):
        Histogram(tuple(edges), tuple(shares))


def test_a_baseline_accepts_rounded_shares_but_not_a_wrong_sum():
    assert Baseline({"A": 0.333, "B": 0.333, "C": 0.333}).label_shares == {
        "A": 0.333,
        "B": 0.333,
        "C": 0.333,
    }
    with pytest.raises(ValueError, match="baseline label_shares must sum to 1"):
        Baseline({"A": 0.5, "B": 0.3})


@pytest.mark.parametrize("shares", [{}, {"": 1.0}])
def test_a_baseline_needs_named_labels(shares):
    with pytest.raises(ValueError, match="baseline"):
        Baseline(shares)
