"""Target tracking on the endpoint variant's CPU utilisation, as percent of a whole instance.

SageMaker's ``CPUUtilization`` is the sum over vCPUs (0-400 % on a 4-vCPU instance). A metric
math query divides it by the instance type's vCPU count so that the target keeps its plain
meaning, "70 % of the instance" (ADR-0027).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import CfnResource
from aws_cdk import aws_applicationautoscaling as appscaling
from constructs import Construct

SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
_RAW_CPU_ID = "cpu_sum_over_vcpus"
_INSTANCE_CPU_ID = "cpu_percent_of_instance"


@dataclass(frozen=True)
class CpuScalingSettings:
    """The instance count's bounds and the CPU target; the stack fills it from config.

    :param target_cpu_percent: CPU utilisation to keep, in percent of a whole instance.
    :param metrics_namespace, metric_name: where SageMaker publishes the variant's CPU (summed
        over vCPUs).
    :param instance_vcpus: vCPU count per instance type, to turn that sum into a percentage.
    """

    min_capacity: int
    max_capacity: int
    target_cpu_percent: float
    scale_in_cooldown_seconds: int
    scale_out_cooldown_seconds: int
    metrics_namespace: str
    metric_name: str
    instance_vcpus: Mapping[str, int]


def vcpus_of(instance_type: str, instance_vcpus: Mapping[str, int]) -> int:
    """vCPU count of a SageMaker instance type, from the ``instance_vcpus`` table (config)."""
    try:
        return instance_vcpus[instance_type]
    except KeyError:
        known = ", ".join(sorted(instance_vcpus))
        raise ValueError(
            f"model_instance {instance_type!r} has no vCPU count in "
            "config/constants.py SAGEMAKER_INSTANCE_VCPUS (needed to scale on CPU); "
            f"known: {known}"
        ) from None


class CpuAutoscaling(Construct):
    """``scalable_target`` on the variant's instance count, ``scaling_policy`` on its CPU."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint: CfnResource,
        endpoint_name: str,
        variant_name: str,
        instance_type: str,
        settings: CpuScalingSettings,
    ) -> None:
        super().__init__(scope, construct_id)
        vcpus = vcpus_of(instance_type, settings.instance_vcpus)

        # No RoleARN: Application Auto Scaling then uses its service-linked role for SageMaker.
        self.scalable_target = appscaling.CfnScalableTarget(
            self,
            "ScalableTarget",
            service_namespace="sagemaker",
            resource_id=f"endpoint/{endpoint_name}/variant/{variant_name}",
            scalable_dimension=SCALABLE_DIMENSION,
            min_capacity=settings.min_capacity,
            max_capacity=settings.max_capacity,
        )
        # The variant must exist before it can be registered.
        self.scalable_target.add_resource_dependency(endpoint)

        cpu_metric = appscaling.CfnScalingPolicy.TargetTrackingMetricProperty(
            namespace=settings.metrics_namespace,
            metric_name=settings.metric_name,
            dimensions=[
                appscaling.CfnScalingPolicy.TargetTrackingMetricDimensionProperty(
                    name="EndpointName", value=endpoint_name
                ),
                appscaling.CfnScalingPolicy.TargetTrackingMetricDimensionProperty(
                    name="VariantName", value=variant_name
                ),
            ],
        )
        self.scaling_policy = appscaling.CfnScalingPolicy(
            self,
            "CpuTargetTracking",
            policy_name=f"{endpoint_name}-cpu-target-tracking",
            policy_type="TargetTrackingScaling",
            scaling_target_id=self.scalable_target.ref,
            target_tracking_scaling_policy_configuration=appscaling.CfnScalingPolicy.TargetTrackingScalingPolicyConfigurationProperty(
                target_value=settings.target_cpu_percent,
                scale_in_cooldown=settings.scale_in_cooldown_seconds,
                scale_out_cooldown=settings.scale_out_cooldown_seconds,
                customized_metric_specification=appscaling.CfnScalingPolicy.CustomizedMetricSpecificationProperty(
                    metrics=[
                        appscaling.CfnScalingPolicy.TargetTrackingMetricDataQueryProperty(
                            id=_RAW_CPU_ID,
                            metric_stat=appscaling.CfnScalingPolicy.TargetTrackingMetricStatProperty(
                                metric=cpu_metric, stat="Average"
                            ),
                            return_data=False,
                        ),
                        appscaling.CfnScalingPolicy.TargetTrackingMetricDataQueryProperty(
                            id=_INSTANCE_CPU_ID,
                            expression=f"{_RAW_CPU_ID} / {vcpus}",
                            label="CPU utilisation, percent of one whole instance",
                            return_data=True,
                        ),
                    ]
                ),
            ),
        )
