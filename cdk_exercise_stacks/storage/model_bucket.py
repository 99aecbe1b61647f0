"""The model bucket and the bucket that receives its server access logs.

Both are private, TLS-only (TLS 1.2 or newer), SSE-S3 (``AES256``, as the brief requires and
the only encryption S3 server access logging delivers to), versioned and retained when the
stack is deleted: models and access logs are data, not infrastructure (ADR-0028). The
compliance findings that the brief's SSE-S3 and the single-region design impose are
acknowledged here, each with its ADR (ADR-0048).

Models are write-once (ADR-0056): the policy refuses an object creation under the model prefix
without ``If-None-Match`` (S3 User Guide, "Enforce conditional writes on Amazon S3 buckets"), so
an archive that is registered can never be overwritten in place; a new model is a new key.
With ``model_uploaders`` the policy also refuses writes and deletes under the prefix by every
other principal.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk_exercise_stacks.common import s3_bucket_arn
from cdk_exercise_stacks.compliance import acknowledge_in_packs
from policies.exceptions import checkov_skip

_MINIMUM_TLS_VERSION = 1.2
# What a model upload does (PutObject, CopyObject, CreateMultipartUpload, UploadPart and
# CompleteMultipartUpload are all authorized as s3:PutObject) and what removes or retags one.
MODEL_WRITE_ACTIONS = (
    "s3:PutObject",
    "s3:PutObjectTagging",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
)
WRITE_ONCE_SID = "ModelsAreWriteOnce"
ONLY_UPLOADERS_SID = "OnlyModelUploadersWrite"


def private_tls_only_bucket_props() -> dict:
    """Private (owner-enforced, public access blocked), TLS 1.2+ only, SSE-S3, versioned,
    retained: the properties every bucket of the pipeline starts from."""
    return {
        "encryption": s3.BucketEncryption.S3_MANAGED,
        "block_public_access": s3.BlockPublicAccess.BLOCK_ALL,
        "object_ownership": s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        "enforce_ssl": True,
        "minimum_tls_version": _MINIMUM_TLS_VERSION,
        "versioned": True,
        "removal_policy": RemovalPolicy.RETAIN,
        "auto_delete_objects": False,
    }


class ModelBucket(Construct):
    """``bucket`` holds model artifacts; ``access_log_bucket`` holds its access logs."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket_name: str,
        access_log_bucket_name: str,
        access_logs_prefix: str,
        access_log_retention_days: int,
        replaced_model_retention_days: int,
        incomplete_upload_abort_days: int,
        model_key_prefix: str,
        model_uploaders: Sequence[str] | None = None,
    ) -> None:
        """
        :param access_logs_prefix: where in the log bucket the model bucket's logs go.
        :param access_log_retention_days: how long access logs are kept.
        :param replaced_model_retention_days: how long a replaced (noncurrent) model version is
            kept.
        :param incomplete_upload_abort_days: when an unfinished multipart upload is aborted.
        :param model_key_prefix: where models are uploaded (``models/``); objects under it are
            write-once.
        :param model_uploaders: principal ARNs (ArnLike patterns) that alone may write under
            ``model_key_prefix``; None: whoever IAM allows.
        """
        super().__init__(scope, construct_id)

        self.access_log_bucket = s3.Bucket(
            self,
            "AccessLogs",
            bucket_name=access_log_bucket_name,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireAccessLogs",
                    expiration=Duration.days(access_log_retention_days),
                    noncurrent_version_expiration=Duration.days(access_log_retention_days),
                )
            ],
            **private_tls_only_bucket_props(),
        )

        self.bucket = s3.Bucket(
            self,
            "Models",
            bucket_name=bucket_name,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireReplacedModels",
                    noncurrent_version_expiration=Duration.days(replaced_model_retention_days),
                    abort_incomplete_multipart_upload_after=Duration.days(
                        incomplete_upload_abort_days
                    ),
                )
            ],
            **private_tls_only_bucket_props(),
        )
        # From the derived name, not the bucket's GetAtt: the log bucket's policy names the
        # source bucket without a reference, as deployed stacks already have it (a GetAtt would
        # change the template and add a dependency the policy does not need).
        self.bucket_arn_by_name = s3_bucket_arn(self, bucket_name)
        self._deliver_access_logs(access_logs_prefix)
        self.model_objects_arn = self.bucket.arn_for_objects(f"{model_key_prefix}*")
        self._models_are_write_once()
        if model_uploaders is not None:
            self._only_uploaders_write(model_uploaders)
        self._acknowledge_findings()

    def _models_are_write_once(self) -> None:
        """Refuse every object creation under the prefix that could replace an existing object.

        ``s3:ObjectCreationOperation`` is true for PutObject, CopyObject and
        CompleteMultipartUpload and false for CreateMultipartUpload, UploadPart and
        UploadPartCopy, which take no conditional header: a multipart upload goes through and
        only its completion must carry ``If-None-Match: *`` (S3 User Guide, "Enforce
        conditional writes on Amazon S3 buckets"). CopyObject to the prefix is refused either
        way (403 without the header, 501 with it, same guide).
        """
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid=WRITE_ONCE_SID,
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:PutObject"],
                resources=[self.model_objects_arn],
                conditions={
                    "Null": {"s3:if-none-match": "true"},
                    "Bool": {"s3:ObjectCreationOperation": "true"},
                },
            )
        )

    def _only_uploaders_write(self, uploaders: Sequence[str]) -> None:
        """Refuse writes and deletes under the prefix by any principal not in ``uploaders``.

        A request with no ``aws:PrincipalArn`` (an AWS service acting as itself) is refused too:
        a negated operator matches when the key is absent. Nothing of the pipeline writes
        there: the registration reads, the endpoint reads, the CDK deploy writes no model.
        """
        if not uploaders:
            raise ValueError("model_uploaders must name at least one principal ARN, or be None")
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid=ONLY_UPLOADERS_SID,
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=list(MODEL_WRITE_ACTIONS),
                resources=[self.model_objects_arn],
                conditions={"ArnNotLike": {"aws:PrincipalArn": list(uploaders)}},
            )
        )

    def _deliver_access_logs(self, prefix: str) -> None:
        deliver_server_access_logs(
            self.bucket,
            self.access_log_bucket,
            prefix=prefix,
            source_bucket_arn=self.bucket_arn_by_name,
            sid="S3ServerAccessLogsFromModelBucket",
        )

    def _acknowledge_findings(self) -> None:
        """Findings the brief or the platform imposes on both buckets (ADR-0048)."""
        for bucket in (self.bucket, self.access_log_bucket):
            acknowledge_in_packs(bucket, "S3DefaultEncryptionKMS", adr="0043", reason=_SSE_S3)
            acknowledge_in_packs(
                bucket, "S3BucketReplicationEnabled", adr="0048", reason=_SINGLE_REGION
            )
        checkov_skip(self.access_log_bucket, "CKV_AWS_18", adr="0028", reason=_LOG_BUCKET)


_SSE_S3 = (
    "the brief requires SSE-S3 (AES256) for the model bucket, and S3 server access logs can "
    "only be delivered to an SSE-S3 bucket"
)
_SINGLE_REGION = (
    "the pipeline is single-region by design (endpoint, function and bucket in one region); "
    "versioning, retention and Retain protect the data against deletion"
)
_LOG_BUCKET = (
    "this is the access-log bucket; logging its own access would log into itself, and a "
    "third bucket would need the same again"
)


def deliver_server_access_logs(
    bucket: s3.Bucket,
    log_bucket: s3.Bucket,
    *,
    prefix: str,
    source_bucket_arn: str,
    sid: str,
) -> None:
    """Server access logs of ``bucket`` into ``log_bucket`` under ``prefix``, written by the S3
    logging service principal.

    Spelled out rather than through ``server_access_logs_bucket``, whose mechanism (ACL or
    bucket policy) depends on a feature flag: the policy below is the same whatever the app's
    context.
    """
    cfn_bucket: s3.CfnBucket = bucket.node.default_child
    cfn_bucket.logging_configuration = s3.CfnBucket.LoggingConfigurationProperty(
        destination_bucket_name=log_bucket.bucket_name,
        log_file_prefix=prefix,
    )
    log_bucket.add_to_resource_policy(
        iam.PolicyStatement(
            sid=sid,
            principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
            actions=["s3:PutObject"],
            resources=[log_bucket.arn_for_objects(f"{prefix}*")],
            conditions={
                "ArnLike": {"aws:SourceArn": source_bucket_arn},
                "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
            },
        )
    )
