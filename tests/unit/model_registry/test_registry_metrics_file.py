"""The metrics file: its key next to the model, and the parser on valid and on every kind of
broken file (each reported with its path and what is wrong, never another exception)."""

from __future__ import annotations

import hashlib

import pytest

from registry.metrics_file import (
    MAX_PROBLEMS_IN_MESSAGE,
    ConfidenceHistogram,
    MetricsFileError,
    MetricsKeyError,
    MetricsProblem,
    ProblemKind,
    metrics_key_for,
    parse_metrics_file,
)
from tests.unit.model_registry.metrics_examples import (
    BROKEN_FILES,
    SHA_A,
    SHA_B,
    VALID_FILES,
    encode,
    full_document,
)

# --- The key ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model_key", "metrics_key"),
    [
        ("models/a/b.tar.gz", "models/a/b.metrics.json"),
        (
            "models/sentiment/2026-11-27T0046Z.tar.gz",
            "models/sentiment/2026-11-27T0046Z.metrics.json",
        ),
        ("model.tar.gz", "model.metrics.json"),
        ("models/v1.tar.gz.tar.gz", "models/v1.tar.gz.metrics.json"),
        ("models/é ü/b.tar.gz", "models/é ü/b.metrics.json"),
    ],
)
def test_the_metrics_key_replaces_the_archive_suffix(model_key, metrics_key):
    assert metrics_key_for(model_key) == metrics_key


@pytest.mark.parametrize("model_key", ["models/a/b.tgz", "models/a/b.tar", "models/a/b", ""])
def test_a_key_without_the_archive_suffix_is_an_error_naming_it(model_key):
    with pytest.raises(MetricsKeyError, match=r"does not end in '\.tar\.gz'") as raised:
        metrics_key_for(model_key)
    assert repr(model_key) in str(raised.value)


def test_a_model_key_too_long_for_a_metrics_key_is_an_error():
    # 1,024 bytes is the S3 maximum; the metrics suffix is 6 bytes longer than .tar.gz.
    longest = "m" * (1024 - len(".metrics.json")) + ".tar.gz"
    assert len(metrics_key_for(longest).encode()) == 1024
    too_long = "m" + longest
    with pytest.raises(MetricsKeyError, match="1025 bytes and S3 keys hold at most 1024"):
        metrics_key_for(too_long)


# --- Valid files -----------------------------------------------------------------------------


def test_a_full_file_is_parsed_into_every_section():
    data = encode(full_document())

    parsed = parse_metrics_file(data)

    assert dict(parsed.metrics) == {"accuracy": 0.912, "macro_f1": 0.905, "log_loss": 0.231}
    assert parsed.content_sha256 == hashlib.sha256(data).hexdigest()
    assert parsed.schema_version == 1
    assert parsed.training.job == "sentiment-train-2026-11-27-0046"
    assert parsed.training.code_revision == "3f2c9a1e5b7d4c6a8e0f1b2d3c4e5f6a7b8c9d0e"
    assert parsed.training.repository == "https://example.com/ml/sentiment"
    assert (parsed.dataset.id, parsed.dataset.sha256) == ("sentiment-holdout-v3", SHA_A)
    assert parsed.artifact_sha256 == SHA_B
    baseline = parsed.baseline
    assert baseline.num_examples == 5000
    assert dict(baseline.predicted_label_shares) == {"NEGATIVE": 0.47, "POSITIVE": 0.53}
    assert baseline.confidence_histogram.bin_edges == (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
    assert baseline.confidence_histogram.shares == (0.0, 0.04, 0.05, 0.08, 0.13, 0.70)
    length = baseline.input_length
    assert (length.unit, length.min, length.mean, length.p50, length.p95, length.max) == (
        "characters",
        3,
        71.4,
        58,
        182.5,
        1987,
    )
    assert isinstance(length.min, int)
    assert isinstance(length.max, int)


def test_a_minimal_file_has_no_optional_sections():
    parsed = parse_metrics_file(b'{"metrics": {"accuracy": 0.9}}')

    assert dict(parsed.metrics) == {"accuracy": 0.9}
    assert (parsed.training, parsed.dataset, parsed.artifact_sha256, parsed.baseline) == (
        None,
        None,
        None,
        None,
    )


@pytest.mark.parametrize("name", sorted(VALID_FILES))
def test_valid_corner_cases_are_accepted(name):
    parsed = parse_metrics_file(VALID_FILES[name])
    assert parsed.metrics


def test_metric_values_become_floats_in_file_order():
    parsed = parse_metrics_file(b'{"metrics": {"z": 3, "a": -0.5, "m": 1E+2}}')

    assert list(parsed.metrics.items()) == [("z", 3.0), ("a", -0.5), ("m", 100.0)]
    assert all(type(value) is float for value in parsed.metrics.values())


def test_the_parsed_metrics_cannot_be_changed():
    parsed = parse_metrics_file(b'{"metrics": {"accuracy": 0.9}}')
    with pytest.raises(TypeError):
        parsed.metrics["accuracy"] = 1.0  # type: ignore[index]


# --- Broken files ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(BROKEN_FILES))
def test_each_broken_file_names_where_and_what(name):
    case = BROKEN_FILES[name]

    with pytest.raises(MetricsFileError) as raised:
        parse_metrics_file(case.data)

    matching = [
        problem
        for problem in raised.value.problems
        if problem.pointer == case.pointer and case.fragment in problem.message
    ]
    assert matching, f"expected {case.pointer!r}: ...{case.fragment}..., got {raised.value}"
    assert matching[0].kind == case.kind
    assert str(matching[0]) in str(raised.value)


def test_every_problem_is_listed_at_once():
    document = full_document()
    document["metrics"] = {"accuracy": "high", "bad name": 1}
    document["dataset"]["sha256"] = "xyz"
    document["baseline"]["input_length"]["unit"] = "bytes"
    document["extra"] = 1

    with pytest.raises(MetricsFileError) as raised:
        parse_metrics_file(encode(document))

    assert [str(problem) for problem in raised.value.problems] == [
        "/extra: unknown field (allowed: metrics, schema_version, training, dataset, artifact, "
        "baseline)",
        "/metrics/bad name: name must be 1-64 ASCII letters, digits, '_', '.' or '-'",
        "/metrics/accuracy: must be a number, got the string 'high'",
        "/dataset/sha256: must be 64 lowercase hexadecimal digits, got 'xyz'",
        "/baseline/input_length/unit: must be one of characters, got the string 'bytes'",
    ]


def test_the_message_shows_the_first_problems_and_counts_the_rest():
    names = {f"bad name {index:02}": 1 for index in range(MAX_PROBLEMS_IN_MESSAGE + 5)}

    with pytest.raises(MetricsFileError) as raised:
        parse_metrics_file(encode({"metrics": names}))

    assert len(raised.value.problems) == MAX_PROBLEMS_IN_MESSAGE + 5
    assert str(raised.value).endswith("; and 5 more")
    assert "bad name 09" in str(raised.value)
    assert "bad name 10" not in str(raised.value)


def test_a_problem_on_the_whole_document_says_document():
    assert str(MetricsProblem("", "is not JSON")) == "document: is not JSON"


def test_quoted_user_text_is_escaped_and_shortened():
    # A lone surrogate and a newline must not reach a log line or an API field raw.
    data = b'{"metrics": {"\\ud800' + b"x" * 200 + b'\\n": 1}}'

    with pytest.raises(MetricsFileError) as raised:
        parse_metrics_file(data)

    message = str(raised.value)
    message.encode("utf-8")  # no lone surrogate left
    assert "\n" not in message
    assert "\\ud800" in message
    assert len(message) < 200


@pytest.mark.parametrize(
    "data", [bytearray(b'{"metrics": {"a": 1}}'), memoryview(b'{"metrics": {"a": 1}}')]
)
def test_any_bytes_like_object_is_read(data):
    assert dict(parse_metrics_file(data).metrics) == {"a": 1.0}


def test_an_error_needs_a_problem():
    with pytest.raises(ValueError, match="at least one problem"):
        MetricsFileError(())


def test_problem_kinds_of_a_consistency_failure_and_a_json_failure_differ():
    duplicate = BROKEN_FILES["duplicate metric"]
    unordered = BROKEN_FILES["p95 below p50"]
    assert duplicate.kind == ProblemKind.JSON
    assert unordered.kind == ProblemKind.CONSISTENCY


# --- The histogram's bins --------------------------------------------------------------------


def test_bins_are_half_open_and_the_last_one_is_closed():
    histogram = ConfidenceHistogram(bin_edges=(0.0, 0.5, 0.9, 1.0), shares=(0.0, 0.3, 0.7))

    assert [histogram.bin_index(score) for score in (0.0, 0.49, 0.5, 0.89, 0.9, 1.0)] == [
        0,
        0,
        1,
        1,
        2,
        2,
    ]


@pytest.mark.parametrize("score", [-0.01, 1.01, float("nan")])
def test_a_score_outside_0_1_has_no_bin(score):
    histogram = ConfidenceHistogram(bin_edges=(0.0, 1.0), shares=(1.0,))
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        histogram.bin_index(score)
