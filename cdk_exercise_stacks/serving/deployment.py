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

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from config import constants

_BAKE_RANGE = (0, 3600)  # TerminationWaitInSeconds
_WAIT_INTERVAL_RANGE = (0, 3600)  # TrafficRoutingConfig.WaitIntervalInSeconds
_MAX_EXECUTION_RANGE = (600, 28800)  # MaximumExecutionTimeoutInSeconds


def traffic_routing(
    min_instance_count: int,
    *,
    all_at_once_wait_seconds: int = constants.DEPLOYMENT_ALL_AT_ONCE_WAIT_SECONDS,
    canary_wait_seconds: int = constants.DEPLOYMENT_CANARY_WAIT_SECONDS,
) -> sagemaker.CfnEndpoint.TrafficRoutingConfigProperty:
    """The traffic shift for a variant that never has fewer than ``min_instance_count``
    instances when an update starts.

    A canary of one instance is valid only when it is at most 50% of the fleet, so from
    DEPLOYMENT_CANARY_MIN_INSTANCES on the update is CANARY; below, ALL_AT_ONCE (still
    blue/green: the old fleet stays until the bake is over). The policy is fixed at synth, so it
    must hold for the smallest fleet the variant can have, not for the current one.

    ``WaitIntervalInSeconds`` is set for both types: the SageMaker API requires it (botocore's
    ``TrafficRoutingConfig`` lists it as required) although the CloudFormation schema does not,
    so an endpoint update without it would be refused (ADR-0053).
    """
    if min_instance_count < 1:
        raise ValueError(f"min_instance_count must be at least 1, got {min_instance_count}")
    if min_instance_count >= constants.DEPLOYMENT_CANARY_MIN_INSTANCES:
        _check_range("canary_wait_seconds", canary_wait_seconds, _WAIT_INTERVAL_RANGE)
        return sagemaker.CfnEndpoint.TrafficRoutingConfigProperty(
            type="CANARY",
            canary_size=sagemaker.CfnEndpoint.CapacitySizeProperty(
                type="INSTANCE_COUNT", value=constants.DEPLOYMENT_CANARY_SIZE_INSTANCES
            ),
            wait_interval_in_seconds=canary_wait_seconds,
        )
    _check_range("all_at_once_wait_seconds", all_at_once_wait_seconds, _WAIT_INTERVAL_RANGE)
    return sagemaker.CfnEndpoint.TrafficRoutingConfigProperty(
        type="ALL_AT_ONCE", wait_interval_in_seconds=all_at_once_wait_seconds
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
        bake_seconds: int = constants.DEPLOYMENT_BAKE_SECONDS,
        all_at_once_wait_seconds: int = constants.DEPLOYMENT_ALL_AT_ONCE_WAIT_SECONDS,
        canary_wait_seconds: int = constants.DEPLOYMENT_CANARY_WAIT_SECONDS,
        max_execution_seconds: int = constants.DEPLOYMENT_MAX_EXECUTION_SECONDS,
        alarm_actions: Sequence[cloudwatch.IAlarmAction],
    ) -> None:
        """
        :param endpoint: the endpoint whose updates this construct makes safe.
        :param endpoint_name: its name, as a plain string: an alarm that referenced the endpoint
            resource while the endpoint references the alarm would be a dependency cycle.
        :param initial_instance_count: the variant's InitialInstanceCount.
        :param min_instance_count: the fewest instances the variant can have when an update
            starts (the autoscaling minimum); default: the initial count.
        :param bake_seconds: TerminationWaitInSeconds, how long the old fleet is kept after the
            deployment completed.
        :param all_at_once_wait_seconds: WaitIntervalInSeconds of an ALL_AT_ONCE update, the
            alarm-watched bake after the whole shift; ``canary_wait_seconds`` likewise for a
            CANARY one. The chosen wait plus ``bake_seconds`` must stay below
            ``max_execution_seconds``.
        :param alarm_actions: actions of the rollback alarms (the operations topic), at least
            one: auto-rollback reads the alarms' state, but an operator must hear of it.
        """
        super().__init__(scope, construct_id)
        if not alarm_actions:
            raise ValueError("alarm_actions must name at least one action for the rollback alarms")
        _check_range("bake_seconds", bake_seconds, _BAKE_RANGE)
        _check_range("max_execution_seconds", max_execution_seconds, _MAX_EXECUTION_RANGE)
        if initial_instance_count < 1:
            raise ValueError(
                f"initial_instance_count must be at least 1, got {initial_instance_count}"
            )
        if min_instance_count is None:
            min_instance_count = initial_instance_count
        if min_instance_count < 1:
            raise ValueError(f"min_instance_count must be at least 1, got {min_instance_count}")
        smallest_fleet = min(initial_instance_count, min_instance_count)
        self.traffic_routing = traffic_routing(
            smallest_fleet,
            all_at_once_wait_seconds=all_at_once_wait_seconds,
            canary_wait_seconds=canary_wait_seconds,
        )
        _check_execution_timeout(
            max_execution_seconds, bake_seconds, self.traffic_routing.wait_interval_in_seconds
        )

        variant = f"{endpoint_name}/{variant_name}"
        dimensions = {"EndpointName": endpoint_name, "VariantName": variant_name}
        period = Duration.seconds(constants.DEPLOYMENT_ALARM_PERIOD_SECONDS)
        # Alarm names are generated by CloudFormation (unique per stack), so two deployments of
        # this app in one account never fight over a name.
        self.errors_alarm = self._alarm(
            "Invocation5XXErrorsAlarm",
            description=f"{variant} answers with 5XX errors; rolls an endpoint update back",
            metric=cloudwatch.Metric(
                namespace=constants.SAGEMAKER_INVOCATION_METRICS_NAMESPACE,
                metric_name="Invocation5XXErrors",
                dimensions_map=dimensions,
                statistic=cloudwatch.Stats.SUM,
                period=period,
            ),
            threshold=constants.ALARM_5XX_THRESHOLD,
        )
        self.latency_alarm = self._alarm(
            "ModelLatencyP99Alarm",
            description=f"{variant} p99 model latency too high; rolls an endpoint update back",
            metric=cloudwatch.Metric(
                namespace=constants.SAGEMAKER_INVOCATION_METRICS_NAMESPACE,
                metric_name="ModelLatency",
                dimensions_map=dimensions,
                statistic=cloudwatch.Stats.p(99),
                period=period,
            ),
            threshold=constants.ALARM_MODEL_LATENCY_P99_MICROSECONDS,
        )
        self.rollback_alarms = [self.errors_alarm, self.latency_alarm]
        for alarm in self.rollback_alarms:
            alarm.add_alarm_action(*alarm_actions)

        endpoint.deployment_config = sagemaker.CfnEndpoint.DeploymentConfigProperty(
            blue_green_update_policy=sagemaker.CfnEndpoint.BlueGreenUpdatePolicyProperty(
                traffic_routing_configuration=self.traffic_routing,
                termination_wait_in_seconds=bake_seconds,
                maximum_execution_timeout_in_seconds=max_execution_seconds,
            ),
            auto_rollback_configuration=sagemaker.CfnEndpoint.AutoRollbackConfigProperty(
                alarms=[
                    sagemaker.CfnEndpoint.AlarmProperty(alarm_name=alarm.alarm_name)
                    for alarm in self.rollback_alarms
                ]
            ),
        )
        endpoint.retain_all_variant_properties = True

    def _alarm(
        self, construct_id: str, *, description: str, metric: cloudwatch.IMetric, threshold: float
    ) -> cloudwatch.Alarm:
        return cloudwatch.Alarm(
            self,
            construct_id,
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=constants.DEPLOYMENT_ALARM_EVALUATION_PERIODS,
            datapoints_to_alarm=constants.DEPLOYMENT_ALARM_DATAPOINTS_TO_ALARM,
            # No traffic is not an error: an idle endpoint must not roll back a good model.
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )


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
