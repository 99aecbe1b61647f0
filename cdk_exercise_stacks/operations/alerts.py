"""Where the pipeline's alarms go: one encrypted SNS topic, and the key that encrypts it.

Every alarm of the app (failed registrations, rollback and rollout alarms) publishes to this
topic; an operator subscribes once (e-mail, chat, pager) without changing a stack (ADR-0049).
The topic is encrypted with a customer-managed key because CloudWatch cannot publish to a topic
encrypted with the AWS-managed SNS key; the same key encrypts the registration function's log
group, which needs nothing more than the logs service's use of the key.

The topic has a fixed, derived name: the SageMaker stack builds its ARN from the same name
instead of importing an output of the Lambda stack (ADR-0036).

With ``alert_email`` the stack subscribes that address (AWS mails a confirmation link first;
until it is followed, nothing is delivered). The topic policy refuses every SNS action over
plain HTTP, not only Publish (ADR-0058).
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import ArnFormat, Aws, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from cdk_exercise_stacks.common import CLOUDWATCH_PRINCIPAL, alarm_arn, log_group_arn
from cdk_exercise_stacks.operations.keys import (
    LOGS_KEY_ACTIONS,
    logs_service_principal,
    pipeline_key,
)
from policies.exceptions import acknowledge

# What CloudWatch needs to publish an alarm to a KMS-encrypted topic (SNS Developer Guide,
# "Enable compatibility between event sources from AWS services and encrypted topics").
ALARM_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey*")
TLS_ONLY_SID = "DenyEveryActionWithoutTls"


def _alarms_of_this_account(stack: Stack) -> dict:
    """Confused-deputy conditions: only alarms of this account and region may use the grant."""
    return {
        "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
        "ArnLike": {"aws:SourceArn": alarm_arn(stack, "*")},
    }


def operations_topic_arn(scope: Construct, topic_name: str) -> str:
    """ARN of the operations topic in the account and region of ``scope``'s stack."""
    return Stack.of(scope).format_arn(
        service="sns", resource=topic_name, arn_format=ArnFormat.NO_RESOURCE_NAME
    )


def operations_alarm_actions(
    scope: Construct, construct_id: str, *, topic_name: str
) -> list[cloudwatch.IAlarmAction]:
    """Alarm actions publishing to the operations topic, for a stack that does not own it."""
    topic = sns.Topic.from_topic_arn(scope, construct_id, operations_topic_arn(scope, topic_name))
    return [cloudwatch_actions.SnsAction(topic)]


class OperationsAlerts(Construct):
    """``topic`` (KMS-encrypted, TLS-only) and ``key`` (rotated, retained, named ``key_name``)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        topic_name: str,
        key_name: str,
        key_pending_window_days: int,
        alert_email: str | None = None,
    ) -> None:
        """
        :param alert_email: an address subscribed to the topic; None: no subscription (an
            operator subscribes by hand, or every alarm reaches no one).
        """
        super().__init__(scope, construct_id)
        stack = Stack.of(self)

        # Retained: log data encrypted with it outlives the stack (the log group is retained).
        self.key: kms.Key = pipeline_key(
            self,
            "Key",
            name=key_name,
            description="Encrypts the model pipeline's operations topic and registration logs",
            pending_window_days=key_pending_window_days,
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="EncryptLogGroupsOfThisAccount",
                principals=[logs_service_principal()],
                actions=list(LOGS_KEY_ACTIONS),
                resources=["*"],
                conditions={
                    "ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_group_arn(stack, "*")}
                },
            )
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="PublishAlarmsToTheEncryptedTopic",
                principals=[iam.ServicePrincipal(CLOUDWATCH_PRINCIPAL)],
                actions=list(ALARM_KEY_ACTIONS),
                resources=["*"],
                conditions=_alarms_of_this_account(stack),
            )
        )

        self.topic = sns.Topic(
            self,
            "Topic",
            topic_name=topic_name,
            display_name="Model pipeline alerts",
            master_key=self.key,
            enforce_ssl=True,
        )
        # The topic policy CDK writes for enforce_ssl replaces SNS's default policy, so the
        # CloudWatch service principal is allowed explicitly.
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal(CLOUDWATCH_PRINCIPAL)],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions=_alarms_of_this_account(stack),
            )
        )
        # enforce_ssl denies only sns:Publish; Subscribe, SetTopicAttributes and the rest over
        # plain HTTP are refused here. A topic policy accepts "sns:*" (SNS Developer Guide,
        # policy variables example).
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid=TLS_ONLY_SID,
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["sns:*"],
                resources=[self.topic.topic_arn],
                conditions={"Bool": {"aws:SecureTransport": "false"}},
            )
        )
        self.email_subscription: sns.Subscription | None = None
        if alert_email is not None:
            self.email_subscription = sns.Subscription(
                self,
                "AlertEmail",
                topic=self.topic,
                protocol=sns.SubscriptionProtocol.EMAIL,
                endpoint=alert_email,
            )
            acknowledge(
                self.email_subscription,
                "Serverless-SNSRedrivePolicy",
                adr="0058",
                reason=_NO_SUBSCRIPTION_DLQ,
            )
        self.alarm_actions: Sequence[cloudwatch.IAlarmAction] = (
            cloudwatch_actions.SnsAction(self.topic),
        )


_NO_SUBSCRIPTION_DLQ = (
    "an undeliverable alert mail would land in a dead-letter queue whose only alarm publishes "
    "to this same topic and mailbox; the alarms themselves stay in ALARM in CloudWatch"
)
