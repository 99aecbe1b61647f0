"""S3 events for model artifacts, delivered to the registration function.

Uses the bucket's own ``NotificationConfiguration`` and a ``lambda.CfnPermission`` instead of
CDK's ``Custom::S3BucketNotifications`` handler (ADR-0029): no extra Lambda, no role with a
``*`` resource, nothing the local emulator cannot create.

Three event families, each with the same key filter: uploads register a model; removals, by a
person (``ObjectRemoved``) or by the bucket's lifecycle rules (``LifecycleExpiration``), never
change the parameter, but the handler alerts when they hit the registered model (ADR-0014).
S3 reports a deletion by a lifecycle rule as a ``LifecycleExpiration`` event, a family of its
own (S3 User Guide, "Configuring S3 Lifecycle event notifications"). S3 refuses two
configurations only when they share an event type and their filters overlap (S3 User Guide,
"Configuring event notifications using object key name filtering"): these three share none.
"""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk_exercise_stacks.common import s3_bucket_arn

OBJECT_CREATED_EVENT = "s3:ObjectCreated:*"
OBJECT_REMOVED_EVENT = "s3:ObjectRemoved:*"
LIFECYCLE_EXPIRATION_EVENT = "s3:LifecycleExpiration:*"
# One Lambda configuration per event family, in this order.
MODEL_EVENTS = (OBJECT_CREATED_EVENT, OBJECT_REMOVED_EVENT, LIFECYCLE_EXPIRATION_EVENT)


class ModelArtifactNotification(Construct):
    """Invoke ``function_arn`` for every object created, removed or expired under ``prefix``
    whose key ends in ``suffix``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: s3.Bucket,
        bucket_name: str,
        function_arn: str,
        prefix: str,
        suffix: str,
    ) -> None:
        super().__init__(scope, construct_id)
        # Built from the bucket's derived name, not from the bucket resource: the bucket must
        # depend on this permission (S3 tests the destination when the configuration is set),
        # so the permission cannot reference the bucket.
        bucket_arn = s3_bucket_arn(self, bucket_name)
        self.permission = lambda_.CfnPermission(
            self,
            "AllowModelBucketInvoke",
            action="lambda:InvokeFunction",
            function_name=function_arn,
            principal="s3.amazonaws.com",
            source_arn=bucket_arn,
            source_account=Aws.ACCOUNT_ID,
        )

        key_filter = s3.CfnBucket.NotificationFilterProperty(
            s3_key=s3.CfnBucket.S3KeyFilterProperty(
                rules=[
                    s3.CfnBucket.FilterRuleProperty(name="prefix", value=prefix),
                    s3.CfnBucket.FilterRuleProperty(name="suffix", value=suffix),
                ]
            )
        )
        cfn_bucket: s3.CfnBucket = bucket.node.default_child
        cfn_bucket.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
            lambda_configurations=[
                s3.CfnBucket.LambdaConfigurationProperty(
                    event=event, function=function_arn, filter=key_filter
                )
                for event in MODEL_EVENTS
            ]
        )
        cfn_bucket.add_resource_dependency(self.permission)
