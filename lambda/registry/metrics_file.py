"""The metrics file delivered with a model: where it is, and what it must contain.

A model at ``models/a/b.tar.gz`` has its metrics at ``models/a/b.metrics.json``
(``metrics_key_for``), uploaded before the model. ``parse_metrics_file`` turns the file's bytes
into a ``MetricsFile`` or raises ``MetricsFileError`` listing every problem, each with a
JSON-pointer-like path (``/metrics/accuracy: must be a finite number, got NaN``). Arbitrary
bytes never raise anything else.

The format is ``docs/schemas/model-metrics.schema.json``. This parser accepts exactly the files
that schema accepts, plus two kinds of rules the schema cannot express (``ProblemKind``):

- ``JSON``: the bytes must be an I-JSON text (RFC 7493, https://www.rfc-editor.org/rfc/rfc7493):
  at most ``MAX_METRICS_FILE_BYTES`` of UTF-8 without a byte order mark, no duplicate member
  names, no NaN/Infinity, numbers within the IEEE 754 double range. A JSON Schema validates an
  already-decoded value, and Python's json would silently keep the last duplicate and accept NaN.
- ``CONSISTENCY``: shares sum to 1 within ``SHARE_SUM_TOLERANCE``, histogram edges strictly
  increase with one share per bin, input-length statistics are ordered.

``schema_version`` policy: optional; absent means 1, and 1 is the only value accepted. The
issue's contract makes ``{"metrics": {...}}`` the only required content, so a version cannot
be required; an incompatible future format declares its version and is refused with a message
naming it, instead of being misread. Unknown fields are refused too (a misspelt ``baseline``
would otherwise vanish silently), so a new optional section means a new parser release.

Standard library only: this module runs in the registration function and is loaded by path by
``tools/check_metrics.py``, so it imports nothing else of the package.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

MODEL_ARCHIVE_SUFFIX = ".tar.gz"
METRICS_FILE_SUFFIX = ".metrics.json"
# S3 object keys are at most 1,024 bytes of UTF-8:
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html
MAX_S3_KEY_BYTES = 1024
# 64 KiB: a few hundred metrics and a baseline fit with room to spare; a larger file is not a
# metrics file, and the function reads it whole into memory.
MAX_METRICS_FILE_BYTES = 64 * 1024
SCHEMA_VERSION = 1
# Producers round shares; 10 bins rounded to 4 decimals are off by at most 0.0005 in total.
SHARE_SUM_TOLERANCE = 1e-3
INPUT_LENGTH_UNITS = ("characters",)
# At most this many problems are spelt out in the error's message (all are in .problems).
MAX_PROBLEMS_IN_MESSAGE = 10

# The schema's patterns ($defs), applied with fullmatch. The text alphabets are ASCII subsets
# of SageMaker's customer metadata pattern [\p{L}\p{Z}\p{N}_.:/=+\-@], so every recorded value
# can be stored as is.
METRIC_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
LABEL = re.compile(r"[A-Za-z0-9 _.:/=+@-]{1,64}")
RECORDABLE_TEXT = re.compile(r"[A-Za-z0-9 _.:/=+@-]{1,256}")
SHA256_HEX = re.compile(r"[0-9a-f]{64}")

# Longest user text quoted in a message: a 60 KiB key must not become a 60 KiB reason.
_MAX_QUOTED = 64


class MetricsKeyError(ValueError):
    """A model key that has no metrics key (not a ``.tar.gz`` key, or too long for one)."""


class ProblemKind(StrEnum):
    """Which rule a problem breaks: the byte-level I-JSON rules, the JSON Schema, or the
    cross-field consistency rules the schema cannot express."""

    JSON = "json"
    SCHEMA = "schema"
    CONSISTENCY = "consistency"


@dataclass(frozen=True)
class MetricsProblem:
    """One thing wrong with a metrics file. ``pointer`` is a JSON pointer (RFC 6901) to the
    offending value, ``""`` for the document as a whole."""

    pointer: str
    message: str
    kind: ProblemKind = ProblemKind.SCHEMA

    def __str__(self) -> str:
        return f"{self.pointer or 'document'}: {self.message}"


class MetricsFileError(ValueError):
    """The metrics file is not acceptable; ``problems`` lists every reason, in a fixed order
    (each object's unknown and missing fields, then its fields one by one)."""

    def __init__(self, problems: tuple[MetricsProblem, ...]) -> None:
        if not problems:
            raise ValueError("a MetricsFileError needs at least one problem")
        self.problems = problems
        shown = "; ".join(str(p) for p in problems[:MAX_PROBLEMS_IN_MESSAGE])
        hidden = len(problems) - MAX_PROBLEMS_IN_MESSAGE
        super().__init__(shown + (f"; and {hidden} more" if hidden > 0 else ""))


@dataclass(frozen=True)
class TrainingRecord:
    """Provenance of the training run (``/training``); at least one field is set."""

    job: str | None = None
    code_revision: str | None = None
    repository: str | None = None


@dataclass(frozen=True)
class DatasetRecord:
    """The held-out set the metrics were computed on (``/dataset``); ``sha256`` is 64
    lowercase hex digits."""

    id: str
    sha256: str


@dataclass(frozen=True)
class ConfidenceHistogram:
    """Histogram of the top-class score on the held-out set.

    ``bin_edges`` e0 < e1 < ... < en with e0 = 0 and en = 1; bin i is [e(i), e(i+1)), the
    last bin [e(n-1), 1] is closed, so every score in [0, 1] is in exactly one bin.
    ``shares[i]`` is the fraction of examples in bin i; ``len(shares) == len(bin_edges) - 1``
    and the shares sum to 1 within ``SHARE_SUM_TOLERANCE``.
    """

    bin_edges: tuple[float, ...]
    shares: tuple[float, ...]

    def bin_index(self, score: float) -> int:
        """The bin a top-class score in [0, 1] falls in (see the class docstring)."""
        if not 0.0 <= score <= 1.0:
            raise ValueError(f"a confidence score is in [0, 1], got {score!r}")
        for index in range(len(self.shares) - 1):
            if score < self.bin_edges[index + 1]:
                return index
        return len(self.shares) - 1


@dataclass(frozen=True)
class InputLengthStats:
    """Input length on the held-out set, in ``unit`` (``"characters"``: Unicode code points
    of the input text as the endpoint receives it).

    ``min`` and ``max`` are integers; ``p50`` and ``p95`` are percentiles (any standard
    interpolation); ``min <= p50 <= p95 <= max`` and ``min <= mean <= max``.
    """

    unit: str
    min: int
    mean: float
    p50: float
    p95: float
    max: int


@dataclass(frozen=True)
class Baseline:
    """What the model's answers looked like on the held-out set (``/baseline``), for
    monitoring to compare live traffic with.

    ``predicted_label_shares``: label -> fraction of the ``num_examples`` examples predicted
    as that label, each in [0, 1], summing to 1 within ``SHARE_SUM_TOLERANCE``.
    """

    num_examples: int
    predicted_label_shares: Mapping[str, float]
    confidence_histogram: ConfidenceHistogram
    input_length: InputLengthStats


@dataclass(frozen=True)
class MetricsFile:
    """A valid metrics file.

    ``metrics``: metric name -> finite float, in the file's order (read-only mapping).
    ``content_sha256``: hex SHA-256 of the exact bytes parsed (a package's ``ContentDigest``
    is ``"sha256:" + content_sha256``). ``artifact_sha256``: the archive's SHA-256 the file
    declares. Optional sections are ``None`` when absent.
    """

    metrics: Mapping[str, float]
    content_sha256: str
    schema_version: int = SCHEMA_VERSION
    training: TrainingRecord | None = None
    dataset: DatasetRecord | None = None
    artifact_sha256: str | None = None
    baseline: Baseline | None = None


def metrics_key_for(model_key: str) -> str:
    """The metrics file's key for a model key: ``.tar.gz`` replaced by ``.metrics.json``.

    Raises ``MetricsKeyError`` naming the key when it does not end in ``.tar.gz``, or when the
    metrics key would be longer than S3 allows (no such file can exist).
    """
    if not model_key.endswith(MODEL_ARCHIVE_SUFFIX):
        raise MetricsKeyError(
            f"model key {model_key!r} does not end in {MODEL_ARCHIVE_SUFFIX!r}, so it has no "
            f"metrics file"
        )
    metrics_key = model_key[: -len(MODEL_ARCHIVE_SUFFIX)] + METRICS_FILE_SUFFIX
    size = len(metrics_key.encode("utf-8", "surrogatepass"))
    if size > MAX_S3_KEY_BYTES:
        raise MetricsKeyError(
            f"model key {_quote(model_key)} is too long to have a metrics file: its metrics key "
            f"would be {size} bytes and S3 keys hold at most {MAX_S3_KEY_BYTES}"
        )
    return metrics_key


def parse_metrics_file(data: bytes) -> MetricsFile:
    """Parse and validate a metrics file's bytes; ``MetricsFileError`` lists what is wrong."""
    data = bytes(data)
    if len(data) > MAX_METRICS_FILE_BYTES:
        _fail_document(
            f"is {len(data):,} bytes; a metrics file holds at most {MAX_METRICS_FILE_BYTES:,}"
        )
    if data.startswith(b"\xef\xbb\xbf"):
        _fail_document("starts with a UTF-8 byte order mark; save the file without one")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        _fail_document(f"is not UTF-8: {error.reason} at byte {error.start}")
    try:
        document = json.loads(
            text,
            object_pairs_hook=_JsonObject.from_pairs,
            parse_constant=_NonFinite,
            parse_float=_parse_float,
            parse_int=_parse_int,
        )
    except json.JSONDecodeError as error:
        _fail_document(f"is not JSON: {error.msg} (line {error.lineno}, column {error.colno})")
    # The C scanner recurses once per nesting level; 64 KiB of "[" is far deeper than that.
    except RecursionError:
        _fail_document("is nested too deeply to be a metrics file")
    checker = _Checker()
    parsed = checker.document(document, hashlib.sha256(data).hexdigest())
    if checker.problems:
        raise MetricsFileError(tuple(checker.problems))
    assert parsed is not None  # no problems means every section parsed
    return parsed


def _fail_document(message: str) -> None:
    raise MetricsFileError((MetricsProblem("", message, ProblemKind.JSON),))


class _JsonObject(dict):
    """A decoded JSON object that remembers the member names it saw more than once."""

    duplicates: tuple[str, ...] = ()

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, Any]]) -> _JsonObject:
        obj = cls(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            repeated: dict[str, None] = {}
            for name, _ in pairs:
                if name in seen:
                    repeated[name] = None
                seen.add(name)
            obj.duplicates = tuple(repeated)
        return obj


@dataclass(frozen=True)
class _NonFinite:
    """A number I-JSON forbids (NaN, Infinity, or beyond the double range), kept where it was
    so the problem names its path."""

    text: str


def _parse_float(text: str) -> float | _NonFinite:
    value = float(text)
    return value if math.isfinite(value) else _NonFinite(text)


# The largest double is about 1.8e308 (309 digits); longer integers never fit, and converting
# them could hit Python's 4,300-digit int/str limit.
_MAX_INT_DIGITS = 310


def _parse_int(text: str) -> int | _NonFinite:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        return _NonFinite(text)
    value = int(text)
    try:
        float(value)
    except OverflowError:
        return _NonFinite(text)
    return value


def _quote(text: str) -> str:
    """A user string for a message: escaped (no newlines, no lone surrogates), shortened."""
    shown = repr(text[:_MAX_QUOTED])
    return shown + ("..." if len(text) > _MAX_QUOTED else "")


def _child(pointer: str, name: str | int) -> str:
    """``pointer`` extended by one RFC 6901 reference token, made safe to print."""
    if isinstance(name, int):
        return f"{pointer}/{name}"
    token = repr(name[:_MAX_QUOTED])[1:-1] + ("..." if len(name) > _MAX_QUOTED else "")
    return f"{pointer}/{token.replace('~', '~0').replace('/', '~1')}"


def _describe(value: Any) -> str:
    if isinstance(value, _NonFinite):
        return value.text if len(value.text) <= _MAX_QUOTED else "a number beyond the double range"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return f"the string {_quote(value)}"
    if isinstance(value, dict):
        return "an object"
    return "an array"


_TOP_LEVEL = ("schema_version", "metrics", "training", "dataset", "artifact", "baseline")
_TRAINING_FIELDS = ("job", "code_revision", "repository")
_BASELINE_FIELDS = (
    "num_examples",
    "predicted_label_shares",
    "confidence_histogram",
    "input_length",
)
_INPUT_LENGTH_FIELDS = ("unit", "min", "mean", "p50", "p95", "max")


class _Checker:
    """Walks a decoded document and collects every problem.

    Each section method checks everything present in its part (so one run lists all problems)
    and returns the parsed value, or None when it added a problem.
    """

    def __init__(self) -> None:
        self.problems: list[MetricsProblem] = []

    def _add(self, pointer: str, message: str, kind: ProblemKind = ProblemKind.SCHEMA) -> None:
        self.problems.append(MetricsProblem(pointer, message, kind))

    def document(self, value: Any, content_sha256: str) -> MetricsFile | None:
        obj = self._object(value, "", required=("metrics",), optional=_TOP_LEVEL)
        if obj is None:
            return None
        version = self._schema_version(obj.get("schema_version", SCHEMA_VERSION))
        metrics = self._metrics(obj["metrics"]) if "metrics" in obj else None
        training = self._training(obj["training"]) if "training" in obj else None
        dataset = self._dataset(obj["dataset"]) if "dataset" in obj else None
        artifact = self._artifact(obj["artifact"]) if "artifact" in obj else None
        baseline = self._baseline(obj["baseline"]) if "baseline" in obj else None
        if self.problems or metrics is None or version is None:
            return None
        return MetricsFile(
            metrics=metrics,
            content_sha256=content_sha256,
            schema_version=version,
            training=training,
            dataset=dataset,
            artifact_sha256=artifact,
            baseline=baseline,
        )

    # Building blocks: each returns None exactly when it added a problem.

    def _object(
        self, value: Any, pointer: str, *, required: tuple[str, ...], optional: tuple[str, ...]
    ) -> dict | None:
        """An object with known fields; unknown and missing ones are reported, and the value
        is returned anyway so that the fields present are checked too."""
        if not isinstance(value, dict):
            self._add(pointer, f"must be an object, got {_describe(value)}")
            return None
        self._no_duplicates(value, pointer)
        allowed = dict.fromkeys(required + optional)
        for name in value:
            if name not in allowed:
                self._add(_child(pointer, name), f"unknown field (allowed: {', '.join(allowed)})")
        for name in required:
            if name not in value:
                self._add(_child(pointer, name), "missing (required)")
        return value

    def _map(self, value: Any, pointer: str, *, names: re.Pattern, rule: str) -> dict | None:
        """An object of free names (metrics, labels): not empty, every name matching ``names``.
        Returned even with bad names, so that the values are checked too."""
        if not isinstance(value, dict):
            self._add(pointer, f"must be an object, got {_describe(value)}")
            return None
        self._no_duplicates(value, pointer)
        if not value:
            self._add(pointer, "must not be empty")
        for name in value:
            if not names.fullmatch(name):
                self._add(_child(pointer, name), f"name must be {rule}")
        return value

    def _no_duplicates(self, value: dict, pointer: str) -> None:
        for name in getattr(value, "duplicates", ()):
            self._add(pointer, f"duplicate key {_quote(name)}", ProblemKind.JSON)

    def _number(
        self,
        value: Any,
        pointer: str,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> float | None:
        if isinstance(value, _NonFinite):
            self._add(
                pointer,
                f"must be a finite number within the double range, got {_describe(value)}",
                ProblemKind.JSON,
            )
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self._add(pointer, f"must be a number, got {_describe(value)}")
            return None
        if minimum is not None and value < minimum:
            self._add(pointer, f"must be at least {minimum}, got {_describe(value)}")
            return None
        if maximum is not None and value > maximum:
            self._add(pointer, f"must be at most {maximum}, got {_describe(value)}")
            return None
        return float(value)

    def _integer(self, value: Any, pointer: str, *, minimum: int) -> int | None:
        number = self._number(value, pointer, minimum=minimum)
        if number is None:
            return None
        # JSON Schema counts 3.0 as an integer; so does this parser.
        if not number.is_integer():
            self._add(pointer, f"must be an integer, got {_describe(value)}")
            return None
        return int(value)

    def _text(self, value: Any, pointer: str, pattern: re.Pattern, rule: str) -> str | None:
        if not isinstance(value, str):
            self._add(pointer, f"must be a string, got {_describe(value)}")
            return None
        if not pattern.fullmatch(value):
            self._add(pointer, f"must be {rule}, got {_quote(value)}")
            return None
        return value

    def _number_list(self, value: Any, pointer: str, *, min_items: int) -> list[float] | None:
        """A list of numbers in [0, 1] (bin edges, shares)."""
        if not isinstance(value, list):
            self._add(pointer, f"must be an array, got {_describe(value)}")
            return None
        start = len(self.problems)
        if len(value) < min_items:
            self._add(pointer, f"must have at least {min_items} items, got {len(value)}")
        numbers = [
            self._number(item, _child(pointer, index), minimum=0, maximum=1)
            for index, item in enumerate(value)
        ]
        return None if len(self.problems) > start else numbers

    def _shares_sum(self, shares: list[float], pointer: str) -> bool:
        total = math.fsum(shares)
        if abs(total - 1.0) > SHARE_SUM_TOLERANCE:
            self._add(
                pointer,
                f"shares must sum to 1 (within {SHARE_SUM_TOLERANCE}), they sum to {total!r}",
                ProblemKind.CONSISTENCY,
            )
            return False
        return True

    # Sections: each checks every field present, then returns None if it found a problem.

    def _schema_version(self, value: Any) -> int | None:
        pointer = "/schema_version"
        if isinstance(value, bool) or not isinstance(value, int | float):
            self._add(pointer, f"must be the number {SCHEMA_VERSION}, got {_describe(value)}")
            return None
        if value != SCHEMA_VERSION:
            self._add(
                pointer,
                f"unsupported version {_describe(value)}; this parser reads version "
                f"{SCHEMA_VERSION} (or no schema_version)",
            )
            return None
        return SCHEMA_VERSION

    def _metrics(self, value: Any) -> Mapping[str, float] | None:
        pointer = "/metrics"
        start = len(self.problems)
        obj = self._map(value, pointer, names=METRIC_NAME, rule=_METRIC_NAME_RULE)
        if obj is None:
            return None
        metrics = {
            name: self._number(metric, _child(pointer, name)) for name, metric in obj.items()
        }
        return None if len(self.problems) > start else MappingProxyType(metrics)

    def _training(self, value: Any) -> TrainingRecord | None:
        pointer = "/training"
        start = len(self.problems)
        obj = self._object(value, pointer, required=(), optional=_TRAINING_FIELDS)
        if obj is None:
            return None
        if not obj:
            self._add(pointer, f"must not be empty (give {', '.join(_TRAINING_FIELDS)})")
        fields = {
            name: self._text(obj[name], _child(pointer, name), RECORDABLE_TEXT, _TEXT_RULE)
            for name in _TRAINING_FIELDS
            if name in obj
        }
        return None if len(self.problems) > start else TrainingRecord(**fields)

    def _dataset(self, value: Any) -> DatasetRecord | None:
        pointer = "/dataset"
        start = len(self.problems)
        obj = self._object(value, pointer, required=("id", "sha256"), optional=())
        if obj is None:
            return None
        dataset_id = digest = None
        if "id" in obj:
            dataset_id = self._text(obj["id"], f"{pointer}/id", RECORDABLE_TEXT, _TEXT_RULE)
        if "sha256" in obj:
            digest = self._text(obj["sha256"], f"{pointer}/sha256", SHA256_HEX, _SHA256_RULE)
        if len(self.problems) > start:
            return None
        return DatasetRecord(id=dataset_id, sha256=digest)

    def _artifact(self, value: Any) -> str | None:
        pointer = "/artifact"
        start = len(self.problems)
        obj = self._object(value, pointer, required=("sha256",), optional=())
        if obj is None or "sha256" not in obj:
            return None
        digest = self._text(obj["sha256"], f"{pointer}/sha256", SHA256_HEX, _SHA256_RULE)
        return None if len(self.problems) > start else digest

    def _baseline(self, value: Any) -> Baseline | None:
        pointer = "/baseline"
        start = len(self.problems)
        obj = self._object(value, pointer, required=_BASELINE_FIELDS, optional=())
        if obj is None:
            return None
        parsers = {
            "num_examples": lambda v, p: self._integer(v, p, minimum=1),
            "predicted_label_shares": self._label_shares,
            "confidence_histogram": self._histogram,
            "input_length": self._input_length,
        }
        parts = {
            name: parse(obj[name], f"{pointer}/{name}")
            for name, parse in parsers.items()
            if name in obj
        }
        return None if len(self.problems) > start else Baseline(**parts)

    def _label_shares(self, value: Any, pointer: str) -> Mapping[str, float] | None:
        start = len(self.problems)
        obj = self._map(value, pointer, names=LABEL, rule=_LABEL_RULE)
        if obj is None:
            return None
        shares = {
            label: self._number(share, _child(pointer, label), minimum=0, maximum=1)
            for label, share in obj.items()
        }
        if len(self.problems) > start or not self._shares_sum(list(shares.values()), pointer):
            return None
        return MappingProxyType(shares)

    def _histogram(self, value: Any, pointer: str) -> ConfidenceHistogram | None:
        start = len(self.problems)
        obj = self._object(value, pointer, required=("bin_edges", "shares"), optional=())
        if obj is None:
            return None
        edges_pointer, shares_pointer = f"{pointer}/bin_edges", f"{pointer}/shares"
        edges = shares = None
        if "bin_edges" in obj:
            edges = self._number_list(obj["bin_edges"], edges_pointer, min_items=2)
        if "shares" in obj:
            shares = self._number_list(obj["shares"], shares_pointer, min_items=1)
        if edges is not None:
            if edges[0] != 0:
                self._add(f"{edges_pointer}/0", f"the first edge must be 0, got {edges[0]!r}")
            if 1 not in edges:
                self._add(edges_pointer, "the last edge must be 1 (no edge is 1)")
        # Consistency rules, only on parts the schema accepts (so a schema problem is never
        # hidden behind one the schema cannot see, and vice versa).
        if len(self.problems) > start or edges is None or shares is None:
            return None
        for index in range(1, len(edges)):
            if edges[index] <= edges[index - 1]:
                self._add(
                    f"{edges_pointer}/{index}",
                    f"edges must strictly increase, got {edges[index]!r} after "
                    f"{edges[index - 1]!r}",
                    ProblemKind.CONSISTENCY,
                )
                return None
        if len(shares) != len(edges) - 1:
            self._add(
                shares_pointer,
                f"must have one share per bin: {len(edges)} edges make {len(edges) - 1} bins, "
                f"got {len(shares)} shares",
                ProblemKind.CONSISTENCY,
            )
            return None
        if not self._shares_sum(shares, shares_pointer):
            return None
        return ConfidenceHistogram(bin_edges=tuple(edges), shares=tuple(shares))

    def _input_length(self, value: Any, pointer: str) -> InputLengthStats | None:
        start = len(self.problems)
        obj = self._object(value, pointer, required=_INPUT_LENGTH_FIELDS, optional=())
        if obj is None:
            return None
        stats: dict[str, Any] = {}
        if "unit" in obj:
            unit = obj["unit"]
            if isinstance(unit, str) and unit in INPUT_LENGTH_UNITS:
                stats["unit"] = unit
            else:
                self._add(
                    f"{pointer}/unit",
                    f"must be one of {', '.join(INPUT_LENGTH_UNITS)}, got {_describe(unit)}",
                )
        for name in ("min", "mean", "p50", "p95", "max"):
            if name in obj:
                field_pointer = f"{pointer}/{name}"
                stats[name] = (
                    self._integer(obj[name], field_pointer, minimum=0)
                    if name in ("min", "max")
                    else self._number(obj[name], field_pointer, minimum=0)
                )
        if len(self.problems) > start:
            return None
        low, mean, p50, p95, high = (stats[n] for n in ("min", "mean", "p50", "p95", "max"))
        if not (low <= p50 <= p95 <= high and low <= mean <= high):
            self._add(
                pointer,
                f"statistics must be ordered (min <= p50 <= p95 <= max, min <= mean <= max), "
                f"got min {low}, p50 {p50!r}, p95 {p95!r}, max {high}, mean {mean!r}",
                ProblemKind.CONSISTENCY,
            )
            return None
        return InputLengthStats(**stats)


_METRIC_NAME_RULE = "1-64 ASCII letters, digits, '_', '.' or '-'"
_LABEL_RULE = "1-64 ASCII letters, digits, spaces or _.:/=+@-"
_TEXT_RULE = "1-256 ASCII letters, digits, spaces or _.:/=+@-"
_SHA256_RULE = "64 lowercase hexadecimal digits"
