"""What the SageMaker stack serves, read back from CloudFormation and SageMaker.

Two views, because the emulator makes them differ: the stack's ``AWS::SageMaker::Model``
resource (what CloudFormation owns now), and the chain endpoint -> endpoint config -> model
(what the endpoint serves). On AWS a new model replaces the model, which replaces the endpoint
config, which updates the endpoint: both views agree. moto replaces the model only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ServingView:
    stack_status: str
    stack_model_name: str
    stack_model_data_url: str
    endpoint_name: str
    endpoint_config_name: str
    endpoint_model_name: str
    endpoint_model_data_url: str | None  # None when that model no longer exists


def serving_view(cloudformation: Any, sagemaker: Any, stack_name: str) -> ServingView:
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    resources = cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
    model_name = _name_of(_single(resources, "AWS::SageMaker::Model"))
    endpoint_name = _name_of(_single(resources, "AWS::SageMaker::Endpoint"))
    endpoint = sagemaker.describe_endpoint(EndpointName=endpoint_name)
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    served_model = config["ProductionVariants"][0]["ModelName"]
    return ServingView(
        stack_status=stack["StackStatus"],
        stack_model_name=model_name,
        stack_model_data_url=model_data_url(sagemaker, model_name) or "",
        endpoint_name=endpoint_name,
        endpoint_config_name=endpoint["EndpointConfigName"],
        endpoint_model_name=served_model,
        endpoint_model_data_url=model_data_url(sagemaker, served_model),
    )


def model_data_url(sagemaker: Any, model_name: str) -> str | None:
    try:
        model = sagemaker.describe_model(ModelName=model_name)
    except sagemaker.exceptions.ClientError:
        return None
    return model["PrimaryContainer"]["ModelDataUrl"]


def _single(resources: list[dict[str, Any]], resource_type: str) -> dict[str, Any]:
    found = [r for r in resources if r.get("ResourceType") == resource_type]
    if len(found) != 1:
        raise LookupError(f"expected one {resource_type} in the stack, found {len(found)}")
    return found[0]


def _name_of(resource: dict[str, Any]) -> str:
    """SageMaker resources' physical ids are ARNs (``...:model/<name>``); the name is last."""
    return resource["PhysicalResourceId"].rsplit("/", 1)[-1]
