"""SageMaker's capture and ground-truth formats, read one line at a time.

**Data capture.** A real-time endpoint with ``DataCaptureConfig`` writes JSON Lines files under
``<DestinationS3Uri>/{endpoint-name}/{variant-name}/yyyy/mm/dd/hh/filename.jsonl``, "organized
based on the hour when the invocation occurred", one object per captured request ("View Captured
Data" in https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-endpoint.html)::

    {"captureData": {"endpointInput":  {"observedContentType": "application/json", "mode": "INPUT",
                                        "data": "...", "encoding": "JSON" | "CSV" | "BASE64"},
                     "endpointOutput": {"observedContentType": "...", "mode": "OUTPUT", ...}},
     "eventMetadata": {"eventId": "...", "inferenceTime": "2022-02-14T17:25:49Z",
                       "inferenceId": "..."},
     "eventVersion": "0"}

- ``inferenceId`` is there only when the caller sent ``InvokeEndpoint``'s ``InferenceId`` ("If
  you provide a value, it is added to the captured data when you enable data capture on the
  endpoint", 1-64 characters:
  https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html).
- Payloads of the content types listed in ``CaptureContentTypeHeader`` are stored as text
  (``JSON``/``CSV``); any other is base64-encoded ("If no headers are specified SageMaker will by
  default base64 encode": https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DataCaptureConfig.html).
  A ``BASE64`` payload whose observed content type is ``application/json`` is decoded and read;
  one of another content type, and any ``CSV`` payload, is counted as non-JSON: the endpoint's
  contract is JSON.

**The sentiment model's payloads** (Hugging Face text-classification on the inference DLC):
input ``{"inputs": "text"}`` or ``{"inputs": ["text", ...]}``; output
``[{"label": "POSITIVE", "score": 0.97}, ...]``, one label/score object per input. Also read: a
bare object for a single input, and a list of label/score objects per input (all scores
requested); the highest score is then the prediction.

**Ground truth** follows Model Monitor's merge format
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-merge.html)::

    {"groundTruthData": {"data": "POSITIVE", "encoding": "CSV"},
     "eventMetadata": {"eventId": "<the capture's inferenceId, or its eventId>"},
     "eventVersion": "0"}

in JSON Lines files under ``<prefix>/yyyy/mm/dd/hh`` ("the date when the Ground Truth label is
collected"). As in Model Monitor, a label joins the capture whose ``inferenceId`` equals its
``eventId`` or, for a capture without ``inferenceId``, whose ``eventId`` does. ``data`` holds
one label per input of the request, comma-separated (CSV) for a batch request.

Every parser here takes lines one at a time, so no file is held in memory, and reports a bad
line with a :class:`MalformedReason` instead of failing.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

EVENT_VERSION = "0"
JSON_CONTENT_TYPE = "application/json"
CAPTURE_FILE_SUFFIX = ".jsonl"
# Labels become CloudWatch dimension values (at most 1024 characters); a label longer than this
# is not a class name.
MAX_LABEL_LENGTH = 256


class MalformedReason(StrEnum):
    """Why a line was not read; the values are stable (they appear in summaries)."""

    INVALID_JSON_LINE = "invalid_json_line"
    NOT_AN_OBJECT = "not_an_object"
    UNSUPPORTED_EVENT_VERSION = "unsupported_event_version"
    MISSING_FIELD = "missing_field"
    WRONG_TYPE = "wrong_type"
    UNSUPPORTED_ENCODING = "unsupported_encoding"
    UNDECODABLE_BASE64 = "undecodable_base64"
    NON_JSON_PAYLOAD = "non_json_payload"
    INVALID_PAYLOAD_JSON = "invalid_payload_json"
    UNEXPECTED_INPUT_SHAPE = "unexpected_input_shape"
    UNEXPECTED_OUTPUT_SHAPE = "unexpected_output_shape"
    INPUT_OUTPUT_COUNT_MISMATCH = "input_output_count_mismatch"


class MalformedLineError(ValueError):
    """A capture or ground-truth line that cannot be read, with the reason and the field."""

    def __init__(self, reason: MalformedReason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Prediction:
    """One classified input: the top label, its score, and the input's length in characters
    (Unicode code points). The text itself is not kept."""

    label: str
    score: float
    input_length: int


@dataclass(frozen=True, slots=True)
class CaptureRecord:
    event_id: str
    inference_id: str | None
    inference_time: str | None
    predictions: tuple[Prediction, ...]

    @property
    def join_key(self) -> str:
        """The id a ground-truth label names: ``inferenceId`` when present, else ``eventId``."""
        return self.inference_id if self.inference_id is not None else self.event_id


@dataclass(frozen=True, slots=True)
class GroundTruthRecord:
    event_id: str
    labels: tuple[str, ...]


# ----------------------------------------------------------------------------------------------
# Object keys and windows
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Window:
    """One UTC hour, ``[start, end)``: the unit SageMaker files captures by."""

    start: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.start.utcoffset() != timedelta(0):
            raise ValueError(f"window start must be a UTC datetime, got {self.start!r}")
        if (self.start.minute, self.start.second, self.start.microsecond) != (0, 0, 0):
            raise ValueError(f"window start must be on the hour, got {self.start.isoformat()}")

    @classmethod
    def containing(cls, moment: datetime) -> Window:
        return cls(_utc(moment, "moment").replace(minute=0, second=0, microsecond=0))

    @classmethod
    def last_complete_before(cls, now: datetime) -> Window:
        """The most recent hour that ended at or before ``now``."""
        return cls(cls.containing(now).start - timedelta(hours=1))

    @property
    def end(self) -> datetime:
        return self.start + timedelta(hours=1)

    def as_dict(self) -> dict[str, str]:
        return {"start": _iso_z(self.start), "end": _iso_z(self.end)}


def capture_hour_prefix(
    destination_prefix: str, endpoint_name: str, variant_name: str, window: Window
) -> str:
    """``<prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/``: the key prefix of a window's captures.

    ``destination_prefix`` is the key part of ``DestinationS3Uri`` (``data-capture`` for
    ``s3://bucket/data-capture``); surrounding slashes are ignored, and it may be empty.
    """
    parts = [
        *_prefix_parts(destination_prefix),
        _path_segment(endpoint_name, "endpoint_name"),
        _path_segment(variant_name, "variant_name"),
    ]
    return "/".join([*parts, _hour_path(window)]) + "/"


def ground_truth_hour_prefix(ground_truth_prefix: str, window: Window) -> str:
    """``<prefix>/yyyy/mm/dd/hh/``: the labels collected during a window (merge format)."""
    return "/".join([*_prefix_parts(ground_truth_prefix), _hour_path(window)]) + "/"


def is_capture_file(key: str) -> bool:
    return key.endswith(CAPTURE_FILE_SUFFIX)


def _hour_path(window: Window) -> str:
    return window.start.strftime("%Y/%m/%d/%H")


def _prefix_parts(prefix: str) -> list[str]:
    stripped = prefix.strip("/")
    return [stripped] if stripped else []


def _path_segment(value: str, name: str) -> str:
    if not value or "/" in value:
        raise ValueError(f"{name} must be a non-empty name without '/', got {value!r}")
    return value


def _utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


def _iso_z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# ----------------------------------------------------------------------------------------------
# Capture lines
# ----------------------------------------------------------------------------------------------


def parse_capture_line(line: bytes | str) -> CaptureRecord:
    """One capture line as a record; :class:`MalformedLineError` (and nothing else) if it is not
    a readable capture of the sentiment model."""
    document = _load_line(line)
    _check_event_version(document)
    capture = _field(document, "captureData", dict)
    texts = _input_texts(_payload(_field(capture, "endpointInput", dict), "endpointInput"))
    predictions = _top_predictions(
        _payload(_field(capture, "endpointOutput", dict), "endpointOutput"), len(texts)
    )
    metadata = _field(document, "eventMetadata", dict)
    return CaptureRecord(
        event_id=_field(metadata, "eventId", str),
        inference_id=_optional_field(metadata, "inferenceId", str),
        inference_time=_optional_field(metadata, "inferenceTime", str),
        predictions=tuple(
            Prediction(label, score, len(text))
            for text, (label, score) in zip(texts, predictions, strict=True)
        ),
    )


def read_capture_lines(
    lines: Iterable[bytes | str], malformed: Counter[str]
) -> Iterator[CaptureRecord]:
    """The records of ``lines``, lazily; each unreadable line adds one to ``malformed[reason]``.

    Blank lines separate nothing in JSON Lines and are skipped without being counted.
    """
    for line in lines:
        if not line.strip():
            continue
        try:
            yield parse_capture_line(line)
        except MalformedLineError as error:
            malformed[error.reason.value] += 1


def _load_line(line: bytes | str) -> dict:
    try:
        document = json.loads(line)
    except (ValueError, RecursionError) as error:
        # ValueError covers JSONDecodeError and UnicodeDecodeError; RecursionError is what the
        # decoder raises for absurdly deep nesting.
        raise MalformedLineError(MalformedReason.INVALID_JSON_LINE, type(error).__name__) from None
    if not isinstance(document, dict):
        raise MalformedLineError(MalformedReason.NOT_AN_OBJECT, type(document).__name__)
    return document


def _check_event_version(document: dict) -> None:
    version = _field(document, "eventVersion", str)
    if version != EVENT_VERSION:
        raise MalformedLineError(
            MalformedReason.UNSUPPORTED_EVENT_VERSION, f"eventVersion {version[:20]!r}"
        )


def _field(container: dict, name: str, kind: type):
    if name not in container:
        raise MalformedLineError(MalformedReason.MISSING_FIELD, name)
    value = container[name]
    if not isinstance(value, kind):
        raise MalformedLineError(MalformedReason.WRONG_TYPE, f"{name} is {type(value).__name__}")
    return value


def _optional_field(container: dict, name: str, kind: type):
    return _field(container, name, kind) if name in container else None


def _payload(side: dict, name: str) -> object:
    """The decoded JSON payload of ``endpointInput`` or ``endpointOutput``."""
    data = _field(side, "data", str)
    encoding = _field(side, "encoding", str)
    if encoding == "JSON":
        text: str | bytes = data
    elif encoding == "BASE64":
        content_type = _field(side, "observedContentType", str)
        if _media_type(content_type) != JSON_CONTENT_TYPE:
            raise MalformedLineError(MalformedReason.NON_JSON_PAYLOAD, f"{name} BASE64")
        try:
            text = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedLineError(MalformedReason.UNDECODABLE_BASE64, name) from None
    elif encoding == "CSV":
        raise MalformedLineError(MalformedReason.NON_JSON_PAYLOAD, f"{name} CSV")
    else:
        raise MalformedLineError(
            MalformedReason.UNSUPPORTED_ENCODING, f"{name} encoding {encoding[:20]!r}"
        )
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise MalformedLineError(MalformedReason.INVALID_PAYLOAD_JSON, name) from None


def _media_type(content_type: str) -> str:
    """``application/json; charset=utf-8`` -> ``application/json`` (RFC 9110 media type)."""
    return content_type.split(";", 1)[0].strip().lower()


def _input_texts(payload: object) -> list[str]:
    inputs = payload.get("inputs") if isinstance(payload, dict) else None
    if isinstance(inputs, str):
        return [inputs]
    if isinstance(inputs, list) and inputs and all(isinstance(text, str) for text in inputs):
        return inputs
    raise MalformedLineError(
        MalformedReason.UNEXPECTED_INPUT_SHAPE, "inputs is not a text or a non-empty text list"
    )


def _top_predictions(payload: object, expected: int) -> list[tuple[str, float]]:
    """The (label, score) answer for each of ``expected`` inputs."""
    if isinstance(payload, dict):
        answers: list[object] = [payload]
    elif isinstance(payload, list) and payload:
        answers = payload
    else:
        raise MalformedLineError(
            MalformedReason.UNEXPECTED_OUTPUT_SHAPE, "output is not an object or non-empty list"
        )
    if expected == 1 and len(answers) > 1 and all(isinstance(a, dict) for a in answers):
        # A single input answered with every class's score (top_k / return_all_scores).
        answers = [answers]
    if len(answers) != expected:
        raise MalformedLineError(
            MalformedReason.INPUT_OUTPUT_COUNT_MISMATCH,
            f"{expected} inputs, {len(answers)} answers",
        )
    return [_top_label(answer) for answer in answers]


def _top_label(answer: object) -> tuple[str, float]:
    candidates = answer if isinstance(answer, list) and answer else [answer]
    best: tuple[str, float] | None = None
    for candidate in candidates:
        label_score = _label_score(candidate)
        if best is None or label_score[1] > best[1]:
            best = label_score
    assert best is not None  # candidates is never empty
    return best


def _label_score(candidate: object) -> tuple[str, float]:
    if not isinstance(candidate, dict):
        raise MalformedLineError(MalformedReason.UNEXPECTED_OUTPUT_SHAPE, "answer is not an object")
    label, score = candidate.get("label"), candidate.get("score")
    if not isinstance(label, str) or not 0 < len(label) <= MAX_LABEL_LENGTH:
        raise MalformedLineError(
            MalformedReason.UNEXPECTED_OUTPUT_SHAPE,
            f"label is not a text of 1-{MAX_LABEL_LENGTH} characters",
        )
    # bool is an int in Python, never a score.
    if isinstance(score, bool) or not isinstance(score, int | float):
        raise MalformedLineError(MalformedReason.UNEXPECTED_OUTPUT_SHAPE, "score is not a number")
    if not (math.isfinite(score) and 0.0 <= score <= 1.0):
        raise MalformedLineError(MalformedReason.UNEXPECTED_OUTPUT_SHAPE, "score outside [0, 1]")
    return label, float(score)


# ----------------------------------------------------------------------------------------------
# Ground-truth lines
# ----------------------------------------------------------------------------------------------


def parse_ground_truth_line(line: bytes | str) -> GroundTruthRecord:
    """One ground-truth line; :class:`MalformedLineError` (and nothing else) if unreadable."""
    document = _load_line(line)
    _check_event_version(document)
    ground_truth = _field(document, "groundTruthData", dict)
    encoding = _field(ground_truth, "encoding", str)
    if encoding != "CSV":
        # The merge format documents CSV, where "data" is the label itself.
        raise MalformedLineError(
            MalformedReason.UNSUPPORTED_ENCODING, f"groundTruthData encoding {encoding[:20]!r}"
        )
    labels = tuple(label.strip() for label in _field(ground_truth, "data", str).split(","))
    if not all(0 < len(label) <= MAX_LABEL_LENGTH for label in labels):
        raise MalformedLineError(
            MalformedReason.UNEXPECTED_OUTPUT_SHAPE,
            f"groundTruthData data holds a label that is not 1-{MAX_LABEL_LENGTH} characters",
        )
    metadata = _field(document, "eventMetadata", dict)
    return GroundTruthRecord(event_id=_field(metadata, "eventId", str), labels=labels)


class GroundTruthIndex:
    """The labels of a window, by the id they name, held for the join with the captures.

    Memory is bounded by ``max_labels`` records: the labels beyond it are counted in
    ``dropped_over_capacity`` and never joined. Labels arrive far less often than captures, so
    reading them first and streaming the captures past them is what keeps the join bounded.
    A label is consumed by its first matching capture; a later record with the same id (a
    redelivered capture, a second label for one id) is not counted twice.
    """

    def __init__(self, max_labels: int) -> None:
        if max_labels < 1:
            raise ValueError(f"max_labels must be at least 1, got {max_labels}")
        self.max_labels = max_labels
        self._labels: dict[str, tuple[str, ...]] = {}
        self.malformed: Counter[str] = Counter()
        self.duplicate_ids = 0
        self.dropped_over_capacity = 0

    def __len__(self) -> int:
        return len(self._labels)

    def add_lines(self, lines: Iterable[bytes | str]) -> None:
        for line in lines:
            if not line.strip():
                continue
            try:
                record = parse_ground_truth_line(line)
            except MalformedLineError as error:
                self.malformed[error.reason.value] += 1
                continue
            if record.event_id in self._labels:
                self.duplicate_ids += 1
            elif len(self._labels) >= self.max_labels:
                self.dropped_over_capacity += 1
            else:
                self._labels[record.event_id] = record.labels

    def take(self, join_key: str) -> tuple[str, ...] | None:
        """The labels for ``join_key``, removed from the index; None when there are none."""
        return self._labels.pop(join_key, None)
