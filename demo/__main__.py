"""`make demo`: the pipeline's story on an emulated AWS account, with the real CDK CLI.

    python -m demo [--verbose]

Starts a moto_server on a free local port, bootstraps and deploys the three stacks into it with
the pinned CDK CLI (``cdk deploy --method=direct``), uploads the sample model, delivers the S3
notification to the deployed registration function (in-process: moto cannot run Lambda code
without Docker), deploys the endpoint stack, then uploads a second model and hands the
parameter change to the rollout function. Then the model registry (ADR-0071): a model delivered
with its metrics file is approved and served, a worse one is rejected by the gate and not
served, and an operator's approval in the registry serves it. Every step is printed as it
runs; the exit status is non-zero if any check of the story fails. The server and the temporary
directory are removed on every exit path. What the emulator does and does not emulate: docs/demo.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from config import constants
from config.naming import DeploymentNaming
from demo.bucket_definition import apply_bucket_definitions
from demo.deployed_function import (
    DeployedFunction,
    Invocation,
    fetch_deployed_function,
    invoke_in_process,
)
from demo.emulator import ENVIRONMENT, FAKE_CREDENTIALS
from demo.model_registry import create_model_package_groups
from demo.moto_server import MotoServer
from demo.serving import ServingView, serving_view
from demo.story import (
    FIRST_KEY,
    FOURTH_KEY,
    REPO,
    SAMPLE_METRICS,
    SAMPLE_MODEL,
    SECOND_KEY,
    THIRD_KEY,
    deliver_to,
    function_code_location,
    roll_out_parameter_change,
    upload_model,
)

CDK = REPO / "node_modules" / ".bin" / "cdk"
MOTO_SERVER = REPO / ".venv" / "bin" / "moto_server"
NAMING = DeploymentNaming()
STEPS = 14

T = TypeVar("T")


class StoryCheckError(AssertionError):
    """A check of the story failed: the demo exits non-zero."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise StoryCheckError(message)


class Narrator:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.number = 0

    def step(self, title: str, action: Callable[[], T]) -> T:
        self.number += 1
        print(f"\n[{self.number}/{STEPS}] {title}", flush=True)
        began = time.monotonic()
        result = action()
        print(f"      ({time.monotonic() - began:.1f} s)", flush=True)
        return result

    @staticmethod
    def say(text: str) -> None:
        print(f"      {text}", flush=True)

    def total(self) -> float:
        return time.monotonic() - self.started


class Rehearsal:
    def __init__(self, work_dir: Path, server: MotoServer, verbose: bool) -> None:
        self.work_dir = work_dir
        self.assembly = work_dir / "cdk.out"
        self.server = server
        self.verbose = verbose
        self.narrator = Narrator()
        self.environ = {
            **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
            **FAKE_CREDENTIALS,
            "AWS_ENDPOINT_URL": server.endpoint_url,
            # No profile or config of this machine may take part (or reach a real account).
            "AWS_CONFIG_FILE": str(work_dir / "aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(work_dir / "aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
            "JSII_DEPRECATED": "quiet",
        }
        os.environ.clear()
        os.environ.update(self.environ)
        import boto3

        self.clients = {
            service: boto3.client(service, region_name=ENVIRONMENT.region)
            for service in ("cloudformation", "events", "lambda", "s3", "sagemaker", "sqs", "ssm")
        }
        self.bucket = NAMING.model_bucket_name(ENVIRONMENT.account, ENVIRONMENT.region)

    # ---- the CDK CLI ------------------------------------------------------------------------

    def cdk(self, *arguments: str) -> None:
        command = [str(CDK), *arguments, "--no-notices", "--ci"]
        self.narrator.say("$ cdk " + " ".join(arguments))
        completed = subprocess.run(  # noqa: S603 - the pinned CLI, fixed arguments
            command,
            cwd=REPO,
            env=self.environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        for line in completed.stdout.splitlines():
            if self.verbose or line.lstrip().startswith(("✅", "❌", "✨  Total")):
                self.narrator.say("  " + line.strip())
        if completed.returncode != 0:
            print(completed.stdout, file=sys.stderr)
            raise StoryCheckError(
                f"cdk {arguments[0]} failed with exit status {completed.returncode}"
            )
        skipped = self.server.new_unsupported_resource_types()
        if skipped:
            self.narrator.say("moto's CloudFormation skipped (not emulated): " + ", ".join(skipped))

    def deploy(self, *stacks: str) -> None:
        self.cdk(
            "deploy",
            *stacks,
            "--app",
            str(self.assembly),
            "--method=direct",
            "--require-approval",
            "never",
            "--progress",
            "events",
        )

    # ---- the story ---------------------------------------------------------------------------

    def run(self) -> None:
        n = self.narrator
        n.say(f"moto_server {self.server.endpoint_url} (pid {self.server.pid})")
        n.step("Synthesize the app once (cdk synth)", self.synth)
        n.step(
            f"cdk bootstrap aws://{ENVIRONMENT.account}/{ENVIRONMENT.region}",
            lambda: self.cdk(
                "bootstrap",
                f"aws://{ENVIRONMENT.account}/{ENVIRONMENT.region}",
                "--app",
                str(self.assembly),
            ),
        )
        n.step(
            f"cdk deploy {NAMING.lambda_stack_name} {NAMING.s3_stack_name}",
            lambda: self.deploy(constants.LAMBDA_STACK_NAME, constants.S3_STACK_NAME),
        )
        n.step("Give the buckets the properties moto's CloudFormation skipped", self.buckets)
        n.step("Create the model package group moto's CloudFormation skipped", self.registry)
        function = n.step("Fetch the deployed registration function", self.registration_function)
        n.step(
            "Upload the first model; S3's notification goes to the function",
            lambda: self.register(function, FIRST_KEY),
        )
        n.step(
            f"cdk deploy {NAMING.sagemaker_stack_name} (reads the registered key from SSM)",
            lambda: self.deploy(constants.SAGEMAKER_STACK_NAME),
        )
        first = n.step("What the endpoint serves", lambda: self.serving(FIRST_KEY))
        n.step(
            "Upload a second model; S3's notification goes to the function",
            lambda: self.register(function, SECOND_KEY),
        )
        n.step(
            "Parameter Store Change -> the stack's rule and queue -> rollout -> UpdateStack",
            lambda: self.rollout(first),
        )
        sample_metrics = json.loads(SAMPLE_METRICS.read_text(encoding="utf-8"))
        worse_metrics = {"metrics": {"accuracy": sample_metrics["metrics"]["accuracy"] - 0.05}}
        n.step(
            "Registry: a model delivered with its metrics file is approved and served",
            lambda: self.gated_upload(function, THIRD_KEY, sample_metrics, "Approved", THIRD_KEY),
        )
        n.step(
            "Registry: a worse model is registered, rejected by the gate and not served",
            lambda: self.gated_upload(function, FOURTH_KEY, worse_metrics, "Rejected", THIRD_KEY),
        )
        n.step(
            "Operator approves the rejected package in the registry: the function serves it",
            lambda: self.operator_approves(function, FOURTH_KEY),
        )
        n.say("")
        n.say(f"The story holds. Total {n.total():.1f} s.")

    def synth(self) -> None:
        self.cdk("synth", "--quiet", "-o", str(self.assembly))

    def registry(self) -> None:
        template = _read_json(self.assembly / f"{constants.LAMBDA_STACK_NAME}.template.json")
        for name in create_model_package_groups(self.clients["sagemaker"], template):
            self.narrator.say(f"model package group {name} (ADR-0071)")

    def buckets(self) -> None:
        template = _read_json(self.assembly / f"{constants.S3_STACK_NAME}.template.json")
        for applied in apply_bucket_definitions(
            self.clients["s3"], template, ENVIRONMENT, create=False
        ):
            self.narrator.say(f"{applied.name}: {', '.join(applied.properties)}")
            omitted_keys = sorted(
                {
                    key
                    for statement in applied.omitted_policy_statements
                    for condition in statement["Condition"].values()
                    for key in condition
                }
            )
            self.narrator.say(
                f"  bucket policy: {len(applied.policy_statements)} statement(s) applied, "
                f"{len(applied.omitted_policy_statements)} conditional Deny left out "
                f"({', '.join(omitted_keys) or 'none'}: moto would evaluate them without the "
                "request's context and deny every request)"
            )
        versioning = self.clients["s3"].get_bucket_versioning(Bucket=self.bucket)
        check(versioning.get("Status") == "Enabled", f"{self.bucket} is not versioned")

    def deployed_function(self, stack: str, function_name: str) -> DeployedFunction:
        template = _read_json(self.assembly / f"{stack}.template.json")
        bucket, key = function_code_location(template, function_name, ENVIRONMENT)
        function = fetch_deployed_function(
            self.clients["lambda"],
            self.clients["s3"],
            function_name,
            bucket,
            key,
            self.work_dir / "functions",
        )
        self.narrator.say(
            f"{function.name}: handler {function.handler}, code s3://{bucket}/{key} "
            "(matches the function's CodeSha256)"
        )
        self.narrator.say(f"environment {function.environment}")
        return function

    def registration_function(self) -> DeployedFunction:
        function = self.deployed_function(constants.LAMBDA_STACK_NAME, NAMING.function_name)
        self.narrator.say(
            "moto stores the function but cannot run it without Docker: the rehearsal calls "
            "its handler in this process with the event S3 would send"
        )
        return function

    def register(self, function: DeployedFunction, key: str) -> None:
        s3, ssm = self.clients["s3"], self.clients["ssm"]
        upload = upload_model(s3, self.bucket, key, SAMPLE_MODEL, region=ENVIRONMENT.region)
        self.narrator.say(f"put s3://{self.bucket}/{key} -> versionId {upload.version_id}")
        check(len(upload.deliveries) == 1, f"expected one notification, got {upload.deliveries}")
        record = upload.deliveries[0].event["Records"][0]["s3"]["object"]
        self.narrator.say(f"notification: key {record['key']!r}, size {record['size']}")
        (invocation,) = deliver_to(upload, function, region=ENVIRONMENT.region)
        self._print_log(invocation)
        registered = ssm.get_parameter(Name=NAMING.model_parameter_name)["Parameter"]
        self.narrator.say(
            f"{NAMING.model_parameter_name} = {registered['Value']!r} "
            f"(version {registered['Version']})"
        )
        check(registered["Value"] == key, f"registered {registered['Value']!r}, expected {key!r}")

    def gated_upload(
        self,
        function: DeployedFunction,
        key: str,
        metrics: dict[str, Any],
        expected_status: str,
        expected_served: str,
    ) -> None:
        s3, ssm = self.clients["s3"], self.clients["ssm"]
        metrics_key = key.removesuffix(constants.MODEL_ARTIFACT_SUFFIX) + ".metrics.json"
        s3.put_object(Bucket=self.bucket, Key=metrics_key, Body=json.dumps(metrics).encode())
        self.narrator.say(f"put s3://{self.bucket}/{metrics_key}: {metrics['metrics']}")
        upload = upload_model(s3, self.bucket, key, SAMPLE_MODEL, region=ENVIRONMENT.region)
        self.narrator.say(f"put s3://{self.bucket}/{key} -> versionId {upload.version_id}")
        (invocation,) = deliver_to(upload, function, region=ENVIRONMENT.region)
        self._print_log(invocation)
        package = self._package_of(key)
        self.narrator.say(
            f"package version {package['ModelPackageVersion']}: "
            f"{package['ModelApprovalStatus']} ({package.get('ApprovalDescription')})"
        )
        check(
            package["ModelApprovalStatus"] == expected_status,
            f"package is {package['ModelApprovalStatus']}, expected {expected_status}",
        )
        served = ssm.get_parameter(Name=NAMING.model_parameter_name)["Parameter"]["Value"]
        self.narrator.say(f"{NAMING.model_parameter_name} = {served!r}")
        check(served == expected_served, f"serves {served!r}, expected {expected_served!r}")

    def operator_approves(self, function: DeployedFunction, key: str) -> None:
        sagemaker, ssm = self.clients["sagemaker"], self.clients["ssm"]
        package = self._package_of(key)
        arn = package["ModelPackageArn"]
        self.narrator.say(f"aws sagemaker update-model-package --model-package-arn {arn} \\")
        self.narrator.say('    --model-approval-status Approved --approval-description "reviewed"')
        # moto forgets customer metadata an update does not re-send (SageMaker keeps it).
        sagemaker.update_model_package(
            ModelPackageArn=arn,
            ModelApprovalStatus="Approved",
            ApprovalDescription="reviewed by an operator",
            CustomerMetadataProperties=package.get("CustomerMetadataProperties", {}),
        )
        self.narrator.say(
            "moto's SageMaker emits no EventBridge events: the rehearsal delivers the "
            "'SageMaker Model Package State Change' the group's rule would deliver"
        )
        event = {
            "version": "0",
            "id": "rehearsal",
            "detail-type": constants.MODEL_PACKAGE_STATE_CHANGE_DETAIL_TYPE,
            "source": constants.MODEL_PACKAGE_STATE_CHANGE_SOURCE,
            "account": ENVIRONMENT.account,
            "region": ENVIRONMENT.region,
            "resources": [arn],
            "detail": {
                "ModelPackageGroupName": NAMING.model_package_group_name,
                "ModelPackageArn": arn,
                "ModelApprovalStatus": "Approved",
            },
        }
        invocation = invoke_in_process(function, event, region=ENVIRONMENT.region)
        self._print_log(invocation)
        served = ssm.get_parameter(Name=NAMING.model_parameter_name)["Parameter"]["Value"]
        self.narrator.say(f"{NAMING.model_parameter_name} = {served!r} (the rollout follows)")
        check(served == key, f"serves {served!r}, expected {key!r}")

    def _package_of(self, key: str) -> dict[str, Any]:
        sagemaker = self.clients["sagemaker"]
        summaries = sagemaker.list_model_packages(
            ModelPackageGroupName=NAMING.model_package_group_name
        )["ModelPackageSummaryList"]
        described = [
            sagemaker.describe_model_package(ModelPackageName=s["ModelPackageArn"])
            for s in summaries
        ]
        matching = [
            p for p in described if p.get("CustomerMetadataProperties", {}).get("ModelKey") == key
        ]
        check(len(matching) == 1, f"expected one package for {key!r}, found {len(matching)}")
        return matching[0]

    def serving(self, key: str) -> ServingView:
        view = serving_view(
            self.clients["cloudformation"], self.clients["sagemaker"], NAMING.sagemaker_stack_name
        )
        expected = f"s3://{self.bucket}/{key}"
        self.narrator.say(f"stack {NAMING.sagemaker_stack_name}: {view.stack_status}")
        self.narrator.say(
            f"endpoint {view.endpoint_name} (named {NAMING.endpoint_name} on AWS; moto ignores "
            "EndpointName)"
        )
        self.narrator.say(f"  -> config {view.endpoint_config_name}")
        self.narrator.say(f"  -> model {view.endpoint_model_name}")
        self.narrator.say(f"  -> ModelDataUrl {view.endpoint_model_data_url}")
        check(
            view.stack_model_data_url == expected, f"stack model serves {view.stack_model_data_url}"
        )
        check(
            view.endpoint_model_data_url == expected,
            f"endpoint serves {view.endpoint_model_data_url}",
        )
        return view

    def rollout(self, before: ServingView) -> None:
        function = self.deployed_function(
            constants.SAGEMAKER_STACK_NAME, NAMING.rollout_function_name
        )
        self.narrator.say(
            "moto's SSM emits no EventBridge events: the rehearsal publishes the Parameter Store "
            "Change SSM would emit; moto's EventBridge routes it by the stack's rule to the "
            "stack's queue; the rehearsal polls that queue in place of the event source mapping "
            "(disabled: moto would try Docker) and calls the function in this process"
        )
        delivery = roll_out_parameter_change(
            self.clients, function, NAMING.model_parameter_name, ENVIRONMENT
        )
        for event in delivery.delivered:
            self.narrator.say(
                f"queue received: {event['detail-type']} {event['detail']['name']} "
                f"({event['detail']['operation']})"
            )
        invocation = delivery.invocation
        self._print_log(invocation)
        check(invocation.result == {"batchItemFailures": []}, f"rollout said {invocation.result}")
        after = serving_view(
            self.clients["cloudformation"], self.clients["sagemaker"], NAMING.sagemaker_stack_name
        )
        expected = f"s3://{self.bucket}/{SECOND_KEY}"
        self.narrator.say(f"stack {NAMING.sagemaker_stack_name}: {after.stack_status}")
        self.narrator.say(f"stack's model {after.stack_model_name}")
        self.narrator.say(f"  -> ModelDataUrl {after.stack_model_data_url}")
        check(after.stack_status == "UPDATE_COMPLETE", f"stack is {after.stack_status}")
        check(
            after.stack_model_data_url == expected,
            f"stack model serves {after.stack_model_data_url}",
        )
        check(after.stack_model_name != before.stack_model_name, "the model was not replaced")
        self.narrator.say(
            f"endpoint -> config {after.endpoint_config_name} -> model {after.endpoint_model_name}"
        )
        if after.endpoint_config_name == before.endpoint_config_name:
            self.narrator.say(
                "moto does not cascade the model's replacement to the endpoint config and the "
                "endpoint; CloudFormation on AWS replaces the config and updates the endpoint "
                "(blue/green), which then serves the new model"
            )

    def _print_log(self, invocation: Invocation) -> None:
        for line in invocation.log_lines:
            self.narrator.say(f"  log: {line}")
        self.narrator.say(f"  returned: {invocation.result}")


def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="print the CDK CLI's full output")
    args = parser.parse_args(argv)
    for tool in (CDK, MOTO_SERVER):
        if not tool.exists():
            print(f"{tool} is missing: run `make setup` first", file=sys.stderr)
            return 2
    saved_environment = dict(os.environ)
    work_dir = Path(tempfile.mkdtemp(prefix="pipeline-demo-"))
    try:
        with MotoServer(MOTO_SERVER, work_dir / "moto_server.log") as server:
            Rehearsal(work_dir, server, args.verbose).run()
        return 0
    except StoryCheckError as failure:
        print(f"\nDEMO FAILED: {failure}", file=sys.stderr)
        return 1
    finally:
        os.environ.clear()
        os.environ.update(saved_environment)
        shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
