"""Alarms on the registration metrics that need a person: the registered model deleted or
overwritten in the bucket, and events the function rejected (ADR-0012, ADR-0014).

The function sends every metric on every invocation, zeros included, without dimensions
(lambda/registration/contract.py). An alarm fires when the Sum over one period reaches the
threshold; a period without invocations has no data and is not an alarm.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from config import constants

# Metric name -> what the alarm tells the operator to do.
ALARMED_METRICS: Mapping[str, str] = {
    constants.REGISTERED_MODEL_DELETED_METRIC: (
        "The registered model was deleted or hidden in the model bucket: new endpoint "
        "instances cannot load it. Restore it or upload and register another model"
    ),
    constants.REGISTERED_MODEL_OVERWRITTEN_METRIC: (
        "New bytes were uploaded under the registered model's key: running instances serve "
        "the old bytes, new ones the new. Upload new models under a new key"
    ),
    constants.EVENT_REJECTED_METRIC: (
        "The registration function rejected an event (malformed, or a bad configuration): "
        "see its 'rejected' log line; the event is retried, then kept in the failure queue"
    ),
}


class RegistrationAlarms(Construct):
    """One alarm per metric of ``ALARMED_METRICS`` in ``namespace``, publishing to
    ``alarm_actions``; ``alarms`` maps the metric name to its alarm."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        namespace: str,
        alarm_actions: Sequence[cloudwatch.IAlarmAction],
    ) -> None:
        super().__init__(scope, construct_id)
        if not alarm_actions:
            raise ValueError("registration alarms need at least one alarm action")
        period = Duration.seconds(constants.REGISTRATION_METRIC_ALARM_PERIOD_SECONDS)
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for metric_name, description in ALARMED_METRICS.items():
            alarm = cloudwatch.Alarm(
                self,
                f"{metric_name}Alarm",
                alarm_description=description,
                metric=cloudwatch.Metric(
                    namespace=namespace,
                    metric_name=metric_name,
                    statistic=cloudwatch.Stats.SUM,
                    period=period,
                ),
                threshold=constants.REGISTRATION_METRIC_ALARM_THRESHOLD,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(*alarm_actions)
            self.alarms[metric_name] = alarm
