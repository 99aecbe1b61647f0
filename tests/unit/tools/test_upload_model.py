"""tools.upload_model on moto (which honours If-None-Match on PutObject and
CompleteMultipartUpload): uploads once, refuses a second upload to the same key in both paths,
aborts a failed multipart upload (ADR-0056). The bucket policy that makes the header mandatory
is tested on the template (tests/unit/stacks/storage/test_model_bucket_writes.py)."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from tools.upload_model import (
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    MAX_PARTS,
    MIB,
    MIN_PART_SIZE,
    RefusedError,
    UsageError,
    main,
    parse_destination,
    part_size_for,
    upload,
)

BUCKET = "models-bucket"
KEY = "models/sentiment-2026-12-05.tar.gz"


@pytest.fixture
def s3():
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        yield client


@pytest.fixture
def small(tmp_path):
    archive = tmp_path / "model.tar.gz"
    archive.write_bytes(b"first model")
    return archive


@pytest.fixture
def large(tmp_path):
    """Two parts at the minimum part size: 5 MiB and a few bytes."""
    archive = tmp_path / "large.tar.gz"
    archive.write_bytes(b"a" * MIN_PART_SIZE + b"tail")
    return archive


def test_a_small_archive_is_written_once_in_one_request(s3, small):
    result = upload(s3, small, BUCKET, KEY)

    assert result.parts == 0
    assert s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read() == b"first model"
    assert result.version_id == s3.head_object(Bucket=BUCKET, Key=KEY)["VersionId"]


def test_a_second_upload_to_the_same_key_is_refused_and_says_why(s3, small, tmp_path):
    upload(s3, small, BUCKET, KEY)
    other = tmp_path / "other.tar.gz"
    other.write_bytes(b"different bytes")

    with pytest.raises(RefusedError, match=r"already exists: models are write-once"):
        upload(s3, other, BUCKET, KEY)

    assert s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read() == b"first model"
    versions = s3.list_object_versions(Bucket=BUCKET, Prefix=KEY)["Versions"]
    assert len(versions) == 1


def test_a_multipart_upload_completes_with_if_none_match(s3, large, small):
    result = upload(s3, large, BUCKET, KEY, threshold=MIN_PART_SIZE, part_size=MIN_PART_SIZE)

    assert result.parts == 2
    body = s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read()
    assert body == large.read_bytes()
    # The completion carried If-None-Match: a second multipart upload is refused there.
    with pytest.raises(RefusedError, match="already exists"):
        upload(s3, large, BUCKET, KEY, threshold=MIN_PART_SIZE, part_size=MIN_PART_SIZE)
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
    # The single-request path is refused as well.
    with pytest.raises(RefusedError, match="already exists"):
        upload(s3, small, BUCKET, KEY)


def test_every_write_request_carries_if_none_match(large, small):
    """The requests themselves, as S3 receives them (botocore's stubber checks parameters)."""
    client = boto3.client("s3", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_response(
            "put_object",
            {"ETag": '"e"'},
            {"Bucket": BUCKET, "Key": KEY, "Body": ANY, "IfNoneMatch": "*"},
        )
        upload(client, small, BUCKET, KEY)
        stub.assert_no_pending_responses()

        stub.add_response(
            "create_multipart_upload", {"UploadId": "u"}, {"Bucket": BUCKET, "Key": KEY}
        )
        for number in (1, 2):
            stub.add_response(
                "upload_part",
                {"ETag": f'"p{number}"'},
                {"Bucket": BUCKET, "Key": KEY, "UploadId": "u", "PartNumber": number, "Body": ANY},
            )
        stub.add_response(
            "complete_multipart_upload",
            {"ETag": '"m"'},
            {
                "Bucket": BUCKET,
                "Key": KEY,
                "UploadId": "u",
                "MultipartUpload": {
                    "Parts": [{"PartNumber": 1, "ETag": '"p1"'}, {"PartNumber": 2, "ETag": '"p2"'}]
                },
                "IfNoneMatch": "*",
            },
        )
        upload(client, large, BUCKET, KEY, threshold=MIN_PART_SIZE, part_size=MIN_PART_SIZE)
        stub.assert_no_pending_responses()


def test_a_failed_multipart_upload_is_aborted(large):
    client = boto3.client("s3", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_response("create_multipart_upload", {"UploadId": "u"})
        stub.add_client_error("upload_part", "InternalError", http_status_code=500)
        stub.add_response(
            "abort_multipart_upload", {}, {"Bucket": BUCKET, "Key": KEY, "UploadId": "u"}
        )
        with pytest.raises(Exception, match="InternalError"):
            upload(client, large, BUCKET, KEY, threshold=MIN_PART_SIZE, part_size=MIN_PART_SIZE)
        stub.assert_no_pending_responses()


def test_access_denied_says_what_the_bucket_requires(small):
    client = boto3.client("s3", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_client_error("put_object", "AccessDenied", http_status_code=403)
        with pytest.raises(RefusedError, match=r"If-None-Match: \*.*model_uploaders"):
            upload(client, small, BUCKET, KEY)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("models/x.tar.gz", "must be s3://"),
        ("s3://bucket", "must be s3://"),
        ("s3://bucket/other/x.tar.gz", "must start with 'models/'"),
        ("s3://bucket/models/x.zip", "end with '.tar.gz'"),
    ],
)
def test_a_destination_the_registration_would_ignore_is_refused(url, problem):
    with pytest.raises(UsageError, match=problem):
        parse_destination(url)


def test_parts_stay_within_s3s_limits():
    assert part_size_for(1, requested=1) == MIN_PART_SIZE
    assert part_size_for(1) == 64 * MIB
    assert part_size_for(100 * MIB, 8 * MIB) == 8 * MIB
    huge = 2 * 1024 * 1024 * MIB  # 2 TiB
    assert part_size_for(huge) * MAX_PARTS >= huge


def test_the_command_reports_success_refusal_and_misuse(s3, small, capsys):
    destination = f"s3://{BUCKET}/{KEY}"
    assert main([str(small), destination], s3=s3) == EXIT_OK
    assert "If-None-Match: *" in capsys.readouterr().out
    assert main([str(small), destination], s3=s3) == EXIT_REFUSED
    assert "already exists" in capsys.readouterr().err
    assert main([str(small), f"s3://{BUCKET}/x.tar.gz"], s3=s3) == EXIT_USAGE
    assert main(["missing.tar.gz", destination], s3=s3) == EXIT_USAGE
