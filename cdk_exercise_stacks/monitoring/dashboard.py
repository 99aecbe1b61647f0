"""One CloudWatch dashboard for the whole pipeline: registration, rollout, endpoint, monitor.

Rows, top to bottom, in the order a model travels: registrations (the registration function's
namespace, no dimensions), rollouts (the rollout's namespace, per stack), the endpoint
(invocations, errors, latency, instance utilisation) and the monitor (drift, quality, volume),
with every alarm of this stack in one status widget.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from cdk_exercise_stacks.common import alarm_arn

_WIDTH = 24


@dataclass(frozen=True)
class DashboardSources:
    registration_namespace: str
    registration_metrics: Sequence[str]
    rollout_namespace: str
    rollout_dimensions: Mapping[str, str]
    rollout_metrics: Sequence[str]
    monitoring_namespace: str
    monitoring_dimensions: Mapping[str, str]
    drift_metrics: Sequence[str]
    quality_metrics: Sequence[str]
    volume_metrics: Sequence[str]


class PipelineDashboard(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dashboard_name: str,
        sources: DashboardSources,
        serving_metrics: Mapping[str, cloudwatch.IMetric],
        alarms: Sequence[cloudwatch.IAlarm],
    ) -> None:
        super().__init__(scope, construct_id)
        hour = Duration.hours(1)
        # By name (Ref), not by their Arn attribute: the local emulator (moto) does not create
        # alarms from a template and refuses a GetAtt on one (ADR-0066).
        alarms_by_name = [
            cloudwatch.Alarm.from_alarm_arn(self, f"Alarm{index}", alarm_arn(self, a.alarm_name))
            for index, a in enumerate(alarms)
        ]

        def metrics(
            namespace: str, names: Sequence[str], dimensions: Mapping[str, str], statistic: str
        ) -> list[cloudwatch.IMetric]:
            return [
                cloudwatch.Metric(
                    namespace=namespace,
                    metric_name=name,
                    dimensions_map=dict(dimensions),
                    statistic=statistic,
                    period=hour,
                )
                for name in names
            ]

        def graph(title: str, left: Sequence[cloudwatch.IMetric], width: int) -> cloudwatch.IWidget:
            return cloudwatch.GraphWidget(title=title, left=list(left), width=width, height=6)

        sum_ = cloudwatch.Stats.SUM
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=dashboard_name,
            default_interval=Duration.days(7),
            widgets=[
                [
                    cloudwatch.AlarmStatusWidget(
                        title="Alarms", alarms=alarms_by_name, width=_WIDTH, height=4
                    )
                ],
                [
                    graph(
                        "Registration",
                        metrics(
                            sources.registration_namespace, sources.registration_metrics, {}, sum_
                        ),
                        _WIDTH // 2,
                    ),
                    graph(
                        "Rollout",
                        metrics(
                            sources.rollout_namespace,
                            sources.rollout_metrics,
                            sources.rollout_dimensions,
                            sum_,
                        ),
                        _WIDTH // 2,
                    ),
                ],
                [
                    graph(
                        "Endpoint: invocations and errors",
                        [
                            serving_metrics[name]
                            for name in (
                                "Invocations",
                                "Invocation4XXErrors",
                                "Invocation5XXErrors",
                            )
                        ],
                        _WIDTH // 3,
                    ),
                    graph(
                        "Endpoint: p99 model latency (us)",
                        [serving_metrics["ModelLatency"]],
                        _WIDTH // 3,
                    ),
                    graph(
                        "Endpoint: utilisation (%)",
                        [
                            serving_metrics[name]
                            for name in (
                                "CPUUtilization",
                                "GPUUtilization",
                                "MemoryUtilization",
                                "DiskUtilization",
                            )
                        ],
                        _WIDTH // 3,
                    ),
                ],
                [
                    graph(
                        "Monitor: drift (PSI)",
                        metrics(
                            sources.monitoring_namespace,
                            sources.drift_metrics,
                            sources.monitoring_dimensions,
                            cloudwatch.Stats.MAXIMUM,
                        ),
                        _WIDTH // 3,
                    ),
                    graph(
                        "Monitor: quality",
                        metrics(
                            sources.monitoring_namespace,
                            sources.quality_metrics,
                            sources.monitoring_dimensions,
                            cloudwatch.Stats.MAXIMUM,
                        ),
                        _WIDTH // 3,
                    ),
                    graph(
                        "Monitor: captured volume",
                        metrics(
                            sources.monitoring_namespace,
                            sources.volume_metrics,
                            sources.monitoring_dimensions,
                            sum_,
                        ),
                        _WIDTH // 3,
                    ),
                ],
            ],
        )
