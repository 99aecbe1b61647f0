"""How the endpoint takes a new model: blue/green, baked, rolled back by alarms.

Every update of the endpoint (a new endpoint configuration, which each new model brings)
provisions a new fleet, shifts traffic to it, watches the rollback alarms for the baking period
(``WaitIntervalInSeconds``) and keeps the old fleet for ``TerminationWaitInSeconds`` more before
retiring it; an alarm during the shift or the bake sends traffic back to the old fleet
(ADR-0053, ADR-0054). The instance count that autoscaling reached is kept
(``RetainAllVariantProperties``), otherwise every update would reset it to the initial count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

_BAKE_RANGE = (0, 3600)  # TerminationWaitInSeconds
_WAIT_INTERVAL_RANGE = (0, 3600)  # TrafficRoutingConfig.WaitIntervalInSeconds
_MAX_EXECUTION_RANGE = (600, 28800)  # MaximumExecutionTimeoutInSeconds


@dataclass(frozen=True)
class BlueGreenSettings:
    """How an update is shifted, baked and watched; the stack fills it from config.

    :param bake_seconds: TerminationWaitInSeconds, how long the old fleet is kept after the
        deployment completed.
    :param all_at_once_wait_seconds: WaitIntervalInSeconds of an ALL_AT_ONCE update, the
        alarm-watched bake after the whole shift; ``canary_wait_seconds`` likewise for a CANARY
        one. The chosen wait plus ``bake_seconds`` must stay below ``max_execution_seconds``.
    :param canary_min_instances: the smallest fleet that gets a CANARY update of
        ``canary_size_instances`` instances.
    :param alarm_period_seconds, alarm_evaluation_periods, alarm_datapoints_to_alarm: how the
        rollback alarms look at the invocation metrics in ``invocation_metrics_namespace``.
    :param errors_threshold, latency_p99_threshold_microseconds: the rollback alarms' thresholds
        on Invocation5XXErrors (Sum) and ModelLatency (p99).
    """

    bake_seconds: int
    all_at_once_wait_seconds: int
    canary_wait_seconds: int
    max_execution_seconds: int
    canary_min_instances: int
    canary_size_instances: int
    alarm_period_seconds: int
    alarm_evaluation_periods: int
    alarm_datapoints_to_alarm: int
    errors_threshold: float
    latency_p99_threshold_microseconds: float
    invocation_metrics_namespace: str


def traffic_routing(
    min_instance_count: int, settings: BlueGreenSettings
) -> sagemaker.CfnEndpoint.TrafficRoutingConfigProperty:
    """The traffic shift for a variant that never has fewer than ``min_instance_count``
    instances when an update starts.

    A canary of one instance is valid only when it is at most 50% of the fleet, so from
    ``settings.canary_min_instances`` on the update is CANARY; below, ALL_AT_ONCE (still
    blue/green: the old fleet stays until the bake is over). The policy is fixed at synth, so it
    must hold for the smallest fleet the variant can have, not for the current one.

    ``WaitIntervalInSeconds`` is set for both types: the SageMaker API requires it (botocore's
    ``TrafficRoutingConfig`` lists it as required) although the CloudFormation schema does not,
    so an endpoint update without it would be refused (ADR-0053).
    """
    if min_instance_count < 1:
        raise ValueError(f"min_instance_count must be at least 1, got {min_instance_count}")
    if min_instance_count >= settings.canary_min_instances:
        _check_range("canary_wait_seconds", settings.canary_wait_seconds, _WAIT_INTERVAL_RANGE)
        return sagemaker.CfnEndpoint.TrafficRoutingConfigProperty(
            type="CANARY",
            canary_size=sagemaker.CfnEndpoint.CapacitySizeProperty(
                type="INSTANCE_COUNT", value=settings.canary_size_instances
            ),
            wait_interval_in_seconds=settings.canary_wait_seconds,
        )
    wait_seconds = settings.all_at_once_wait_seconds
    _check_range("all_at_once_wait_seconds", wait_seconds, _WAIT_INTERVAL_RANGE)
    return sagemaker.CfnEndpoint.TrafficRoutingConfigProperty(
        type="ALL_AT_ONCE", wait_interval_in_seconds=wait_seconds
    )


class EndpointDeployment(Construct):
    """Rollback alarms for one endpoint variant and the endpoint's blue/green deployment config."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint: sagemaker.CfnEndpoint,
        endpoint_name: str,
        variant_name: str,
        initial_instance_count: int,
        min_instance_count: int | None = None,
        settings: BlueGreenSettings,
        alarm_actions: Sequence[cloudwatch.IAlarmAction],
    ) -> None:
        """
        :param endpoint: the endpoint whose updates this construct makes safe.
        :param endpoint_name: its name, as a plain string: an alarm that referenced the endpoint
            resource while the endpoint references the alarm would be a dependency cycle.
        :param initial_instance_count: the variant's InitialInstanceCount.
        :param min_instance_count: the fewest instances the variant can have when an update
            starts (the autoscaling minimum); default: the initial count.
        :param settings: the traffic shift, the bake and the rollback alarms.
        :param alarm_actions: actions of the rollback alarms (the operations topic), at least
            one: auto-rollback reads the alarms' state, but an operator must hear of it.
        """
        super().__init__(scope, construct_id)
        if not alarm_actions:
            raise ValueError("alarm_actions must name at least one action for the rollback alarms")
        _check_range("bake_seconds", settings.bake_seconds, _BAKE_RANGE)
        _check_range("max_execution_seconds", settings.max_execution_seconds, _MAX_EXECUTION_RANGE)
        if initial_instance_count < 1:
            raise ValueError(
                f"initial_instance_count must be at least 1, got {initial_instance_count}"
            )
        if min_instance_count is None:
            min_instance_count = initial_instance_count
        if min_instance_count < 1:
            raise ValueError(f"min_instance_count must be at least 1, got {min_instance_count}")
        smallest_fleet = min(initial_instance_count, min_instance_count)
        self.traffic_routing = traffic_routing(smallest_fleet, settings)
        _check_execution_timeout(
            settings.max_execution_seconds,
            settings.bake_seconds,
            self.traffic_routing.wait_interval_in_seconds,
        )

        variant = f"{endpoint_name}/{variant_name}"
        dimensions = {"EndpointName": endpoint_name, "VariantName": variant_name}

        def rollback_alarm(
            construct_id: str, description: str, metric_name: str, statistic: str, threshold: float
        ) -> cloudwatch.Alarm:
            # Alarm names are generated by CloudFormation (unique per stack), so two deployments
            # of this app in one account never fight over a name.
            return cloudwatch.Alarm(
                self,
                construct_id,
                alarm_description=description,
                metric=cloudwatch.Metric(
                    namespace=settings.invocation_metrics_namespace,
                    metric_name=metric_name,
                    dimensions_map=dimensions,
                    statistic=statistic,
                    period=Duration.seconds(settings.alarm_period_seconds),
                ),
                threshold=threshold,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                evaluation_periods=settings.alarm_evaluation_periods,
                datapoints_to_alarm=settings.alarm_datapoints_to_alarm,
                # No traffic is not an error: an idle endpoint must not roll back a good model.
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )

        self.errors_alarm = rollback_alarm(
            "Invocation5XXErrorsAlarm",
            f"{variant} answers with 5XX errors; rolls an endpoint update back",
            "Invocation5XXErrors",
            cloudwatch.Stats.SUM,
            settings.errors_threshold,
        )
        self.latency_alarm = rollback_alarm(
            "ModelLatencyP99Alarm",
            f"{variant} p99 model latency too high; rolls an endpoint update back",
            "ModelLatency",
            cloudwatch.Stats.p(99),
            settings.latency_p99_threshold_microseconds,
        )
        self.rollback_alarms = [self.errors_alarm, self.latency_alarm]
        for alarm in self.rollback_alarms:
            alarm.add_alarm_action(*alarm_actions)

        endpoint.deployment_config = sagemaker.CfnEndpoint.DeploymentConfigProperty(
            blue_green_update_policy=sagemaker.CfnEndpoint.BlueGreenUpdatePolicyProperty(
                traffic_routing_configuration=self.traffic_routing,
                termination_wait_in_seconds=settings.bake_seconds,
                maximum_execution_timeout_in_seconds=settings.max_execution_seconds,
            ),
            auto_rollback_configuration=sagemaker.CfnEndpoint.AutoRollbackConfigProperty(
                alarms=[
                    sagemaker.CfnEndpoint.AlarmProperty(alarm_name=alarm.alarm_name)
                    for alarm in self.rollback_alarms
                ]
            ),
        )
        endpoint.retain_all_variant_properties = True


def _check_range(name: str, value: int, bounds: tuple[int, int]) -> None:
    low, high = bounds
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high} seconds, got {value}")


def _check_execution_timeout(max_execution: int, termination_wait: int, wait_interval: int) -> None:
    """MaximumExecutionTimeoutInSeconds "should be larger than the total waiting time specified
    in TerminationWaitInSeconds and WaitIntervalInSeconds" (SageMaker API reference,
    BlueGreenUpdatePolicy); the rest of it is the time to provision the new fleet."""
    waiting = termination_wait + wait_interval
    if max_execution <= waiting:
        raise ValueError(
            f"max_execution_seconds ({max_execution}) must be larger than bake_seconds "
            f"({termination_wait}) plus the traffic wait interval ({wait_interval}) = {waiting}"
        )
