"""A window summary as CloudWatch metric data, as a JSON summary without captured text, and as a
retraining decision (lambda/monitoring/report.py)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pytest

from demo.capture_traffic import capture_line
from monitoring import report
from monitoring.capture import Window
from monitoring.window import Baseline, Histogram, WindowAccumulator

WINDOW = Window(datetime(2026, 11, 27, 13, tzinfo=UTC))
SECRET = "Call me on 555-0100, my card is 4111 1111 1111 1111"
THRESHOLDS = report.RetrainingThresholds(
    max_label_psi=0.25,
    max_confidence_psi=0.25,
    max_input_length_psi=0.25,
    min_accuracy=0.8,
    min_labelled_predictions=2,
)


def _summary(labels_and_scores, baseline=None):
    accumulator = WindowAccumulator(low_confidence_threshold=0.6, known_labels=["NEGATIVE"])
    accumulator.add_capture_lines(
        capture_line(
            inputs=SECRET,
            answers=[(label, score)],
            event_id=f"e-{index}",
            inference_time=WINDOW.start,
        )
        for index, (label, score) in enumerate(labels_and_scores)
    )
    accumulator.add_capture_lines([b"{oops"])
    return accumulator.summarize(WINDOW, baseline, min_predictions_for_drift=1)


BASELINE = Baseline(
    {"POSITIVE": 0.5, "NEGATIVE": 0.5},
    confidence=Histogram((0.0, 0.6, 1.0), (0.2, 0.8)),
    input_length=Histogram((0, 32, math.inf), (0.5, 0.5)),
)


def _by_name(data):
    return {(d["MetricName"], len(d["Dimensions"])): d for d in data}


def test_metric_data_carry_the_endpoint_dimension_the_window_start_and_units():
    data = report.metric_data(_summary([("POSITIVE", 0.9), ("POSITIVE", 0.5)], BASELINE), "ep")
    by_name = _by_name(data)

    for datum in data:
        assert datum["Dimensions"][0] == {"Name": "EndpointName", "Value": "ep"}
        assert datum["Timestamp"] == WINDOW.start
    assert by_name[("CapturedRequests", 1)]["Value"] == 2
    assert by_name[("CapturedRequests", 1)]["Unit"] == "Count"
    assert by_name[("MalformedCaptureLines", 1)]["Value"] == 1
    assert by_name[("LowConfidenceShare", 1)]["Value"] == 0.5
    assert by_name[("LowConfidenceShare", 1)]["Unit"] == "None"
    assert by_name[("InputLengthMean", 1)]["Value"] == len(SECRET)
    assert by_name[("InputLengthP95", 1)]["Value"] == len(SECRET)
    for name in ("LabelDriftPSI", "ConfidenceDriftPSI", "InputLengthDriftPSI"):
        assert by_name[(name, 1)]["Value"] > 0


def test_per_label_shares_are_published_with_a_label_dimension():
    data = report.metric_data(_summary([("POSITIVE", 0.9)] * 3 + [("NEGATIVE", 0.9)]), "ep")

    shares = {
        d["Dimensions"][1]["Value"]: d["Value"]
        for d in data
        if d["MetricName"] == report.PREDICTED_LABEL_SHARE
    }
    assert shares == {"POSITIVE": 0.75, "NEGATIVE": 0.25}
    assert {d["Dimensions"][1]["Name"] for d in data if len(d["Dimensions"]) == 2} == {"Label"}


def test_figures_a_window_does_not_have_are_not_published():
    names = {d["MetricName"] for d in report.metric_data(_summary([]), "ep")}

    assert names == {
        "CapturedRequests",
        "Predictions",
        "MalformedCaptureLines",
        "LabelledPredictions",
    }


def test_metric_data_need_an_endpoint_name():
    with pytest.raises(ValueError, match="endpoint_name"):
        report.metric_data(_summary([]), "")


def test_the_summary_document_is_json_without_captured_text():
    document = report.summary_document(_summary([("POSITIVE", 0.9)], BASELINE), "ep")
    text = json.dumps(document, allow_nan=False)

    assert SECRET not in text
    assert "555-0100" not in text
    assert document["window"] == {"start": "2026-11-27T13:00:00Z", "end": "2026-11-27T14:00:00Z"}
    assert document["malformed_lines"] == {"total": 1, "by_reason": {"invalid_json_line": 1}}
    assert document["label_shares"] == {"NEGATIVE": 0.0, "POSITIVE": 1.0}
    assert document["input_length"]["max"] == len(SECRET)
    assert document["input_length_histogram"]["bin_edges"] == [0, 32, None]
    assert document["drift"]["skipped"] is None


def test_the_summary_document_of_an_empty_window_says_what_is_missing():
    document = report.summary_document(_summary([]), "ep")

    assert document["input_length"] is None
    assert document["confidence_histogram"] is None
    assert document["drift"] == {
        "skipped": "no_baseline",
        "label_psi": None,
        "confidence_psi": None,
        "input_length_psi": None,
    }


def test_summary_keys_name_the_endpoint_and_the_hour():
    assert (
        report.summary_object_key("/monitoring/summaries/", "ep", WINDOW)
        == "monitoring/summaries/ep/2026/11/27/13.json"
    )
    assert report.summary_object_key("", "ep", WINDOW) == "ep/2026/11/27/13.json"
    with pytest.raises(ValueError, match="endpoint_name"):
        report.summary_object_key("s", "a/b", WINDOW)


def test_no_retraining_is_recommended_within_the_thresholds():
    summary = _summary(
        [("POSITIVE", 0.9), ("NEGATIVE", 0.9)], Baseline({"POSITIVE": 0.5, "NEGATIVE": 0.5})
    )

    assert report.retraining_recommendation(summary, "ep", THRESHOLDS) is None


def test_drift_beyond_a_threshold_recommends_retraining_with_the_figures():
    summary = _summary([("NEGATIVE", 0.9)] * 9 + [("POSITIVE", 0.9)], BASELINE)

    detail = report.retraining_recommendation(summary, "ep", THRESHOLDS)

    assert detail["endpoint_name"] == "ep"
    assert detail["window"] == WINDOW.as_dict()
    assert [r["metric"] for r in detail["reasons"]] == [
        "LabelDriftPSI",
        "ConfidenceDriftPSI",
        "InputLengthDriftPSI",
    ]
    assert detail["reasons"][0] == {
        "metric": "LabelDriftPSI",
        "value": summary.label_psi,
        "threshold": 0.25,
        "comparison": "GreaterThanThreshold",
    }
    assert detail["figures"]["CapturedRequests"] == 10
    assert detail["label_shares"] == {"NEGATIVE": 0.9, "POSITIVE": 0.1}
    json.dumps(detail, allow_nan=False)


def _with_accuracy(accuracy, labelled):
    summary = _summary([("POSITIVE", 0.9)])
    return type(summary)(
        **{**summary.__dict__, "accuracy": accuracy, "labelled_predictions": labelled}
    )


def test_accuracy_below_the_minimum_recommends_retraining_only_with_enough_labels():
    low = report.retraining_recommendation(_with_accuracy(0.5, 2), "ep", THRESHOLDS)

    assert low["reasons"] == [
        {"metric": "Accuracy", "value": 0.5, "threshold": 0.8, "comparison": "LessThanThreshold"}
    ]
    assert report.retraining_recommendation(_with_accuracy(0.5, 1), "ep", THRESHOLDS) is None
    assert report.retraining_recommendation(_with_accuracy(0.8, 50), "ep", THRESHOLDS) is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_label_psi", 0, "max_label_psi"),
        ("max_confidence_psi", math.inf, "max_confidence_psi"),
        ("max_input_length_psi", -1, "max_input_length_psi"),
        ("min_accuracy", 1.5, "min_accuracy"),
        ("min_labelled_predictions", 0, "min_labelled_predictions"),
    ],
)
def test_thresholds_refuse_impossible_limits(field, value, message):
    with pytest.raises(ValueError, match=message):
        report.RetrainingThresholds(**{**THRESHOLDS.__dict__, field: value})
