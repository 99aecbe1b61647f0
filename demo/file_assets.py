"""Publish a stack's file assets from a cloud assembly, as ``cdk deploy`` does before it deploys.

The in-process test creates stacks through moto's CloudFormation API without the CDK CLI, so
someone has to put the Lambda code packages where the templates say they are (the bootstrap
bucket, the asset hash as key). ``make demo`` does not use this: there the CLI publishes.
Only ``file`` and ``zip`` packaging exist in this app (no Docker image assets).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

from demo.cfn_values import Environment, TemplateValues


class UnsupportedAssetError(ValueError):
    """An asset this publisher cannot handle (Docker images, unknown packaging)."""


def publish_file_assets(s3: Any, assembly_dir: Path, stack: str, environment: Environment) -> int:
    """Upload every file asset of ``stack`` to its destination bucket; returns how many."""
    manifest = json.loads((assembly_dir / f"{stack}.assets.json").read_text(encoding="utf-8"))
    if manifest.get("dockerImages"):
        raise UnsupportedAssetError(f"{stack} has Docker image assets; build them with the CLI")
    values = TemplateValues(environment)
    published = 0
    for asset_id, asset in manifest.get("files", {}).items():
        source = assembly_dir / asset["source"]["path"]
        packaging = asset["source"].get("packaging", "file")
        if packaging == "zip":
            body = _zip_directory(source)
        elif packaging == "file":
            body = source.read_bytes()
        else:
            raise UnsupportedAssetError(f"asset {asset_id}: packaging {packaging!r}")
        for destination in asset["destinations"].values():
            bucket = values.resolve({"Fn::Sub": destination["bucketName"]})
            _ensure_bucket(s3, bucket)
            s3.put_object(Bucket=bucket, Key=destination["objectKey"], Body=body)
            published += 1
    return published


def _zip_directory(directory: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(directory).as_posix())
    return buffer.getvalue()


def _ensure_bucket(s3: Any, bucket: str) -> None:
    existing = {entry["Name"] for entry in s3.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        s3.create_bucket(Bucket=bucket)
