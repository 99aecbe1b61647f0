"""``MlopsSageMaker``: a new model can always replace the old one without losing capacity.

No stock rule covers any of these (ADR 0042): the stock SageMaker rules check notebook
instances and the endpoint configuration's KMS key
(``SageMakerEndpointConfigurationKMSKeyConfigured``), not names, scaling or what an update does
to the running fleet.
"""

from __future__ import annotations

from cdk_nag import NagRuleCompliance

from policies.rules import sagemaker as sagemaker_rules

from .base import ProjectNagPack, ResourceView, Rule, compliant_if

MODEL = frozenset({"AWS::SageMaker::Model"})
ENDPOINT_CONFIG = frozenset({"AWS::SageMaker::EndpointConfig"})
ENDPOINT = frozenset({"AWS::SageMaker::Endpoint"})
EVENT_RULE = frozenset({"AWS::Events::Rule"})
SCALABLE_TARGET = "AWS::ApplicationAutoScaling::ScalableTarget"


def _generated_name(name_property: str):
    def check(resource: ResourceView) -> NagRuleCompliance:
        problem = sagemaker_rules.fixed_name_problem(resource.properties, name_property)
        return compliant_if(problem is None)

    return check


def _autoscaled(resource: ResourceView) -> bool:
    return sagemaker_rules.is_autoscaled(
        resource.logical_id, resource.properties, resource.others(SCALABLE_TARGET)
    )


def _endpoint_autoscaled(resource: ResourceView) -> NagRuleCompliance:
    return compliant_if(_autoscaled(resource))


def _retain_capacity(resource: ResourceView) -> NagRuleCompliance:
    autoscaled = _autoscaled(resource)
    if not sagemaker_rules.needs_capacity_retention(resource.properties, autoscaled):
        return NagRuleCompliance.NOT_APPLICABLE
    problem = sagemaker_rules.capacity_retention_problem(resource.properties, autoscaled)
    return compliant_if(problem is None)


def _model_package_events_scoped(resource: ResourceView) -> NagRuleCompliance:
    pattern = resource.properties.get("EventPattern")
    if not sagemaker_rules.handles_model_package_events(pattern):
        return NagRuleCompliance.NOT_APPLICABLE
    return compliant_if(sagemaker_rules.model_package_group_scope_problem(pattern) is None)


def _data_capture_encrypted(resource: ResourceView) -> NagRuleCompliance:
    if "DataCaptureConfig" not in resource.properties:
        return NagRuleCompliance.NOT_APPLICABLE
    problem = sagemaker_rules.data_capture_encryption_problem(resource.properties)
    return compliant_if(problem is None)


class SageMakerServingChecks(ProjectNagPack):
    """Generated Model/EndpointConfig names, an autoscaled endpoint, capacity kept on update."""

    PACK_NAME = "MlopsSageMaker"

    def build_rules(self) -> tuple[Rule, ...]:
        return (
            Rule(
                suffix="GeneratedModelName",
                info="The SageMaker model sets ModelName.",
                explanation=(
                    "Every property of AWS::SageMaker::Model is create-only: a new model "
                    "replaces the resource, and a fixed name makes that replacement fail."
                ),
                resource_types=MODEL,
                check=_generated_name("ModelName"),
            ),
            Rule(
                suffix="GeneratedEndpointConfigName",
                info="The SageMaker endpoint configuration sets EndpointConfigName.",
                explanation=(
                    "Every property of AWS::SageMaker::EndpointConfig is create-only: a new "
                    "model replaces the config, and a fixed name makes that replacement fail."
                ),
                resource_types=ENDPOINT_CONFIG,
                check=_generated_name("EndpointConfigName"),
            ),
            Rule(
                suffix="EndpointAutoscaled",
                info="No Application Auto Scaling target (namespace sagemaker, dimension "
                "sagemaker:variant:DesiredInstanceCount) scales this endpoint.",
                explanation=(
                    "A fixed instance count either wastes GPU hours or drops requests under "
                    "load; the endpoint must have a scalable target in its stack."
                ),
                resource_types=ENDPOINT,
                check=_endpoint_autoscaled,
            ),
            Rule(
                suffix="RetainCapacityOnUpdate",
                info="An autoscaled endpoint (or one with a DeploymentConfig) does not set "
                "RetainAllVariantProperties to true, or excludes DesiredInstanceCount.",
                explanation=(
                    "RetainAllVariantProperties defaults to false: every endpoint update then "
                    "resets the instance count to the new config's InitialInstanceCount, "
                    "undoing autoscaling in the middle of traffic (ADR 0045)."
                ),
                resource_types=ENDPOINT,
                check=_retain_capacity,
            ),
            Rule(
                suffix="ModelPackageEventsScopedToGroup",
                info="An EventBridge rule on 'SageMaker Model Package State Change' does not "
                "name the model package groups it is for (detail.ModelPackageGroupName).",
                explanation=(
                    "SageMaker sends the event for every group of the account: unscoped, an "
                    "approval in another team's group reaches the target, which for the "
                    "registration function decides what the endpoint serves (ADR 0071)."
                ),
                resource_types=EVENT_RULE,
                check=_model_package_events_scoped,
            ),
            Rule(
                suffix="DataCaptureEncrypted",
                info="The endpoint configuration captures requests and responses without "
                "DataCaptureConfig.KmsKeyId.",
                explanation=(
                    "Captured payloads are customers' text; they must be encrypted with a key "
                    "the configuration names, not whatever the destination bucket defaults to "
                    "(ADR 0070)."
                ),
                resource_types=ENDPOINT_CONFIG,
                check=_data_capture_encrypted,
            ),
        )
