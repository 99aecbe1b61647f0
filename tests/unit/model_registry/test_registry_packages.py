"""The SageMaker and S3 adapters (lambda/registry/packages.py), on botocore's Stubber: every
page of the group is read, packages this function did not create are kept but carry no
upload, a missing metrics file is None, and every other failure is a RegistryError."""

from __future__ import annotations

import io
import re

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from registration.registered_model import Registration
from registry.gate import ApprovalStatus
from registry.metrics_file import MAX_METRICS_FILE_BYTES
from registry.package_record import package_description
from registry.packages import (
    RegistryError,
    create_package,
    list_packages,
    read_metrics_file,
)
from tests.unit.model_registry.test_registry_package_record import UPLOAD

GROUP = "sentiment-model"
ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package/sentiment-model/{}"


@pytest.fixture
def sagemaker(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    client = boto3.client("sagemaker", aws_access_key_id="testing", aws_secret_access_key="testing")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def s3(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    client = boto3.client("s3", aws_access_key_id="testing", aws_secret_access_key="testing")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _summary(version: int, status: str, description: str | None) -> dict:
    summary = {
        "ModelPackageGroupName": GROUP,
        "ModelPackageVersion": version,
        "ModelPackageArn": ARN.format(version),
        "CreationTime": "2026-12-05T10:00:00Z",
        "ModelPackageStatus": "Completed",
        "ModelApprovalStatus": status,
    }
    if description is not None:
        summary["ModelPackageDescription"] = description
    return summary


def test_every_page_of_the_group_is_listed_oldest_first(sagemaker):
    client, stubber = sagemaker
    later = Registration(**{**UPLOAD.__dict__, "version_id": "v2"})
    request = {
        "ModelPackageGroupName": GROUP,
        "MaxResults": 100,
        "SortBy": "CreationTime",
        "SortOrder": "Ascending",
    }
    stubber.add_response(
        "list_model_packages",
        {
            "ModelPackageSummaryList": [
                _summary(1, "Approved", package_description(UPLOAD)),
                _summary(2, "PendingManualApproval", "made by hand"),
            ],
            "NextToken": "page-2",
        },
        request,
    )
    stubber.add_response(
        "list_model_packages",
        {"ModelPackageSummaryList": [_summary(3, "Rejected", package_description(later))]},
        {**request, "NextToken": "page-2"},
    )

    packages = list_packages(client, GROUP)

    assert [(p.version, p.status) for p in packages] == [
        (1, ApprovalStatus.APPROVED),
        (2, ApprovalStatus.PENDING_MANUAL_APPROVAL),
        (3, ApprovalStatus.REJECTED),
    ]
    assert [p.upload for p in packages] == [UPLOAD, None, later]


def test_a_failed_listing_is_a_registry_error_naming_the_group(sagemaker):
    client, stubber = sagemaker
    stubber.add_client_error("list_model_packages", "ThrottlingException", "slow down")

    with pytest.raises(RegistryError, match=f"ListModelPackages of group {GROUP}"):
        list_packages(client, GROUP)


def test_a_failed_creation_says_the_retry_creates_the_package(sagemaker):
    client, stubber = sagemaker
    stubber.add_client_error("create_model_package", "ValidationException", "bad field")

    with pytest.raises(RegistryError, match="the event's retry creates it"):
        create_package(client, {"ModelPackageGroupName": GROUP})


def test_a_metrics_file_is_read_whole_up_to_one_byte_over_the_limit(s3):
    client, stubber = s3
    data = b"x" * (MAX_METRICS_FILE_BYTES + 10)
    stubber.add_response(
        "get_object",
        {"Body": StreamingBody(io.BytesIO(data), len(data))},
        {"Bucket": "b", "Key": "models/a.metrics.json"},
    )

    assert len(read_metrics_file(client, "b", "models/a.metrics.json")) == (
        MAX_METRICS_FILE_BYTES + 1
    )


def test_a_missing_metrics_file_is_none(s3):
    client, stubber = s3
    stubber.add_client_error("get_object", "NoSuchKey", "The specified key does not exist.", 404)

    assert read_metrics_file(client, "b", "models/a.metrics.json") is None


def test_a_denied_metrics_file_is_an_error_not_a_missing_file(s3):
    client, stubber = s3
    stubber.add_client_error("get_object", "AccessDenied", "Access Denied", 403)

    with pytest.raises(RegistryError, match=re.escape("GetObject s3://b/models/a.metrics.json")):
        read_metrics_file(client, "b", "models/a.metrics.json")
