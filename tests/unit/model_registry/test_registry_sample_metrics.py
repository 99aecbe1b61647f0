"""samples/sentiment-model.metrics.json: a valid metrics file consistent with the sample model
it sits next to (its labels, its two-class scores, its archive's bytes)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from registry.gate import GatePolicy
from registry.metrics_file import metrics_key_for, parse_metrics_file
from tests.unit.model_registry.metrics_examples import schema_accepts

SAMPLES = Path(__file__).resolve().parents[3] / "samples"
SAMPLE_METRICS = SAMPLES / "sentiment-model.metrics.json"
SAMPLE_ARCHIVE = SAMPLES / "sentiment-model.tar.gz"


def sample():
    return parse_metrics_file(SAMPLE_METRICS.read_bytes())


def test_the_sample_sits_where_the_function_looks_for_it():
    assert metrics_key_for(SAMPLE_ARCHIVE.name) == SAMPLE_METRICS.name


def test_the_sample_is_valid_for_the_parser_and_the_schema():
    assert schema_accepts(SAMPLE_METRICS.read_bytes())
    assert GatePolicy().primary_metric in sample().metrics


def test_the_sample_declares_the_committed_archives_sha256():
    assert sample().artifact_sha256 == hashlib.sha256(SAMPLE_ARCHIVE.read_bytes()).hexdigest()


def test_the_baseline_labels_are_the_sample_models_labels():
    config = json.loads((SAMPLES / "sentiment-model" / "config.json").read_text())
    assert set(sample().baseline.predicted_label_shares) == set(config["id2label"].values())


def test_a_two_class_model_has_no_top_score_below_one_half():
    histogram = sample().baseline.confidence_histogram
    below_half = [
        share
        for low, share in zip(histogram.bin_edges, histogram.shares, strict=False)
        if low < 0.5
    ]
    assert below_half
    assert all(share == 0 for share in below_half)
