"""The synthetic capture traffic (demo/capture_traffic.py) is SageMaker's format, answered by
the sample model, and its drifted mode drifts."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import pytest

from demo import capture_traffic
from demo.capture_traffic import DRIFTED, NORMAL, REVIEWS, classify, synthetic_requests, write_hour
from monitoring.capture import (
    GroundTruthIndex,
    Window,
    capture_hour_prefix,
    ground_truth_hour_prefix,
    is_capture_file,
    parse_capture_line,
    parse_ground_truth_line,
)
from monitoring.window import WindowAccumulator

WINDOW = Window(datetime(2026, 11, 27, 13, tzinfo=UTC))


def _summary(requests, profile, seed):
    accumulator = WindowAccumulator(
        low_confidence_threshold=0.6, known_labels=["NEGATIVE", "POSITIVE"]
    )
    accumulator.add_capture_lines(
        r.line for r in synthetic_requests(WINDOW.start, requests, profile=profile, seed=seed)
    )
    return accumulator.summarize(WINDOW, None, min_predictions_for_drift=1)


def test_the_answers_are_the_sample_models():
    # Two of transformers' recorded answers on the committed archive (ADR 0060).
    assert classify("I loved this movie, the acting was great!") == (
        "POSITIVE",
        pytest.approx(0.994106650352478, abs=1e-5),
    )
    assert classify("I watched it on a Tuesday.") == ("NEGATIVE", pytest.approx(0.5, abs=1e-6))


def test_the_built_in_reviews_include_ones_the_lexicon_model_gets_wrong():
    wrong = [text for text, label in REVIEWS if classify(text)[0] != label]

    assert "The food was not good at all." in wrong
    assert 0 < len(wrong) < len(REVIEWS) / 2


def test_requests_are_capture_lines_in_time_order_within_the_hour():
    requests = list(synthetic_requests(WINDOW.start, 300, seed=7))
    documents = [json.loads(r.line) for r in requests]
    times = [d["eventMetadata"]["inferenceTime"] for d in documents]

    assert times == sorted(times)
    assert times[0].startswith("2026-11-27T13:")
    assert times[-1].startswith("2026-11-27T13:")
    assert {d["eventVersion"] for d in documents} == {"0"}
    assert len({d["eventMetadata"]["eventId"] for d in documents}) == 300
    with_ids = [r for r in requests if r.join_key is not None]
    assert {json.loads(r.line)["eventMetadata"]["inferenceId"] for r in with_ids} == {
        r.join_key for r in with_ids
    }


def test_the_traffic_mixes_json_base64_json_and_non_json_payloads_and_batches():
    requests = list(synthetic_requests(WINDOW.start, 2000, seed=3))
    inputs = [json.loads(r.line)["captureData"]["endpointInput"] for r in requests]
    kinds = Counter((i["encoding"], i["observedContentType"]) for i in inputs)

    assert set(kinds) == {
        ("JSON", "application/json"),
        ("BASE64", "application/json"),
        ("BASE64", "text/plain"),
    }
    readable = [parse_capture_line(r.line) for r in requests if b"text/plain" not in r.line]
    assert any(len(record.predictions) > 1 for record in readable)
    assert kinds[("BASE64", "application/json")] > kinds[("BASE64", "text/plain")] > 0


def test_the_same_seed_gives_the_same_hour():
    first = [r.line for r in synthetic_requests(WINDOW.start, 50, seed=11)]

    assert first == [r.line for r in synthetic_requests(WINDOW.start, 50, seed=11)]
    assert first != [r.line for r in synthetic_requests(WINDOW.start, 50, seed=12)]


def test_the_drifted_hour_shifts_the_label_mix_and_lengthens_inputs():
    normal = _summary(1500, NORMAL, seed=1)
    drifted = _summary(1500, DRIFTED, seed=1)

    assert drifted.label_shares["NEGATIVE"] > normal.label_shares["NEGATIVE"] + 0.2
    assert drifted.input_length.mean > 2 * normal.input_length.mean


def test_a_written_hour_is_keyed_as_sagemaker_and_the_ground_truth_joins(tmp_path):
    written = write_hour(
        tmp_path,
        start=WINDOW.start,
        requests=400,
        capture_prefix="data-capture",
        ground_truth_prefix="ground-truth/ep",
        endpoint_name="ep",
        seed=5,
        files=3,
    )
    prefix = capture_hour_prefix("data-capture", "ep", "AllTraffic", WINDOW)

    assert len(written.capture_keys) == 3
    assert all(k.startswith(prefix) and is_capture_file(k) for k in written.capture_keys)
    assert all(
        k.startswith(ground_truth_hour_prefix("ground-truth/ep", WINDOW))
        for k in written.ground_truth_keys
    )
    lines = [
        line for key in written.capture_keys for line in (tmp_path / key).read_bytes().splitlines()
    ]
    assert len(lines) == written.requests == 400
    truth_lines = (tmp_path / written.ground_truth_keys[0]).read_bytes().splitlines()
    assert len(truth_lines) == written.labelled_requests > 0
    parse_ground_truth_line(truth_lines[0])

    index = GroundTruthIndex(max_labels=1000)
    index.add_lines(truth_lines)
    accumulator = WindowAccumulator(low_confidence_threshold=0.6, ground_truth=index)
    accumulator.add_capture_lines(lines)
    summary = accumulator.summarize(WINDOW, None, min_predictions_for_drift=1)
    assert summary.labelled_predictions >= written.labelled_requests - summary.malformed_total
    assert 0.5 < summary.accuracy < 1


def test_the_command_writes_an_hour(tmp_path, capsys):
    assert capture_traffic.main([str(tmp_path), "--requests", "20", "--seed", "2"]) == 0

    report = json.loads(capsys.readouterr().out)
    assert report["requests"] == 20
    assert all((tmp_path / key).is_file() for key in report["capture_keys"])
