"""Capture and ground-truth lines in SageMaker's formats: what is read, and how each malformed
line is named (lambda/monitoring/capture.py)."""

from __future__ import annotations

import base64
import json
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone

import pytest

from demo.capture_traffic import capture_line, ground_truth_line
from monitoring.capture import (
    CaptureRecord,
    GroundTruthIndex,
    MalformedLineError,
    MalformedReason,
    Prediction,
    Window,
    capture_hour_prefix,
    ground_truth_hour_prefix,
    is_capture_file,
    parse_capture_line,
    parse_ground_truth_line,
    read_capture_lines,
)

HOUR = datetime(2026, 11, 27, 13, tzinfo=UTC)

# The CSV example of "View Captured Data" (model-monitor-data-capture-endpoint.html), verbatim
# but for the shortened feature list.
AWS_DOCUMENTED_CSV_LINE = (
    '{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT",'
    '"data":"69,0,153.7,109,194.0,105,256.1,114,14.1,6,1,0\\n","encoding":"CSV"},'
    '"endpointOutput":{"observedContentType":"text/csv; charset=utf-8","mode":"OUTPUT",'
    '"data":"0.0254181120544672","encoding":"CSV"}},'
    '"eventMetadata":{"eventId":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",'
    '"inferenceTime":"2022-02-14T17:25:49Z"},"eventVersion":"0"}'
)
# The same layout with the sentiment model's JSON payloads, written by hand (not by the
# generator), so the parser is checked against the documented shape itself.
HAND_WRITTEN_JSON_LINE = (
    '{"captureData":{"endpointInput":{"observedContentType":"application/json","mode":"INPUT",'
    '"data":"{\\"inputs\\": \\"I loved it\\"}","encoding":"JSON"},'
    '"endpointOutput":{"observedContentType":"application/json","mode":"OUTPUT",'
    '"data":"[{\\"label\\": \\"POSITIVE\\", \\"score\\": 0.97}]","encoding":"JSON"}},'
    '"eventMetadata":{"eventId":"e-1","inferenceTime":"2026-11-27T13:05:00Z",'
    '"inferenceId":"order-42"},"eventVersion":"0"}'
)


def _line(**overrides) -> bytes:
    arguments = {
        "inputs": "I loved it",
        "answers": [("POSITIVE", 0.97)],
        "event_id": "e-1",
        "inference_time": HOUR,
    }
    return capture_line(**{**arguments, **overrides})


def _document(line: bytes) -> dict:
    return json.loads(line)


def _reason(line: bytes | str) -> MalformedReason:
    with pytest.raises(MalformedLineError) as raised:
        parse_capture_line(line)
    return raised.value.reason


def test_a_documented_json_capture_line_is_read():
    record = parse_capture_line(HAND_WRITTEN_JSON_LINE)

    assert record == CaptureRecord(
        event_id="e-1",
        inference_id="order-42",
        inference_time="2026-11-27T13:05:00Z",
        predictions=(Prediction("POSITIVE", 0.97, len("I loved it")),),
    )
    assert record.join_key == "order-42"


def test_the_documented_csv_example_is_a_non_json_payload():
    assert _reason(AWS_DOCUMENTED_CSV_LINE) is MalformedReason.NON_JSON_PAYLOAD


def test_without_an_inference_id_the_join_key_is_the_event_id():
    record = parse_capture_line(_line(event_id="generated-id"))

    assert record.inference_id is None
    assert record.join_key == "generated-id"


@pytest.mark.parametrize("content_type", ["application/json", "Application/JSON; charset=utf-8"])
def test_base64_json_payloads_decode_like_json_text(content_type):
    as_text = parse_capture_line(_line())
    as_base64 = parse_capture_line(
        _line(
            input_encoding="BASE64", input_content_type="application/json", output_encoding="BASE64"
        ).replace(b'"application/json","mode":"INPUT"', f'"{content_type}","mode":"INPUT"'.encode())
    )

    assert as_base64 == as_text


def test_base64_of_another_content_type_is_a_non_json_payload():
    line = _line(input_encoding="BASE64", input_content_type="text/plain")

    assert _reason(line) is MalformedReason.NON_JSON_PAYLOAD


def test_invalid_base64_is_undecodable():
    document = _document(_line(input_encoding="BASE64"))
    document["captureData"]["endpointInput"]["data"] = "not base64!"

    assert _reason(json.dumps(document)) is MalformedReason.UNDECODABLE_BASE64


def test_base64_of_invalid_json_is_an_invalid_payload():
    document = _document(_line())
    document["captureData"]["endpointOutput"] = {
        "observedContentType": "application/json",
        "mode": "OUTPUT",
        "data": base64.b64encode(b"[{not json").decode(),
        "encoding": "BASE64",
    }

    assert _reason(json.dumps(document)) is MalformedReason.INVALID_PAYLOAD_JSON


def test_a_batch_request_gives_one_prediction_per_input():
    record = parse_capture_line(
        _line(inputs=["good", "a bad day"], answers=[("POSITIVE", 0.9), ("NEGATIVE", 0.8)])
    )

    assert record.predictions == (
        Prediction("POSITIVE", 0.9, 4),
        Prediction("NEGATIVE", 0.8, 9),
    )


def _with_output(output: object, inputs: object = "text") -> str:
    document = _document(_line())
    document["captureData"]["endpointInput"]["data"] = json.dumps({"inputs": inputs})
    document["captureData"]["endpointOutput"]["data"] = json.dumps(output)
    return json.dumps(document)


@pytest.mark.parametrize(
    ("output", "inputs", "expected"),
    [
        ({"label": "POSITIVE", "score": 0.7}, "text", [("POSITIVE", 0.7)]),
        (
            [{"label": "NEGATIVE", "score": 0.2}, {"label": "POSITIVE", "score": 0.8}],
            "text",
            [("POSITIVE", 0.8)],
        ),
        (
            [[{"label": "NEGATIVE", "score": 0.6}, {"label": "POSITIVE", "score": 0.4}]],
            ["text"],
            [("NEGATIVE", 0.6)],
        ),
        (
            [
                [{"label": "NEGATIVE", "score": 0.1}, {"label": "POSITIVE", "score": 0.9}],
                [{"label": "NEGATIVE", "score": 0.7}, {"label": "POSITIVE", "score": 0.3}],
            ],
            ["a", "b"],
            [("POSITIVE", 0.9), ("NEGATIVE", 0.7)],
        ),
        ([{"label": "POSITIVE", "score": 1}], "text", [("POSITIVE", 1.0)]),
    ],
    ids=["bare-object", "all-scores-of-one-input", "nested-one", "nested-batch", "integer-score"],
)
def test_hugging_face_output_shapes_give_the_top_label(output, inputs, expected):
    record = parse_capture_line(_with_output(output, inputs))

    assert [(p.label, p.score) for p in record.predictions] == expected


def _mutated(path: tuple[str, ...], value: object = None, delete: bool = False) -> str:
    document = _document(_line())
    target = document
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return json.dumps(document)


INPUT = ("captureData", "endpointInput")
OUTPUT = ("captureData", "endpointOutput")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"{not json", MalformedReason.INVALID_JSON_LINE),
        (b"\xff\xfe\x00garbage", MalformedReason.INVALID_JSON_LINE),
        (b"[" * 100_000 + b"]" * 100_000, MalformedReason.INVALID_JSON_LINE),
        (b'"a string"', MalformedReason.NOT_AN_OBJECT),
        (b"[]", MalformedReason.NOT_AN_OBJECT),
        (_mutated(("eventVersion",), "1"), MalformedReason.UNSUPPORTED_EVENT_VERSION),
        (_mutated(("eventVersion",), delete=True), MalformedReason.MISSING_FIELD),
        (_mutated(("captureData",), delete=True), MalformedReason.MISSING_FIELD),
        (_mutated((*OUTPUT,), delete=True), MalformedReason.MISSING_FIELD),
        (_mutated((*INPUT, "data"), delete=True), MalformedReason.MISSING_FIELD),
        (_mutated(("eventMetadata", "eventId"), delete=True), MalformedReason.MISSING_FIELD),
        (_mutated(("captureData",), []), MalformedReason.WRONG_TYPE),
        (_mutated((*INPUT, "data"), 42), MalformedReason.WRONG_TYPE),
        (_mutated(("eventMetadata", "inferenceId"), 7), MalformedReason.WRONG_TYPE),
        (_mutated((*INPUT, "encoding"), "GZIP"), MalformedReason.UNSUPPORTED_ENCODING),
        (_mutated((*INPUT, "data"), "{not json"), MalformedReason.INVALID_PAYLOAD_JSON),
        (_mutated((*INPUT, "data"), '{"text": "x"}'), MalformedReason.UNEXPECTED_INPUT_SHAPE),
        (_mutated((*INPUT, "data"), '{"inputs": []}'), MalformedReason.UNEXPECTED_INPUT_SHAPE),
        (
            _mutated((*INPUT, "data"), '{"inputs": ["a", 1]}'),
            MalformedReason.UNEXPECTED_INPUT_SHAPE,
        ),
        (_mutated((*OUTPUT, "data"), "[]"), MalformedReason.UNEXPECTED_OUTPUT_SHAPE),
        (_mutated((*OUTPUT, "data"), '"POSITIVE"'), MalformedReason.UNEXPECTED_OUTPUT_SHAPE),
        (
            _mutated((*OUTPUT, "data"), '[{"label": "POSITIVE", "score": 1.5}]'),
            MalformedReason.UNEXPECTED_OUTPUT_SHAPE,
        ),
        (
            _mutated((*OUTPUT, "data"), '[{"label": "POSITIVE", "score": NaN}]'),
            MalformedReason.UNEXPECTED_OUTPUT_SHAPE,
        ),
        (
            _mutated((*OUTPUT, "data"), '[{"label": "POSITIVE", "score": true}]'),
            MalformedReason.UNEXPECTED_OUTPUT_SHAPE,
        ),
        (
            _mutated((*OUTPUT, "data"), '[{"label": "", "score": 0.5}]'),
            MalformedReason.UNEXPECTED_OUTPUT_SHAPE,
        ),
        (
            _with_output([{"label": "A", "score": 0.5}, 3], ["a", "b"]),
            MalformedReason.UNEXPECTED_OUTPUT_SHAPE,
        ),
        (
            _mutated((*INPUT, "data"), '{"inputs": ["a", "b", "c"]}'),
            MalformedReason.INPUT_OUTPUT_COUNT_MISMATCH,
        ),
    ],
)
def test_each_malformed_line_is_named(line, reason):
    assert _reason(line) is reason


def test_read_capture_lines_counts_malformed_lines_by_reason_and_skips_blank_ones():
    malformed: Counter[str] = Counter()
    lines = [_line(), b"", b"  \n", b"{oops", _line(event_id="e-2"), b"[]", b"{oops"]

    records = list(read_capture_lines(lines, malformed))

    assert [r.event_id for r in records] == ["e-1", "e-2"]
    assert malformed == {"invalid_json_line": 2, "not_an_object": 1}


def test_the_documented_ground_truth_record_is_read():
    # The record of model-monitor-model-quality-merge.html, verbatim.
    line = (
        '{"groundTruthData": {"data": "1", "encoding": "CSV"}, '
        '"eventMetadata": {"eventId": "aaaa-bbbb-cccc"}, "eventVersion": "0"}'
    )

    record = parse_ground_truth_line(line)

    assert (record.event_id, record.labels) == ("aaaa-bbbb-cccc", ("1",))


def test_a_batch_ground_truth_holds_one_csv_label_per_input():
    assert parse_ground_truth_line(ground_truth_line("id", ["POSITIVE", "NEGATIVE"])).labels == (
        "POSITIVE",
        "NEGATIVE",
    )


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (
            '{"groundTruthData": {"data": "1", "encoding": "JSON"}, '
            '"eventMetadata": {"eventId": "x"}, "eventVersion": "0"}',
            MalformedReason.UNSUPPORTED_ENCODING,
        ),
        (
            '{"groundTruthData": {"data": "A,,B", "encoding": "CSV"}, '
            '"eventMetadata": {"eventId": "x"}, "eventVersion": "0"}',
            MalformedReason.UNEXPECTED_OUTPUT_SHAPE,
        ),
        (
            '{"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventVersion": "0"}',
            MalformedReason.MISSING_FIELD,
        ),
        ("not json", MalformedReason.INVALID_JSON_LINE),
    ],
)
def test_malformed_ground_truth_is_named(line, reason):
    with pytest.raises(MalformedLineError) as raised:
        parse_ground_truth_line(line)

    assert raised.value.reason is reason


def test_ground_truth_index_bounds_memory_counts_duplicates_and_consumes_labels():
    index = GroundTruthIndex(max_labels=2)

    index.add_lines(
        [
            ground_truth_line("a", ["POSITIVE"]),
            ground_truth_line("a", ["NEGATIVE"]),
            ground_truth_line("b", ["NEGATIVE"]),
            ground_truth_line("c", ["NEGATIVE"]),
            b"{oops",
            b"",
        ]
    )

    assert len(index) == 2
    assert (index.duplicate_ids, index.dropped_over_capacity) == (1, 1)
    assert index.malformed == {"invalid_json_line": 1}
    assert index.take("a") == ("POSITIVE",)
    assert index.take("a") is None
    assert index.take("c") is None


def test_ground_truth_index_needs_room_for_a_label():
    with pytest.raises(ValueError, match="max_labels"):
        GroundTruthIndex(max_labels=0)


def test_capture_prefix_of_an_hour_follows_sagemakers_layout():
    window = Window(HOUR)

    assert (
        capture_hour_prefix("/data-capture/", "sagemaker-endpoint", "AllTraffic", window)
        == "data-capture/sagemaker-endpoint/AllTraffic/2026/11/27/13/"
    )
    assert capture_hour_prefix("", "ep", "v", window) == "ep/v/2026/11/27/13/"
    assert ground_truth_hour_prefix("ground-truth/ep", window) == "ground-truth/ep/2026/11/27/13/"


@pytest.mark.parametrize(("endpoint", "variant"), [("", "v"), ("a/b", "v"), ("ep", "")])
def test_capture_prefix_refuses_names_that_are_not_one_path_segment(endpoint, variant):
    with pytest.raises(ValueError, match="must be a non-empty name"):
        capture_hour_prefix("data-capture", endpoint, variant, Window(HOUR))


def test_capture_files_are_the_jsonl_objects():
    assert is_capture_file("data-capture/ep/v/2026/11/27/13/05-10-abc.jsonl")
    assert not is_capture_file("data-capture/ep/v/2026/11/27/13/")


@pytest.mark.parametrize(
    ("now", "expected_start"),
    [
        (datetime(2026, 11, 27, 14, 5, tzinfo=UTC), datetime(2026, 11, 27, 13, tzinfo=UTC)),
        (datetime(2026, 11, 27, 14, 0, tzinfo=UTC), datetime(2026, 11, 27, 13, tzinfo=UTC)),
        (datetime(2026, 11, 28, 0, 30, tzinfo=UTC), datetime(2026, 11, 27, 23, tzinfo=UTC)),
        (
            datetime(2026, 11, 27, 15, 5, tzinfo=timezone(timedelta(hours=1))),
            datetime(2026, 11, 27, 13, tzinfo=UTC),
        ),
    ],
)
def test_the_last_complete_window_is_the_previous_utc_hour(now, expected_start):
    window = Window.last_complete_before(now)

    assert window.start == expected_start
    assert window.end - window.start == timedelta(hours=1)


def test_a_window_renders_its_bounds_in_utc():
    assert Window(HOUR).as_dict() == {
        "start": "2026-11-27T13:00:00Z",
        "end": "2026-11-27T14:00:00Z",
    }


@pytest.mark.parametrize(
    ("start", "message"),
    [
        (datetime(2026, 11, 27, 13), "UTC datetime"),
        (datetime(2026, 11, 27, 13, tzinfo=timezone(timedelta(hours=2))), "UTC datetime"),
        (datetime(2026, 11, 27, 13, 30, tzinfo=UTC), "on the hour"),
    ],
)
def test_a_window_starts_on_a_utc_hour(start, message):
    with pytest.raises(ValueError, match=message):
        Window(start)


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        Window.last_complete_before(datetime(2026, 11, 27, 13))
