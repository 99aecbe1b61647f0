"""The rehearsal's stand-ins for the emulator (demo/) fail loudly instead of faking success.

Each helper replaces something moto cannot do; a wrong stand-in would make the e2e test and
`make demo` pass for the wrong reason. These tests pin their contracts on small inputs.
"""

from __future__ import annotations

import io
import os
import sys
import zipfile
from urllib.parse import unquote_plus

import boto3
import pytest
from moto import mock_aws

from demo.bucket_definition import UnsupportedBucketPropertyError, apply_bucket_definitions
from demo.cfn_values import Environment, TemplateValues, UnsupportedIntrinsicError
from demo.deployed_function import CodeMismatchError, fetch_deployed_function, loaded_handler
from demo.emulator import ENVIRONMENT, FAKE_CREDENTIALS
from demo.parameter_events import EventNotRoutedError, queue_of_function
from demo.s3_events import encode_key, matches

LAMBDA_TRUST = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",'
    ' "Principal": {"Service": "lambda.amazonaws.com"}}]}'
)


@pytest.fixture
def emulated(monkeypatch):
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield {
            s: boto3.client(s, region_name=ENVIRONMENT.region)
            for s in ("s3", "lambda", "sqs", "iam")
        }


# ---- template values ------------------------------------------------------------------------


def test_intrinsics_the_templates_use_are_resolved():
    values = TemplateValues(Environment("111122223333", "eu-west-1"), refs={"Bucket": "b"})
    values.arns["Bucket"] = "arn:aws:s3:::b"
    resolved = values.resolve(
        {
            "Name": {"Fn::Join": ["-", ["x", {"Ref": "AWS::AccountId"}, {"Ref": "AWS::Region"}]]},
            "Code": {"Fn::Sub": "assets-${AWS::AccountId}-${AWS::Region}"},
            "Target": {"Ref": "Bucket"},
            "Arn": {"Fn::GetAtt": ["Bucket", "Arn"]},
        }
    )
    assert resolved == {
        "Name": "x-111122223333-eu-west-1",
        "Code": "assets-111122223333-eu-west-1",
        "Target": "b",
        "Arn": "arn:aws:s3:::b",
    }


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ({"Fn::If": ["C", "a", "b"]}, "Fn::If"),
        ({"Ref": "SomethingElse"}, "SomethingElse"),
        ({"Fn::GetAtt": ["Bucket", "DomainName"]}, "Bucket.DomainName"),
    ],
)
def test_an_unknown_intrinsic_is_refused_by_name(value, named):
    values = TemplateValues(ENVIRONMENT, refs={"Bucket": "b"}, arns={"Bucket": "arn"})
    with pytest.raises(UnsupportedIntrinsicError, match=named):
        values.resolve({"Property": value})


# ---- bucket definitions ------------------------------------------------------------------


def bucket_template(**properties):
    return {
        "Resources": {
            "Models": {
                "Type": "AWS::S3::Bucket",
                "Properties": {"BucketName": "models-bucket", **properties},
            }
        }
    }


def test_a_bucket_property_the_rehearsal_cannot_apply_is_refused_before_anything_is_made(
    emulated,
):
    template = bucket_template(CorsConfiguration={"CorsRules": []})
    with pytest.raises(UnsupportedBucketPropertyError, match="CorsConfiguration"):
        apply_bucket_definitions(emulated["s3"], template, ENVIRONMENT, create=True)
    assert emulated["s3"].list_buckets()["Buckets"] == []


def test_conditional_deny_statements_are_reported_not_applied(emulated):
    tls_only = {
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "s3:*",
        "Resource": "arn:aws:s3:::models-bucket/*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    template = bucket_template(VersioningConfiguration={"Status": "Enabled"})
    template["Resources"]["Policy"] = {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": {"Ref": "Models"},
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [tls_only]},
        },
    }
    (applied,) = apply_bucket_definitions(emulated["s3"], template, ENVIRONMENT, create=True)
    assert applied.omitted_policy_statements == (tls_only,)
    assert applied.policy_statements == ()
    assert applied.properties == ("BucketName", "VersioningConfiguration")
    # Writes still work, as they would over TLS on AWS.
    emulated["s3"].put_object(Bucket="models-bucket", Key="models/m.tar.gz", Body=b"m")


# ---- S3 notifications -----------------------------------------------------------------------

CONFIGURATION = {
    "LambdaFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:f",
    "Events": ["s3:ObjectCreated:*"],
    "Filter": {
        "Key": {
            "FilterRules": [
                {"Name": "Prefix", "Value": "models/"},
                {"Name": "Suffix", "Value": ".tar.gz"},
            ]
        }
    },
}


@pytest.mark.parametrize(
    ("event_name", "key", "selected"),
    [
        ("ObjectCreated:Put", "models/a.tar.gz", True),
        ("ObjectCreated:CompleteMultipartUpload", "models/a.tar.gz", True),
        ("ObjectRemoved:Delete", "models/a.tar.gz", False),
        ("ObjectCreated:Put", "other/a.tar.gz", False),
        ("ObjectCreated:Put", "models/a.zip", False),
    ],
)
def test_only_configured_event_types_and_keys_are_delivered(event_name, key, selected):
    assert matches(CONFIGURATION, event_name, key) is selected


@pytest.mark.parametrize(
    ("key", "encoded"),
    [
        ("models/red flower.tar.gz", "models/red+flower.tar.gz"),
        ("models/a+b.tar.gz", "models/a%2Bb.tar.gz"),
        ("models/modèle.tar.gz", "models/mod%C3%A8le.tar.gz"),
    ],
)
def test_keys_are_form_encoded_as_s3_writes_them(key, encoded):
    assert encode_key(key) == encoded
    assert unquote_plus(encoded) == key


# ---- deployed functions --------------------------------------------------------------------


def zipped(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def create_function(emulated, package: bytes) -> None:
    """Function ``f`` created from s3://assets/f.zip."""
    emulated["s3"].create_bucket(Bucket="assets")
    emulated["s3"].put_object(Bucket="assets", Key="f.zip", Body=package)
    role = emulated["iam"].create_role(RoleName="f", AssumeRolePolicyDocument=LAMBDA_TRUST)
    emulated["lambda"].create_function(
        FunctionName="f",
        Runtime="python3.13",
        Role=role["Role"]["Arn"],
        Handler="h.handler",
        Code={"S3Bucket": "assets", "S3Key": "f.zip"},
    )


def test_the_deployed_package_is_unpacked_with_its_configuration(emulated, tmp_path):
    create_function(emulated, zipped({"h.py": "def handler(e, c): 1"}))
    function = fetch_deployed_function(
        emulated["lambda"], emulated["s3"], "f", "assets", "f.zip", tmp_path
    )
    assert function.handler == "h.handler"
    assert (function.code_dir / "h.py").read_text() == "def handler(e, c): 1"


def test_a_package_that_is_not_the_functions_code_is_refused(emulated, tmp_path):
    s3, lambda_client = emulated["s3"], emulated["lambda"]
    create_function(emulated, zipped({"h.py": "def handler(e, c): 1"}))
    s3.put_object(Bucket="assets", Key="f.zip", Body=zipped({"h.py": "def handler(e, c): 2"}))
    with pytest.raises(CodeMismatchError, match="not the code of f"):
        fetch_deployed_function(lambda_client, s3, "f", "assets", "f.zip", tmp_path)


def test_a_handler_runs_alone_and_the_process_is_restored(tmp_path, monkeypatch):
    # A module and a package whose names are already imported in this process.
    (tmp_path / "json.py").write_text("SHADOW = True\n")
    (tmp_path / "email").mkdir()
    (tmp_path / "email" / "__init__.py").write_text("SHADOW = True\n")
    (tmp_path / "entry.py").write_text(
        "import os, json, email\n"
        "def handler(event, context):\n"
        "    return os.environ['SETTING'], json.SHADOW, email.SHADOW\n"
    )
    monkeypatch.delenv("SETTING", raising=False)
    import email

    original_json, original_email = sys.modules["json"], email
    path_before = list(sys.path)
    with loaded_handler(tmp_path, "entry.handler", {"SETTING": "x"}) as handler:
        assert handler({}, None) == ("x", True, True)
    assert sys.modules["json"] is original_json
    assert sys.modules["email"] is original_email
    assert "entry" not in sys.modules
    assert sys.path == path_before
    assert "SETTING" not in os.environ


def test_a_function_without_a_queue_cannot_receive_the_parameter_change(emulated):
    create_function(emulated, zipped({"h.py": ""}))
    with pytest.raises(EventNotRoutedError, match="0 SQS mappings"):
        queue_of_function(emulated["lambda"], emulated["sqs"], "f")
