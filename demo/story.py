"""The steps of the pipeline's story that the emulator cannot perform by itself.

Shared by ``python -m demo`` (moto_server, real CDK CLI) and the in-process integration test
(``mock_aws``): upload a model and deliver S3's notification to the registration function;
publish the parameter change and deliver what the stack's rule routes to the rollout function.
Nothing here decides anything the pipeline's own code decides: the handlers do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config import constants
from demo.cfn_values import Environment, TemplateValues, resources_of_type
from demo.deployed_function import DeployedFunction, Invocation, invoke_in_process
from demo.parameter_events import (
    EventNotRoutedError,
    parameter_change_entry,
    publish,
    queue_of_function,
    receive_lambda_batch,
    settle_batch,
)
from demo.s3_events import Delivery, object_created_deliveries

REPO = Path(__file__).resolve().parent.parent
SAMPLE_MODEL = REPO / "samples" / "sentiment-model.tar.gz"
# The story's two uploads. A space in the key: S3 sends it form-encoded ("+"), and the handler
# must register it decoded.
FIRST_KEY = f"{constants.MODEL_KEY_PREFIX}sentiment 2026-11-27 v1{constants.MODEL_ARTIFACT_SUFFIX}"
SECOND_KEY = f"{constants.MODEL_KEY_PREFIX}sentiment 2026-11-28 v2{constants.MODEL_ARTIFACT_SUFFIX}"
# The registry's part (ADR-0071): a model delivered with its metrics file (the sample's), then a
# worse one, which the gate rejects until an operator approves it.
THIRD_KEY = f"{constants.MODEL_KEY_PREFIX}sentiment 2026-11-29 v3{constants.MODEL_ARTIFACT_SUFFIX}"
FOURTH_KEY = f"{constants.MODEL_KEY_PREFIX}sentiment 2026-11-30 v4{constants.MODEL_ARTIFACT_SUFFIX}"
SAMPLE_METRICS = REPO / "samples" / "sentiment-model.metrics.json"


class UndeliverableEventError(RuntimeError):
    """S3 would send the event somewhere the rehearsal cannot run."""


@dataclass(frozen=True)
class Upload:
    bucket: str
    key: str
    put_response: dict[str, Any]
    deliveries: list[Delivery]

    @property
    def version_id(self) -> str | None:
        return self.put_response.get("VersionId")


def upload_model(s3: Any, bucket: str, key: str, archive: Path, *, region: str) -> Upload:
    """Store ``archive`` under ``key`` and compute the notifications S3 sends for it."""
    # As on AWS, where the bucket refuses a model upload without If-None-Match (ADR-0056).
    put = s3.put_object(Bucket=bucket, Key=key, Body=archive.read_bytes(), IfNoneMatch="*")
    deliveries = object_created_deliveries(s3, bucket, key, put, region=region)
    return Upload(bucket=bucket, key=key, put_response=put, deliveries=deliveries)


def deliver_to(upload: Upload, function: DeployedFunction, *, region: str) -> list[Invocation]:
    """Invoke ``function`` in-process with every notification S3 addresses to it.

    Raises if the bucket's configuration addresses another function (the event would be lost
    here, which must not pass for a delivery).
    """
    results = []
    for delivery in upload.deliveries:
        if delivery.function_arn.rsplit(":", 1)[-1] != function.name:
            raise UndeliverableEventError(
                f"s3://{upload.bucket}/{upload.key} notifies {delivery.function_arn}, "
                f"not {function.name}"
            )
        results.append(invoke_in_process(function, delivery.event, region=region))
    return results


def function_code_location(
    template: dict[str, Any], function_name: str, environment: Environment
) -> tuple[str, str]:
    """Bucket and key of the code package a template's function named ``function_name`` uses."""
    values = TemplateValues(environment)
    for logical_id, function in resources_of_type(template, "AWS::Lambda::Function").items():
        properties = function["Properties"]
        if values.resolve(properties.get("FunctionName")) == function_name:
            code = values.resolve(properties["Code"])
            if "S3Bucket" not in code:
                raise LookupError(f"function {logical_id} has inline code, not a code package")
            return code["S3Bucket"], code["S3Key"]
    raise LookupError(f"no function named {function_name!r} in the template")


@dataclass(frozen=True)
class RolloutDelivery:
    published: dict[str, Any]  # the PutEvents entry SSM's event stands for
    delivered: list[dict[str, Any]]  # the EventBridge events as they arrived in the queue
    invocation: Invocation
    settled: int  # messages deleted after the function's answer


def roll_out_parameter_change(
    clients: dict[str, Any],
    function: DeployedFunction,
    parameter_name: str,
    environment: Environment,
) -> RolloutDelivery:
    """Publish the parameter's newest change and deliver what the stack's rule routes to the
    rollout function's queue, as its event source mapping would (demo/parameter_events.py)."""
    mapping, queue_url, queue_arn = queue_of_function(
        clients["lambda"], clients["sqs"], function.name
    )
    # The rehearsal polls the queue itself; moto's mapping would try to run the code in Docker.
    clients["lambda"].update_event_source_mapping(UUID=mapping, Enabled=False)
    entry = parameter_change_entry(
        clients["ssm"], parameter_name, account=environment.account, region=environment.region
    )
    publish(clients["events"], entry)
    batch, messages = receive_lambda_batch(clients["sqs"], queue_url, queue_arn, environment.region)
    if not messages:
        raise EventNotRoutedError(
            f"the stack's rule did not route the Parameter Store Change of {parameter_name} to "
            f"{queue_arn}"
        )
    invocation = invoke_in_process(function, batch, region=environment.region)
    settled = settle_batch(clients["sqs"], queue_url, messages, invocation.result)
    return RolloutDelivery(
        published=entry,
        delivered=[json.loads(message["Body"]) for message in messages],
        invocation=invocation,
        settled=settled,
    )
