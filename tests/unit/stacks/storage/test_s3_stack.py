"""S3Stack: the model bucket and its access-log bucket (the bucket's notification of the
registration function: tests/unit/stacks/registration/test_artifact_notification.py).

Brief expectation adapted here: the bucket is named from S3_BUCKET_NAME plus account and region
instead of exactly S3_BUCKET_NAME (ADR-0023). AES256 encryption is asserted as the brief wrote
it.
"""

from __future__ import annotations

import json

import pytest

from config import constants
from tests.unit.stacks.stack_template_queries import (
    bucket_named,
    intrinsic_functions_used,
    render_join,
    resources_of_type,
)

STACK = constants.S3_STACK_NAME
ACCOUNT_REGION = "${Ref:AWS::AccountId}-${Ref:AWS::Region}"
MODEL_BUCKET_NAME = f"{constants.S3_BUCKET_NAME}-{ACCOUNT_REGION}"
LOG_BUCKET_NAME = f"{constants.S3_BUCKET_NAME}-logs-{ACCOUNT_REGION}"


@pytest.fixture(scope="module")
def template(templates):
    return templates[STACK]


@pytest.fixture(scope="module")
def model_bucket(template):
    return bucket_named(template, MODEL_BUCKET_NAME)


@pytest.fixture(scope="module")
def log_bucket(template):
    return bucket_named(template, LOG_BUCKET_NAME)


def test_exactly_the_model_and_access_log_buckets(template, model_bucket, log_bucket):
    assert set(resources_of_type(template, "AWS::S3::Bucket")) == {model_bucket[0], log_bucket[0]}


def test_model_bucket_name_is_the_briefs_name_made_unique_per_account_and_region(model_bucket):
    # Adapted brief expectation (ADR-0023): exactly "cdk-exercise-bucket" collides globally.
    name = model_bucket[1]["Properties"]["BucketName"]
    assert render_join(name) != constants.S3_BUCKET_NAME
    assert render_join(name) == constants.model_bucket_name(
        "${Ref:AWS::AccountId}", "${Ref:AWS::Region}"
    )


@pytest.mark.parametrize("which", ["model_bucket", "log_bucket"])
def test_bucket_is_private_versioned_sse_s3_and_retained(request, which):
    _, bucket = request.getfixturevalue(which)
    props = bucket["Properties"]
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    ]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert "AccessControl" not in props
    # ADR-0028: models and access logs are data; deleting the stack must not delete them.
    assert bucket["DeletionPolicy"] == "Retain"
    assert bucket["UpdateReplacePolicy"] == "Retain"


@pytest.mark.parametrize("which", ["model_bucket", "log_bucket"])
def test_bucket_policy_denies_plain_http_and_old_tls(template, request, which):
    bucket_id, _ = request.getfixturevalue(which)
    policies = [
        p["Properties"]
        for p in resources_of_type(template, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    assert len(policies) == 1
    # The TLS denies; the model bucket's write-once deny is tested in test_model_bucket_writes.py.
    denies = [
        s
        for s in policies[0]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Deny" and s.get("Sid") != "ModelsAreWriteOnce"
    ]
    conditions = [s["Condition"] for s in denies]
    assert {"Bool": {"aws:SecureTransport": "false"}} in conditions
    assert {"NumericLessThan": {"s3:TlsVersion": 1.2}} in conditions
    for statement in denies:
        assert statement["Principal"] == {"AWS": "*"}
        assert statement["Action"] == "s3:*"
        assert {"Fn::GetAtt": [bucket_id, "Arn"]} in statement["Resource"]


def test_model_bucket_logs_to_the_log_bucket(template, model_bucket, log_bucket):
    model_id, bucket = model_bucket
    log_id, _ = log_bucket
    assert bucket["Properties"]["LoggingConfiguration"] == {
        "DestinationBucketName": {"Ref": log_id},
        "LogFilePrefix": constants.ACCESS_LOGS_PREFIX,
    }
    policy = next(
        p["Properties"]["PolicyDocument"]
        for p in resources_of_type(template, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": log_id}
    )
    allow = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert len(allow) == 1
    assert allow[0]["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert allow[0]["Action"] == "s3:PutObject"
    assert render_join(allow[0]["Resource"]).endswith(f"/{constants.ACCESS_LOGS_PREFIX}*")
    condition = allow[0]["Condition"]
    assert condition["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    # The model bucket's ARN from its derived name: no reference to the bucket resource, which
    # checkov's graph would read as the model bucket having this policy (ADR-0049).
    assert set(condition) == {"ArnLike", "StringEquals"}
    source_arn = condition["ArnLike"]["aws:SourceArn"]
    assert render_join(source_arn) == f"arn:${{Ref:AWS::Partition}}:s3:::{MODEL_BUCKET_NAME}"
    assert model_id not in json.dumps(policy)


def test_replaced_models_and_old_logs_expire(model_bucket, log_bucket):
    model_rules = model_bucket[1]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert model_rules[0]["NoncurrentVersionExpiration"] == {
        "NoncurrentDays": constants.NONCURRENT_MODEL_VERSION_RETENTION_DAYS
    }
    assert "ExpirationInDays" not in model_rules[0], "current models must never expire"
    log_rules = log_bucket[1]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert log_rules[0]["ExpirationInDays"] == constants.ACCESS_LOG_RETENTION_DAYS


def test_stack_reads_nothing_from_the_lambda_stack_at_deploy_time(template, synthesized_app):
    # ADR-0036: derived names instead of exports; the deploy order is an explicit dependency.
    assert not intrinsic_functions_used(template) & {"Fn::ImportValue", "Fn::GetStackOutput"}
    dependencies = synthesized_app.get_stack_by_name(STACK).dependencies
    assert constants.LAMBDA_STACK_NAME in {d.id for d in dependencies}
