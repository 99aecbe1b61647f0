"""The thin SageMaker and S3 adapters of the registry: list, create and annotate the model
packages of one group, and read a metrics file.

AWS failures that survive botocore's retries, and attempts the clients' time guard refuses,
become ``RegistryError``; the invocation raises and Lambda's retry repeats it, which is safe
because every step is idempotent (a package per upload is found again by its identity).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from common.errors import NamedError, OutOfTimeError
from registration.registered_model import Registration

from .gate import ApprovalStatus
from .metrics_file import MAX_METRICS_FILE_BYTES
from .package_record import upload_from_description

# ListModelPackages' largest page.
LIST_PAGE_SIZE = 100
METRICS_CONTENT_TYPE = "application/json"


class RegistryError(NamedError):
    """SageMaker or S3 refused or failed a call after botocore's retries, or the function's
    time ran out before another attempt could finish. The event's retry repeats the work;
    nothing done so far is repeated twice (packages are found by their upload identity)."""


@dataclass(frozen=True)
class GroupPackage:
    """One package of the group as ListModelPackages shows it; ``upload`` is None for a
    package this function did not create (never served, never compared)."""

    arn: str
    version: int
    status: ApprovalStatus
    upload: Registration | None


def _aws_errors() -> tuple[type[BaseException], ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    return (ClientError, BotoCoreError, OutOfTimeError)


def list_packages(sagemaker: Any, group: str) -> list[GroupPackage]:
    """Every package of ``group``, oldest first."""
    packages: list[GroupPackage] = []
    request: dict[str, Any] = {
        "ModelPackageGroupName": group,
        "MaxResults": LIST_PAGE_SIZE,
        "SortBy": "CreationTime",
        "SortOrder": "Ascending",
    }
    while True:
        try:
            page = sagemaker.list_model_packages(**request)
        except _aws_errors() as error:
            raise RegistryError(f"ListModelPackages of group {group} failed: {error}") from error
        for summary in page.get("ModelPackageSummaryList", []):
            status = summary.get("ModelApprovalStatus")
            packages.append(
                GroupPackage(
                    arn=summary["ModelPackageArn"],
                    version=int(summary.get("ModelPackageVersion") or 0),
                    status=ApprovalStatus(status)
                    if status in ApprovalStatus._value2member_map_
                    else ApprovalStatus.PENDING_MANUAL_APPROVAL,
                    upload=upload_from_description(summary.get("ModelPackageDescription")),
                )
            )
        token = page.get("NextToken")
        if not token:
            return packages
        request["NextToken"] = token


def describe_package(sagemaker: Any, arn: str) -> dict[str, Any]:
    try:
        return sagemaker.describe_model_package(ModelPackageName=arn)
    except _aws_errors() as error:
        raise RegistryError(f"DescribeModelPackage {arn} failed: {error}") from error


def create_package(sagemaker: Any, request: dict[str, Any]) -> str:
    """CreateModelPackage; returns the new (or, for a repeated ClientToken, the existing)
    package's ARN."""
    try:
        return sagemaker.create_model_package(**request)["ModelPackageArn"]
    except _aws_errors() as error:
        raise RegistryError(
            f"CreateModelPackage in group {request.get('ModelPackageGroupName')} failed; no "
            f"package was recorded for this upload, the event's retry creates it: {error}"
        ) from error


def annotate_package(
    sagemaker: Any,
    arn: str,
    status: ApprovalStatus,
    approval_description: str,
    metadata: dict[str, str],
) -> None:
    """Record the gate's reasons as ApprovalDescription (CreateModelPackage has no such
    field). The status and metadata are sent again, unchanged: UpdateModelPackage takes the
    approval description with a status, and moto forgets metadata that is not re-sent."""
    try:
        sagemaker.update_model_package(
            ModelPackageArn=arn,
            ModelApprovalStatus=status.value,
            ApprovalDescription=approval_description,
            CustomerMetadataProperties=metadata,
        )
    except _aws_errors() as error:
        raise RegistryError(f"UpdateModelPackage {arn} failed: {error}") from error


def read_metrics_file(s3: Any, bucket: str, key: str) -> bytes | None:
    """The metrics file's bytes (at most one byte more than a metrics file may hold, so an
    oversized file is reported as such), or None when there is no such object.

    The function may list the bucket, so a missing object is a 404, not a 403 (S3 answers 403
    for a missing key to a caller without s3:ListBucket; API_GetObject).
    """
    from botocore.exceptions import ClientError

    try:
        response = s3.get_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise RegistryError(f"GetObject s3://{bucket}/{key} failed: {error}") from error
    except _aws_errors() as error:
        raise RegistryError(f"GetObject s3://{bucket}/{key} failed: {error}") from error
    body = response["Body"]
    try:
        return body.read(MAX_METRICS_FILE_BYTES + 1)
    finally:
        body.close()
