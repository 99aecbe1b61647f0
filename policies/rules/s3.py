"""S3 buckets: versioning with bounded retention of old versions, and SSE-S3 by default."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .cfn import as_list, dig

# SSE-S3: the brief requires it for the model bucket, and the project uses it for every bucket
# (an access-log target could use SSE-KMS only with a customer-managed key whose policy admits
# the logging service; ADR 0043).
SSE_ALGORITHMS = ("AES256",)
# Lifecycle rule properties that narrow a rule to part of the bucket (CloudFormation
# AWS::S3::Bucket Rule). A noncurrent-version expiration behind one of them leaves the versions
# of every other object to pile up.
NARROWING_FILTERS = ("Prefix", "TagFilters", "ObjectSizeGreaterThan", "ObjectSizeLessThan")


def _expires_noncurrent_versions(rule: Any) -> bool:
    """An enabled lifecycle rule for the whole bucket that expires noncurrent versions."""
    if not isinstance(rule, Mapping) or rule.get("Status") != "Enabled":
        return False
    if any(rule.get(key) not in (None, "", []) for key in NARROWING_FILTERS):
        return False
    return (
        dig(rule, "NoncurrentVersionExpiration", "NoncurrentDays") is not None
        # The older spelling of the same setting, still accepted by CloudFormation.
        or rule.get("NoncurrentVersionExpirationInDays") is not None
    )


def versioning_problems(bucket: Mapping[str, Any]) -> list[str]:
    """Why a replaced or deleted object is not kept, or kept without end; empty when fine.

    Versioning must be ``Enabled`` (``Suspended``, absent or a deploy-time value is not), and an
    enabled lifecycle rule without a prefix, tag or size filter must expire noncurrent versions
    (``NoncurrentVersionExpiration.NoncurrentDays``).
    """
    problems = []
    if dig(bucket, "VersioningConfiguration", "Status") != "Enabled":
        problems.append("VersioningConfiguration.Status is not Enabled")
    rules = as_list(dig(bucket, "LifecycleConfiguration", "Rules"))
    if not any(_expires_noncurrent_versions(rule) for rule in rules):
        problems.append(
            "no enabled lifecycle rule for the whole bucket sets NoncurrentVersionExpiration"
        )
    return problems


def encryption_problems(bucket: Mapping[str, Any]) -> list[str]:
    """Why the bucket's default encryption is missing or not one of ``SSE_ALGORITHMS``."""
    encryption_rules = as_list(dig(bucket, "BucketEncryption", "ServerSideEncryptionConfiguration"))
    if not encryption_rules:
        return ["no default encryption (BucketEncryption) is configured"]
    problems = []
    for rule in encryption_rules:
        algorithm = dig(rule, "ServerSideEncryptionByDefault", "SSEAlgorithm")
        if algorithm not in SSE_ALGORITHMS:
            problems.append(
                f"default encryption algorithm {algorithm!r} is not one of {SSE_ALGORITHMS}"
            )
    return problems
