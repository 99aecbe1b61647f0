"""Alarms on the registration metrics that need a person: the registered model deleted or
overwritten in the bucket, events or records the function rejected, and upload events S3 does
not confirm (ADR-0012, ADR-0014, ADR-0017).

The function sends every metric on every invocation, zeros included, without dimensions
(lambda/registration/contract.py). An alarm fires when the Sum over one period reaches the
threshold; a period without invocations has no data and is not an alarm.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct


@dataclass(frozen=True)
class RegistrationAlarmSettings:
    """The metric names the function writes that page an operator, and when; the stack fills
    it from config: an alarm when the Sum over ``period_seconds`` reaches ``threshold``."""

    registered_model_deleted_metric: str
    registered_model_overwritten_metric: str
    event_rejected_metric: str
    unverified_upload_ignored_metric: str
    period_seconds: int
    threshold: int

    def alarmed_metrics(self) -> dict[str, str]:
        """Metric name -> what the alarm tells the operator to do."""
        return {
            self.registered_model_deleted_metric: (
                "The registered model was deleted or hidden in the model bucket: new endpoint "
                "instances cannot load it. Restore it or upload and register another model"
            ),
            self.registered_model_overwritten_metric: (
                "New bytes were uploaded under the registered model's key: running instances "
                "serve the old bytes, new ones the new. Upload new models under a new key"
            ),
            self.event_rejected_metric: (
                "The registration function rejected an event or a record: see its 'rejected' "
                "log line. A malformed event or a bad configuration is retried, then kept in "
                "the failure queue; a model upload SageMaker could not load, dated in the "
                "future or without a versionId is not registered (ADR-0017)"
            ),
            self.unverified_upload_ignored_metric: (
                "An upload event named an object version that does not exist in the model "
                "bucket with the event's ETag and size: a forged or foreign event, ignored. See "
                "the 'upload_not_verified' log line and who invoked the function (ADR-0017)"
            ),
        }


class RegistrationAlarms(Construct):
    """One alarm per metric of ``settings.alarmed_metrics()`` in ``namespace``, publishing to
    ``alarm_actions``; ``alarms`` maps the metric name to its alarm."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        namespace: str,
        settings: RegistrationAlarmSettings,
        alarm_actions: Sequence[cloudwatch.IAlarmAction],
    ) -> None:
        super().__init__(scope, construct_id)
        if not alarm_actions:
            raise ValueError("registration alarms need at least one alarm action")
        period = Duration.seconds(settings.period_seconds)
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for metric_name, description in settings.alarmed_metrics().items():
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
                threshold=settings.threshold,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(*alarm_actions)
            self.alarms[metric_name] = alarm
