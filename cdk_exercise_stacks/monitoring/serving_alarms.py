"""Alarms on the live endpoint, beyond the rollout's 10-minute bake: errors, latency, saturation,
disk, and silence. Every one goes to the operations topic.

Metrics and namespaces ("Amazon SageMaker AI metrics in Amazon CloudWatch",
https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html):

- ``AWS/SageMaker``: ``Invocations``, ``Invocation4XXErrors``, ``Invocation5XXErrors``,
  ``ModelLatency`` (microseconds), per ``EndpointName`` and ``VariantName``;
- ``/aws/sagemaker/Endpoints``: ``CPUUtilization`` and ``GPUUtilization`` (percent per core or
  GPU, summed: 0-400 % on four vCPUs), ``MemoryUtilization`` and ``DiskUtilization`` (0-100 %).

The thresholds are per instance, so CPU and GPU limits are scaled by the instance's vCPUs and
GPUs. ``DiskUtilization`` matters twice: data capture stops when the disk is nearly full
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-endpoint.html), so
the monitor would go blind before the endpoint fails. "No invocations" treats missing data as
breaching: an endpoint nobody calls publishes no ``Invocations`` datapoint at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct


@dataclass(frozen=True)
class ServingAlarmSettings:
    invocation_namespace: str
    instance_namespace: str
    period_seconds: int
    evaluation_periods: int
    datapoints_to_alarm: int
    errors_5xx_threshold: int
    errors_4xx_threshold: int
    latency_p99_microseconds: int
    cpu_percent: int
    gpu_percent: int
    memory_percent: int
    disk_percent: int
    no_invocations_seconds: int


class ServingAlarms(Construct):
    """``alarms``: every serving alarm (the GPU one only on an instance with GPUs)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint_name: str,
        variant_name: str,
        instance_vcpus: int,
        instance_gpus: int,
        settings: ServingAlarmSettings,
        alarm_actions: Sequence[cloudwatch.IAlarmAction],
    ) -> None:
        super().__init__(scope, construct_id)
        if not alarm_actions:
            raise ValueError("alarm_actions must name at least one action for the serving alarms")
        self.settings = settings
        self._dimensions = {"EndpointName": endpoint_name, "VariantName": variant_name}
        period = Duration.seconds(settings.period_seconds)

        def metric(namespace: str, name: str, statistic: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace=namespace,
                metric_name=name,
                dimensions_map=self._dimensions,
                statistic=statistic,
                period=period,
            )

        invocations, instance = settings.invocation_namespace, settings.instance_namespace
        self.metrics = {
            "Invocations": metric(invocations, "Invocations", cloudwatch.Stats.SUM),
            "Invocation5XXErrors": metric(invocations, "Invocation5XXErrors", cloudwatch.Stats.SUM),
            "Invocation4XXErrors": metric(invocations, "Invocation4XXErrors", cloudwatch.Stats.SUM),
            "ModelLatency": metric(invocations, "ModelLatency", cloudwatch.Stats.percentile(99)),
            "CPUUtilization": metric(instance, "CPUUtilization", cloudwatch.Stats.AVERAGE),
            "GPUUtilization": metric(instance, "GPUUtilization", cloudwatch.Stats.AVERAGE),
            "MemoryUtilization": metric(instance, "MemoryUtilization", cloudwatch.Stats.AVERAGE),
            "DiskUtilization": metric(instance, "DiskUtilization", cloudwatch.Stats.AVERAGE),
        }
        above = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
        limits = [
            ("Errors5xxAlarm", "Invocation5XXErrors", settings.errors_5xx_threshold,
             "The endpoint answered with server errors (5XX)"),
            ("Errors4xxAlarm", "Invocation4XXErrors", settings.errors_4xx_threshold,
             "Many requests were refused as invalid (4XX): a client or contract change?"),
            ("LatencyP99Alarm", "ModelLatency", settings.latency_p99_microseconds,
             "p99 model latency is above its limit"),
            ("CpuAlarm", "CPUUtilization", settings.cpu_percent * instance_vcpus,
             "CPU is saturated although autoscaling should have added instances"),
            ("MemoryAlarm", "MemoryUtilization", settings.memory_percent,
             "Instance memory is nearly exhausted"),
            ("DiskAlarm", "DiskUtilization", settings.disk_percent,
             "Instance disk is filling up: data capture stops at 75 % (ADR-0070)"),
        ]  # fmt: skip
        if instance_gpus:
            limits.append(
                ("GpuAlarm", "GPUUtilization", settings.gpu_percent * instance_gpus,
                 "GPU is saturated")
            )  # fmt: skip
        self.alarms: list[cloudwatch.Alarm] = [
            cloudwatch.Alarm(
                self,
                construct_id,
                alarm_description=f"{endpoint_name}: {description}",
                metric=self.metrics[metric_name],
                threshold=threshold,
                comparison_operator=above,
                evaluation_periods=settings.evaluation_periods,
                datapoints_to_alarm=settings.datapoints_to_alarm,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            for construct_id, metric_name, threshold, description in limits
        ]
        self.no_invocations_alarm = cloudwatch.Alarm(
            self,
            "NoInvocationsAlarm",
            alarm_description=(
                f"{endpoint_name}: no invocation for {settings.no_invocations_seconds} s "
                "(clients cannot reach it, or nobody calls it)"
            ),
            metric=metric(invocations, "Invocations", cloudwatch.Stats.SUM).with_(
                period=Duration.seconds(settings.no_invocations_seconds)
            ),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        )
        self.alarms.append(self.no_invocations_alarm)
        for alarm in self.alarms:
            alarm.add_alarm_action(*alarm_actions)
