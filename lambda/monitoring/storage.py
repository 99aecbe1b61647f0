"""S3 reading for the monitor: list a prefix, stream an object line by line, test a key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# One read of a capture file: memory holds this chunk and the line being cut from it.
_LINE_CHUNK_BYTES = 64 * 1024


def list_keys(s3: Any, bucket: str, prefix: str) -> Iterator[str]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            yield item["Key"]


def stream_lines(s3: Any, bucket: str, key: str) -> Iterator[bytes]:
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    try:
        yield from body.iter_lines(chunk_size=_LINE_CHUNK_BYTES)
    finally:
        body.close()


def object_exists(s3: Any, bucket: str, key: str) -> bool:
    """Whether ``key`` exists, by listing it: a HEAD or GET of a missing object answers 403, not
    404, to a role without an unconditioned s3:ListBucket, and the monitor's listing is
    narrowed to its prefixes (ADR-0070)."""
    response = s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
    return any(item["Key"] == key for item in response.get("Contents", []))
