"""Who may write under models/, and that a written model can never be overwritten (ADR-0056).

The bucket policy is evaluated on request contexts (tests/unit/iam/condition_evaluation.py):
the S3 User Guide ("Enforce conditional writes on Amazon S3 buckets") says which requests carry
``s3:if-none-match`` and what ``s3:ObjectCreationOperation`` is for each API.
"""

from __future__ import annotations

import aws_cdk as cdk
import pytest

from cdk_exercise_stacks.optional_context import principal_arns_from_context
from cdk_exercise_stacks.storage.model_bucket import (
    MODEL_WRITE_ACTIONS,
    ONLY_UPLOADERS_SID,
    WRITE_ONCE_SID,
    ModelBucket,
)
from config import constants
from tests.cdk_apps import CI_ROLES, UPLOADER
from tests.unit.iam.condition_evaluation import conditions_match
from tests.unit.stacks.stack_template_queries import render_join, resources_of_type


def _bucket_statements(uploaders=None) -> list[dict]:
    stack = cdk.Stack(cdk.App(builtin_cloud_formation_validation=False), "s")
    ModelBucket(
        stack,
        "ModelBucket",
        bucket_name="models-bucket",
        access_log_bucket_name="logs-bucket",
        access_logs_prefix="model-bucket/",
        access_log_retention_days=1,
        replaced_model_retention_days=1,
        incomplete_upload_abort_days=1,
        model_key_prefix="models/",
        model_uploaders=uploaders,
    )
    template = cdk.assertions.Template.from_stack(stack).to_json()
    [policy] = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in resources_of_type(template, "AWS::S3::BucketPolicy").values()
        if "Models" in p["Properties"]["Bucket"]["Ref"]
    ]
    return policy


def _sid(statements: list[dict], sid: str) -> dict:
    [statement] = [s for s in statements if s.get("Sid") == sid]
    return statement


# The request contexts of the uploads S3 documents (S3 User Guide, conditional writes).
PLAIN_PUT = {"s3:ObjectCreationOperation": "true"}  # `aws s3 cp`, boto3 upload_file, put_object
CONDITIONAL_PUT = {"s3:ObjectCreationOperation": "true", "s3:if-none-match": "*"}
CREATE_MULTIPART = {"s3:ObjectCreationOperation": "false"}
UPLOAD_PART = {"s3:ObjectCreationOperation": "false"}
PLAIN_COMPLETE = {"s3:ObjectCreationOperation": "true"}
CONDITIONAL_COMPLETE = {"s3:ObjectCreationOperation": "true", "s3:if-none-match": "*"}
PLAIN_COPY = {"s3:ObjectCreationOperation": "true"}


@pytest.mark.parametrize(
    ("request_context", "refused"),
    [
        (PLAIN_PUT, True),
        (PLAIN_COMPLETE, True),
        (PLAIN_COPY, True),
        (CONDITIONAL_PUT, False),
        (CREATE_MULTIPART, False),
        (UPLOAD_PART, False),
        (CONDITIONAL_COMPLETE, False),
    ],
    ids=[
        "put-without-if-none-match",
        "complete-multipart-without-if-none-match",
        "copy-without-if-none-match",
        "put-with-if-none-match",
        "create-multipart-upload",
        "upload-part",
        "complete-multipart-with-if-none-match",
    ],
)
def test_models_are_write_once(request_context, refused):
    statement = _sid(_bucket_statements(), WRITE_ONCE_SID)
    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == {"AWS": "*"}
    assert statement["Action"] == "s3:PutObject"
    assert render_join(statement["Resource"]).endswith("/models/*")
    assert conditions_match(statement["Condition"], request_context) is refused


def test_without_uploaders_no_principal_condition_is_written():
    statements = _bucket_statements()
    assert not [s for s in statements if s.get("Sid") == ONLY_UPLOADERS_SID]


@pytest.mark.parametrize(
    ("principal", "refused"),
    [
        (UPLOADER, False),
        ("arn:aws:iam::111122223333:role/ci-release", False),
        ("arn:aws:iam::111122223333:role/someone-else", True),
        ("arn:aws:iam::111122223333:user/alice", True),
        (None, True),  # an AWS service acting as itself carries no aws:PrincipalArn
    ],
)
def test_only_the_named_uploaders_write_under_models(principal, refused):
    statement = _sid(_bucket_statements([UPLOADER, CI_ROLES]), ONLY_UPLOADERS_SID)
    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == {"AWS": "*"}
    assert statement["Action"] == list(MODEL_WRITE_ACTIONS)
    assert render_join(statement["Resource"]).endswith("/models/*")
    request = {} if principal is None else {"aws:PrincipalArn": principal}
    assert conditions_match(statement["Condition"], request) is refused


def test_an_empty_uploader_list_is_refused():
    with pytest.raises(ValueError, match="model_uploaders must name at least one principal"):
        _bucket_statements([])


def test_the_context_value_reaches_the_model_bucket_policy(templates_with_every_option, templates):
    def uploader_statements(template):
        return [
            statement
            for policy in resources_of_type(template, "AWS::S3::BucketPolicy").values()
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            if statement.get("Sid") == ONLY_UPLOADERS_SID
        ]

    [statement] = uploader_statements(templates_with_every_option[constants.S3_STACK_NAME])
    assert statement["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": [UPLOADER, CI_ROLES]}}
    assert uploader_statements(templates[constants.S3_STACK_NAME]) == []


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "must be a non-empty string"),
        (" , ", "names no principal ARN"),
        ("model-publisher", "'model-publisher' is not an IAM principal ARN"),
        (
            "arn:aws:sts::111122223333:assumed-role/publisher/session",
            "give its role's ARN",
        ),
        (f"{UPLOADER},arn:aws:iam::1234:role/x", "'arn:aws:iam::1234:role/x' is not"),
    ],
)
def test_a_malformed_uploader_list_fails_synthesis_naming_the_key(value, problem):
    app = cdk.App(context={constants.MODEL_UPLOADERS_CONTEXT_KEY: value})
    with pytest.raises(ValueError, match=rf"CDK context model_uploaders.*{problem}"):
        principal_arns_from_context(app, constants.MODEL_UPLOADERS_CONTEXT_KEY)


def test_duplicate_uploaders_are_written_once():
    app = cdk.App(context={constants.MODEL_UPLOADERS_CONTEXT_KEY: f"{UPLOADER},{UPLOADER}"})
    assert principal_arns_from_context(app, constants.MODEL_UPLOADERS_CONTEXT_KEY) == (UPLOADER,)
