"""Test helpers for the rollout: the events SQS delivers, a small stack shaped like the
SageMaker stack, a recorder of the calls a boto3 client really sends, and the clients handed to
the handler."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3

REGION = "us-east-1"
ACCOUNT = "123456789012"
PARAMETER = "/sentiment_model/latest_object_key"
BOOTSTRAP_PARAMETER = "/cdk-bootstrap/hnb659fds/version"
STACK_NAME = "sagemaker-endpoint-stack"
# The rollout's own CloudFormation service role, as the stack names it (ADR-0052).
CFN_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{STACK_NAME}-RolloutServiceRole1A2B3C4D-ABCDEF"
NAMESPACE = "ModelRollout"
MODEL_LOGICAL_ID = "Model"
BUCKET = "model-bucket"

# The shape CDK gives the SageMaker stack: the model key is an SSM-typed template parameter
# whose default is the parameter's name, used through Fn::Join (model_data_url), plus CDK's
# BootstrapVersion parameter.
SMALL_STACK_TEMPLATE: dict[str, Any] = {
    "Parameters": {
        "ModelKeyParameter": {
            "Type": "AWS::SSM::Parameter::Value<String>",
            "Default": PARAMETER,
        },
        "BootstrapVersion": {
            "Type": "AWS::SSM::Parameter::Value<String>",
            "Default": BOOTSTRAP_PARAMETER,
        },
    },
    "Resources": {
        MODEL_LOGICAL_ID: {
            "Type": "AWS::SageMaker::Model",
            "Properties": {
                "ExecutionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/model-execution",
                "PrimaryContainer": {
                    "Image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/model:1",
                    "ModelDataUrl": {
                        "Fn::Join": ["", [f"s3://{BUCKET}/", {"Ref": "ModelKeyParameter"}]]
                    },
                },
            },
        }
    },
}


class LambdaContext:
    """The parts of Lambda's context the handler uses: its request id and a remaining time
    that stands still (moto answers at once)."""

    def __init__(self, remaining_seconds: float, request_id: str = "req-rollout") -> None:
        self.aws_request_id = request_id
        self.function_name = "model-rollout"
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:model-rollout"
        self.remaining_seconds = remaining_seconds

    def get_remaining_time_in_millis(self) -> int:
        return int(self.remaining_seconds * 1000)


def settings_env() -> dict[str, str]:
    return {
        "STACK_NAME": STACK_NAME,
        "CFN_ROLE_ARN": CFN_ROLE_ARN,
        "MODEL_PARAMETER_NAME": PARAMETER,
        "METRICS_NAMESPACE": NAMESPACE,
    }


def sqs_record(event: dict[str, Any], message_id: str | None = None) -> dict[str, Any]:
    """An SQS record as the Lambda event source mapping delivers it."""
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": "handle",
        "body": json.dumps(event),
        "attributes": {"ApproximateReceiveCount": "1"},
        "eventSource": "aws:sqs",
    }


def parameter_change(
    name: str = PARAMETER, operation: str = "Update", message_id: str | None = None
) -> dict[str, Any]:
    """A Parameter Store Change event (EventBridge), wrapped in its SQS record."""
    return sqs_record(
        {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Parameter Store Change",
            "source": "aws.ssm",
            "account": ACCOUNT,
            "time": "2026-11-27T10:00:00Z",
            "region": REGION,
            "resources": [f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{name}"],
            "detail": {"name": name, "type": "String", "operation": operation},
        },
        message_id,
    )


def stack_status_change(
    status: str,
    token: str = "model-rollout-abc",  # noqa: S107 - a CloudFormation request token
    message_id: str | None = None,
) -> dict[str, Any]:
    """A CloudFormation Stack Status Change event, wrapped in its SQS record."""
    return sqs_record(
        {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "CloudFormation Stack Status Change",
            "source": "aws.cloudformation",
            "account": ACCOUNT,
            "time": "2026-11-27T10:20:00Z",
            "region": REGION,
            "resources": [],
            "detail": {
                "stack-id": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK_NAME}/x",
                "status-details": {"status": status, "status-reason": "reason"},
                "client-request-token": token,
            },
        },
        message_id,
    )


def put_model_key(ssm: Any, key: str, name: str = PARAMETER) -> None:
    ssm.put_parameter(Name=name, Value=key, Type="String", Overwrite=True)


def create_small_stack(cloudformation: Any, ssm: Any, first_key: str) -> str:
    """Register ``first_key`` and create the small stack (as `cdk deploy` would: no explicit
    parameter values, the SSM-typed defaults apply). Returns the stack id."""
    put_model_key(ssm, first_key)
    put_model_key(ssm, "30", BOOTSTRAP_PARAMETER)
    return cloudformation.create_stack(
        StackName=STACK_NAME, TemplateBody=json.dumps(SMALL_STACK_TEMPLATE)
    )["StackId"]


def served_model_data_url(cloudformation: Any, sagemaker: Any, logical_id: str) -> str:
    """ModelDataUrl of the SageMaker model the stack currently owns under ``logical_id``."""
    resource = cloudformation.describe_stack_resource(
        StackName=STACK_NAME, LogicalResourceId=logical_id
    )["StackResourceDetail"]
    model_name = resource["PhysicalResourceId"].split("/")[-1]
    return sagemaker.describe_model(ModelName=model_name)["PrimaryContainer"]["ModelDataUrl"]


class CallRecorder:
    """Records the parameters of every call a client sends, through botocore's own event
    system: the call still goes to moto unchanged."""

    def __init__(self, client: Any) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        client.meta.events.register("provide-client-params.*.*", self._record)

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls.append((model.name, json.loads(json.dumps(params, default=str))))

    def named(self, operation: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == operation]


def clients() -> dict[str, Any]:
    return {
        service: boto3.client(service, region_name=REGION)
        for service in ("cloudformation", "ssm", "cloudwatch", "sagemaker", "s3")
    }


class FixedClients:
    """The rollout handler's client source (``rollout_handler.ClientSource``) with clients a
    test made: moto's, or one answered by botocore's Stubber."""

    def __init__(self, **clients: Any) -> None:
        self._clients = clients

    def client(self, service: str) -> Any:
        return self._clients[service]
