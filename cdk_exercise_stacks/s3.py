"""S3Stack: the model bucket and the upload event that registers a new model."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws
from constructs import Construct

from cdk_exercise_stacks.common import lambda_function_arn
from cdk_exercise_stacks.lambda_functions import LambdaStack
from cdk_exercise_stacks.optional_context import principal_arns_from_context
from cdk_exercise_stacks.pipeline_stack import PipelineStack
from cdk_exercise_stacks.registration.artifact_notification import ModelArtifactNotification
from cdk_exercise_stacks.storage.model_bucket import ModelBucket
from config import constants


class S3Stack(PipelineStack):
    """Deploys after ``lambda_stack``, whose function the upload notification invokes."""

    def __init__(
        self, scope: Construct, construct_id: str, *, lambda_stack: LambdaStack, **kwargs: Any
    ) -> None:
        kwargs.setdefault("description", "Model bucket: versioned, private, TLS-only, retained")
        super().__init__(scope, construct_id, **kwargs)

        self.bucket_name = self.naming.model_bucket_name(Aws.ACCOUNT_ID, Aws.REGION)
        self.access_log_bucket_name = self.naming.access_log_bucket_name(Aws.ACCOUNT_ID, Aws.REGION)
        model_bucket = ModelBucket(
            self,
            "ModelBucket",
            bucket_name=self.bucket_name,
            access_log_bucket_name=self.access_log_bucket_name,
            access_logs_prefix=constants.ACCESS_LOGS_PREFIX,
            access_log_retention_days=constants.ACCESS_LOG_RETENTION_DAYS,
            replaced_model_retention_days=constants.NONCURRENT_MODEL_VERSION_RETENTION_DAYS,
            incomplete_upload_abort_days=constants.INCOMPLETE_UPLOAD_ABORT_DAYS,
            model_key_prefix=constants.MODEL_KEY_PREFIX,
            # Absent: any principal of the account that IAM allows may publish (ADR-0056).
            model_uploaders=principal_arns_from_context(
                self, constants.MODEL_UPLOADERS_CONTEXT_KEY
            ),
        )
        self.bucket = model_bucket.bucket
        self.access_log_bucket = model_bucket.access_log_bucket

        # The function's ARN from its derived name, not an export of the Lambda stack (ADR-0036);
        # the explicit dependency keeps the deploy order.
        function_arn = lambda_function_arn(self, lambda_stack.lambda_function_name)
        self.add_stack_dependency(lambda_stack, "the upload notification invokes its function")
        # The construct ID is the one it had as ModelUploadNotification: a new ID would give
        # the deployed permission a new logical ID, and CloudFormation would replace it.
        self.notification = ModelArtifactNotification(
            self,
            "ModelUploadNotification",
            bucket=self.bucket,
            bucket_name=self.bucket_name,
            function_arn=function_arn,
            prefix=constants.MODEL_KEY_PREFIX,
            suffix=constants.MODEL_ARTIFACT_SUFFIX,
        )
