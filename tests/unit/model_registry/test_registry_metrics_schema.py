"""The committed JSON Schema of the metrics file, checked with the real ``jsonschema``
validator, and the stdlib parser's agreement with it on a corpus of valid and broken files
(generated documents: tests/property/test_registry_metrics_file_properties.py)."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from registry.metrics_file import (
    MAX_METRICS_FILE_BYTES,
    SHARE_SUM_TOLERANCE,
    ProblemKind,
)
from tests.unit.model_registry.metrics_examples import (
    BROKEN_FILES,
    DOCUMENTED_MAX_BYTES,
    SCHEMA,
    VALID_FILES,
    VALIDATOR,
    assert_parser_agrees_with_schema,
    decode_i_json,
    full_document,
    schema_accepts,
)


def test_the_schema_is_a_valid_draft_2020_12_schema_with_an_id():
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["$id"].startswith("urn:")
    assert SCHEMA["required"] == ["metrics"]


def test_every_section_and_field_is_described():
    undocumented = [
        name
        for name, definition in {**SCHEMA["properties"], **SCHEMA["$defs"]}.items()
        if "description" not in definition and name != "share"
    ]
    assert undocumented == []


def test_the_schema_states_the_limits_the_parser_enforces():
    description = SCHEMA["description"]
    assert f"{MAX_METRICS_FILE_BYTES:,} bytes" in description
    assert DOCUMENTED_MAX_BYTES == MAX_METRICS_FILE_BYTES
    assert f"within {SHARE_SUM_TOLERANCE}" in description
    assert "RFC 7493" in description


@pytest.mark.parametrize("name", sorted(VALID_FILES))
def test_the_schema_accepts_the_valid_files(name):
    assert schema_accepts(VALID_FILES[name])


def test_the_schema_alone_accepts_a_full_document():
    assert list(VALIDATOR.iter_errors(full_document())) == []


@pytest.mark.parametrize(
    "name", sorted(n for n, case in BROKEN_FILES.items() if case.kind != ProblemKind.CONSISTENCY)
)
def test_the_schema_side_rejects_the_broken_files(name):
    assert not schema_accepts(BROKEN_FILES[name].data)


@pytest.mark.parametrize(
    "name", sorted(n for n, case in BROKEN_FILES.items() if case.kind == ProblemKind.CONSISTENCY)
)
def test_the_consistency_rules_are_the_ones_the_schema_cannot_express(name):
    # Known, listed gap: sums, orderings and lengths across fields. The parser enforces them.
    assert schema_accepts(BROKEN_FILES[name].data)


@pytest.mark.parametrize(
    "name",
    sorted(n for n, case in BROKEN_FILES.items() if case.kind == ProblemKind.SCHEMA),
)
def test_schema_problems_are_caught_by_the_schema_itself_not_the_decoder(name):
    # These files decode as I-JSON: the schema, not the byte rules, rejects them.
    document = decode_i_json(BROKEN_FILES[name].data)
    assert not VALIDATOR.is_valid(document)


@pytest.mark.parametrize("name", sorted(VALID_FILES) + sorted(BROKEN_FILES))
def test_the_parser_and_the_schema_agree(name):
    data = VALID_FILES[name] if name in VALID_FILES else BROKEN_FILES[name].data
    assert_parser_agrees_with_schema(data)


@pytest.mark.parametrize(
    "document",
    [
        {"metrics": {"accuracy\n": 0.9}},
        {"metrics": {"a": 1}, "artifact": {"sha256": "a" * 63 + "\n"}},
        {"metrics": {"a": 1}, "dataset": {"id": "holdout\n", "sha256": "a" * 64}},
    ],
)
def test_a_trailing_newline_fails_the_schema_patterns(document):
    # Python's re lets $ match before a final newline; the schema's patterns must not.
    assert not VALIDATOR.is_valid(document)
