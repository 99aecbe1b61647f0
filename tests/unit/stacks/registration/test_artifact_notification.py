"""S3Stack: the notification that delivers every model artifact created, removed or expired in
the model bucket to the registration function.

Brief expectation adapted here: the notification is the bucket's own NotificationConfiguration
instead of a Custom::S3BucketNotifications resource (ADR-0029).
"""

from __future__ import annotations

import pytest

from config import constants
from tests.unit.stacks.stack_template_queries import (
    as_list,
    bucket_named,
    render_join,
    resources_of_type,
    the_resource,
)

STACK = constants.S3_STACK_NAME
MODEL_BUCKET_NAME = f"{constants.S3_BUCKET_NAME}-${{Ref:AWS::AccountId}}-${{Ref:AWS::Region}}"
FUNCTION_ARN = (
    "arn:${Ref:AWS::Partition}:lambda:${Ref:AWS::Region}:${Ref:AWS::AccountId}:function:"
    + constants.LAMBDA_NAME
)


@pytest.fixture(scope="module")
def template(templates):
    return templates[STACK]


@pytest.fixture(scope="module")
def model_bucket(template):
    return bucket_named(template, MODEL_BUCKET_NAME)


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
