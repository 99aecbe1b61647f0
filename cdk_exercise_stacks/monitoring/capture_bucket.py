"""The endpoint's data-capture bucket and the bucket that receives its access logs.

Captured requests are customers' text, so the capture bucket is never the model bucket and is
stricter than it: SSE-KMS with a customer-managed key (the key SageMaker is given in
``DataCaptureConfig.KmsKeyId``), with an S3 Bucket Key so that an hour of capture files costs a
handful of KMS requests; TLS-only, versioned, public access blocked, retained like every data
bucket (ADR-0028), and each prefix expires (captures, ground truth, summaries: constants). Its
server access logs go to a log bucket of its own, built like the model's (storage/): S3 delivers
access logs only to an SSE-S3 bucket, and a log bucket in this stack keeps the S3 stack's policy
unchanged (ADR-0070).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk_exercise_stacks.compliance import acknowledge_in_packs
from cdk_exercise_stacks.storage.model_bucket import (
    deliver_server_access_logs,
    private_tls_only_bucket_props,
)
from policies.exceptions import acknowledge, checkov_skip


@dataclass(frozen=True)
class CaptureRetention:
    """Days each kind of object is kept (``*_prefix``: where it lives in the bucket)."""

    capture_prefix: str
    capture_days: int
    ground_truth_prefix: str
    ground_truth_days: int
    summary_prefix: str
    summary_days: int
    noncurrent_version_days: int
    access_log_days: int
    incomplete_upload_abort_days: int


class CaptureBucket(Construct):
    """``bucket`` (captures, ground truth, summaries) and ``access_log_bucket``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket_name: str,
        access_log_bucket_name: str,
        encryption_key: kms.IKey,
        retention: CaptureRetention,
    ) -> None:
        super().__init__(scope, construct_id)
        self.retention = retention
        self.access_log_bucket = s3.Bucket(
            self,
            "AccessLogs",
            bucket_name=access_log_bucket_name,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireAccessLogs",
                    expiration=Duration.days(retention.access_log_days),
                    noncurrent_version_expiration=Duration.days(retention.access_log_days),
                )
            ],
            **private_tls_only_bucket_props(),
        )
        props = private_tls_only_bucket_props() | {
            "encryption": s3.BucketEncryption.KMS,
            "encryption_key": encryption_key,
            "bucket_key_enabled": True,
        }
        self.bucket = s3.Bucket(
            self,
            "Captures",
            bucket_name=bucket_name,
            lifecycle_rules=[
                *(
                    s3.LifecycleRule(
                        id=rule_id,
                        prefix=f"{prefix.strip('/')}/",
                        expiration=Duration.days(days),
                    )
                    for rule_id, prefix, days in (
                        ("ExpireCaptures", retention.capture_prefix, retention.capture_days),
                        (
                            "ExpireGroundTruth",
                            retention.ground_truth_prefix,
                            retention.ground_truth_days,
                        ),
                        ("ExpireSummaries", retention.summary_prefix, retention.summary_days),
                    )
                ),
                # The whole bucket: replaced versions of anything (a rewritten summary, an
                # object outside the three prefixes) and unfinished uploads do not pile up.
                s3.LifecycleRule(
                    id="ExpireReplacedVersionsAndUploads",
                    noncurrent_version_expiration=Duration.days(retention.noncurrent_version_days),
                    abort_incomplete_multipart_upload_after=Duration.days(
                        retention.incomplete_upload_abort_days
                    ),
                ),
            ],
            **props,
        )
        self._deliver_access_logs("capture-bucket/")
        self._acknowledge_findings()

    def _deliver_access_logs(self, prefix: str) -> None:
        deliver_server_access_logs(
            self.bucket,
            self.access_log_bucket,
            prefix=prefix,
            source_bucket_arn=self.bucket.bucket_arn,
            sid="S3ServerAccessLogsFromCaptureBucket",
        )

    def objects_arn(self, prefix: str) -> str:
        """``arn:...:s3:::<bucket>/<prefix>*``."""
        return self.bucket.arn_for_objects(f"{prefix}*")

    def _acknowledge_findings(self) -> None:
        acknowledge_in_packs(
            self.access_log_bucket, "S3DefaultEncryptionKMS", adr="0070", reason=_LOG_SSE_S3
        )
        for bucket in (self.bucket, self.access_log_bucket):
            acknowledge_in_packs(
                bucket, "S3BucketReplicationEnabled", adr="0048", reason=_SINGLE_REGION
            )
        checkov_skip(self.access_log_bucket, "CKV_AWS_18", adr="0028", reason=_LOG_BUCKET)
        # The project's SSE-S3 rule (ADR-0043) is for the model and log buckets; captured
        # customer text is encrypted with a customer-managed key instead.
        acknowledge(self.bucket, "MlopsS3-DefaultEncryption", adr="0070", reason=_CAPTURE_KMS)
        checkov_skip(self.bucket, "CKV_MLOPS_6", adr="0070", reason=_CAPTURE_KMS)


_CAPTURE_KMS = (
    "captured requests are customers' text: SSE-KMS with the endpoint's customer-managed key, "
    "the key SageMaker is given in DataCaptureConfig.KmsKeyId (the issue's contract)"
)
_LOG_SSE_S3 = "S3 server access logs can only be delivered to an SSE-S3 bucket"
_SINGLE_REGION = (
    "the pipeline is single-region by design; captured requests expire after days and are not "
    "worth a second copy in another region"
)
_LOG_BUCKET = (
    "this is the access-log bucket; logging its own access would log into itself, and a "
    "third bucket would need the same again"
)
