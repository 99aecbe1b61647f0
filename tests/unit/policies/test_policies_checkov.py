"""Custom checkov policies (each fails a bad and passes a good template) and the gate script.

checkov starts in ~4-5 s, so the gate runs once over a cloud-assembly-like directory holding
one template per rule family, and once over a clean assembly.
"""

from __future__ import annotations

import importlib.util
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
CHECKOV = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"
ROLE_ARN = "arn:aws:iam::111122223333:role/function"
JUSTIFIED = "ADR-0047: test fixture, the check does not apply here"


def _load_gate():
    spec = importlib.util.spec_from_file_location(
        "checkov_gate", REPO_ROOT / "scripts" / "checkov_gate.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gate = _load_gate()


def _join(*parts):
    return {"Fn::Join": ["", list(parts)]}


def _managed(name: str) -> dict:
    return _join("arn:", {"Ref": "AWS::Partition"}, f":iam::aws:policy/{name}")


def _policy(*statements) -> dict:
    return {
        "Type": "AWS::IAM::Policy",
        "Properties": {
            "PolicyName": "p",
            "Roles": ["some-role"],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": list(statements)},
        },
    }


def _allow(action, resource, condition=None) -> dict:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


def _role(**properties) -> dict:
    trust = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"Service": "lambda.amazonaws.com"},
            }
        ]
    }
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {"AssumeRolePolicyDocument": trust, **properties},
    }


NAMESPACE = {"StringEquals": {"cloudwatch:namespace": "ModelRegistration"}}
MODELS = "arn:aws:sagemaker:us-east-1:111122223333:model/*"
CONFIGS = "arn:aws:sagemaker:us-east-1:111122223333:endpoint-config/*"
IAM_TEMPLATE = {
    "PolicyGood": _policy(
        _allow("ssm:PutParameter", "arn:aws:ssm:us-east-1:111122223333:parameter/model"),
        _allow("cloudwatch:PutMetricData", "*", NAMESPACE),
    ),
    "PolicyServiceWide": _policy(_allow("s3:*", "arn:aws:s3:::models/*")),
    "PolicyParameterOnStar": _policy(_allow("ssm:PutParameter", "*")),
    "PolicyMetricsAnywhere": _policy(_allow("cloudwatch:PutMetricData", "*")),
    "StackPolicy": {
        "Type": "AWS::IAM::ManagedPolicy",
        "Properties": {
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [_allow("sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:q")],
            }
        },
    },
    "RoleGood": _role(ManagedPolicyArns=[{"Ref": "StackPolicy"}]),
    "RoleAwsManaged": _role(
        ManagedPolicyArns=[_managed("service-role/AWSLambdaBasicExecutionRole")]
    ),
    "RoleCustomerManagedByArn": _role(
        ManagedPolicyArns=["arn:aws:iam::111122223333:policy/team-policy"]
    ),
    "RoleInlineStar": _role(
        Policies=[{"PolicyName": "inline", "PolicyDocument": {"Statement": [_allow("iam:*", "*")]}}]
    ),
    # ADR 0057: SageMaker creations only with the conditions that bound them.
    "PolicyIsolatedConfiguredTypes": _policy(
        _allow("sagemaker:CreateModel", MODELS, {"Bool": {"sagemaker:NetworkIsolation": "true"}}),
        _allow(
            "sagemaker:CreateEndpointConfig",
            CONFIGS,
            {
                "ForAllValues:StringEquals": {"sagemaker:InstanceTypes": ["ml.g4dn.xlarge"]},
                "Null": {"sagemaker:InstanceTypes": "false"},
            },
        ),
    ),
    "PolicyUnboundedSageMaker": _policy(
        _allow(["sagemaker:CreateModel", "sagemaker:CreateEndpointConfig"], [MODELS, CONFIGS])
    ),
}
# Resource policies (ADR 0044): a key policy's "*" is the key itself; bucket, queue and topic
# policies must name their resources in every Allow.
ACCOUNT = {"AWS": "arn:aws:iam::111122223333:root"}
QUEUE_ARN = "arn:aws:sqs:us-east-1:111122223333:q"


def _key(*statements) -> dict:
    return {
        "Type": "AWS::KMS::Key",
        "Properties": {
            "EnableKeyRotation": True,
            "KeyPolicy": {"Version": "2012-10-17", "Statement": list(statements)},
        },
    }


def _queue_policy(*statements) -> dict:
    return {
        "Type": "AWS::SQS::QueuePolicy",
        "Properties": {
            "Queues": ["https://sqs.us-east-1.amazonaws.com/111122223333/q"],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": list(statements)},
        },
    }


def _granted(action, resource) -> dict:
    return {"Effect": "Allow", "Principal": ACCOUNT, "Action": action, "Resource": resource}


RESOURCE_POLICY_TEMPLATE = {
    "KeyNamedActions": _key(_granted(["kms:Create*", "kms:Put*", "kms:Decrypt"], "*")),
    "KeyKmsStar": _key(_granted("kms:*", "*")),
    "QueuePolicyNamed": _queue_policy(
        {**_granted("sqs:*", "*"), "Effect": "Deny", "Principal": "*"},
        _granted("sqs:SendMessage", QUEUE_ARN),
    ),
    "QueuePolicyOnStar": _queue_policy(_granted("sqs:SendMessage", "*")),
}


EXPIRE_REPLACED = {"Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}


def _bucket(algorithm="AES256", **extra) -> dict:
    return {
        "Type": "AWS::S3::Bucket",
        "Properties": {
            "VersioningConfiguration": {"Status": "Enabled"},
            "LifecycleConfiguration": {"Rules": [EXPIRE_REPLACED]},
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": algorithm}}
                ]
            },
            **extra,
        },
    }


S3_TEMPLATE = {
    "BucketGood": _bucket(),
    "BucketKms": _bucket("aws:kms"),
    "BucketVersionsKeptForever": _bucket(LifecycleConfiguration={"Rules": []}),
    "BucketVersionsExpireUnderAPrefix": _bucket(
        LifecycleConfiguration={"Rules": [{**EXPIRE_REPLACED, "Prefix": "models/"}]}
    ),
}


def _function(**extra) -> dict:
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Code": {"ZipFile": "def handler(event, context): pass"},
            "Handler": "index.handler",
            "Role": ROLE_ARN,
            "Runtime": "python3.13",
            **extra,
        },
    }


def _log_group(**properties) -> dict:
    return {"Type": "AWS::Logs::LogGroup", "Properties": properties}


QUEUE_ARN = "arn:aws:sqs:us-east-1:111122223333:failures"
LAMBDA_TEMPLATE = {
    "FnGood": _function(LoggingConfig={"LogGroup": {"Ref": "FnGoodLogs"}}),
    "FnGoodLogs": _log_group(RetentionInDays=365),
    "FnDefaultGroup": _function(DeadLetterConfig={"TargetArn": QUEUE_ARN}),
    "FnDefaultGroupLogs": _log_group(
        LogGroupName=_join("/aws/lambda/", {"Ref": "FnDefaultGroup"}), RetentionInDays=365
    ),
    "FnLogsForever": _function(LoggingConfig={"LogGroup": {"Ref": "FnLogsForeverLogs"}}),
    "FnLogsForeverLogs": _log_group(),
    "FnBare": _function(),
}

VARIANT = {
    "VariantName": "AllTraffic",
    "ModelName": {"Fn::GetAtt": ["ModelGood", "ModelName"]},
    "InitialInstanceCount": 1,
    "InstanceType": "ml.m5.large",
}
CONTAINER = {"ExecutionRoleArn": ROLE_ARN, "PrimaryContainer": {"Image": "image:latest"}}
BLUE_GREEN = {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE"}}}


def _endpoint(**extra) -> dict:
    config = {"Fn::GetAtt": ["ConfigGood", "EndpointConfigName"]}
    return {
        "Type": "AWS::SageMaker::Endpoint",
        "Properties": {"EndpointConfigName": config, **extra},
    }


def _scalable_target(endpoint_id: str) -> dict:
    return {
        "Type": "AWS::ApplicationAutoScaling::ScalableTarget",
        "Properties": {
            "MaxCapacity": 4,
            "MinCapacity": 1,
            "ResourceId": _join(
                "endpoint/", {"Fn::GetAtt": [endpoint_id, "EndpointName"]}, "/variant/AllTraffic"
            ),
            "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
            "ServiceNamespace": "sagemaker",
        },
    }


SAGEMAKER_TEMPLATE = {
    "ModelGood": {"Type": "AWS::SageMaker::Model", "Properties": CONTAINER},
    "ModelNamed": {
        "Type": "AWS::SageMaker::Model",
        "Properties": {"ModelName": "sentiment-model", **CONTAINER},
    },
    "ConfigGood": {
        "Type": "AWS::SageMaker::EndpointConfig",
        "Properties": {"ProductionVariants": [VARIANT]},
    },
    "ConfigNamed": {
        "Type": "AWS::SageMaker::EndpointConfig",
        "Properties": {"EndpointConfigName": "fixed", "ProductionVariants": [VARIANT]},
    },
    "EndpointScaledRetaining": _endpoint(RetainAllVariantProperties=True),
    "EndpointScaledRetainingTarget": _scalable_target("EndpointScaledRetaining"),
    "EndpointScaledResetting": _endpoint(),
    "EndpointScaledResettingTarget": _scalable_target("EndpointScaledResetting"),
    "EndpointUnscaled": _endpoint(),
    "EndpointBlueGreenResetting": _endpoint(DeploymentConfig=BLUE_GREEN),
    "EndpointBlueGreenRetaining": _endpoint(
        DeploymentConfig=BLUE_GREEN, RetainAllVariantProperties="true"
    ),
}


def _skipped_bucket(comment: str) -> dict:
    bucket = {"Type": "AWS::S3::Bucket", "Properties": {}}
    bucket["Metadata"] = {"checkov": {"skip": [{"id": "CKV_AWS_21", "comment": comment}]}}
    return bucket


SKIPS_TEMPLATE = {
    "BucketJustifiedSkip": _skipped_bucket(JUSTIFIED),
    "BucketUnjustifiedSkip": _skipped_bucket("versioning is not needed"),
}


def _write(directory: Path, name: str, resources: dict) -> None:
    template = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}
    (directory / f"{name}.template.json").write_text(json.dumps(template, indent=1))


@pytest.fixture(scope="module")
def gate_run(tmp_path_factory):
    if not CHECKOV.is_file():
        pytest.fail(f"{CHECKOV} is missing: run `make .venv-checkov/.stamp` first")
    cdk_out = tmp_path_factory.mktemp("cdk.out")
    for name, resources in {
        "iam": IAM_TEMPLATE,
        "resource_policies": RESOURCE_POLICY_TEMPLATE,
        "s3": S3_TEMPLATE,
        "lambda": LAMBDA_TEMPLATE,
        "sagemaker": SAGEMAKER_TEMPLATE,
        "skips": SKIPS_TEMPLATE,
    }.items():
        _write(cdk_out, name, resources)
    asset = cdk_out / "asset.0123abcd"
    asset.mkdir()
    _write(asset, "nested", {"AssetBucket": {"Type": "AWS::S3::Bucket"}})
    reports = tmp_path_factory.mktemp("reports")
    exit_code = gate.run_gate(cdk_out, reports)
    report = json.loads((reports / gate.JSON_REPORT).read_text())
    return exit_code, reports, report


def _results(report) -> dict[tuple[str, str], str]:
    """(check ID, logical ID) -> PASSED / FAILED / SKIPPED."""
    outcome = {}
    for section in gate._reports(report):
        for key, verdict in (
            ("passed_checks", "PASSED"),
            ("failed_checks", "FAILED"),
            ("skipped_checks", "SKIPPED"),
        ):
            for result in section["results"][key]:
                outcome[(result["check_id"], result["resource"].split(".", 1)[1])] = verdict
    return outcome


CUSTOM_CASES = [
    ("CKV_MLOPS_1", "PolicyGood", "PASSED"),
    ("CKV_MLOPS_1", "PolicyServiceWide", "FAILED"),
    ("CKV_MLOPS_1", "RoleInlineStar", "FAILED"),
    ("CKV_MLOPS_2", "PolicyGood", "PASSED"),
    ("CKV_MLOPS_2", "PolicyParameterOnStar", "FAILED"),
    ("CKV_MLOPS_2", "RoleInlineStar", "FAILED"),
    ("CKV_MLOPS_1", "KeyNamedActions", "PASSED"),
    ("CKV_MLOPS_1", "KeyKmsStar", "FAILED"),
    ("CKV_MLOPS_2", "KeyKmsStar", "PASSED"),  # "*" in a key policy is the key itself
    ("CKV_MLOPS_1", "QueuePolicyNamed", "PASSED"),  # the Deny on sqs:* never counts
    ("CKV_MLOPS_2", "QueuePolicyNamed", "PASSED"),
    ("CKV_MLOPS_2", "QueuePolicyOnStar", "FAILED"),
    ("CKV_MLOPS_3", "PolicyGood", "PASSED"),
    ("CKV_MLOPS_3", "PolicyMetricsAnywhere", "FAILED"),
    ("CKV_MLOPS_11", "RoleGood", "PASSED"),
    ("CKV_MLOPS_11", "RoleAwsManaged", "FAILED"),
    ("CKV_MLOPS_11", "RoleCustomerManagedByArn", "FAILED"),
    ("CKV_MLOPS_12", "PolicyIsolatedConfiguredTypes", "PASSED"),
    ("CKV_MLOPS_12", "PolicyUnboundedSageMaker", "FAILED"),
    ("CKV_MLOPS_13", "PolicyIsolatedConfiguredTypes", "PASSED"),
    ("CKV_MLOPS_13", "PolicyUnboundedSageMaker", "FAILED"),
    ("CKV_MLOPS_6", "BucketGood", "PASSED"),
    ("CKV_MLOPS_6", "BucketKms", "FAILED"),
    ("CKV_MLOPS_10", "BucketGood", "PASSED"),
    ("CKV_MLOPS_10", "BucketVersionsKeptForever", "FAILED"),
    ("CKV_MLOPS_10", "BucketVersionsExpireUnderAPrefix", "FAILED"),
    ("CKV_MLOPS_7", "ModelGood", "PASSED"),
    ("CKV_MLOPS_7", "ModelNamed", "FAILED"),
    ("CKV_MLOPS_8", "ConfigGood", "PASSED"),
    ("CKV_MLOPS_8", "ConfigNamed", "FAILED"),
    ("CKV_MLOPS_9", "EndpointBlueGreenRetaining", "PASSED"),
    ("CKV_MLOPS_9", "EndpointBlueGreenResetting", "FAILED"),
    ("CKV2_MLOPS_3", "FnGood", "PASSED"),
    ("CKV2_MLOPS_3", "FnDefaultGroup", "PASSED"),
    ("CKV2_MLOPS_3", "FnLogsForever", "FAILED"),
    ("CKV2_MLOPS_3", "FnBare", "FAILED"),
    ("CKV2_MLOPS_4", "EndpointScaledRetaining", "PASSED"),
    ("CKV2_MLOPS_4", "EndpointUnscaled", "FAILED"),
    ("CKV2_MLOPS_5", "EndpointScaledRetaining", "PASSED"),
    ("CKV2_MLOPS_5", "EndpointUnscaled", "PASSED"),
    ("CKV2_MLOPS_5", "EndpointScaledResetting", "FAILED"),
]


@pytest.mark.parametrize(("check_id", "resource", "expected"), CUSTOM_CASES)
def test_custom_check(gate_run, check_id, resource, expected):
    _, _, report = gate_run
    assert _results(report).get((check_id, resource)) == expected


def test_every_custom_check_is_exercised_both_ways():
    verdicts: dict[str, set[str]] = {}
    for check_id, _, expected in CUSTOM_CASES:
        verdicts.setdefault(check_id, set()).add(expected)
    # Retired with the cdk-nag rules they mirrored (ADR 0042): CKV_MLOPS_4, CKV_MLOPS_5,
    # CKV2_MLOPS_1 and CKV2_MLOPS_2.
    custom = {f"CKV_MLOPS_{n}" for n in (1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13)} | {
        f"CKV2_MLOPS_{n}" for n in (3, 4, 5)
    }
    assert set(verdicts) == custom
    assert all(v == {"PASSED", "FAILED"} for v in verdicts.values())


@pytest.mark.parametrize("resource", ["KeyKmsStar", "QueuePolicyOnStar"])
def test_the_metric_namespace_check_does_not_read_resource_policies(gate_run, resource):
    _, _, report = gate_run
    assert ("CKV_MLOPS_3", resource) not in _results(report)


def test_gate_fails_on_unskipped_failures_and_writes_reports(gate_run):
    exit_code, reports, report = gate_run
    assert exit_code == gate.FAILED
    assert gate.summarize(report)["failed"] > 0
    sarif = json.loads((reports / "results_sarif.sarif").read_text())
    assert sarif["runs"][0]["results"]
    junit = ET.parse(reports / "results_junitxml.xml").getroot()  # noqa: S314 (our own file)
    assert list(junit.iter("failure"))


def test_asset_directories_are_not_scanned(gate_run):
    _, _, report = gate_run
    resources = {resource for _, resource in _results(report)}
    assert "BucketGood" in resources
    assert "AssetBucket" not in resources


def test_unjustified_skip_is_reported(gate_run):
    _, _, report = gate_run
    results = _results(report)
    assert results[("CKV_AWS_21", "BucketJustifiedSkip")] == "SKIPPED"
    assert results[("CKV_AWS_21", "BucketUnjustifiedSkip")] == "SKIPPED"
    problems = gate.unjustified_skips(report)
    assert len(problems) == 1
    assert "BucketUnjustifiedSkip" in problems[0]
    assert "does not start with 'ADR-NNNN: '" in problems[0]


def test_gate_passes_a_clean_assembly(tmp_path):
    cdk_out = tmp_path / "cdk.out"
    cdk_out.mkdir()
    queue = {"Type": "AWS::SQS::Queue", "Properties": {"KmsMasterKeyId": "alias/aws/sqs"}}
    _write(cdk_out, "clean", {"Queue": queue})
    assert gate.run_gate(cdk_out, tmp_path / "reports") == gate.PASSED


def test_gate_refuses_an_empty_assembly(tmp_path):
    assert gate.run_gate(tmp_path, tmp_path / "reports") == gate.UNJUDGED


def test_inherited_checkov_settings_are_removed(monkeypatch, tmp_path):
    monkeypatch.setenv("CKV_SKIP_CHECK", "CKV_MLOPS_1")
    monkeypatch.setenv("BC_API_KEY", "not-for-this-gate")
    monkeypatch.setenv("CKV_NO_FAIL_ON_CRASH", "true")
    environment = gate.clean_environment(str(tmp_path))
    assert not [key for key in environment if key.startswith("CKV_")]
    assert environment["BC_SKIP_MAPPING"] == "TRUE"
    assert "BC_API_KEY" not in environment
    assert environment["HOME"] == str(tmp_path)


def test_a_custom_check_that_fails_to_load_is_detected():
    stderr = (
        "2026-11-27 01:03:26,858 [MainThread  ] [ERROR]  Cannot load external check "
        "'ckv_mlops_iam' from /repo/policies/checkov/ckv_mlops_iam.py\n"
        "2026-11-27 01:03:27,000 [MainThread  ] [WARNING]  something unrelated\n"
    )
    assert gate.load_failures(stderr) == [stderr.splitlines()[0]]
    assert gate.load_failures("all good\n") == []
