"""MlopsSageMaker: each rule on compliant, non-compliant and not-applicable resources."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_applicationautoscaling as autoscaling
from aws_cdk import aws_events as events
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker

from policies.nag import SageMakerServingChecks
from tests.unit.policies.nag_evaluation import evaluate

STACK = "SageMakerPackTest"
ROLE_ARN = "arn:aws:iam::111122223333:role/serving"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"
BLUE_GREEN = sagemaker.CfnEndpoint.DeploymentConfigProperty(
    blue_green_update_policy=sagemaker.CfnEndpoint.BlueGreenUpdatePolicyProperty(
        traffic_routing_configuration=sagemaker.CfnEndpoint.TrafficRoutingConfigProperty(
            type="ALL_AT_ONCE"
        )
    )
)


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory):
    app = cdk.App(
        outdir=str(tmp_path_factory.mktemp("sagemaker-pack")),
        builtin_cloud_formation_validation=False,
    )
    stack = cdk.Stack(app, STACK)
    container = sagemaker.CfnModel.ContainerDefinitionProperty(image="image:latest")
    model = sagemaker.CfnModel(
        stack, "GeneratedModel", execution_role_arn=ROLE_ARN, primary_container=container
    )
    sagemaker.CfnModel(
        stack,
        "NamedModel",
        model_name="sentiment-model",
        execution_role_arn=ROLE_ARN,
        primary_container=container,
    )
    variant = sagemaker.CfnEndpointConfig.ProductionVariantProperty(
        variant_name="AllTraffic",
        model_name=model.attr_model_name,
        initial_instance_count=1,
        instance_type="ml.m5.large",
    )
    config = sagemaker.CfnEndpointConfig(stack, "GeneratedConfig", production_variants=[variant])
    sagemaker.CfnEndpointConfig(
        stack, "NamedConfig", endpoint_config_name="fixed-config", production_variants=[variant]
    )

    def endpoint(name: str, **kwargs) -> sagemaker.CfnEndpoint:
        return sagemaker.CfnEndpoint(
            stack, name, endpoint_config_name=config.attr_endpoint_config_name, **kwargs
        )

    def scale(name: str, resource_id: str, dimension: str = DIMENSION) -> None:
        autoscaling.ScalableTarget(
            stack,
            name,
            service_namespace=autoscaling.ServiceNamespace.SAGEMAKER,
            resource_id=resource_id,
            scalable_dimension=dimension,
            min_capacity=1,
            max_capacity=4,
        )

    for name, kwargs in {
        "ScaledRetaining": {"retain_all_variant_properties": True},
        "ScaledResetting": {},
        "ScaledExcludingCount": {
            "retain_all_variant_properties": True,
            "exclude_retained_variant_properties": [
                sagemaker.CfnEndpoint.VariantPropertyProperty(
                    variant_property_type="DesiredInstanceCount"
                )
            ],
        },
    }.items():
        scaled = endpoint(name, **kwargs)
        scale(f"{name}Target", f"endpoint/{scaled.attr_endpoint_name}/variant/AllTraffic")
    endpoint("FixedNameScaled", endpoint_name="fixed-endpoint", retain_all_variant_properties=True)
    scale("FixedNameTarget", "endpoint/fixed-endpoint/variant/AllTraffic")
    wrong_dimension = endpoint("WrongDimension")
    scale(
        "WrongDimensionTarget",
        f"endpoint/{wrong_dimension.attr_endpoint_name}/variant/AllTraffic",
        dimension="sagemaker:variant:DesiredProvisionedConcurrency",
    )
    endpoint("Unscaled")
    for name, key in (("CaptureWithKey", "alias/capture"), ("CaptureWithoutKey", None)):
        sagemaker.CfnEndpointConfig(
            stack,
            name,
            production_variants=[variant],
            data_capture_config=sagemaker.CfnEndpointConfig.DataCaptureConfigProperty(
                capture_options=[
                    sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode="Input")
                ],
                destination_s3_uri="s3://capture-bucket/data-capture",
                initial_sampling_percentage=100,
                kms_key_id=key,
            ),
        )
    endpoint("BlueGreenResetting", deployment_config=BLUE_GREEN)
    endpoint("BlueGreenRetaining", deployment_config=BLUE_GREEN, retain_all_variant_properties=True)
    s3.CfnBucket(stack, "NotSageMaker")

    def package_rule(name: str, detail: dict | None, detail_type: str = PACKAGE_EVENT) -> None:
        pattern = {"source": ["aws.sagemaker"], "detail-type": [detail_type]}
        events.CfnRule(
            stack, name, event_pattern={**pattern, **({"detail": detail} if detail else {})}
        )

    package_rule("ScopedPackageRule", {"ModelPackageGroupName": ["sentiment-model"]})
    package_rule("UnscopedPackageRule", {"ModelApprovalStatus": ["Approved"]})
    package_rule("PrefixPackageRule", {"ModelPackageGroupName": [{"prefix": "sentiment"}]})
    package_rule("EndpointRule", {}, detail_type="SageMaker Endpoint State Change")
    return evaluate(app, [SageMakerServingChecks])


PACKAGE_EVENT = "SageMaker Model Package State Change"


AUTOSCALED = "MlopsSageMaker-EndpointAutoscaled"
RETAIN = "MlopsSageMaker-RetainCapacityOnUpdate"
SCOPED = "MlopsSageMaker-ModelPackageEventsScopedToGroup"
CAPTURE = "MlopsSageMaker-DataCaptureEncrypted"
CASES = [
    ("MlopsSageMaker-GeneratedModelName", "GeneratedModel", "COMPLIANT"),
    ("MlopsSageMaker-GeneratedModelName", "NamedModel", "NON_COMPLIANT"),
    ("MlopsSageMaker-GeneratedEndpointConfigName", "GeneratedConfig", "COMPLIANT"),
    ("MlopsSageMaker-GeneratedEndpointConfigName", "NamedConfig", "NON_COMPLIANT"),
    (AUTOSCALED, "ScaledRetaining", "COMPLIANT"),
    (AUTOSCALED, "FixedNameScaled", "COMPLIANT"),
    (AUTOSCALED, "Unscaled", "NON_COMPLIANT"),
    (AUTOSCALED, "WrongDimension", "NON_COMPLIANT"),
    (RETAIN, "ScaledRetaining", "COMPLIANT"),
    (RETAIN, "FixedNameScaled", "COMPLIANT"),
    (RETAIN, "ScaledResetting", "NON_COMPLIANT"),
    (RETAIN, "ScaledExcludingCount", "NON_COMPLIANT"),
    (RETAIN, "BlueGreenResetting", "NON_COMPLIANT"),
    (RETAIN, "BlueGreenRetaining", "COMPLIANT"),
    (RETAIN, "Unscaled", "NOT_APPLICABLE"),
    (SCOPED, "ScopedPackageRule", "COMPLIANT"),
    (SCOPED, "UnscopedPackageRule", "NON_COMPLIANT"),
    (SCOPED, "PrefixPackageRule", "NON_COMPLIANT"),
    (SCOPED, "EndpointRule", "NOT_APPLICABLE"),
    (CAPTURE, "CaptureWithKey", "COMPLIANT"),
    (CAPTURE, "CaptureWithoutKey", "NON_COMPLIANT"),
    (CAPTURE, "GeneratedConfig", "NOT_APPLICABLE"),
]


@pytest.mark.parametrize(("rule_id", "resource", "expected"), CASES)
def test_rule_outcome_and_annotation(evaluation, rule_id, resource, expected):
    path = f"{STACK}/{resource}"
    assert evaluation.outcomes(rule_id, path) == [expected]
    flagged = {finding.path.lstrip("/") for finding in evaluation.findings(rule_id)}
    assert (path in flagged) == (expected == "NON_COMPLIANT")


def test_rules_are_not_applied_to_a_bucket(evaluation):
    assert not [o for o in evaluation.recorder.outcomes if o.path == f"{STACK}/NotSageMaker"]
