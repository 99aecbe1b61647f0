"""S3Stack: the model bucket, its access-log bucket and the upload notification.

Brief expectations adapted here: the bucket is named from S3_BUCKET_NAME plus account and
region instead of exactly S3_BUCKET_NAME (ADR-0023); the notification is the bucket's own
NotificationConfiguration instead of a Custom::S3BucketNotifications resource (ADR-0029).
AES256 encryption is asserted as the brief wrote it.
"""

from __future__ import annotations

import json

import pytest
from stack_template_queries import (
    as_list,
    intrinsic_functions_used,
    render_join,
    resources_of_type,
    the_resource,
)

from config import constants

STACK = constants.S3_STACK_NAME
ACCOUNT_REGION = "${Ref:AWS::AccountId}-${Ref:AWS::Region}"
MODEL_BUCKET_NAME = f"{constants.S3_BUCKET_NAME}-{ACCOUNT_REGION}"
LOG_BUCKET_NAME = f"{constants.S3_BUCKET_NAME}-logs-{ACCOUNT_REGION}"
FUNCTION_ARN = (
    "arn:${Ref:AWS::Partition}:lambda:${Ref:AWS::Region}:${Ref:AWS::AccountId}:function:"
    + constants.LAMBDA_NAME
)


@pytest.fixture(scope="module")
def template(templates):
    return templates[STACK]


def _bucket(template, rendered_name: str) -> tuple[str, dict]:
    matching = [
        (logical_id, bucket)
        for logical_id, bucket in resources_of_type(template, "AWS::S3::Bucket").items()
        if render_join(bucket["Properties"]["BucketName"]) == rendered_name
    ]
    assert len(matching) == 1, f"no single bucket named {rendered_name}"
    return matching[0]


@pytest.fixture(scope="module")
def model_bucket(template):
    return _bucket(template, MODEL_BUCKET_NAME)


@pytest.fixture(scope="module")
def log_bucket(template):
    return _bucket(template, LOG_BUCKET_NAME)


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
    denies = [s for s in policies[0]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
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


MODEL_KEY_FILTER = {
    "S3Key": {
        "Rules": [
            {"Name": "prefix", "Value": constants.MODEL_KEY_PREFIX},
            {"Name": "suffix", "Value": constants.MODEL_ARTIFACT_SUFFIX},
        ]
    }
}


def test_upload_of_a_model_artifact_invokes_the_registration_function(model_bucket):
    # Adapted brief expectation (ADR-0029): native NotificationConfiguration, no custom resource.
    config = model_bucket[1]["Properties"]["NotificationConfiguration"]
    assert set(config) == {"LambdaConfigurations"}
    (created,) = [c for c in config["LambdaConfigurations"] if c["Event"] == "s3:ObjectCreated:*"]
    assert render_join(created["Function"]) == FUNCTION_ARN
    assert created["Filter"] == MODEL_KEY_FILTER


def test_removals_and_expirations_of_model_artifacts_reach_the_function_too(model_bucket):
    # ADR-0014: a deleted or expired registered model raises RegisteredModelDeleted; the
    # handler can only see what the bucket sends it. S3 reports lifecycle deletions as
    # LifecycleExpiration events, not ObjectRemoved ones.
    configurations = model_bucket[1]["Properties"]["NotificationConfiguration"][
        "LambdaConfigurations"
    ]
    assert [c["Event"] for c in configurations] == [
        "s3:ObjectCreated:*",
        "s3:ObjectRemoved:*",
        "s3:LifecycleExpiration:*",
    ]
    for configuration in configurations:
        assert render_join(configuration["Function"]) == FUNCTION_ARN, configuration["Event"]
        # The same filter for every family: a removal outside models/ or of a non-archive
        # could never be the registered model.
        assert configuration["Filter"] == MODEL_KEY_FILTER, configuration["Event"]


def test_no_two_notification_configurations_share_an_event_type(model_bucket):
    # S3 refuses configurations that share an event type with overlapping filters; with
    # identical filters, the event families must be disjoint.
    events = [
        c["Event"]
        for c in model_bucket[1]["Properties"]["NotificationConfiguration"]["LambdaConfigurations"]
    ]
    families = [event.split(":")[1] for event in events]
    assert len(set(families)) == len(families)
    assert all(event.endswith(":*") for event in events)


def test_invoke_permission_is_scoped_to_this_bucket_and_account(template, model_bucket):
    permission_id, permission = the_resource(template, "AWS::Lambda::Permission")
    props = permission["Properties"]
    assert props["Action"] == "lambda:InvokeFunction"
    assert props["Principal"] == "s3.amazonaws.com"
    assert render_join(props["FunctionName"]) == FUNCTION_ARN
    assert (
        render_join(props["SourceArn"]) == f"arn:${{Ref:AWS::Partition}}:s3:::{MODEL_BUCKET_NAME}"
    )
    assert props["SourceAccount"] == {"Ref": "AWS::AccountId"}
    # S3 tests the destination when the configuration is set: the permission must exist first.
    assert permission_id in as_list(model_bucket[1].get("DependsOn", []))


def test_no_cdk_notification_custom_resource_or_helper_function(templates, template):
    for name, each in templates.items():
        assert resources_of_type(each, "Custom::S3BucketNotifications") == {}, name
    assert resources_of_type(template, "AWS::Lambda::Function") == {}
    assert resources_of_type(template, "AWS::IAM::Role") == {}


def test_stack_reads_nothing_from_the_lambda_stack_at_deploy_time(template, synthesized_app):
    # ADR-0036: derived names instead of exports; the deploy order is an explicit dependency.
    assert not intrinsic_functions_used(template) & {"Fn::ImportValue", "Fn::GetStackOutput"}
    dependencies = synthesized_app.get_stack_by_name(STACK).dependencies
    assert constants.LAMBDA_STACK_NAME in {d.id for d in dependencies}
