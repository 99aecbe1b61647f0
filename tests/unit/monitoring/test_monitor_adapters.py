"""The monitor function's pure helpers: the input-length baseline, the window an event asks
for, and the settings' errors."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from common.errors import ConfigurationError
from monitor_handler import window_of
from monitoring import contract
from monitoring.baseline import input_length_histogram
from monitoring.settings import load_settings
from tests.integration.local.test_monitor_e2e import ENVIRONMENT


def test_the_input_length_baseline_is_the_histogram_its_quantiles_determine():
    histogram = input_length_histogram(61, 178)

    assert histogram.edges == (0.0, 61, 178, math.inf)
    assert histogram.shares == (0.5, 0.45, 0.05)


@pytest.mark.parametrize(
    ("p50", "p95", "edges", "shares"),
    [
        (40, 40, (0.0, 40, math.inf), (0.5, 0.5)),
        (0, 30, (0.0, 30, math.inf), (0.95, 0.05)),
        (0, 0, (0.0, math.inf), (1.0,)),
    ],
)
def test_equal_quantiles_merge_their_bins(p50, p95, edges, shares):
    histogram = input_length_histogram(p50, p95)

    assert histogram.edges == edges
    assert histogram.shares == pytest.approx(shares)


def test_a_scheduled_event_reports_the_last_complete_hour_before_its_time():
    window = window_of({"time": "2026-12-05T13:15:00Z"})

    assert window.start == datetime(2026, 12, 5, 12, tzinfo=UTC)


def test_an_event_may_name_the_window_to_report_again():
    assert window_of({"window_start": "2026-12-01T07:00:00Z"}).start == datetime(
        2026, 12, 1, 7, tzinfo=UTC
    )


@pytest.mark.parametrize("start", ["2026-12-01T07:30:00Z", "yesterday", "2026-12-01T07:00:00"])
def test_a_window_start_off_the_hour_or_without_zone_is_a_named_error(start):
    with pytest.raises(ConfigurationError, match="window_start"):
        window_of({"window_start": start})


def test_settings_name_every_missing_or_invalid_variable():
    environment = dict(ENVIRONMENT)
    del environment[contract.CAPTURE_BUCKET_ENV_VAR]
    with pytest.raises(ConfigurationError, match=contract.CAPTURE_BUCKET_ENV_VAR):
        load_settings(environment)

    environment = dict(ENVIRONMENT) | {
        contract.MAX_LABEL_PSI_ENV_VAR: "lots",
        contract.MIN_ACCURACY_ENV_VAR: "nan",
    }
    with pytest.raises(ConfigurationError) as raised:
        load_settings(environment)
    assert contract.MAX_LABEL_PSI_ENV_VAR in str(raised.value)
    assert contract.MIN_ACCURACY_ENV_VAR in str(raised.value)
