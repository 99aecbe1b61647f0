"""S3 ObjectCreated events for model artifacts, delivered to the registration function.

Uses the bucket's own ``NotificationConfiguration`` and a ``lambda.CfnPermission`` instead of
CDK's ``Custom::S3BucketNotifications`` handler (ADR-0029): no extra Lambda, no role with a
``*`` resource, nothing the local emulator cannot create.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Aws, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

OBJECT_CREATED_EVENT = "s3:ObjectCreated:*"


class ModelUploadNotification(Construct):
    """Invoke ``function_arn`` for every object created under ``prefix`` ending in ``suffix``."""

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
        bucket_arn = Stack.of(self).format_arn(
            service="s3",
            region="",
            account="",
            resource=bucket_name,
            arn_format=ArnFormat.NO_RESOURCE_NAME,
        )
        self.permission = lambda_.CfnPermission(
            self,
            "AllowModelBucketInvoke",
            action="lambda:InvokeFunction",
            function_name=function_arn,
            principal="s3.amazonaws.com",
            source_arn=bucket_arn,
            source_account=Aws.ACCOUNT_ID,
        )

        cfn_bucket: s3.CfnBucket = bucket.node.default_child
        cfn_bucket.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
            lambda_configurations=[
                s3.CfnBucket.LambdaConfigurationProperty(
                    event=OBJECT_CREATED_EVENT,
                    function=function_arn,
                    filter=s3.CfnBucket.NotificationFilterProperty(
                        s3_key=s3.CfnBucket.S3KeyFilterProperty(
                            rules=[
                                s3.CfnBucket.FilterRuleProperty(name="prefix", value=prefix),
                                s3.CfnBucket.FilterRuleProperty(name="suffix", value=suffix),
                            ]
                        )
                    ),
                )
            ]
        )
        cfn_bucket.add_resource_dependency(self.permission)
