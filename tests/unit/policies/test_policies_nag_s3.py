"""MlopsS3: each rule on compliant, non-compliant and not-applicable resources."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs

from policies.nag import S3BaselineChecks
from tests.unit.policies.nag_evaluation import evaluate

STACK = "S3PackTest"


EXPIRE_REPLACED = s3.LifecycleRule(noncurrent_version_expiration=cdk.Duration.days(30))


def _baseline(**overrides) -> dict:
    options = {
        "versioned": True,
        "lifecycle_rules": [EXPIRE_REPLACED],
        "encryption": s3.BucketEncryption.S3_MANAGED,
        "enforce_ssl": True,
        "block_public_access": s3.BlockPublicAccess.BLOCK_ALL,
    }
    return {**options, **overrides}


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory):
    app = cdk.App(
        outdir=str(tmp_path_factory.mktemp("s3-pack")), builtin_cloud_formation_validation=False
    )
    stack = cdk.Stack(app, STACK)
    s3.Bucket(stack, "Compliant", **_baseline())
    s3.Bucket(stack, "Unversioned", **_baseline(versioned=False))
    s3.Bucket(stack, "KmsEncrypted", **_baseline(encryption=s3.BucketEncryption.KMS_MANAGED))
    s3.CfnBucket(stack, "Unencrypted", versioning_configuration={"status": "Enabled"})
    s3.Bucket(stack, "VersionsKeptForever", **_baseline(lifecycle_rules=[]))
    s3.Bucket(
        stack,
        "VersionsExpireUnderAPrefixOnly",
        **_baseline(
            lifecycle_rules=[
                s3.LifecycleRule(
                    prefix="models/", noncurrent_version_expiration=cdk.Duration.days(30)
                )
            ]
        ),
    )
    s3.Bucket(
        stack,
        "VersionsExpireByADisabledRule",
        **_baseline(
            lifecycle_rules=[
                s3.LifecycleRule(enabled=False, noncurrent_version_expiration=cdk.Duration.days(30))
            ]
        ),
    )
    s3.CfnBucket(
        stack,
        "LegacyExpirySpelling",
        versioning_configuration={"status": "Enabled"},
        lifecycle_configuration={
            "rules": [{"status": "Enabled", "noncurrentVersionExpirationInDays": 30}]
        },
    )
    status = cdk.CfnParameter(stack, "VersioningStatus", default="Enabled")
    s3.CfnBucket(
        stack, "TokenVersioning", versioning_configuration={"status": status.value_as_string}
    )
    sqs.Queue(stack, "NotABucket", enforce_ssl=True)
    return evaluate(app, [S3BaselineChecks])


CASES = [
    ("MlopsS3-Versioning", "Compliant/Resource", "COMPLIANT"),
    ("MlopsS3-Versioning", "Unversioned/Resource", "NON_COMPLIANT"),
    ("MlopsS3-Versioning", "LegacyExpirySpelling", "COMPLIANT"),
    # Stricter than the stock S3BucketVersioningEnabled: old versions must expire, bucket-wide.
    ("MlopsS3-Versioning", "VersionsKeptForever/Resource", "NON_COMPLIANT"),
    ("MlopsS3-Versioning", "VersionsExpireUnderAPrefixOnly/Resource", "NON_COMPLIANT"),
    ("MlopsS3-Versioning", "VersionsExpireByADisabledRule/Resource", "NON_COMPLIANT"),
    # A deploy-time value cannot be shown to be "Enabled": the rule fails closed.
    ("MlopsS3-Versioning", "TokenVersioning", "NON_COMPLIANT"),
    ("MlopsS3-DefaultEncryption", "Compliant/Resource", "COMPLIANT"),
    ("MlopsS3-DefaultEncryption", "KmsEncrypted/Resource", "NON_COMPLIANT"),
    ("MlopsS3-DefaultEncryption", "Unencrypted", "NON_COMPLIANT"),
]


@pytest.mark.parametrize(("rule_id", "path", "expected"), CASES)
def test_rule_outcome_and_annotation(evaluation, rule_id, path, expected):
    full_path = f"{STACK}/{path}"
    assert evaluation.outcomes(rule_id, full_path) == [expected]
    flagged = {finding.path.lstrip("/") for finding in evaluation.findings(rule_id)}
    assert (full_path in flagged) == (expected == "NON_COMPLIANT")


def test_rules_are_not_applied_to_other_resource_types(evaluation):
    paths = {o.path for o in evaluation.recorder.outcomes}
    assert paths  # the pack ran
    assert not any(path.startswith(f"{STACK}/NotABucket") for path in paths)
