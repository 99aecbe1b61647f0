"""Metrics files for the registry tests: a complete valid document, a corpus of broken files
(each with the problem it must be reported as), Hypothesis strategies for valid documents, and
the schema side of the parser/schema agreement.

The schema side decodes bytes as I-JSON (RFC 7493) on its own, without the parser under test,
then validates with the real ``jsonschema`` against the committed schema. The parser must agree
with it: it accepts what the schema side accepts, except files whose only problems are the
consistency rules the schema documents but cannot express (``ProblemKind.CONSISTENCY``).
"""

from __future__ import annotations

import copy
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from registry.metrics_file import MetricsFileError, ProblemKind, parse_metrics_file

REPO = Path(__file__).resolve().parents[3]
SCHEMA_PATH = REPO / "docs" / "schemas" / "model-metrics.schema.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA)
# The byte limit the schema's description states (the parser's constant is not reused, so
# that changing it alone makes the agreement tests fail).
DOCUMENTED_MAX_BYTES = 65_536

SHA_A = "a" * 64
SHA_B = "0123456789abcdef" * 4


def full_document() -> dict[str, Any]:
    """A valid document with every optional section."""
    return {
        "schema_version": 1,
        "metrics": {"accuracy": 0.912, "macro_f1": 0.905, "log_loss": 0.231},
        "training": {
            "job": "sentiment-train-2026-11-27-0046",
            "code_revision": "3f2c9a1e5b7d4c6a8e0f1b2d3c4e5f6a7b8c9d0e",
            "repository": "https://example.com/ml/sentiment",
        },
        "dataset": {"id": "sentiment-holdout-v3", "sha256": SHA_A},
        "artifact": {"sha256": SHA_B},
        "baseline": {
            "num_examples": 5000,
            "predicted_label_shares": {"NEGATIVE": 0.47, "POSITIVE": 0.53},
            "confidence_histogram": {
                "bin_edges": [0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0],
                "shares": [0.0, 0.04, 0.05, 0.08, 0.13, 0.70],
            },
            "input_length": {
                "unit": "characters",
                "min": 3,
                "mean": 71.4,
                "p50": 58,
                "p95": 182.5,
                "max": 1987,
            },
        },
    }


def encode(document: Any) -> bytes:
    return json.dumps(document).encode("utf-8")


def with_change(path: tuple[str | int, ...], value: Any = ..., *, delete: bool = False) -> bytes:
    """The full document with the value at ``path`` replaced (or deleted), encoded."""
    document = copy.deepcopy(full_document())
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return encode(document)


# --- The schema side --------------------------------------------------------------------------


class NotIJsonError(ValueError):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        raise NotIJsonError("duplicate member name")
    return dict(pairs)


def _constant(text: str) -> float:
    raise NotIJsonError(f"{text} is not a JSON number")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NotIJsonError(f"{text} is beyond the double range")
    return value


def _int(text: str) -> int:
    value = int(text)  # more than 4,300 digits raises ValueError: beyond the range anyway
    if abs(value) > sys.float_info.max:
        raise NotIJsonError(f"{text[:20]}... is beyond the double range")
    return value


def decode_i_json(data: bytes) -> Any:
    """RFC 7493 decoding with the size limit; raises ValueError (or RecursionError)."""
    if len(data) > DOCUMENTED_MAX_BYTES:
        raise NotIJsonError("too large")
    text = data.decode("utf-8")
    if text.startswith("\ufeff"):
        raise NotIJsonError("byte order mark")
    return json.loads(
        text, object_pairs_hook=_pairs, parse_constant=_constant, parse_float=_float, parse_int=_int
    )


def schema_accepts(data: bytes) -> bool:
    try:
        document = decode_i_json(data)
    except (ValueError, RecursionError):
        return False
    return VALIDATOR.is_valid(document)


def parser_problems(data: bytes) -> tuple:
    """The parser's problems with ``data`` (empty when it accepts the file)."""
    try:
        parse_metrics_file(data)
    except MetricsFileError as error:
        return error.problems
    return ()


def assert_parser_agrees_with_schema(data: bytes) -> None:
    problems = parser_problems(data)
    accepted_by_schema = schema_accepts(data)
    if not problems:
        assert accepted_by_schema, "the parser accepts a file the schema rejects"
    elif all(problem.kind == ProblemKind.CONSISTENCY for problem in problems):
        assert accepted_by_schema, (
            f"only consistency problems ({problems}), yet the schema rejects the file: the "
            "parser missed a schema rule"
        )
    else:
        assert not accepted_by_schema, f"the parser rejects ({problems}) what the schema accepts"


# --- Valid files that exercise corners --------------------------------------------------------

VALID_FILES: dict[str, bytes] = {
    "minimal": b'{"metrics": {"accuracy": 0.9}}',
    "full": encode(full_document()),
    "indented, trailing newline": (json.dumps(full_document(), indent=2) + "\n").encode(),
    "no schema_version": with_change(("schema_version",), delete=True),
    "schema_version 1.0": with_change(("schema_version",), 1.0),
    "integer and negative metrics": b'{"metrics": {"epochs": 3, "delta": -0.25, "zero": 0}}',
    "exponent notation": b'{"metrics": {"loss": 1.5e-3, "big": 1E+300}}',
    "escaped metric name": b'{"metrics": {"\\u0061ccuracy": 0.9}}',
    "integers written as 3.0": with_change(("baseline", "num_examples"), 5000.0),
    "shares within the tolerance": with_change(
        ("baseline", "predicted_label_shares"), {"NEGATIVE": 0.4704, "POSITIVE": 0.5291}
    ),
    "one bin": with_change(
        ("baseline", "confidence_histogram"), {"bin_edges": [0, 1], "shares": [1]}
    ),
    "training with one field": with_change(("training",), {"job": "job-1"}),
    "64-character metric name": encode({"metrics": {"m" * 64: 1}}),
    "exactly 64 KiB": b'{"metrics": {"accuracy": 0.9}}'.ljust(DOCUMENTED_MAX_BYTES, b" "),
}


# --- Broken files: each with where and what the parser must report ----------------------------


@dataclass(frozen=True)
class Broken:
    data: bytes
    pointer: str
    fragment: str
    kind: ProblemKind = ProblemKind.SCHEMA


J, S, C = ProblemKind.JSON, ProblemKind.SCHEMA, ProblemKind.CONSISTENCY
BASELINE = ("baseline",)
HISTOGRAM = ("baseline", "confidence_histogram")
LENGTH = ("baseline", "input_length")
H = "/baseline/confidence_histogram"
L = "/baseline/input_length"

BROKEN_FILES: dict[str, Broken] = {
    # Bytes and JSON (I-JSON, RFC 7493)
    "not UTF-8": Broken(b'{"metrics": {"a\xff": 1}}', "", "is not UTF-8", J),
    "UTF-16": Broken('{"metrics": {"a": 1}}'.encode("utf-16"), "", "is not UTF-8", J),
    "byte order mark": Broken(b'\xef\xbb\xbf{"metrics": {"a": 1}}', "", "byte order mark", J),
    "empty file": Broken(b"", "", "is not JSON", J),
    "truncated JSON": Broken(b'{"metrics": {"accuracy": 0.9}', "", "is not JSON", J),
    "trailing data": Broken(b'{"metrics": {"a": 1}} {}', "", "Extra data", J),
    "single quotes": Broken(b"{'metrics': {'a': 1}}", "", "is not JSON", J),
    "over 64 KiB": Broken(
        b'{"metrics": {"a": 1}}'.ljust(DOCUMENTED_MAX_BYTES + 1, b" "), "", "65,537 bytes", J
    ),
    "nested too deeply": Broken(b"[" * 20_000 + b"]" * 20_000, "", "nested too deeply", J),
    "duplicate section": Broken(
        b'{"metrics": {"a": 1}, "metrics": {"a": 2}}', "", "duplicate key 'metrics'", J
    ),
    "duplicate metric": Broken(
        b'{"metrics": {"accuracy": 0.9, "accuracy": 0.1}}',
        "/metrics",
        "duplicate key 'accuracy'",
        J,
    ),
    "NaN metric": Broken(b'{"metrics": {"accuracy": NaN}}', "/metrics/accuracy", "got NaN", J),
    "Infinity metric": Broken(b'{"metrics": {"a": Infinity}}', "/metrics/a", "got Infinity", J),
    "-Infinity metric": Broken(b'{"metrics": {"a": -Infinity}}', "/metrics/a", "-Infinity", J),
    "float overflow": Broken(b'{"metrics": {"a": 1e400}}', "/metrics/a", "got 1e400", J),
    "integer overflow": Broken(
        b'{"metrics": {"a": ' + b"9" * 400 + b"}}", "/metrics/a", "beyond the double range", J
    ),
    "integer past the str limit": Broken(
        b'{"metrics": {"a": ' + b"9" * 5000 + b"}}", "/metrics/a", "beyond the double range", J
    ),
    # The metrics object
    "no metrics": Broken(b"{}", "/metrics", "missing (required)"),
    "only other sections": Broken(with_change(("metrics",), delete=True), "/metrics", "missing"),
    "document is an array": Broken(b"[]", "", "must be an object, got an array"),
    "document is a number": Broken(b"0.9", "", "must be an object, got 0.9"),
    "metrics is an array": Broken(b'{"metrics": [0.9]}', "/metrics", "must be an object"),
    "metrics is null": Broken(b'{"metrics": null}', "/metrics", "got null"),
    "empty metrics": Broken(b'{"metrics": {}}', "/metrics", "must not be empty"),
    "metric as a string": Broken(
        b'{"metrics": {"accuracy": "0.9"}}', "/metrics/accuracy", "got the string '0.9'"
    ),
    "metric as a boolean": Broken(b'{"metrics": {"accuracy": true}}', "/metrics/accuracy", "true"),
    "metric as null": Broken(b'{"metrics": {"accuracy": null}}', "/metrics/accuracy", "got null"),
    "metric as an object": Broken(
        b'{"metrics": {"accuracy": {"value": 0.9}}}', "/metrics/accuracy", "got an object"
    ),
    "metric name with a space": Broken(
        b'{"metrics": {"acc uracy": 0.9}}', "/metrics/acc uracy", "name must be"
    ),
    "empty metric name": Broken(b'{"metrics": {"": 0.9}}', "/metrics/", "name must be"),
    "metric name with a newline": Broken(
        b'{"metrics": {"accuracy\\n": 0.9}}', "/metrics/accuracy\\n", "name must be"
    ),
    "metric name with a slash": Broken(b'{"metrics": {"a/b": 1}}', "/metrics/a~1b", "name must"),
    "65-character metric name": Broken(
        encode({"metrics": {"m" * 65: 1}}), "/metrics/" + "m" * 64 + "...", "name must be"
    ),
    # Top level and schema_version
    "misspelt section": Broken(
        encode({"metrics": {"a": 1}, "baseLine": {}}), "/baseLine", "unknown field"
    ),
    "schema_version 2": Broken(with_change(("schema_version",), 2), "/schema_version", "version 2"),
    "schema_version as a string": Broken(
        with_change(("schema_version",), "1"), "/schema_version", "must be the number 1"
    ),
    "schema_version true": Broken(
        with_change(("schema_version",), True), "/schema_version", "got true"
    ),
    # Provenance sections
    "empty training": Broken(with_change(("training",), {}), "/training", "must not be empty"),
    "training job with a newline": Broken(
        with_change(("training", "job"), "job\n"), "/training/job", "must be 1-256 ASCII"
    ),
    "training job as a number": Broken(
        with_change(("training", "job"), 7), "/training/job", "must be a string, got 7"
    ),
    "training unknown field": Broken(
        with_change(("training", "commit"), "abc"), "/training/commit", "unknown field"
    ),
    "training is a string": Broken(
        with_change(("training",), "job-1"), "/training", "must be an object"
    ),
    "dataset without sha256": Broken(
        with_change(("dataset", "sha256"), delete=True), "/dataset/sha256", "missing"
    ),
    "dataset sha256 uppercase": Broken(
        with_change(("dataset", "sha256"), "A" * 64), "/dataset/sha256", "64 lowercase"
    ),
    "dataset id too long": Broken(
        with_change(("dataset", "id"), "d" * 257), "/dataset/id", "must be 1-256"
    ),
    "artifact sha256 too short": Broken(
        with_change(("artifact", "sha256"), "a" * 63), "/artifact/sha256", "64 lowercase"
    ),
    "artifact sha256 with a newline": Broken(
        with_change(("artifact", "sha256"), "a" * 64 + "\n"), "/artifact/sha256", "64 lowercase"
    ),
    "artifact without sha256": Broken(
        with_change(("artifact",), {}), "/artifact/sha256", "missing"
    ),
    # Baseline
    "baseline without input_length": Broken(
        with_change((*BASELINE, "input_length"), delete=True), f"{L}", "missing"
    ),
    "baseline unknown field": Broken(
        with_change((*BASELINE, "labels"), ["a"]), "/baseline/labels", "unknown field"
    ),
    "num_examples 0": Broken(
        with_change((*BASELINE, "num_examples"), 0), "/baseline/num_examples", "at least 1"
    ),
    "num_examples fractional": Broken(
        with_change((*BASELINE, "num_examples"), 2.5), "/baseline/num_examples", "an integer"
    ),
    "label share above 1": Broken(
        with_change((*BASELINE, "predicted_label_shares"), {"N": 1.5, "P": -0.5}),
        "/baseline/predicted_label_shares/N",
        "at most 1",
    ),
    "label share negative": Broken(
        with_change((*BASELINE, "predicted_label_shares"), {"N": 1.1, "P": -0.1}),
        "/baseline/predicted_label_shares/P",
        "at least 0",
    ),
    "no labels": Broken(
        with_change((*BASELINE, "predicted_label_shares"), {}),
        "/baseline/predicted_label_shares",
        "must not be empty",
    ),
    "label with a tab": Broken(
        with_change((*BASELINE, "predicted_label_shares"), {"A\tB": 1}),
        "/baseline/predicted_label_shares/A\\tB",
        "name must be",
    ),
    "label shares sum to 1.1": Broken(
        with_change((*BASELINE, "predicted_label_shares"), {"N": 0.5, "P": 0.6}),
        "/baseline/predicted_label_shares",
        "must sum to 1",
        C,
    ),
    "first edge not 0": Broken(
        with_change((*HISTOGRAM, "bin_edges"), [0.1, 0.5, 1.0]), f"{H}/bin_edges/0", "must be 0"
    ),
    "no edge at 1": Broken(
        with_change((*HISTOGRAM, "bin_edges"), [0, 0.5, 0.9, 0.95, 0.97, 0.98, 0.99]),
        f"{H}/bin_edges",
        "last edge must be 1",
    ),
    "edge above 1": Broken(
        with_change((*HISTOGRAM, "bin_edges"), [0, 0.5, 1, 1.5]), f"{H}/bin_edges/3", "at most 1"
    ),
    "one edge": Broken(
        with_change((*HISTOGRAM, "bin_edges"), [0]), f"{H}/bin_edges", "at least 2 items"
    ),
    "edges not increasing": Broken(
        with_change((*HISTOGRAM, "bin_edges"), [0, 0.5, 0.5, 0.7, 0.8, 0.9, 1]),
        f"{H}/bin_edges/2",
        "strictly increase",
        C,
    ),
    "1 before the last edge": Broken(
        with_change((*HISTOGRAM, "bin_edges"), [0, 0.5, 1, 0.7, 0.8, 0.9, 0.95]),
        f"{H}/bin_edges/3",
        "strictly increase",
        C,
    ),
    "one share too many": Broken(
        with_change((*HISTOGRAM, "shares"), [0.0, 0.04, 0.05, 0.08, 0.13, 0.6, 0.1]),
        f"{H}/shares",
        "7 edges make 6 bins, got 7 shares",
        C,
    ),
    "histogram shares sum to 0.9": Broken(
        with_change((*HISTOGRAM, "shares"), [0.0, 0.04, 0.05, 0.08, 0.13, 0.6]),
        f"{H}/shares",
        "must sum to 1",
        C,
    ),
    "histogram without shares": Broken(
        with_change((*HISTOGRAM, "shares"), delete=True), f"{H}/shares", "missing"
    ),
    "share as a string": Broken(
        with_change((*HISTOGRAM, "shares"), ["0.5", 0.5]), f"{H}/shares/0", "got the string"
    ),
    "length unit tokens": Broken(
        with_change((*LENGTH, "unit"), "tokens"), f"{L}/unit", "must be one of characters"
    ),
    "length min fractional": Broken(with_change((*LENGTH, "min"), 1.5), f"{L}/min", "an integer"),
    "length negative mean": Broken(with_change((*LENGTH, "mean"), -1), f"{L}/mean", "at least 0"),
    "p95 below p50": Broken(with_change((*LENGTH, "p95"), 40), L, "must be ordered", C),
    "mean above max": Broken(with_change((*LENGTH, "mean"), 5000), L, "must be ordered", C),
    "max below min": Broken(with_change((*LENGTH, "max"), 2), L, "must be ordered", C),
}


# --- Hypothesis: valid documents --------------------------------------------------------------

# The schema's alphabets ($defs), drawn with st.text (much faster than st.from_regex).
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
metric_names = st.text(_ALNUM + "_.-", min_size=1, max_size=64)
labels = st.text(_ALNUM + " _.:/=+@-", min_size=1, max_size=64)
recordable_text = st.text(_ALNUM + " _.:/=+@-", min_size=1, max_size=256)
sha256_hex = st.binary(min_size=32, max_size=32).map(bytes.hex)
finite_numbers = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**63), 2**63)


def _shares(counts: list[int]) -> list[float]:
    total = sum(counts)
    return [count / total for count in counts]


counts = st.lists(st.integers(0, 10_000), min_size=1, max_size=12).filter(lambda c: sum(c) > 0)


@st.composite
def histograms(draw: st.DrawFn) -> dict[str, Any]:
    bins = draw(counts)
    inner = draw(
        st.lists(
            st.floats(min_value=0, max_value=1, exclude_min=True, exclude_max=True),
            min_size=len(bins) - 1,
            max_size=len(bins) - 1,
            unique=True,
        )
    )
    return {"bin_edges": [0, *sorted(inner), 1], "shares": _shares(bins)}


@st.composite
def input_lengths(draw: st.DrawFn) -> dict[str, Any]:
    low = draw(st.integers(0, 10_000))
    high = draw(st.integers(low, 100_000))
    p50 = draw(st.floats(min_value=low, max_value=high))
    p95 = draw(st.floats(min_value=p50, max_value=high))
    mean = draw(st.floats(min_value=low, max_value=high))
    return {"unit": "characters", "min": low, "mean": mean, "p50": p50, "p95": p95, "max": high}


@st.composite
def baselines(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(labels, min_size=1, max_size=6, unique=True))
    label_counts = draw(
        st.lists(st.integers(0, 1000), min_size=len(names), max_size=len(names)).filter(
            lambda c: sum(c) > 0
        )
    )
    return {
        "num_examples": draw(st.integers(1, 10**9)),
        "predicted_label_shares": dict(zip(names, _shares(label_counts), strict=True)),
        "confidence_histogram": draw(histograms()),
        "input_length": draw(input_lengths()),
    }


training_sections = st.dictionaries(
    st.sampled_from(["job", "code_revision", "repository"]), recordable_text, min_size=1
)


@st.composite
def valid_documents(draw: st.DrawFn) -> dict[str, Any]:
    document: dict[str, Any] = {
        "metrics": draw(st.dictionaries(metric_names, finite_numbers, min_size=1, max_size=8))
    }
    optional = {
        "schema_version": st.sampled_from([1, 1.0]),
        "training": training_sections,
        "dataset": st.fixed_dictionaries({"id": recordable_text, "sha256": sha256_hex}),
        "artifact": st.fixed_dictionaries({"sha256": sha256_hex}),
        "baseline": baselines(),
    }
    for name in draw(st.sets(st.sampled_from(sorted(optional)))):
        document[name] = draw(optional[name])
    return document


# Any JSON value, NaN and infinities included (json.dumps writes them as NaN/Infinity).
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.floats()
    | st.integers()
    | st.text(max_size=20)
    | st.sampled_from(["characters", "a" * 64, "NEGATIVE"]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
