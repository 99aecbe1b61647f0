"""Benchmark the monitor's core on one window of captured traffic.

    python scripts/bench_monitor.py [--records 100000] [--runs 3] [--seed 0]

prints one JSON object. ``bench_monitor()`` is the same measurement as a function, for
``scripts/bench.py``.

What is measured: an hour of synthetic capture files (``demo/capture_traffic.py``: 8 files,
SageMaker's format, batches, BASE64 and non-JSON payloads, inference ids on 30 % of the
requests, labels for half of those) is written to a temporary directory first; then, per run,
the ground-truth files are read into a ``GroundTruthIndex`` and the capture files streamed line
by line through ``WindowAccumulator`` and summarised, as the monitor function does with S3
bodies. Reported:

- ``seconds``: median wall time of ``--runs`` passes (file reading included, generation not);
- ``peak_traced_bytes``: the peak of Python allocations (``tracemalloc``) during one more pass.
  The ground-truth index grows with the labels (up to its ``max_labels``), the accumulator does
  not: the peaks without labels, for the window and for a tenth of it, show that as two close
  figures. ``tracemalloc`` sees Python objects, not the interpreter's own footprint, and slows
  the pass, which is why it is not timed.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# Run as a file, neither the repository root nor the functions' asset directory is on sys.path.
for _path in (REPO_ROOT, REPO_ROOT / "lambda"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from demo.capture_traffic import LABELS, WrittenHour, write_hour  # noqa: E402
from monitoring.capture import GroundTruthIndex, Window  # noqa: E402
from monitoring.window import WindowAccumulator, WindowSummary  # noqa: E402

WINDOW = Window(datetime(2026, 11, 27, 13, tzinfo=UTC))
CAPTURE_FILES = 8
LOW_CONFIDENCE_THRESHOLD = 0.6
MAX_GROUND_TRUTH_LABELS = 100_000


def monitor_window(root: Path, written: WrittenHour, with_labels: bool = True) -> WindowSummary:
    """What the monitor function does with one window, reading local files instead of S3."""
    index = None
    if with_labels:
        index = GroundTruthIndex(max_labels=MAX_GROUND_TRUTH_LABELS)
        for key in written.ground_truth_keys:
            with (root / key).open("rb") as lines:
                index.add_lines(lines)
    accumulator = WindowAccumulator(
        low_confidence_threshold=LOW_CONFIDENCE_THRESHOLD, known_labels=LABELS, ground_truth=index
    )
    for key in written.capture_keys:
        with (root / key).open("rb") as lines:
            accumulator.add_capture_lines(lines)
    return accumulator.summarize(WINDOW, None, min_predictions_for_drift=1)


def _write(root: Path, records: int, seed: int) -> WrittenHour:
    return write_hour(
        root,
        start=WINDOW.start,
        requests=records,
        capture_prefix="data-capture",
        ground_truth_prefix="ground-truth/sagemaker-endpoint",
        endpoint_name="sagemaker-endpoint",
        seed=seed,
        files=CAPTURE_FILES,
    )


def _peak_traced_bytes(root: Path, written: WrittenHour, with_labels: bool) -> int:
    tracemalloc.start()
    try:
        monitor_window(root, written, with_labels)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def bench_monitor(records: int = 100_000, runs: int = 3, seed: int = 0) -> dict:
    """Time and peak memory of the monitor's core for one window of ``records`` requests."""
    if records < 10 or runs < 1:
        raise ValueError(f"need at least 10 records and 1 run, got {records} and {runs}")
    with tempfile.TemporaryDirectory(prefix="bench-monitor-") as tmp:
        full, tenth = Path(tmp, "full"), Path(tmp, "tenth")
        started = time.perf_counter()
        written = _write(full, records, seed)
        generation_seconds = time.perf_counter() - started
        written_tenth = _write(tenth, records // 10, seed)
        capture_bytes = sum((full / key).stat().st_size for key in written.capture_keys)
        seconds = []
        for _ in range(runs):
            started = time.perf_counter()
            summary = monitor_window(full, written)
            seconds.append(time.perf_counter() - started)
        peak = _peak_traced_bytes(full, written, with_labels=True)
        peak_without_labels = _peak_traced_bytes(full, written, with_labels=False)
        peak_tenth_without_labels = _peak_traced_bytes(tenth, written_tenth, with_labels=False)
    median = statistics.median(seconds)
    return {
        "records": records,
        "predictions": summary.predictions,
        "malformed_lines": summary.malformed_total,
        "labelled_predictions": summary.labelled_predictions,
        "capture_files": len(written.capture_keys),
        "capture_bytes": capture_bytes,
        "seconds": round(median, 3),
        "seconds_runs": [round(s, 3) for s in seconds],
        "records_per_second": round(records / median),
        "peak_traced_bytes": peak,
        "peak_traced_bytes_without_labels": peak_without_labels,
        "peak_traced_bytes_without_labels_tenth_of_the_records": peak_tenth_without_labels,
        "generation_seconds": round(generation_seconds, 1),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print(json.dumps(bench_monitor(args.records, args.runs, args.seed), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
