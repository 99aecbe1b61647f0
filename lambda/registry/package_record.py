"""What the registration function writes on a model package, and reads back. Pure: no AWS.

- ``package_description``: the upload's identity as JSON in ``ModelPackageDescription``, which
  no one can change after CreateModelPackage. It is what orders packages ("newest approved",
  the plain flow's ``order_key``) and what recognises a redelivered upload, so operators
  editing customer metadata can never reorder or duplicate packages.
- ``customer_metadata``: the same identity, the metrics file's location and digest, provenance,
  every metric and the gate's decision as ``CustomerMetadataProperties``, for people and the
  monitor. Values the API's pattern refuses are left out (the description keeps the identity).
- ``client_token``: CreateModelPackage's idempotency token for one upload.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Mapping
from typing import Any

from registration.registered_model import ORIGIN_S3_EVENT, Registration
from registration.s3_events import MalformedEventError, parse_event_time, parse_upload_record

from . import contract
from .gate import GateVerdict
from .metrics_file import MetricsFile

DESCRIPTION_SCHEMA = "model-package-upload/1"
MAX_DESCRIPTION_LENGTH = 1024
MAX_METADATA_ENTRIES = 50
MAX_METADATA_KEY_LENGTH = 128
MAX_METADATA_VALUE_LENGTH = 256
MAX_APPROVAL_DESCRIPTION_LENGTH = 1024
CLIENT_TOKEN_LENGTH = 36
# Characters CustomerMetadataProperties accept besides letters, digits and spaces
# (pattern [\p{L}\p{Z}\p{N}_.:/=+\-@]).
_METADATA_PUNCTUATION = frozenset("_.:/=+-@")
# Comparison signs of the gate's reasons, spelt in the metadata alphabet.
_SIGNS = (("<=", " le "), (">=", " ge "), ("<", " lt "), (">", " gt "))

_IDENTITY_TYPES: dict[str, tuple[type, ...]] = {
    "key": (str,),
    "bucket": (str,),
    "eventName": (str, type(None)),
    "eventTime": (str,),
    "sequencer": (str, type(None)),
    "versionId": (str, type(None)),
    "eTag": (str, type(None)),
    "size": (int, type(None)),
}


class PackageDescriptionError(MalformedEventError):
    """The upload's identity does not fit a package description (a key of several hundred
    characters): the upload cannot be registered, and the event is rejected naming it."""


def package_description(upload: Registration) -> str:
    description = json.dumps(
        {
            "schema": DESCRIPTION_SCHEMA,
            "key": upload.key,
            "bucket": upload.bucket,
            "eventName": upload.event_name,
            "eventTime": upload.event_time,
            "sequencer": upload.sequencer,
            "versionId": upload.version_id,
            "eTag": upload.etag,
            "size": upload.size,
        },
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise PackageDescriptionError(
            f"the identity of upload {upload.key[:64]!r}... is {len(description)} characters; "
            f"a model package description holds {MAX_DESCRIPTION_LENGTH} (key too long)"
        )
    return description


def upload_from_description(description: str | None) -> Registration | None:
    """The upload a package registers, or None for a package this function did not create
    (or whose description it cannot trust): such a package is never served."""
    data = parse_upload_record(description, DESCRIPTION_SCHEMA, _IDENTITY_TYPES)
    if data is None:
        return None
    try:
        occurred_at = parse_event_time(data["eventTime"], "description.eventTime")
    except MalformedEventError:
        return None
    return Registration(
        key=data["key"],
        occurred_at=occurred_at,
        event_time=data["eventTime"],
        origin=ORIGIN_S3_EVENT,
        bucket=data["bucket"],
        event_name=data["eventName"],
        sequencer=data["sequencer"],
        version_id=data["versionId"],
        etag=data["eTag"],
        size=data["size"],
    )


def client_token(upload: Registration) -> str:
    """36 hex characters of SHA-256 over the upload's identity: a redelivery of the same
    upload carries the same token, so SageMaker returns the package it already created."""
    identity = "\n".join(
        str(part)
        for part in (
            upload.bucket,
            upload.key,
            upload.version_id,
            upload.sequencer,
            upload.event_time,
        )
    )
    return hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[
        :CLIENT_TOKEN_LENGTH
    ]


def fits_metadata(text: str, max_length: int = MAX_METADATA_VALUE_LENGTH) -> bool:
    """Whether ``text`` is a CustomerMetadataProperties key or value the API accepts."""
    return 0 < len(text) <= max_length and all(
        char in _METADATA_PUNCTUATION or unicodedata.category(char)[0] in "LNZ" for char in text
    )


def metadata_text(text: str) -> str:
    """``text`` in the metadata alphabet: comparison signs spelt out, other characters a
    space, cut to the value limit (the full text goes to ApprovalDescription)."""
    for sign, word in _SIGNS:
        text = text.replace(sign, word)
    cleaned = "".join(char if fits_metadata(char) else " " for char in text)
    return " ".join(cleaned.split())[:MAX_METADATA_VALUE_LENGTH] or "none"


def approval_description(verdict: GateVerdict) -> str:
    text = "; ".join(verdict.reasons)
    if len(text) > MAX_APPROVAL_DESCRIPTION_LENGTH:
        text = text[: MAX_APPROVAL_DESCRIPTION_LENGTH - 3] + "..."
    return text


def customer_metadata(
    upload: Registration,
    metrics_key: str | None,
    metrics: MetricsFile | None,
    metrics_sha256: str | None,
    verdict: GateVerdict,
    incumbent_version: int | None,
) -> dict[str, str]:
    """The package's CustomerMetadataProperties (at most 50; entries that do not fit the
    API's alphabet or length are left out, metrics last so identity and decision come first)."""
    entries: dict[str, Any] = {
        contract.METADATA_MODEL_BUCKET: upload.bucket,
        contract.METADATA_MODEL_KEY: upload.key,
        contract.METADATA_VERSION_ID: upload.version_id,
        contract.METADATA_EVENT_TIME: upload.event_time,
        contract.METADATA_SEQUENCER: upload.sequencer,
        contract.METADATA_ETAG: upload.etag,
        contract.METADATA_SIZE: upload.size,
        contract.METADATA_METRICS_KEY: metrics_key,
        contract.METADATA_METRICS_SHA256: metrics_sha256,
        contract.METADATA_GATE_DECISION: verdict.status.value,
        contract.METADATA_GATE_REASONS: metadata_text("; ".join(verdict.reasons)),
        contract.METADATA_GATE_INCUMBENT: incumbent_version,
    }
    if metrics is not None:
        training, dataset = metrics.training, metrics.dataset
        entries.update(
            {
                "TrainingJob": training.job if training else None,
                "TrainingCodeRevision": training.code_revision if training else None,
                "TrainingRepository": training.repository if training else None,
                "DatasetId": dataset.id if dataset else None,
                "DatasetSha256": dataset.sha256 if dataset else None,
                "ArtifactSha256": metrics.artifact_sha256,
            }
        )
        for name, value in metrics.metrics.items():
            entries[contract.METADATA_METRIC_PREFIX + name] = repr(float(value))
    metadata: dict[str, str] = {}
    for key, value in entries.items():
        if value is None or len(metadata) == MAX_METADATA_ENTRIES:
            continue
        text = str(value)
        if fits_metadata(key, MAX_METADATA_KEY_LENGTH) and fits_metadata(text):
            metadata[key] = text
    return metadata


def recorded_metrics(metadata: Mapping[str, str] | None) -> dict[str, float]:
    """The metrics a package recorded in its metadata (what the gate compares a candidate
    with); entries that do not read back as numbers are skipped."""
    metrics: dict[str, float] = {}
    for key, value in (metadata or {}).items():
        if key.startswith(contract.METADATA_METRIC_PREFIX):
            try:
                metrics[key[len(contract.METADATA_METRIC_PREFIX) :]] = float(value)
            except ValueError:
                continue
    return metrics
