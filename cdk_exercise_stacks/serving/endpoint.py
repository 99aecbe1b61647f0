"""The SageMaker model, endpoint configuration and endpoint, with a least-privilege role.

The model and the endpoint configuration carry no fixed name: every one of their properties is
create-only, so each new model replaces them, and a custom name would make that replacement
fail (ADR-0025). Only the endpoint keeps a stable name: clients call it.

The model runs network-isolated: the container has no network access, so model code shipped in
an archive cannot reach the internet or AWS (ADR-0049). The execution role's grants are one
customer-managed policy (no inline policy, ADR-0049); its log permissions name the endpoint's
log group, which the stack creates before the endpoint (ADR-0038).

The endpoint configuration's storage volume is encrypted with the endpoint key, except on
instance types with local NVMe storage, where SageMaker rejects a volume key and encrypts the
storage with a hardware module (ADR-0048).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import ArnFormat, Aws, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from cdk_exercise_stacks.common import (
    SAGEMAKER_PRINCIPAL,
    log_group_arn,
    put_metric_data_statement,
    role_with_managed_policy,
)
from cdk_exercise_stacks.compliance import acknowledge_in_packs, wildcard_resource_finding
from cdk_exercise_stacks.serving.image import ECR_PULL_ACTIONS, ModelImage
from policies.exceptions import acknowledge

ENDPOINT_LOG_ACTIONS = (
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:DescribeLogStreams",
    "logs:PutLogEvents",
)


# What SageMaker needs to write a capture file encrypted with the capture key (SSE-KMS):
# https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-endpoint.html
CAPTURE_KEY_ACTIONS = ("kms:Encrypt", "kms:GenerateDataKey")


@dataclass(frozen=True)
class DataCapture:
    """Where and how the endpoint captures requests and responses (ADR-0070).

    :param bucket_name: the capture bucket (``DestinationS3Uri`` is ``s3://<bucket>/<prefix>``).
    :param key: encrypts the capture files (``KmsKeyId``).
    :param json_content_types: stored as JSON text; any other type is base64-encoded.
    """

    bucket_name: str
    prefix: str
    key: kms.IKey
    sampling_percentage: int
    json_content_types: Sequence[str]

    def __post_init__(self) -> None:
        if not 0 <= self.sampling_percentage <= 100:
            raise ValueError(
                f"data capture sampling percentage must be 0-100, got {self.sampling_percentage}"
            )
        if not self.prefix.strip("/"):
            raise ValueError("data capture needs a key prefix of its own in the bucket")

    @property
    def destination_s3_uri(self) -> str:
        return f"s3://{self.bucket_name}/{self.prefix.strip('/')}"


def has_instance_storage(instance_type: str, storage_families: Collection[str]) -> bool:
    """Whether ``instance_type`` (``ml.<family>.<size>``) is of one of ``storage_families``, the
    families with local NVMe instance storage."""
    family = instance_type.rsplit(".", 1)[0]
    return family in storage_families


class ServingEndpoint(Construct):
    """``model`` -> ``endpoint_config`` (one variant) -> ``endpoint``, run by ``execution_role``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint_name: str,
        variant_name: str,
        instance_type: str,
        initial_instance_count: int,
        instance_storage_families: Collection[str],
        image: ModelImage,
        model_data_url: str,
        model_bucket_name: str,
        model_key_prefix: str,
        environment: Mapping[str, str],
        metrics_namespace: str,
        log_group: logs.ILogGroup,
        volume_key: kms.IKey,
        data_capture: DataCapture | None = None,
    ) -> None:
        """
        :param instance_storage_families: the instance families with local NVMe storage, where
            SageMaker refuses a volume key.
        :param environment: the serving container's environment.
        :param metrics_namespace: where the container may put metrics (the endpoint namespace).
        :param log_group: the endpoint's log group (``/aws/sagemaker/Endpoints/<name>``); the
            role may write to it only, and the endpoint is created after it.
        :param volume_key: encrypts the storage volume, where ``instance_type`` allows one.
        :param data_capture: captures requests and responses; the role may write only the
            endpoint's own capture prefix.
        """
        super().__init__(scope, construct_id)
        self.data_capture = data_capture
        self._endpoint_name = endpoint_name
        self.execution_role, self.execution_policy = self._execution_role(
            image=image,
            model_bucket_name=model_bucket_name,
            model_key_prefix=model_key_prefix,
            metrics_namespace=metrics_namespace,
            log_group=log_group,
        )

        self.model = sagemaker.CfnModel(
            self,
            "Model",
            execution_role_arn=self.execution_role.role_arn,
            primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
                image=image.image_uri,
                model_data_url=model_data_url,
                environment=dict(environment),
                mode="SingleModel",
            ),
            # The archive's weights and code are all the container needs (ADR-0049).
            enable_network_isolation=True,
        )
        # CreateModel checks the role's access: its policy must exist first, not just the role
        # (the role itself is already a dependency through ExecutionRoleArn).
        self.model.node.add_dependency(self.execution_policy)

        self.volume_encrypted = not has_instance_storage(instance_type, instance_storage_families)
        self.endpoint_config = sagemaker.CfnEndpointConfig(
            self,
            "EndpointConfig",
            kms_key_id=volume_key.key_arn if self.volume_encrypted else None,
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name=variant_name,
                    model_name=self.model.attr_model_name,
                    instance_type=instance_type,
                    initial_instance_count=initial_instance_count,
                    initial_variant_weight=1.0,
                )
            ],
            data_capture_config=self._data_capture_config(),
        )

        self.endpoint = sagemaker.CfnEndpoint(
            self,
            "Endpoint",
            endpoint_name=endpoint_name,
            endpoint_config_name=self.endpoint_config.attr_endpoint_config_name,
        )
        # SageMaker would create the log group itself, without retention or key, if the
        # endpoint's instances started first.
        self.endpoint.node.add_dependency(log_group)
        self._acknowledge_findings(instance_type)

    def _data_capture_config(self) -> sagemaker.CfnEndpointConfig.DataCaptureConfigProperty | None:
        capture = self.data_capture
        if capture is None:
            return None
        return sagemaker.CfnEndpointConfig.DataCaptureConfigProperty(
            enable_capture=True,
            initial_sampling_percentage=capture.sampling_percentage,
            destination_s3_uri=capture.destination_s3_uri,
            kms_key_id=capture.key.key_arn,
            capture_options=[
                sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode=mode)
                for mode in ("Input", "Output")
            ],
            capture_content_type_header=sagemaker.CfnEndpointConfig.CaptureContentTypeHeaderProperty(
                json_content_types=list(capture.json_content_types)
            ),
        )

    def _capture_statements(self) -> list[iam.PolicyStatement]:
        """Write the endpoint's own capture prefix, encrypting with the capture key through S3."""
        capture = self.data_capture
        if capture is None:
            return []
        self.capture_objects_arn = Stack.of(self).format_arn(
            service="s3",
            region="",
            account="",
            resource=capture.bucket_name,
            resource_name=f"{capture.prefix.strip('/')}/{self._endpoint_name}/*",
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        return [
            iam.PolicyStatement(
                sid="WriteOwnDataCapture",
                actions=["s3:PutObject"],
                resources=[self.capture_objects_arn],
            ),
            iam.PolicyStatement(
                sid="EncryptDataCapture",
                actions=list(CAPTURE_KEY_ACTIONS),
                resources=[capture.key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"s3.{Aws.REGION}.amazonaws.com"}},
            ),
        ]

    def _execution_role(
        self,
        *,
        image: ModelImage,
        model_bucket_name: str,
        model_key_prefix: str,
        metrics_namespace: str,
        log_group: logs.ILogGroup,
    ) -> tuple[iam.Role, iam.ManagedPolicy]:
        stack = Stack.of(self)
        model_objects_arn = stack.format_arn(
            service="s3",
            region="",
            account="",
            resource=model_bucket_name,
            resource_name=f"{model_key_prefix}*",
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        # The stack's log group by reference: the policy cannot name another group, and it
        # exists before the role can write to it.
        own_log_group_arn = log_group_arn(self, log_group.log_group_name)
        statements = [
            # The bucket's name is derived, not owned: the read is refused should a bucket of
            # that name belong to another account (ADR-0057).
            iam.PolicyStatement(
                sid="ReadModelArtifacts",
                actions=["s3:GetObject"],
                resources=[model_objects_arn],
                conditions={"StringEquals": {"aws:ResourceAccount": Aws.ACCOUNT_ID}},
            ),
            iam.PolicyStatement(
                sid="PullServingImage",
                actions=list(ECR_PULL_ACTIONS),
                resources=[image.repository_arn],
            ),
            iam.PolicyStatement(
                sid="AuthenticateToRegistry",
                actions=["ecr:GetAuthorizationToken"],
                # GetAuthorizationToken has no resource-level permission.
                resources=["*"],
            ),
            iam.PolicyStatement(
                sid="WriteEndpointLogs",
                actions=list(ENDPOINT_LOG_ACTIONS),
                resources=[own_log_group_arn, f"{own_log_group_arn}:log-stream:*"],
            ),
            put_metric_data_statement(metrics_namespace, sid="PutEndpointMetrics"),
            *self._capture_statements(),
        ]
        role, policy = role_with_managed_policy(
            self,
            service=SAGEMAKER_PRINCIPAL,
            role_description=(
                "Runs the sentiment model: reads models, pulls its image, writes its logs"
            ),
            policy_description=(
                "Sentiment endpoint: model archives, serving image, own logs and metrics"
            ),
            statements=statements,
            role_id="ExecutionRole",
            policy_id="ExecutionPolicy",
        )
        self._wildcard_findings = [
            "Resource::*",
            wildcard_resource_finding(self, model_objects_arn),
            wildcard_resource_finding(self, f"{own_log_group_arn}:log-stream:*"),
        ]
        if self.data_capture is not None:
            self._wildcard_findings.append(
                wildcard_resource_finding(self, self.capture_objects_arn)
            )
        return role, policy

    def _acknowledge_findings(self, instance_type: str) -> None:
        """Findings the platform imposes, each with its ADR (ADR-0048)."""
        acknowledge(
            self.execution_policy,
            "AwsSolutions-IAM5",
            adr="0038",
            reason=_EXECUTION_ROLE_WILDCARDS,
            applies_to=self._wildcard_findings,
        )
        # Only where the platform forbids a volume key; every other instance type gets the key.
        if not self.volume_encrypted:
            acknowledge_in_packs(
                self.endpoint_config,
                "SageMakerEndpointConfigurationKMSKeyConfigured",
                adr="0048",
                reason=_INSTANCE_STORAGE.format(instance_type=instance_type),
                apply_to_children=False,
            )


_EXECUTION_ROLE_WILDCARDS = (
    "ecr:GetAuthorizationToken and cloudwatch:PutMetricData have no resource-level permission "
    "(the latter conditioned on the endpoint namespace); models/* is the model key prefix and "
    "log-stream:* the streams of the endpoint's own log group; data-capture/<endpoint>/* the "
    "endpoint's own capture files (ADR-0070)"
)
_INSTANCE_STORAGE = (
    "{instance_type} has local NVMe instance storage, which SageMaker encrypts with a hardware "
    "module and on which it rejects a volume KmsKeyId"
)
