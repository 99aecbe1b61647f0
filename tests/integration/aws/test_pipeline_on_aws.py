"""The pipeline on a real AWS account: deploy, register, serve, roll out, tear down (opt-in).

    RUN_AWS_INTEGRATION=1 .venv/bin/python -m pytest tests/integration/aws -s

Skipped unless RUN_AWS_INTEGRATION=1 and credentials work (conftest.py). The account and region
are those of the ambient credentials and must be CDK-bootstrapped. Everything is deployed under
a unique ``deployment_prefix`` (ADR-0035; ``AWS_IT_PREFIX`` to choose it), so an existing
deployment in the account is never touched, and torn down in a finalizer whatever happens
(tests/integration/aws/teardown.py; after an interrupted run:
``python -m tests.integration.aws.teardown --prefix <prefix> --yes``). ``AWS_IT_CDK_CONTEXT``
(``key=value,key=value``) passes extra context values to the synthesis.

Real this time: the Lambda functions run, S3 delivers the notification, EventBridge delivers the
parameter change, CloudFormation replaces model and endpoint config and updates the endpoint
blue/green (with its bake period), the endpoint container serves the sample model. Cost and
duration: docs/demo.md ("Cost and duration"), the one place for the estimate.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import boto3
import pytest

from config import constants
from config.naming import DeploymentNaming
from demo.serving import ServingView, serving_view
from demo.story import SAMPLE_MODEL
from tests.integration.aws.cdk_cli import PrefixedCdk
from tests.integration.aws.teardown import teardown

PREFIX_VARIABLE = "AWS_IT_PREFIX"
CONTEXT_VARIABLE = "AWS_IT_CDK_CONTEXT"
REQUEST = {"inputs": "I loved this movie"}
EXPECTED_LABEL = "POSITIVE"
POLL_SECONDS = 15
# S3 notifications usually arrive within seconds, occasionally a minute or more.
REGISTRATION_TIMEOUT_SECONDS = 5 * 60
# A blue/green update: new instances, the bake period, then the old fleet goes, plus margin.
ROLLOUT_TIMEOUT_SECONDS = constants.DEPLOYMENT_MAX_EXECUTION_SECONDS + 20 * 60
FAILED_UPDATE_STATUSES = ("UPDATE_ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_FAILED", "UPDATE_FAILED")

T = TypeVar("T")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def wait_for(description: str, probe: Callable[[], T | None], timeout: float) -> T:
    """Poll ``probe`` until it returns something other than None."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout:.0f} s waiting for {description}")
        time.sleep(POLL_SECONDS)


def extra_context() -> dict[str, str]:
    raw = os.environ.get(CONTEXT_VARIABLE, "").strip()
    pairs = dict(item.split("=", 1) for item in raw.split(",") if item.strip())
    if constants.DEPLOYMENT_PREFIX_CONTEXT_KEY in pairs:
        raise ValueError(
            f"{CONTEXT_VARIABLE} must not set the deployment prefix; use {PREFIX_VARIABLE}"
        )
    return pairs


@dataclass
class AwsRun:
    session: Any
    account: str
    region: str
    naming: DeploymentNaming
    cdk: PrefixedCdk
    durations: dict[str, float] = field(default_factory=dict)

    @property
    def bucket(self) -> str:
        return self.naming.model_bucket_name(self.account, self.region)

    def client(self, service: str) -> Any:
        return self.session.client(service, region_name=self.region)

    def timed(self, step: str, action: Callable[[], T]) -> T:
        log(f"{step} ...")
        began = time.monotonic()
        result = action()
        self.durations[step] = time.monotonic() - began
        log(f"{step}: done in {self.durations[step]:.0f} s")
        return result


@pytest.fixture(scope="module")
def aws_run(tmp_path_factory):
    session = boto3.Session()
    region = session.region_name
    if not region:
        pytest.fail("no AWS region configured (AWS_REGION or the profile's region)")
    account = session.client("sts", region_name=region).get_caller_identity()["Account"]
    prefix = os.environ.get(PREFIX_VARIABLE) or f"it{secrets.token_hex(3)}"
    naming = DeploymentNaming(prefix)
    _require_bootstrap(session, account, region)
    run = AwsRun(
        session=session,
        account=account,
        region=region,
        naming=naming,
        cdk=PrefixedCdk(
            prefix=prefix,
            region=region,
            assembly=tmp_path_factory.mktemp("aws-cdk-out"),
            extra_context=extra_context(),
            log=log,
        ),
    )
    log(f"deployment prefix {prefix} in account {account}, region {region}")
    try:
        yield run
    finally:
        began = time.monotonic()
        _, problems = teardown(session, prefix, region, log=log)
        log(f"teardown took {time.monotonic() - began:.0f} s")
        for step, seconds in run.durations.items():
            log(f"duration of {step}: {seconds:.0f} s")
        if problems:
            pytest.fail(
                "teardown left resources behind:\n  "
                + "\n  ".join(problems)
                + f"\nretry: python -m tests.integration.aws.teardown --prefix {prefix} "
                f"--region {region} --yes"
            )


def _require_bootstrap(session: Any, account: str, region: str) -> None:
    ssm = session.client("ssm", region_name=region)
    try:
        ssm.get_parameter(Name=constants.CDK_BOOTSTRAP_VERSION_PARAMETER)
    except ssm.exceptions.ParameterNotFound:
        pytest.fail(
            f"aws://{account}/{region} is not CDK-bootstrapped: run "
            f"`node_modules/.bin/cdk bootstrap aws://{account}/{region}` first"
        )


def test_a_model_is_served_and_a_new_model_rolls_out(aws_run: AwsRun):
    run, naming = aws_run, aws_run.naming
    first_key = f"{constants.MODEL_KEY_PREFIX}{naming.prefix}-v1{constants.MODEL_ARTIFACT_SUFFIX}"
    second_key = f"{constants.MODEL_KEY_PREFIX}{naming.prefix}-v2{constants.MODEL_ARTIFACT_SUFFIX}"

    run.timed("cdk synth", run.cdk.synth)
    template = json.loads(
        (run.cdk.assembly / f"{constants.SAGEMAKER_STACK_NAME}.template.json").read_text()
    )
    log(f"endpoint instance type: {_instance_types(template)} (cost: docs/demo.md)")

    run.timed(
        "deploy lambda and s3 stacks",
        lambda: run.cdk.deploy(constants.LAMBDA_STACK_NAME, constants.S3_STACK_NAME),
    )
    run.timed("register the first model", lambda: _upload_and_wait(run, first_key))
    run.timed(
        "deploy the endpoint stack (endpoint creation)",
        lambda: run.cdk.deploy(constants.SAGEMAKER_STACK_NAME),
    )
    first = _serving(run)
    assert first.endpoint_model_data_url == f"s3://{run.bucket}/{first_key}"
    assert _predicted_label(run) == EXPECTED_LABEL

    run.timed("register the second model", lambda: _upload_and_wait(run, second_key))
    rolled = run.timed(
        "automated rollout (blue/green with bake)",
        lambda: wait_for(
            f"the endpoint to serve {second_key}",
            lambda: _served_if(run, second_key),
            ROLLOUT_TIMEOUT_SECONDS,
        ),
    )
    assert rolled.endpoint_config_name != first.endpoint_config_name
    assert rolled.endpoint_name == naming.endpoint_name
    assert _predicted_label(run) == EXPECTED_LABEL


def _instance_types(template: dict[str, Any]) -> list[str]:
    return [
        variant["InstanceType"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::SageMaker::EndpointConfig"
        for variant in resource["Properties"]["ProductionVariants"]
    ]


def _upload_and_wait(run: AwsRun, key: str) -> None:
    # The bucket refuses a model upload without If-None-Match (ADR-0056).
    put = run.client("s3").put_object(
        Bucket=run.bucket, Key=key, Body=SAMPLE_MODEL.read_bytes(), IfNoneMatch="*"
    )
    log(f"put s3://{run.bucket}/{key} (versionId {put.get('VersionId')})")
    ssm = run.client("ssm")

    def registered() -> str | None:
        try:
            value = ssm.get_parameter(Name=run.naming.model_parameter_name)["Parameter"]["Value"]
        except ssm.exceptions.ParameterNotFound:
            return None
        return value if value == key else None

    wait_for(f"{run.naming.model_parameter_name} = {key}", registered, REGISTRATION_TIMEOUT_SECONDS)


def _serving(run: AwsRun) -> ServingView:
    view = serving_view(
        run.client("cloudformation"), run.client("sagemaker"), run.naming.sagemaker_stack_name
    )
    log(
        f"endpoint {view.endpoint_name} serves {view.endpoint_model_data_url} ({view.stack_status})"
    )
    return view


def _served_if(run: AwsRun, key: str) -> ServingView | None:
    status = run.client("cloudformation").describe_stacks(
        StackName=run.naming.sagemaker_stack_name
    )["Stacks"][0]
    if status["StackStatus"] in FAILED_UPDATE_STATUSES:
        pytest.fail(
            f"the rollout's update ended in {status['StackStatus']}: "
            f"{status.get('StackStatusReason', '')}"
        )
    if status["StackStatus"] != "UPDATE_COMPLETE":
        return None
    view = _serving(run)
    endpoint = run.client("sagemaker").describe_endpoint(EndpointName=view.endpoint_name)
    served = view.endpoint_model_data_url == f"s3://{run.bucket}/{key}"
    return view if served and endpoint["EndpointStatus"] == "InService" else None


def _predicted_label(run: AwsRun) -> str:
    response = run.client("sagemaker-runtime").invoke_endpoint(
        EndpointName=run.naming.endpoint_name,
        ContentType="application/json",
        Accept="application/json",
        Body=json.dumps(REQUEST),
    )
    prediction = json.loads(response["Body"].read())
    log(f"{REQUEST} -> {prediction}")
    return prediction[0]["label"]
