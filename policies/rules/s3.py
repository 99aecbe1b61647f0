"""S3 bucket baseline: versioning, default encryption, public access blocks, TLS-only policy."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .cfn import as_list, is_false, is_true, join_parts, literal_text, referenced_logical_ids

PUBLIC_ACCESS_BLOCK_SETTINGS = (
    "BlockPublicAcls",
    "BlockPublicPolicy",
    "IgnorePublicAcls",
    "RestrictPublicBuckets",
)
# SSE-S3: the brief requires it for the model bucket, and the project uses it for every bucket
# (an access-log target could use SSE-KMS only with a customer-managed key whose policy admits
# the logging service; ADR 0043).
DEFAULT_SSE_ALGORITHMS = ("AES256",)


def _get(mapping: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(mapping, Mapping):
            return None
        mapping = mapping.get(key)
    return mapping


def versioning_enabled(bucket: Mapping[str, Any]) -> bool:
    """``VersioningConfiguration.Status`` is ``Enabled`` (``Suspended`` or absent is not)."""
    return _get(bucket, "VersioningConfiguration", "Status") == "Enabled"


def encryption_problems(
    bucket: Mapping[str, Any], allowed_algorithms: Iterable[str] = DEFAULT_SSE_ALGORITHMS
) -> list[str]:
    """Why the bucket's default encryption is missing or not one of ``allowed_algorithms``."""
    allowed = tuple(allowed_algorithms)
    rules = as_list(_get(bucket, "BucketEncryption", "ServerSideEncryptionConfiguration"))
    if not rules:
        return ["no default encryption (BucketEncryption) is configured"]
    problems = []
    for rule in rules:
        algorithm = _get(rule, "ServerSideEncryptionByDefault", "SSEAlgorithm")
        if algorithm not in allowed:
            problems.append(f"default encryption algorithm {algorithm!r} is not one of {allowed}")
    return problems


def public_access_gaps(bucket: Mapping[str, Any]) -> list[str]:
    """The public-access-block settings that are not explicitly true."""
    block = _get(bucket, "PublicAccessBlockConfiguration")
    return [name for name in PUBLIC_ACCESS_BLOCK_SETTINGS if not is_true(_get(block, name))]


def _is_everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    return isinstance(principal, Mapping) and "*" in as_list(principal.get("AWS"))


def _covers_all_s3_actions(actions: Any) -> bool:
    return any(isinstance(a, str) and a.strip().lower() in {"*", "s3:*"} for a in as_list(actions))


def _denies_insecure_transport(condition: Any) -> bool:
    if not isinstance(condition, Mapping):
        return False
    for operator, block in condition.items():
        if not (isinstance(operator, str) and operator.lower() == "bool"):
            continue
        if isinstance(block, Mapping):
            for key, value in block.items():
                if (
                    isinstance(key, str)
                    and key.lower() == "aws:securetransport"
                    and is_false(value)
                ):
                    return True
    return False


def _refers_to_bucket(resource: Any, bucket: Any) -> bool:
    bucket_ids = referenced_logical_ids(bucket)
    if bucket_ids & referenced_logical_ids(resource):
        return True
    return isinstance(bucket, str) and f":::{bucket}" in literal_text(resource)


def _is_objects_resource(resource: Any) -> bool:
    parts = join_parts(resource)
    return bool(parts) and isinstance(parts[-1], str) and parts[-1].endswith("/*")


def _covers_bucket_and_objects(resources: Any, bucket: Any) -> bool:
    listed = as_list(resources)
    if "*" in listed:
        return True
    ours = [resource for resource in listed if _refers_to_bucket(resource, bucket)]
    has_objects = any(_is_objects_resource(resource) for resource in ours)
    has_bucket = any(not _is_objects_resource(resource) for resource in ours)
    return has_objects and has_bucket


def policy_enforces_tls(policy_document: Any, bucket: Any) -> bool:
    """Whether a bucket policy denies every S3 action to everyone over plain HTTP.

    ``bucket`` is the policy's ``Bucket`` property (``{"Ref": id}`` or a literal name). The
    statement must be ``Effect: Deny``, ``Principal`` ``*`` (or ``{"AWS": "*"}``), ``Action``
    ``s3:*`` or ``*``, ``Condition: {"Bool": {"aws:SecureTransport": false}}``, and its
    ``Resource`` must cover the bucket itself and ``<bucket>/*``.
    """
    if not isinstance(policy_document, Mapping):
        return False
    for statement in as_list(policy_document.get("Statement")):
        if (
            isinstance(statement, Mapping)
            and statement.get("Effect") == "Deny"
            and _is_everyone(statement.get("Principal"))
            and _covers_all_s3_actions(statement.get("Action"))
            and _denies_insecure_transport(statement.get("Condition"))
            and _covers_bucket_and_objects(statement.get("Resource"), bucket)
        ):
            return True
    return False


def policy_is_for_bucket(
    policy_bucket: Any, bucket_logical_id: str, bucket_properties: Mapping[str, Any]
) -> bool:
    """Whether a BucketPolicy's ``Bucket`` value designates the given bucket."""
    if bucket_logical_id in referenced_logical_ids(policy_bucket):
        return True
    name = bucket_properties.get("BucketName")
    return name is not None and join_parts(policy_bucket) == join_parts(name)
