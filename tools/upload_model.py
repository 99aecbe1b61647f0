"""Upload a model archive under ``models/`` without ever replacing one (ADR-0056).

Usage (from the repository root, with AWS credentials and a region)::

    python -m tools.upload_model ARCHIVE.tar.gz s3://BUCKET/models/NAME.tar.gz

The model bucket refuses any object creation under ``models/`` without ``If-None-Match``, so
``aws s3 cp`` and boto3's ``upload_file`` get AccessDenied there. This command sends what the
bucket accepts: one ``PutObject`` with ``If-None-Match: *`` up to MULTIPART_THRESHOLD, above it
a multipart upload whose completion carries ``If-None-Match: *`` (S3 User Guide, "How to prevent
object overwrites with conditional writes"); any size up to S3's 5 TB. A key that exists is
refused by S3 (412) and reported as such: a corrected model is a new key. A failed multipart
upload is aborted, so no parts are left behind.

Exit codes: 0 uploaded; 1 S3 refused it (key exists, access denied); 2 misuse (arguments,
archive missing).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from config.constants import MODEL_ARTIFACT_SUFFIX, MODEL_KEY_PREFIX

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
MIB = 1024 * 1024
# S3's limits (Amazon S3 User Guide, "Amazon S3 multipart upload limits").
MIN_PART_SIZE = 5 * MIB
MAX_PARTS = 10_000
MAX_SINGLE_PUT = 5 * 1024 * MIB
# Above this an archive goes in parts: a failed part is retried alone, not the whole archive.
MULTIPART_THRESHOLD = 64 * MIB
DEFAULT_PART_SIZE = 64 * MIB
WRITE_ONCE = "If-None-Match: *"


class UploadError(Exception):
    """The upload cannot be done; the message says why."""


class UsageError(UploadError):
    """The arguments are wrong."""


class RefusedError(UploadError):
    """S3 refused the upload (the key exists, or access is denied)."""


@dataclass(frozen=True)
class UploadResult:
    bucket: str
    key: str
    size: int
    parts: int  # 0: a single PutObject
    etag: str
    version_id: str | None


def parse_destination(url: str) -> tuple[str, str]:
    """``s3://bucket/models/name.tar.gz`` -> (bucket, key); only keys the registration takes."""
    scheme, _, rest = url.partition("://")
    bucket, _, key = rest.partition("/")
    if scheme != "s3" or not bucket or not key:
        raise UsageError(f"{url}: the destination must be s3://<bucket>/<key>")
    if not key.startswith(MODEL_KEY_PREFIX) or not key.endswith(MODEL_ARTIFACT_SUFFIX):
        raise UsageError(
            f"{url}: the key must start with {MODEL_KEY_PREFIX!r} and end with "
            f"{MODEL_ARTIFACT_SUFFIX!r} (the registration function ignores any other upload)"
        )
    return bucket, key


def part_size_for(size: int, requested: int = DEFAULT_PART_SIZE) -> int:
    """The part size: at least S3's minimum, large enough to stay within 10,000 parts."""
    return max(requested, MIN_PART_SIZE, math.ceil(size / MAX_PARTS))


def upload(
    s3: Any,
    archive: Path | str,
    bucket: str,
    key: str,
    *,
    threshold: int = MULTIPART_THRESHOLD,
    part_size: int = DEFAULT_PART_SIZE,
) -> UploadResult:
    """Write ``archive`` to ``bucket``/``key`` only if the key does not exist yet."""
    archive = Path(archive)
    if not archive.is_file():
        raise UsageError(f"{archive}: no such file")
    size = archive.stat().st_size
    with archive.open("rb") as stream:
        if size <= min(threshold, MAX_SINGLE_PUT):
            answer = _call(s3.put_object, bucket, key, Body=stream, IfNoneMatch="*")
            return UploadResult(bucket, key, size, 0, answer["ETag"], answer.get("VersionId"))
        return _multipart(s3, stream, bucket, key, size, part_size_for(size, part_size))


def _multipart(
    s3: Any, stream: BinaryIO, bucket: str, key: str, size: int, part_size: int
) -> UploadResult:
    upload_id = _call(s3.create_multipart_upload, bucket, key)["UploadId"]
    try:
        parts = []
        for number in range(1, math.ceil(size / part_size) + 1):
            body = stream.read(part_size)
            answer = _call(
                s3.upload_part, bucket, key, UploadId=upload_id, PartNumber=number, Body=body
            )
            parts.append({"PartNumber": number, "ETag": answer["ETag"]})
        answer = _call(
            s3.complete_multipart_upload,
            bucket,
            key,
            UploadId=upload_id,
            MultipartUpload={"Parts": parts},
            IfNoneMatch="*",
        )
    except BaseException:
        # Parts of an unfinished upload are billed until aborted.
        s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        raise
    return UploadResult(bucket, key, size, len(parts), answer["ETag"], answer.get("VersionId"))


def _call(operation: Any, bucket: str, key: str, **arguments: Any) -> dict:
    from botocore.exceptions import ClientError

    try:
        return operation(Bucket=bucket, Key=key, **arguments)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        where = f"s3://{bucket}/{key}"
        if code in ("PreconditionFailed", "412"):
            raise RefusedError(
                f"{where} already exists: models are write-once (ADR-0056); upload the "
                "corrected model under a new key"
            ) from None
        if code == "ConditionalRequestConflict":
            raise RefusedError(f"{where}: another upload to the same key is in progress") from None
        if code == "AccessDenied":
            raise RefusedError(
                f"{where}: access denied. Writes under {MODEL_KEY_PREFIX} need {WRITE_ONCE} "
                "(this command sends it), your IAM permissions, and, where the deployment "
                "names model_uploaders, one of those principals"
            ) from None
        raise


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.upload_model",
        description="Upload a model archive to the model bucket, refusing to replace an "
        "existing model (If-None-Match: *), in parts above "
        f"{MULTIPART_THRESHOLD // MIB} MiB.",
    )
    parser.add_argument("archive", type=Path, help=f"the archive, ending {MODEL_ARTIFACT_SUFFIX}")
    parser.add_argument("destination", help=f"s3://<bucket>/{MODEL_KEY_PREFIX}<name>.tar.gz")
    parser.add_argument(
        "--part-size-mib",
        type=int,
        default=DEFAULT_PART_SIZE // MIB,
        help="part size of a multipart upload (at least 5)",
    )
    return parser


def main(argv: Sequence[str] | None = None, s3: Any = None) -> int:
    args = _parser().parse_args(argv)
    try:
        bucket, key = parse_destination(args.destination)
        if s3 is None:
            import boto3

            s3 = boto3.client("s3")
        result = upload(s3, args.archive, bucket, key, part_size=args.part_size_mib * MIB)
    except RefusedError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_REFUSED
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    how = f"in {result.parts} parts" if result.parts else "in one request"
    print(
        f"uploaded s3://{result.bucket}/{result.key} ({result.size} bytes {how}, "
        f"versionId {result.version_id}, {WRITE_ONCE})"
    )
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
