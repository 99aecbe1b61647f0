"""The whole pipeline on moto, in-process: upload -> S3 event -> registration -> endpoint stack
-> second upload -> parameter change -> the stack's rule and queue -> rollout -> the stack
serves the new model.

What is real: the synthesized templates of the app (session fixture ``templates``), moto's
CloudFormation creating and updating the stacks from them (assets published as `cdk deploy`
would), the deployed functions' code (fetched from the emulated account, checked against the
function's CodeSha256) with their deployed environment, moto's EventBridge matching the
deployed rule's pattern and delivering to the deployed queue.

What stands in for the emulator (demo/, ADR-0065, ADR-0066):
- moto cannot run Lambda code without Docker, and drops S3 notifications to Lambda: the test
  builds the notification S3 would send for the stored object version and calls the deployed
  handler in-process; the rollout function likewise receives the SQS batch its event source
  mapping would build (the test disables moto's mapping and polls the queue itself);
- moto's SSM emits no EventBridge events: the test publishes the "Parameter Store Change" event
  SSM would emit for the new parameter version;
- moto's CloudFormation creates buckets with name and encryption only and skips bucket
  policies: the other bucket properties are applied from the S3 stack template (bucket
  policies without their TLS-only Deny statements, which moto cannot evaluate);
- moto's CloudFormation skips Application Auto Scaling, CloudWatch alarms, SQS queue policies
  and event invoke configs (``test_moto_skips_no_resource_the_story_relies_on``), and model
  package groups: the test creates the Lambda stack's group through moto's SageMaker API
  (demo/model_registry.py);
- moto replaces the stack's model on update but does not cascade the replacement to the endpoint
  config and endpoint as CloudFormation does (``test_moto_does_not_cascade_...``).
"""

from __future__ import annotations

import copy
import json
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from config import constants
from config.naming import DeploymentNaming
from demo.bucket_definition import AppliedBucket, apply_bucket_definitions
from demo.cfn_values import resources_of_type
from demo.deployed_function import Invocation, fetch_deployed_function, invoke_in_process
from demo.emulator import BOOTSTRAP_VERSION, ENVIRONMENT, FAKE_CREDENTIALS
from demo.file_assets import publish_file_assets
from demo.model_registry import create_model_package_groups
from demo.s3_events import encode_key, matches, object_removed_record
from demo.serving import ServingView, serving_view
from demo.story import (
    FIRST_KEY,
    SAMPLE_MODEL,
    SECOND_KEY,
    RolloutDelivery,
    Upload,
    deliver_to,
    function_code_location,
    roll_out_parameter_change,
    upload_model,
)

NAMING = DeploymentNaming()  # the brief's names: no prefix
BUCKET = NAMING.model_bucket_name(ENVIRONMENT.account, ENVIRONMENT.region)
PARAMETER = NAMING.model_parameter_name
# Resource types the story needs moto's CloudFormation to create.
STORY_RESOURCE_TYPES = {
    "AWS::Events::Rule",
    "AWS::IAM::Role",
    "AWS::Lambda::EventSourceMapping",
    "AWS::Lambda::Function",
    "AWS::Lambda::Permission",
    "AWS::SQS::Queue",
    "AWS::S3::Bucket",
    "AWS::SageMaker::Model",
    "AWS::SageMaker::EndpointConfig",
    "AWS::SageMaker::Endpoint",
}


@dataclass
class Emulated:
    clients: dict[str, Any]
    templates: dict[str, dict[str, Any]]
    assembly_dir: Path
    work_dir: Path
    skipped_types: set[str]

    def __getattr__(self, service: str) -> Any:
        return self.clients[service]

    def create_stack(self, stack_name: str) -> dict[str, Any]:
        """Create a stack from its synthesized template as `cdk deploy` would: assets
        published, no explicit parameter values (the SSM-typed defaults resolve)."""
        publish_file_assets(self.s3, self.assembly_dir, stack_name, ENVIRONMENT)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.cloudformation.create_stack(
                StackName=stack_name,
                TemplateBody=json.dumps(self.templates[stack_name]),
                Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
            )
        self.skipped_types |= {
            str(w.message).split("parse ")[1].split(" but")[0]
            for w in caught
            if "not supported by moto" in str(w.message)
        }
        return self.cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]


@pytest.fixture(scope="module")
def emulated(templates, synthesized_app, tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        for name, value in FAKE_CREDENTIALS.items():
            patch.setenv(name, value)
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        with mock_aws():
            services = (
                "cloudformation",
                "cloudwatch",
                "events",
                "iam",
                "lambda",
                "s3",
                "sagemaker",
                "sqs",
                "ssm",
            )
            clients = {s: boto3.client(s, region_name=ENVIRONMENT.region) for s in services}
            clients["ssm"].put_parameter(
                Name=constants.CDK_BOOTSTRAP_VERSION_PARAMETER,
                Value=BOOTSTRAP_VERSION,
                Type="String",
            )
            # `cdk bootstrap` creates the deploy role; the Lambda stack attaches the model
            # parameter's read to it (ADR-0032), which moto refuses for a missing role.
            clients["iam"].create_role(
                RoleName=constants.cdk_deploy_role_name(ENVIRONMENT.account, ENVIRONMENT.region),
                AssumeRolePolicyDocument=json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": f"arn:aws:iam::{ENVIRONMENT.account}:root"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    }
                ),
            )
            yield Emulated(
                clients=clients,
                templates=templates,
                assembly_dir=Path(synthesized_app.directory),
                work_dir=tmp_path_factory.mktemp("functions"),
                skipped_types=set(),
            )


@dataclass(frozen=True)
class Storage:
    stacks: dict[str, dict[str, Any]]
    applied: list[AppliedBucket]
    registration_function_arn: str


@pytest.fixture(scope="module")
def storage(emulated):
    """The Lambda and S3 stacks created, the buckets completed from the S3 stack template."""
    stacks = {
        name: emulated.create_stack(name)
        for name in (NAMING.lambda_stack_name, NAMING.s3_stack_name)
    }
    applied = apply_bucket_definitions(
        emulated.s3, emulated.templates[NAMING.s3_stack_name], ENVIRONMENT, create=False
    )
    create_model_package_groups(emulated.sagemaker, emulated.templates[NAMING.lambda_stack_name])
    arn = emulated.clients["lambda"].get_function(FunctionName=NAMING.function_name)
    return Storage(stacks, applied, arn["Configuration"]["FunctionArn"])


def deployed_function(emulated, stack_name: str, function_name: str):
    bucket, key = function_code_location(emulated.templates[stack_name], function_name, ENVIRONMENT)
    return fetch_deployed_function(
        emulated.clients["lambda"], emulated.s3, function_name, bucket, key, emulated.work_dir
    )


@pytest.fixture(scope="module")
def registration_function(emulated, storage):
    return deployed_function(emulated, NAMING.lambda_stack_name, NAMING.function_name)


@dataclass(frozen=True)
class Registration:
    upload: Upload
    invocations: list[Invocation]
    parameter: dict[str, Any]
    provenance: dict[str, Any]  # the Description the handler wrote with this version


def register(emulated, registration_function, key: str) -> Registration:
    upload = upload_model(emulated.s3, BUCKET, key, SAMPLE_MODEL, region=ENVIRONMENT.region)
    invocations = deliver_to(upload, registration_function, region=ENVIRONMENT.region)
    parameter = emulated.ssm.get_parameter(Name=PARAMETER)["Parameter"]
    history = emulated.ssm.get_parameter_history(Name=PARAMETER)["Parameters"]
    (written,) = [entry for entry in history if entry["Version"] == parameter["Version"]]
    return Registration(upload, invocations, parameter, json.loads(written["Description"]))


@pytest.fixture(scope="module")
def first_registration(emulated, registration_function):
    return register(emulated, registration_function, FIRST_KEY)


@pytest.fixture(scope="module")
def first_serving(emulated, first_registration) -> ServingView:
    emulated.create_stack(NAMING.sagemaker_stack_name)
    return serving_view(emulated.cloudformation, emulated.sagemaker, NAMING.sagemaker_stack_name)


@dataclass(frozen=True)
class Rollout:
    registration: Registration
    delivery: RolloutDelivery
    serving: ServingView
    metrics: set[str]
    queued_after: int


@pytest.fixture(scope="module")
def rollout(emulated, registration_function, first_serving) -> Rollout:
    registration = register(emulated, registration_function, SECOND_KEY)
    function = deployed_function(
        emulated, NAMING.sagemaker_stack_name, NAMING.rollout_function_name
    )
    delivery = roll_out_parameter_change(emulated.clients, function, PARAMETER, ENVIRONMENT)
    serving = serving_view(emulated.cloudformation, emulated.sagemaker, NAMING.sagemaker_stack_name)
    listed = emulated.cloudwatch.list_metrics(Namespace=constants.ROLLOUT_METRICS_NAMESPACE)
    metrics = {metric["MetricName"] for metric in listed["Metrics"]}
    queues = emulated.sqs.list_queues()["QueueUrls"]
    queued_after = sum(
        int(
            emulated.sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]["ApproximateNumberOfMessages"]
        )
        for url in queues
    )
    return Rollout(registration, delivery, serving, metrics, queued_after)


def model_url(key: str) -> str:
    return f"s3://{BUCKET}/{key}"


# ---- the bucket, as the S3 stack defines it ---------------------------------------------------


def test_the_model_bucket_has_the_properties_the_s3_stack_defines(emulated, storage, templates):
    template = templates[NAMING.s3_stack_name]
    (model_bucket,) = [a for a in storage.applied if a.name == BUCKET]
    defined = resources_of_type(template, "AWS::S3::Bucket")[model_bucket.logical_id]["Properties"]
    s3 = emulated.s3

    assert (
        s3.get_bucket_versioning(Bucket=BUCKET)["Status"]
        == (defined["VersioningConfiguration"]["Status"])
    )
    (rule,) = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    assert (
        rule["ApplyServerSideEncryptionByDefault"]
        == (
            defined["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
                "ServerSideEncryptionByDefault"
            ]
        )
    )
    assert (
        s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
        == (defined["PublicAccessBlockConfiguration"])
    )
    assert (
        s3.get_bucket_ownership_controls(Bucket=BUCKET)["OwnershipControls"]["Rules"]
        == (defined["OwnershipControls"]["Rules"])
    )
    lifecycle = s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert [r["ID"] for r in lifecycle] == [
        r["Id"] for r in defined["LifecycleConfiguration"]["Rules"]
    ]
    logging = s3.get_bucket_logging(Bucket=BUCKET)["LoggingEnabled"]
    assert logging["TargetBucket"] == NAMING.access_log_bucket_name(
        ENVIRONMENT.account, ENVIRONMENT.region
    )
    # The TLS-only and write-once statements are the ones moto cannot evaluate
    # (demo/bucket_definition.py); the write-once one is tested on the template (ADR-0056).
    omitted_conditions = {
        key
        for statement in model_bucket.omitted_policy_statements
        for condition in statement["Condition"].values()
        for key in condition
    }
    assert omitted_conditions == {
        "aws:SecureTransport",
        "s3:TlsVersion",
        "s3:if-none-match",
        "s3:ObjectCreationOperation",
    }


def test_the_bucket_notifies_the_registration_function_of_the_lambda_stack(emulated, storage):
    configurations = emulated.s3.get_bucket_notification_configuration(Bucket=BUCKET)[
        "LambdaFunctionConfigurations"
    ]
    for configuration in configurations:
        assert configuration["LambdaFunctionArn"] == storage.registration_function_arn
    # Uploads register; removals and lifecycle expirations may raise the deleted-model alert.
    assert [c["Events"] for c in configurations] == [
        ["s3:ObjectCreated:*"],
        ["s3:ObjectRemoved:*"],
        ["s3:LifecycleExpiration:*"],
    ]


# ---- first upload: the notification and the registration ---------------------------------


def test_the_notification_describes_the_stored_object_version(emulated, first_registration):
    upload = first_registration.upload
    (delivery,) = upload.deliveries
    (record,) = delivery.event["Records"]
    stored = emulated.s3.head_object(Bucket=BUCKET, Key=FIRST_KEY)
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["bucket"]["name"] == BUCKET
    assert record["s3"]["object"]["key"] == encode_key(FIRST_KEY) != FIRST_KEY
    assert "+" in record["s3"]["object"]["key"]
    assert record["s3"]["object"]["versionId"] == upload.version_id == stored["VersionId"]
    assert record["s3"]["object"]["size"] == SAMPLE_MODEL.stat().st_size
    assert record["s3"]["object"]["eTag"] == stored["ETag"].strip('"')


def test_the_registration_function_registers_the_decoded_key(first_registration):
    (invocation,) = first_registration.invocations
    assert invocation.result["registeredKey"] == FIRST_KEY
    assert first_registration.parameter["Value"] == FIRST_KEY
    assert first_registration.provenance["versionId"] == first_registration.upload.version_id
    assert first_registration.provenance["bucket"] == BUCKET


# ---- the endpoint stack serves the registered model --------------------------------------------


def test_a_forged_event_for_a_missing_object_registers_nothing(
    emulated, registration_function, first_registration
):
    """Anyone allowed to invoke the function can hand it an event: one naming an object version
    that does not exist is ignored, counted and alarmed; the parameter is untouched (ADR-0017).
    The deployed handler asks the emulated S3 (HeadObject with the event's VersionId)."""
    before = emulated.ssm.get_parameter(Name=PARAMETER)["Parameter"]
    genuine = first_registration.upload.deliveries[0].event
    forged = copy.deepcopy(genuine)
    forged_object = forged["Records"][0]["s3"]["object"]
    forged_object["key"] = encode_key("models/never-uploaded.tar.gz")
    forged["Records"][0]["eventTime"] = datetime.now(UTC).isoformat(timespec="milliseconds")
    namespace = registration_function.environment[constants.METRICS_NAMESPACE_ENV_VAR]

    invocation = invoke_in_process(registration_function, forged, region=ENVIRONMENT.region)

    assert invocation.result["decisions"] == ["ignored"]
    assert invocation.result["alerts"] == ["upload_not_verified"]
    after = emulated.ssm.get_parameter(Name=PARAMETER)["Parameter"]
    assert (after["Value"], after["Version"]) == (before["Value"], before["Version"])
    statistics = emulated.cloudwatch.get_metric_statistics(
        Namespace=namespace,
        MetricName=constants.UNVERIFIED_UPLOAD_IGNORED_METRIC,
        StartTime=datetime.now(UTC) - timedelta(hours=1),
        EndTime=datetime.now(UTC) + timedelta(hours=1),
        Period=7200,
        Statistics=["Sum"],
    )
    assert sum(point["Sum"] for point in statistics["Datapoints"]) == 1


def test_the_endpoint_stack_serves_the_registered_model(first_serving):
    assert first_serving.stack_status == "CREATE_COMPLETE"
    assert first_serving.stack_model_data_url == model_url(FIRST_KEY)
    assert first_serving.endpoint_model_name == first_serving.stack_model_name
    assert first_serving.endpoint_model_data_url == model_url(FIRST_KEY)


# ---- second upload: registration, parameter change, rollout -------------------------------


def test_a_second_upload_is_registered_as_a_new_parameter_version(rollout, first_registration):
    assert rollout.registration.parameter["Value"] == SECOND_KEY
    assert rollout.registration.parameter["Version"] == first_registration.parameter["Version"] + 1
    (delivered,) = rollout.delivery.delivered
    assert delivered["detail-type"] == "Parameter Store Change"
    assert delivered["detail"]["name"] == PARAMETER
    assert delivered["detail"]["operation"] == "Update"


def test_the_rollout_updates_the_stack_to_the_new_model(rollout, first_serving):
    invocation = rollout.delivery.invocation
    assert invocation.result == {"batchItemFailures": []}
    assert rollout.delivery.settled == 1
    assert rollout.queued_after == 0  # nothing left for a retry, nothing dead-lettered
    logged = [json.loads(line)["event"] for line in invocation.log_lines]
    assert logged == ["rollout_requested", "rollout_started"]
    assert {"RolloutRequested", "RolloutStarted"} <= rollout.metrics
    assert rollout.serving.stack_status == "UPDATE_COMPLETE"
    assert rollout.serving.stack_model_data_url == model_url(SECOND_KEY)
    assert rollout.serving.stack_model_name != first_serving.stack_model_name


def test_moto_does_not_cascade_the_model_replacement_to_the_endpoint(rollout, first_serving):
    """Real CloudFormation replaces the endpoint config (every property is create-only) and
    updates the endpoint to it (blue/green), so the endpoint then serves the new model. moto
    keeps the endpoint on the first endpoint config. If this starts failing, moto learned to
    cascade: assert the endpoint serves SECOND_KEY and update docs/demo.md."""
    assert rollout.serving.endpoint_config_name == first_serving.endpoint_config_name
    assert rollout.serving.endpoint_model_name == first_serving.stack_model_name


def test_the_template_chains_the_new_model_into_the_endpoint(templates):
    """What moto does not emulate, the template guarantees: a new key replaces the model
    (ModelDataUrl is create-only), the endpoint config names the model by GetAtt, so it is
    replaced too, and the endpoint names the config by GetAtt, so real CloudFormation updates
    the endpoint (blue/green) to a config built from the new key."""
    resources = templates[constants.SAGEMAKER_STACK_NAME]["Resources"]

    def only(resource_type):
        (found,) = [(i, r) for i, r in resources.items() if r["Type"] == resource_type]
        return found

    model_id, model = only("AWS::SageMaker::Model")
    config_id, config = only("AWS::SageMaker::EndpointConfig")
    _, endpoint = only("AWS::SageMaker::Endpoint")
    url = json.dumps(model["Properties"]["PrimaryContainer"]["ModelDataUrl"])
    parameter_refs = [
        name
        for name, p in templates[constants.SAGEMAKER_STACK_NAME]["Parameters"].items()
        if p.get("Default") == PARAMETER
    ]
    assert len(parameter_refs) == 1
    assert f'"Ref": "{parameter_refs[0]}"' in url
    assert "ModelName" not in model["Properties"]  # a fixed name would block replacement
    variant = config["Properties"]["ProductionVariants"][0]
    assert variant["ModelName"] == {"Fn::GetAtt": [model_id, "ModelName"]}
    assert endpoint["Properties"]["EndpointConfigName"] == {
        "Fn::GetAtt": [config_id, "EndpointConfigName"]
    }


def test_moto_skips_no_resource_the_story_relies_on(emulated, rollout):
    assert emulated.skipped_types, "moto skipped nothing: update docs/demo.md"
    assert not emulated.skipped_types & STORY_RESOURCE_TYPES


# ---- the registered model is deleted: alert, parameter unchanged (ADR-0014, ADR-0029) ----------


def registered_model_deleted_sum(emulated, namespace: str) -> float:
    statistics = emulated.cloudwatch.get_metric_statistics(
        Namespace=namespace,
        MetricName=constants.REGISTERED_MODEL_DELETED_METRIC,
        StartTime=datetime.now(UTC) - timedelta(hours=1),
        EndTime=datetime.now(UTC) + timedelta(hours=1),
        Period=7200,
        Statistics=["Sum"],
    )
    return sum(point["Sum"] for point in statistics["Datapoints"])


def test_deleting_the_registered_model_reaches_the_handler_and_alerts(
    emulated, storage, registration_function, rollout
):
    """A delete marker on the registered key (a versionless DELETE on the versioned bucket):
    the deployed configuration selects the event for the registration function, the deployed
    handler reports RegisteredModelDeleted and writes nothing."""
    before = emulated.ssm.get_parameter(Name=PARAMETER)["Parameter"]
    assert before["Value"] == SECOND_KEY  # the rollout's upload is the registered model
    namespace = registration_function.environment[constants.METRICS_NAMESPACE_ENV_VAR]
    alerts_before = registered_model_deleted_sum(emulated, namespace)

    deleted = emulated.s3.delete_object(Bucket=BUCKET, Key=SECOND_KEY)
    assert deleted["DeleteMarker"] is True
    event_name = "ObjectRemoved:DeleteMarkerCreated"
    configurations = emulated.s3.get_bucket_notification_configuration(Bucket=BUCKET)[
        "LambdaFunctionConfigurations"
    ]
    selected = [c for c in configurations if matches(c, event_name, SECOND_KEY)]
    assert [c["LambdaFunctionArn"] for c in selected] == [storage.registration_function_arn]

    record = object_removed_record(
        BUCKET,
        SECOND_KEY,
        event_name=event_name,
        version_id=deleted["VersionId"],
        region=ENVIRONMENT.region,
    )
    invocation = invoke_in_process(
        registration_function, {"Records": [record]}, region=ENVIRONMENT.region
    )

    assert invocation.result["alerts"] == ["registered_model_deleted"]
    assert invocation.result["registeredKey"] is None
    assert invocation.result["parameterVersion"] is None
    after = emulated.ssm.get_parameter(Name=PARAMETER)["Parameter"]
    assert (after["Value"], after["Version"]) == (before["Value"], before["Version"])
    # The metric the RegisteredModelDeleted alarm watches (namespace, name, no dimensions).
    assert registered_model_deleted_sum(emulated, namespace) == alerts_before + 1
