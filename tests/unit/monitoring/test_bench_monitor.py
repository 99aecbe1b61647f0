"""The monitor benchmark (scripts/bench_monitor.py) runs end to end on a small window and
reports consistent counts; its times are read, never asserted (ADR-0080)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "bench_monitor.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_monitor", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_reports_the_window_it_measured(bench):
    result = bench.bench_monitor(records=200, runs=1, seed=3)

    assert result["records"] == 200
    assert result["capture_files"] == bench.CAPTURE_FILES
    assert result["predictions"] >= 200 - result["malformed_lines"]
    assert 0 < result["labelled_predictions"] <= result["predictions"]
    assert result["peak_traced_bytes"] > result["peak_traced_bytes_without_labels"] > 0
    assert len(result["seconds_runs"]) == 1


def test_the_command_prints_json(bench, capsys):
    assert bench.main(["--records", "20", "--runs", "1"]) == 0

    assert json.loads(capsys.readouterr().out)["records"] == 20


def test_the_benchmark_refuses_an_empty_window(bench):
    with pytest.raises(ValueError, match="at least 10 records"):
        bench.bench_monitor(records=5)
