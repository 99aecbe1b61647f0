"""Properties of the metrics-file parser (lambda/registry/metrics_file.py):

- on arbitrary bytes, and on valid files with bytes flipped, it returns a MetricsFile or raises
  MetricsFileError, never anything else;
- every generated valid document is accepted, read back exactly, and accepted by the
  committed JSON Schema too;
- replacing, deleting or adding any one value of a valid document, with any JSON value (NaN
  and infinities included), leaves parser and schema in agreement (see metrics_examples).
"""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.metrics_file import MetricsFile, MetricsFileError, parse_metrics_file
from tests.unit.model_registry.metrics_examples import (
    assert_parser_agrees_with_schema,
    encode,
    full_document,
    json_values,
    schema_accepts,
    valid_documents,
)

# Cheap inputs get more examples than the suite default; generated documents cost ~10 ms each.
MANY = settings(max_examples=300)


def parse_or_error(data: bytes) -> MetricsFile | MetricsFileError:
    try:
        return parse_metrics_file(data)
    except MetricsFileError as error:
        return error


@MANY
@given(data=st.binary(max_size=512))
def test_arbitrary_bytes_give_a_result_or_a_metrics_file_error(data):
    result = parse_or_error(data)
    if isinstance(result, MetricsFileError):
        assert result.problems
        str(result).encode("utf-8")  # printable, loggable, sendable to an API


@given(
    document=valid_documents(),
    flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=4),
)
def test_valid_files_with_bytes_changed_give_a_result_or_a_metrics_file_error(document, flips):
    data = bytearray(encode(document))
    for position, value in flips:
        data[position % len(data)] = value

    result = parse_or_error(bytes(data))

    assert isinstance(result, MetricsFile | MetricsFileError)
    assert_parser_agrees_with_schema(bytes(data))


@given(document=valid_documents(), indent=st.sampled_from([None, 2]))
def test_every_valid_document_is_accepted_by_parser_and_schema_and_read_back(document, indent):
    data = json.dumps(document, indent=indent).encode("utf-8")

    parsed = parse_metrics_file(data)

    assert schema_accepts(data)
    assert dict(parsed.metrics) == {
        name: float(value) for name, value in document["metrics"].items()
    }
    if "baseline" in document:
        expected = document["baseline"]
        assert parsed.baseline.num_examples == expected["num_examples"]
        assert dict(parsed.baseline.predicted_label_shares) == expected["predicted_label_shares"]
        histogram = parsed.baseline.confidence_histogram
        assert list(histogram.bin_edges) == expected["confidence_histogram"]["bin_edges"]
        assert math.fsum(histogram.shares) == math.fsum(expected["confidence_histogram"]["shares"])
    else:
        assert parsed.baseline is None
    for section in ("training", "dataset"):
        assert (getattr(parsed, section) is None) == (section not in document)
    assert parsed.artifact_sha256 == document.get("artifact", {}).get("sha256")


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value inside a document (object keys and array indices)."""
    found = []
    if isinstance(value, dict):
        for key, child in value.items():
            found += [(*prefix, key), *_paths(child, (*prefix, key))]
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += [(*prefix, index), *_paths(child, (*prefix, index))]
    return found


@st.composite
def one_change(draw: st.DrawFn) -> bytes:
    document = draw(st.sampled_from([full_document()]) | valid_documents())
    path = draw(st.sampled_from(_paths(document)))
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    action = draw(st.sampled_from(["replace", "delete", "add"]))
    if action == "replace":
        parent[path[-1]] = draw(json_values)
    elif action == "delete":
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[draw(st.text(max_size=12))] = draw(json_values)
    else:
        parent.append(draw(json_values))
    return json.dumps(document).encode("utf-8")


@given(data=one_change())
def test_parser_and_schema_agree_on_any_single_change_of_a_valid_document(data):
    assert_parser_agrees_with_schema(data)


@MANY
@given(value=json_values)
def test_parser_and_schema_agree_on_any_json_value(value):
    assert_parser_agrees_with_schema(json.dumps(value).encode("utf-8"))
    assert_parser_agrees_with_schema(json.dumps({"metrics": value}).encode("utf-8"))
