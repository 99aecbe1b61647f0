"""What the registration function writes on a package and reads back
(lambda/registry/package_record.py): the upload identity in the description, the idempotency
token, the customer metadata in the API's alphabet, the metrics recorded for later gates."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from registration.registered_model import Registration, order_key
from registry import contract
from registry.gate import ApprovalStatus, GateVerdict
from registry.metrics_file import parse_metrics_file
from registry.package_record import (
    MAX_METADATA_ENTRIES,
    PackageDescriptionError,
    approval_description,
    client_token,
    customer_metadata,
    fits_metadata,
    metadata_text,
    package_description,
    recorded_metrics,
    upload_from_description,
)

UPLOAD = Registration(
    key="models/sentiment/v2.tar.gz",
    occurred_at=datetime(2026, 12, 5, 10, 0, 1, 500000, tzinfo=UTC),
    event_time="2026-12-05T10:00:01.500Z",
    origin="s3-event",
    bucket="model-bucket",
    event_name="ObjectCreated:Put",
    sequencer="0055AB1234567990",
    version_id="3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY",
    etag="cfca6e26b6c2a9e94994644c684dfee0",
    size=1024,
)
REJECTED = GateVerdict(
    ApprovalStatus.REJECTED, ("primary accuracy 0.81 < incumbent 0.86 - tolerance 0.005",)
)
# CustomerMetadataProperties' value pattern (SageMaker API reference), in Python's terms.
METADATA_VALUE = re.compile(r"[\w\s.:/=+\-@]{1,256}", re.UNICODE)


def test_the_description_holds_the_whole_upload_identity_and_reads_back():
    description = package_description(UPLOAD)

    assert upload_from_description(description) == UPLOAD
    assert json.loads(description)["key"] == UPLOAD.key


@pytest.mark.parametrize(
    "description",
    [None, "", "not json", "[]", '{"schema": "other/1"}', "[" * 2000],
    ids=["none", "empty", "text", "array", "other-schema", "deep"],
)
def test_a_description_this_function_did_not_write_is_no_upload(description):
    assert upload_from_description(description) is None


def test_a_description_with_a_bad_field_is_no_upload():
    data = json.loads(package_description(UPLOAD))
    for field, bad in (("sequencer", "not-hex"), ("eventTime", "yesterday"), ("size", -1)):
        assert upload_from_description(json.dumps({**data, field: bad})) is None, field


def test_a_key_too_long_for_a_description_is_refused_naming_the_limit():
    upload = Registration(**{**UPLOAD.__dict__, "key": "models/" + "k" * 900 + ".tar.gz"})

    with pytest.raises(PackageDescriptionError, match="holds 1024"):
        package_description(upload)


def test_the_client_token_is_the_same_for_a_redelivery_and_differs_per_upload():
    again = Registration(**UPLOAD.__dict__)
    other = Registration(**{**UPLOAD.__dict__, "version_id": "another-version"})

    assert client_token(again) == client_token(UPLOAD)
    assert client_token(other) != client_token(UPLOAD)
    assert re.fullmatch(r"[a-zA-Z0-9-]{36}", client_token(UPLOAD))


def test_metadata_records_identity_metrics_file_provenance_and_decision():
    metrics = parse_metrics_file(
        json.dumps(
            {
                "metrics": {"accuracy": 0.81, "macro_f1": 0.8},
                "training": {"job": "job-42", "code_revision": "abc123"},
            }
        ).encode()
    )

    metadata = customer_metadata(
        UPLOAD, "models/sentiment/v2.metrics.json", metrics, "ab" * 32, REJECTED, 3
    )

    assert metadata[contract.METADATA_MODEL_KEY] == UPLOAD.key
    assert metadata[contract.METADATA_VERSION_ID] == UPLOAD.version_id
    assert metadata[contract.METADATA_EVENT_TIME] == UPLOAD.event_time
    assert metadata[contract.METADATA_SEQUENCER] == UPLOAD.sequencer
    assert metadata[contract.METADATA_METRICS_KEY] == "models/sentiment/v2.metrics.json"
    assert metadata[contract.METADATA_GATE_DECISION] == "Rejected"
    assert metadata[contract.METADATA_GATE_INCUMBENT] == "3"
    assert metadata["TrainingJob"] == "job-42"
    assert metadata["Metric.accuracy"] == "0.81"
    assert "<" not in metadata[contract.METADATA_GATE_REASONS]
    assert " lt " in metadata[contract.METADATA_GATE_REASONS]
    assert all(METADATA_VALUE.fullmatch(value) for value in metadata.values())


def test_metadata_leaves_out_what_the_api_would_refuse_and_keeps_to_fifty_entries():
    upload = Registration(**{**UPLOAD.__dict__, "key": "models/(odd) key.tar.gz"})
    many = parse_metrics_file(
        json.dumps({"metrics": {f"m{i}": i / 100 for i in range(80)}}).encode()
    )

    metadata = customer_metadata(upload, None, many, None, REJECTED, None)

    assert contract.METADATA_MODEL_KEY not in metadata
    assert len(metadata) == MAX_METADATA_ENTRIES
    assert metadata[contract.METADATA_GATE_DECISION] == "Rejected"


def test_the_metrics_recorded_in_metadata_read_back_for_the_next_gate():
    metrics = parse_metrics_file(b'{"metrics": {"accuracy": 0.1234567890123, "loss": -3}}')
    metadata = customer_metadata(UPLOAD, None, metrics, None, REJECTED, None)

    assert recorded_metrics(metadata) == {"accuracy": 0.1234567890123, "loss": -3.0}
    assert recorded_metrics({"Metric.x": "not a number", "Other": "1"}) == {}
    assert recorded_metrics(None) == {}


def test_metadata_text_keeps_words_and_spells_out_signs():
    assert metadata_text("a <= b; c >= d (e) > f") == "a le b c ge d e gt f"
    assert fits_metadata(metadata_text("\u00e9t\u00e9 \u2192 'quoted' <x>"))
    assert metadata_text("<<>>") == "lt lt gt gt"


def test_the_approval_description_joins_the_reasons_within_the_api_limit():
    many = GateVerdict(ApprovalStatus.REJECTED, tuple("reason " * 40 for _ in range(10)))

    assert approval_description(REJECTED) == REJECTED.reasons[0]
    assert len(approval_description(many)) == 1024
    assert approval_description(many).endswith("...")


def test_a_redelivered_upload_has_the_same_order_as_the_description_it_left():
    assert order_key(upload_from_description(package_description(UPLOAD))) == order_key(UPLOAD)
