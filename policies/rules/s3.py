"""S3 buckets: versioning and default encryption."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .cfn import as_list, dig

# SSE-S3: the brief requires it for the model bucket, and the project uses it for every bucket
# (an access-log target could use SSE-KMS only with a customer-managed key whose policy admits
# the logging service; ADR 0043).
DEFAULT_SSE_ALGORITHMS = ("AES256",)


def versioning_enabled(bucket: Mapping[str, Any]) -> bool:
    """``VersioningConfiguration.Status`` is ``Enabled`` (``Suspended`` or absent is not)."""
    return dig(bucket, "VersioningConfiguration", "Status") == "Enabled"


def encryption_problems(
    bucket: Mapping[str, Any], allowed_algorithms: Iterable[str] = DEFAULT_SSE_ALGORITHMS
) -> list[str]:
    """Why the bucket's default encryption is missing or not one of ``allowed_algorithms``."""
    allowed = tuple(allowed_algorithms)
    rules = as_list(dig(bucket, "BucketEncryption", "ServerSideEncryptionConfiguration"))
    if not rules:
        return ["no default encryption (BucketEncryption) is configured"]
    problems = []
    for rule in rules:
        algorithm = dig(rule, "ServerSideEncryptionByDefault", "SSEAlgorithm")
        if algorithm not in allowed:
            problems.append(f"default encryption algorithm {algorithm!r} is not one of {allowed}")
    return problems
