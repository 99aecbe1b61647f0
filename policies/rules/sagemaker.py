"""SageMaker serving: replaceable models/configs, autoscaled endpoints that keep capacity."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .cfn import as_list, is_true, join_parts, referenced_logical_ids

SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
SERVICE_NAMESPACE = "sagemaker"
RETAINED_CAPACITY_PROPERTY = "DesiredInstanceCount"


def fixed_name_problem(properties: Mapping[str, Any], name_property: str) -> str | None:
    """Every other property of Model/EndpointConfig is create-only, so any change replaces the
    resource, and CloudFormation cannot replace a resource that has a custom name
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-name.html).
    The name must be generated."""
    name = properties.get(name_property)
    if name is None:
        return None
    return f"{name_property} is fixed ({name!r}); a replacement would fail on the name"


def targets_endpoint(
    target: Mapping[str, Any], endpoint_logical_id: str, endpoint: Mapping[str, Any]
) -> bool:
    """Whether an ``AWS::ApplicationAutoScaling::ScalableTarget`` scales a variant of the
    endpoint (namespace sagemaker, dimension DesiredInstanceCount, ResourceId
    ``endpoint/<this endpoint's name>/variant/...``)."""
    if target.get("ServiceNamespace") != SERVICE_NAMESPACE:
        return False
    if target.get("ScalableDimension") != SCALABLE_DIMENSION:
        return False
    resource_id = join_parts(target.get("ResourceId"))
    if not resource_id or not (isinstance(resource_id[0], str)):
        return False
    if not resource_id[0].startswith("endpoint/"):
        return False
    if endpoint_logical_id in referenced_logical_ids(target.get("ResourceId")):
        return True
    name = endpoint.get("EndpointName")
    return (
        isinstance(name, str)
        and len(resource_id) == 1
        and resource_id[0].startswith(f"endpoint/{name}/variant/")
    )


def is_autoscaled(
    endpoint_logical_id: str,
    endpoint: Mapping[str, Any],
    scalable_targets: Mapping[str, Mapping[str, Any]],
) -> bool:
    """Whether any scalable target of the template scales this endpoint."""
    return any(
        targets_endpoint(target, endpoint_logical_id, endpoint)
        for target in scalable_targets.values()
    )


def capacity_retention_problem(endpoint: Mapping[str, Any], autoscaled: bool) -> str | None:
    """Why an update of this endpoint would reset its autoscaled instance count, or None.

    Applies when the endpoint is autoscaled or has a DeploymentConfig (ADR 0045): without
    ``RetainAllVariantProperties: true`` an update sets the instance count back to the new
    config's InitialInstanceCount; excluding DesiredInstanceCount from retention does the same.
    """
    if not is_true(endpoint.get("RetainAllVariantProperties")):
        reason = "is autoscaled" if autoscaled else "has a DeploymentConfig"
        return f"endpoint {reason} but RetainAllVariantProperties is not true"
    excluded = {
        item.get("VariantPropertyType")
        for item in as_list(endpoint.get("ExcludeRetainedVariantProperties"))
        if isinstance(item, Mapping)
    }
    if RETAINED_CAPACITY_PROPERTY in excluded:
        return "ExcludeRetainedVariantProperties drops DesiredInstanceCount"
    return None


def needs_capacity_retention(endpoint: Mapping[str, Any], autoscaled: bool) -> bool:
    """The rule applies to autoscaled endpoints and to endpoints with a DeploymentConfig."""
    return autoscaled or endpoint.get("DeploymentConfig") is not None


# What SageMaker sends to EventBridge for a model package of any group in the account:
# https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html
MODEL_PACKAGE_STATE_CHANGE = "SageMaker Model Package State Change"


def handles_model_package_events(event_pattern: Any) -> bool:
    """Whether an EventBridge rule's pattern matches model package state changes."""
    pattern = _pattern(event_pattern)
    detail_types = pattern.get("detail-type", [])
    return isinstance(detail_types, list) and MODEL_PACKAGE_STATE_CHANGE in detail_types


def model_package_group_scope_problem(event_pattern: Any) -> str | None:
    """Why a rule on model package state changes is not limited to named groups, or None.

    Unscoped, an approval in any group of the account (another team's, a test's) reaches the
    target; for the registration function that target decides what the endpoint serves
    (ADR-0071). Only exact group names count: a prefix or wildcard matcher is not a scope.
    """
    groups = _pattern(event_pattern).get("detail", {}).get("ModelPackageGroupName")
    if not isinstance(groups, list) or not groups:
        return "detail.ModelPackageGroupName is not set"
    if not all(isinstance(group, str) and group for group in groups):
        return f"detail.ModelPackageGroupName matches more than exact names: {groups!r}"
    return None


def _pattern(event_pattern: Any) -> dict[str, Any]:
    if isinstance(event_pattern, str):
        try:
            event_pattern = json.loads(event_pattern)
        except ValueError:
            return {}
    return event_pattern if isinstance(event_pattern, dict) else {}


def data_capture_encryption_problem(properties: Mapping[str, Any]) -> str | None:
    """Captured requests and responses are customers' data: an endpoint configuration that
    captures them must name the KMS key they are encrypted with (``DataCaptureConfig.KmsKeyId``);
    without it they are written under whatever the destination bucket does by default, which
    nothing in the configuration guarantees (ADR-0070). None when capture is off or absent."""
    capture = properties.get("DataCaptureConfig")
    if not isinstance(capture, Mapping):
        return None
    if capture.get("EnableCapture") is False:
        return None
    if capture.get("KmsKeyId") in (None, ""):
        return "DataCaptureConfig captures traffic without a KmsKeyId"
    return None
