"""The rollout against the REAL SageMaker stack template, on moto CloudFormation (ADR-0050).

The synthesized ``sagemaker-endpoint-stack`` template is created in moto the way ``cdk deploy``
creates it: no explicit parameter values, so CloudFormation resolves the SSM-typed model
parameter and the CDK bootstrap version from moto's SSM, the stack's file assets (Lambda
code) are uploaded to the bootstrap bucket first, and the CDK execution role is the stack's
role. Then a new model key is registered and the rollout handler runs in-process against moto
with the settings of the deployed function's environment, exactly as the function would in AWS:
it passes the stack's own narrow service role, never the CDK execution role (ADR-0052).

What moto does not emulate, and this test therefore does not check:
- IAM: no permission is enforced, so the service role's sufficiency is not exercised here (its
  statements are compared with the CloudFormation handlers' permissions in
  tests/unit/stacks/rollout/test_rollout_service_role.py);
- Application Auto Scaling resources in a template are skipped ("No Moto CloudFormation
  support"): the scalable target and the CPU policy are not created;
- the replacement of the model does not cascade to the endpoint configuration and the endpoint
  (real CloudFormation replaces the configuration and updates the endpoint, which runs the
  blue/green deployment); the model is where the new key must appear;
- stacks are never in an *_IN_PROGRESS state; deferral is covered in tests/unit/rollout.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import boto3
import botocore.session
import pytest
from botocore.validate import ParamValidator
from moto import mock_aws

from config import constants
from rollout.settings import load_settings
from rollout_handler import handle_batch
from tests.unit.rollout.rollout_testkit import (
    ACCOUNT,
    REGION,
    CallRecorder,
    FixedClients,
    clients,
    parameter_change,
)
from tests.unit.stacks.endpoint_stacks import without_intrinsics

STACK = constants.SAGEMAKER_STACK_NAME
# The role `cdk deploy` creates and updates the stack with: the CDK bootstrap's execution role.
DEPLOY_ROLE_ARN = (
    f"arn:aws:iam::{ACCOUNT}:role/{constants.cdk_cfn_execution_role_name(ACCOUNT, REGION)}"
)
FIRST_KEY = f"{constants.MODEL_KEY_PREFIX}sentiment-v1{constants.MODEL_ARTIFACT_SUFFIX}"
NEW_KEY = f"{constants.MODEL_KEY_PREFIX}sentiment-v2{constants.MODEL_ARTIFACT_SUFFIX}"


@pytest.fixture(scope="module")
def sagemaker_template(templates):
    return templates[STACK]


@pytest.fixture(scope="module")
def assembly_dir(synthesized_app) -> Path:
    return Path(synthesized_app.directory)


@pytest.fixture
def aws(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield clients()


def _publish_file_assets(assembly_dir: Path, stack_id: str, s3) -> int:
    """Upload the stack's file assets where the template expects them, as `cdk deploy` does
    (directories zipped). Reads the cloud assembly's manifest; returns how many were uploaded."""
    manifest = json.loads((assembly_dir / "manifest.json").read_text(encoding="utf-8"))
    artifacts = manifest["artifacts"]
    uploaded = 0
    for dependency in artifacts[stack_id].get("dependencies", []):
        if artifacts[dependency]["type"] != "cdk:asset-manifest":
            continue
        assets_file = assembly_dir / artifacts[dependency]["properties"]["file"]
        assets = json.loads(assets_file.read_text(encoding="utf-8"))
        for asset in assets.get("files", {}).values():
            body = _asset_body(assembly_dir / asset["source"]["path"], asset["source"])
            for destination in asset["destinations"].values():
                bucket = (
                    destination["bucketName"]
                    .replace("${AWS::AccountId}", ACCOUNT)
                    .replace("${AWS::Region}", REGION)
                    .replace("${AWS::Partition}", "aws")
                )
                if bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
                    s3.create_bucket(Bucket=bucket)
                s3.put_object(Bucket=bucket, Key=destination["objectKey"], Body=body)
                uploaded += 1
    return uploaded


def _asset_body(source: Path, description: dict) -> bytes:
    if description.get("packaging") != "zip":
        return source.read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for file in sorted(p for p in source.rglob("*") if p.is_file()):
            archive.write(file, file.relative_to(source).as_posix())
    return buffer.getvalue()


def _model_logical_id(template) -> str:
    [logical_id] = [
        key for key, res in template["Resources"].items() if res["Type"] == "AWS::SageMaker::Model"
    ]
    return logical_id


def _deployed_function_settings(template):
    """The rollout settings the deployed function reads: its environment, as CloudFormation
    resolved it in the stack. (Found by its FunctionName: moto's DescribeStackResource fails on
    a resource listed after one it skipped, such as an alarm.)"""
    [name] = [
        res["Properties"]["FunctionName"]
        for res in template["Resources"].values()
        if res["Type"] == "AWS::Lambda::Function"
        and res["Properties"].get("Handler") == constants.ROLLOUT_HANDLER
    ]
    configuration = boto3.client("lambda", region_name=REGION).get_function_configuration(
        FunctionName=name
    )
    return load_settings(configuration["Environment"]["Variables"])


def _trusted_principals(role_arn: str) -> list[dict]:
    role = boto3.client("iam", region_name=REGION).get_role(RoleName=role_arn.split("/")[-1])
    document = role["Role"]["AssumeRolePolicyDocument"]
    if isinstance(document, str):
        document = json.loads(document)
    return [statement["Principal"] for statement in document["Statement"]]


def _served_model(aws, logical_id) -> tuple[str, str]:
    """(physical model name, ModelDataUrl) of the model the stack owns now."""
    resource = aws["cloudformation"].describe_stack_resource(
        StackName=STACK, LogicalResourceId=logical_id
    )["StackResourceDetail"]
    name = resource["PhysicalResourceId"].split("/")[-1]
    url = aws["sagemaker"].describe_model(ModelName=name)["PrimaryContainer"]["ModelDataUrl"]
    return name, url


def test_template_reads_the_model_key_from_an_ssm_typed_parameter(sagemaker_template):
    ssm_typed = {
        key: declared["Default"]
        for key, declared in sagemaker_template["Parameters"].items()
        if declared["Type"].startswith("AWS::SSM::Parameter::Value<")
    }
    assert constants.SSM_PARAMETER_MODEL in ssm_typed.values()


# moto warns for each Application Auto Scaling resource it skips (see the module docstring).
@pytest.mark.filterwarnings("ignore:Tried to parse AWS..ApplicationAutoScaling:UserWarning")
def test_registered_model_reaches_the_real_stack_through_the_rollout(
    aws, sagemaker_template, assembly_dir
):
    ssm, cloudformation = aws["ssm"], aws["cloudformation"]
    ssm.put_parameter(Name=constants.SSM_PARAMETER_MODEL, Value=FIRST_KEY, Type="String")
    ssm.put_parameter(Name=constants.CDK_BOOTSTRAP_VERSION_PARAMETER, Value="30", Type="String")
    assert _publish_file_assets(assembly_dir, STACK, aws["s3"]) >= 1  # at least the template
    cloudformation.create_stack(
        StackName=STACK,
        TemplateBody=json.dumps(sagemaker_template),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        RoleARN=DEPLOY_ROLE_ARN,
    )
    model_id = _model_logical_id(sagemaker_template)
    first_name, first_url = _served_model(aws, model_id)
    assert first_url.endswith(f"/{FIRST_KEY}")

    ssm.put_parameter(
        Name=constants.SSM_PARAMETER_MODEL, Value=NEW_KEY, Type="String", Overwrite=True
    )
    settings = _deployed_function_settings(sagemaker_template)
    service_role_arn = settings.cfn_role_arn
    # The stack's own role, trusted by CloudFormation only: not the CDK execution role.
    assert service_role_arn.startswith(f"arn:aws:iam::{ACCOUNT}:role/")
    assert service_role_arn != DEPLOY_ROLE_ARN
    assert _trusted_principals(service_role_arn) == [{"Service": "cloudformation.amazonaws.com"}]
    assert settings.stack_name == STACK
    assert settings.parameter_name == constants.SSM_PARAMETER_MODEL
    recorder = CallRecorder(cloudformation)
    response = handle_batch(
        {"Records": [parameter_change(name=constants.SSM_PARAMETER_MODEL, message_id="m1")]},
        settings,
        FixedClients(cloudformation=cloudformation, ssm=ssm, cloudwatch=aws["cloudwatch"]),
    )

    assert response == {"batchItemFailures": []}
    [update] = recorder.named("UpdateStack")
    assert update["UsePreviousTemplate"] is True
    assert update["RoleARN"] == service_role_arn != DEPLOY_ROLE_ARN
    assert {p["ParameterKey"]: p.get("ParameterValue") for p in update["Parameters"]} == {
        key: declared["Default"] for key, declared in sagemaker_template["Parameters"].items()
    }
    new_name, new_url = _served_model(aws, model_id)
    assert new_url.endswith(f"/{NEW_KEY}")
    assert new_name != first_name  # replaced, as every property of a model is create-only
    stack = cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    assert stack["RoleARN"] == service_role_arn


def test_the_real_endpoint_update_is_accepted_by_the_sagemaker_api(sagemaker_template):
    """The synthesized endpoint's DeploymentConfig against botocore's UpdateEndpoint input shape
    (the CloudFormation property names are the API's): the CloudFormation schema leaves
    WaitIntervalInSeconds optional, the API requires it (ADR-0053)."""
    [endpoint] = [
        res["Properties"]
        for res in sagemaker_template["Resources"].values()
        if res["Type"] == "AWS::SageMaker::Endpoint"
    ]
    call = {
        "EndpointName": endpoint["EndpointName"],
        "EndpointConfigName": "endpoint-config-1",
        "RetainAllVariantProperties": endpoint["RetainAllVariantProperties"],
        "DeploymentConfig": without_intrinsics(endpoint["DeploymentConfig"]),
    }
    shape = (
        botocore.session.get_session()
        .get_service_model("sagemaker")
        .operation_model("UpdateEndpoint")
        .input_shape
    )
    report = ParamValidator().validate(call, shape)
    assert not report.has_errors(), report.generate_report()
    assert (
        call["DeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"][
            "WaitIntervalInSeconds"
        ]
        == constants.DEPLOYMENT_ALL_AT_ONCE_WAIT_SECONDS
    )
