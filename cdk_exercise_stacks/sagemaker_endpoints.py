"""SentimentEndpointStack: the endpoint serving the model registered in SSM, autoscaled on CPU."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import Aws, Tags
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from cdk_exercise_stacks.common import FunctionSettings
from cdk_exercise_stacks.monitoring.capture_bucket import CaptureBucket, CaptureRetention
from cdk_exercise_stacks.monitoring.dashboard import DashboardSources, PipelineDashboard
from cdk_exercise_stacks.monitoring.model_monitor import (
    ModelMonitor,
    MonitorSettings,
    MonitorThresholds,
)
from cdk_exercise_stacks.monitoring.serving_alarms import ServingAlarms, ServingAlarmSettings
from cdk_exercise_stacks.operations.alerts import operations_alarm_actions
from cdk_exercise_stacks.operations.keys import KEY_RESOURCE_TYPE, pipeline_key
from cdk_exercise_stacks.pipeline_stack import PipelineStack
from cdk_exercise_stacks.rollout.model_rollout import (
    ModelRollout,
    RolloutEnvironmentNames,
    RolloutSettings,
)
from cdk_exercise_stacks.serving.autoscaling import CpuAutoscaling, CpuScalingSettings
from cdk_exercise_stacks.serving.deployment import BlueGreenSettings, EndpointDeployment
from cdk_exercise_stacks.serving.endpoint import DataCapture, ServingEndpoint
from cdk_exercise_stacks.serving.endpoint_log_group import EndpointLogGroup
from cdk_exercise_stacks.serving.image import DlcRegistry, ModelImage
from cdk_exercise_stacks.serving.tagging import tags_from_argument
from config import constants

REPO_ROOT = Path(__file__).resolve().parent.parent
# Every function of this stack is cut out of the one runtime directory by its excludes.
RUNTIME_ASSET_PATH = REPO_ROOT / constants.RUNTIME_DIR
ROLLOUT_ASSET_PATH = RUNTIME_ASSET_PATH

# The serving and rollout settings from config/constants.py, the one place constructs get them
# from.
DLC_REGISTRY = DlcRegistry(
    default_account=constants.DLC_DEFAULT_REGISTRY_ACCOUNT,
    accounts=constants.DLC_REGISTRY_ACCOUNTS,
    partitions=constants.DLC_REGISTRY_PARTITIONS,
)
CPU_SCALING_SETTINGS = CpuScalingSettings(
    min_capacity=constants.AUTOSCALING_MIN_CAPACITY,
    max_capacity=constants.AUTOSCALING_MAX_CAPACITY,
    target_cpu_percent=constants.TARGET_VALUE,
    scale_in_cooldown_seconds=constants.SCALEINCOOLDOWN,
    scale_out_cooldown_seconds=constants.SCALEOUTCOOLDOWN,
    metrics_namespace=constants.SAGEMAKER_ENDPOINT_NAMESPACE,
    metric_name=constants.AUTOSCALING_METRIC_NAME,
    instance_vcpus=constants.SAGEMAKER_INSTANCE_VCPUS,
)
BLUE_GREEN_SETTINGS = BlueGreenSettings(
    bake_seconds=constants.DEPLOYMENT_BAKE_SECONDS,
    all_at_once_wait_seconds=constants.DEPLOYMENT_ALL_AT_ONCE_WAIT_SECONDS,
    canary_wait_seconds=constants.DEPLOYMENT_CANARY_WAIT_SECONDS,
    max_execution_seconds=constants.DEPLOYMENT_MAX_EXECUTION_SECONDS,
    canary_min_instances=constants.DEPLOYMENT_CANARY_MIN_INSTANCES,
    canary_size_instances=constants.DEPLOYMENT_CANARY_SIZE_INSTANCES,
    alarm_period_seconds=constants.DEPLOYMENT_ALARM_PERIOD_SECONDS,
    alarm_evaluation_periods=constants.DEPLOYMENT_ALARM_EVALUATION_PERIODS,
    alarm_datapoints_to_alarm=constants.DEPLOYMENT_ALARM_DATAPOINTS_TO_ALARM,
    errors_threshold=constants.ALARM_5XX_THRESHOLD,
    latency_p99_threshold_microseconds=constants.ALARM_MODEL_LATENCY_P99_MICROSECONDS,
    invocation_metrics_namespace=constants.SAGEMAKER_INVOCATION_METRICS_NAMESPACE,
)
ROLLOUT_SETTINGS = RolloutSettings(
    function=FunctionSettings(
        runtime=constants.LAMBDA_RUNTIME,
        handler=constants.ROLLOUT_HANDLER,
        timeout_seconds=constants.ROLLOUT_TIMEOUT_SECONDS,
        memory_mb=constants.ROLLOUT_MEMORY_MB,
        reserved_concurrency=constants.ROLLOUT_RESERVED_CONCURRENCY,
        log_retention_days=constants.LAMBDA_LOG_RETENTION_DAYS,
        asset_excludes=constants.ROLLOUT_ASSET_EXCLUDES,
    ),
    batch_size=constants.ROLLOUT_BATCH_SIZE,
    batch_window_seconds=constants.ROLLOUT_BATCH_WINDOW_SECONDS,
    queue_visibility_timeout_seconds=constants.ROLLOUT_QUEUE_VISIBILITY_TIMEOUT_SECONDS,
    queue_retention_days=constants.ROLLOUT_QUEUE_RETENTION_DAYS,
    max_receive_count=constants.ROLLOUT_MAX_RECEIVE_COUNT,
    dead_letter_retention_days=constants.ROLLOUT_DLQ_RETENTION_DAYS,
    alarm_period_seconds=constants.ROLLOUT_ALARM_PERIOD_SECONDS,
    alarm_threshold=constants.ROLLOUT_ALARM_THRESHOLD,
    alarm_evaluation_periods=constants.ROLLOUT_ALARM_EVALUATION_PERIODS,
    metrics_namespace=constants.ROLLOUT_METRICS_NAMESPACE,
    metrics_stack_dimension=constants.ROLLOUT_METRICS_STACK_DIMENSION,
    bootstrap_version_parameter_name=constants.CDK_BOOTSTRAP_VERSION_PARAMETER,
    environment_names=RolloutEnvironmentNames(
        stack_name=constants.ROLLOUT_STACK_NAME_ENV_VAR,
        cfn_role_arn=constants.ROLLOUT_CFN_ROLE_ARN_ENV_VAR,
        parameter_name=constants.ROLLOUT_PARAMETER_ENV_VAR,
        metrics_namespace=constants.METRICS_NAMESPACE_ENV_VAR,
    ),
)
CAPTURE_RETENTION = CaptureRetention(
    capture_prefix=constants.DATA_CAPTURE_PREFIX,
    capture_days=constants.DATA_CAPTURE_RETENTION_DAYS,
    ground_truth_prefix=constants.GROUND_TRUTH_PREFIX,
    ground_truth_days=constants.GROUND_TRUTH_RETENTION_DAYS,
    summary_prefix=constants.MONITOR_SUMMARY_PREFIX,
    summary_days=constants.MONITOR_SUMMARY_RETENTION_DAYS,
    noncurrent_version_days=constants.CAPTURE_NONCURRENT_VERSION_RETENTION_DAYS,
    access_log_days=constants.CAPTURE_ACCESS_LOG_RETENTION_DAYS,
    incomplete_upload_abort_days=constants.INCOMPLETE_UPLOAD_ABORT_DAYS,
)
SERVING_ALARM_SETTINGS = ServingAlarmSettings(
    invocation_namespace=constants.SAGEMAKER_INVOCATION_METRICS_NAMESPACE,
    instance_namespace=constants.SAGEMAKER_ENDPOINT_NAMESPACE,
    period_seconds=constants.SERVING_ALARM_PERIOD_SECONDS,
    evaluation_periods=constants.SERVING_ALARM_EVALUATION_PERIODS,
    datapoints_to_alarm=constants.SERVING_ALARM_DATAPOINTS_TO_ALARM,
    errors_5xx_threshold=constants.SERVING_ALARM_5XX_THRESHOLD,
    errors_4xx_threshold=constants.SERVING_ALARM_4XX_THRESHOLD,
    latency_p99_microseconds=constants.SERVING_ALARM_LATENCY_P99_MICROSECONDS,
    cpu_percent=constants.SERVING_ALARM_CPU_PERCENT,
    gpu_percent=constants.SERVING_ALARM_GPU_PERCENT,
    memory_percent=constants.SERVING_ALARM_MEMORY_PERCENT,
    disk_percent=constants.SERVING_ALARM_DISK_PERCENT,
    no_invocations_seconds=constants.SERVING_NO_INVOCATIONS_SECONDS,
)
MONITOR_SETTINGS = MonitorSettings(
    function=FunctionSettings(
        runtime=constants.LAMBDA_RUNTIME,
        handler=constants.MONITOR_HANDLER,
        timeout_seconds=constants.MONITOR_TIMEOUT_SECONDS,
        memory_mb=constants.MONITOR_MEMORY_MB,
        reserved_concurrency=constants.MONITOR_RESERVED_CONCURRENCY,
        log_retention_days=constants.LAMBDA_LOG_RETENTION_DAYS,
        asset_excludes=constants.MONITOR_ASSET_EXCLUDES,
    ),
    schedule_minute=constants.MONITOR_SCHEDULE_MINUTE,
    metrics_namespace=constants.MONITOR_METRICS_NAMESPACE,
    endpoint_dimension=constants.MONITOR_ENDPOINT_DIMENSION,
    alarm_period_seconds=constants.MONITOR_ALARM_PERIOD_SECONDS,
    event_source=constants.MONITOR_EVENT_SOURCE,
    retraining_detail_type=constants.RETRAINING_DETAIL_TYPE,
    thresholds=MonitorThresholds(
        low_confidence_threshold=constants.MONITOR_LOW_CONFIDENCE_THRESHOLD,
        min_predictions_for_drift=constants.MONITOR_MIN_PREDICTIONS_FOR_DRIFT,
        max_ground_truth_labels=constants.MONITOR_MAX_GROUND_TRUTH_LABELS,
        max_label_psi=constants.MONITOR_MAX_LABEL_PSI,
        max_confidence_psi=constants.MONITOR_MAX_CONFIDENCE_PSI,
        max_input_length_psi=constants.MONITOR_MAX_INPUT_LENGTH_PSI,
        min_accuracy=constants.MONITOR_MIN_ACCURACY,
        min_labelled_predictions=constants.MONITOR_MIN_LABELLED_PREDICTIONS,
        max_low_confidence_share=constants.MONITOR_MAX_LOW_CONFIDENCE_SHARE,
    ),
    delivery_failure_retention_days=constants.MONITOR_DELIVERY_FAILURE_RETENTION_DAYS,
    environment_names=constants.MONITOR_ENVIRONMENT_NAMES,
)


class SentimentEndpointStack(PipelineStack):
    """Deploys after the first model is registered (ADR-0032).

    ``ssm_parameter_model_s3`` names the parameter holding the model's object key; the bucket is
    not passed: its name is derived from the same function the S3 stack uses (ADR-0036).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        ssm_parameter_model_s3: str,
        mode_image: str,
        model_instance: str,
        tags: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("description", "Sentiment model endpoint, autoscaled on CPU")
        self.tags_applied = tags_from_argument(tags)  # validate before building anything
        super().__init__(scope, construct_id, **kwargs)
        naming = self.naming

        self.model_parameter_name = naming.parameter_name(ssm_parameter_model_s3)
        self.model_bucket_name = naming.model_bucket_name(Aws.ACCOUNT_ID, Aws.REGION)
        self.endpoint_name = naming.endpoint_name
        self.variant_name = constants.SAGEMAKER_VARIANT_NAME
        self.instance_type = model_instance

        # A template parameter of type AWS::SSM::Parameter::Value<String>: CloudFormation reads
        # the latest registered key on every create and update (a {{resolve:ssm}} reference
        # would not be re-read on an unchanged template).
        model_key = ssm.StringParameter.value_for_string_parameter(self, self.model_parameter_name)
        self.model_data_url = f"s3://{self.model_bucket_name}/{model_key}"

        self.image = ModelImage(
            self,
            "ModelImage",
            mode_image=mode_image,
            instance_type=model_instance,
            dlc_registry=DLC_REGISTRY,
        )
        # One key for the endpoint's logs and, where the instance type allows, its storage
        # volume (ADR-0038, ADR-0048).
        self.encryption_key = pipeline_key(
            self,
            "EndpointKey",
            name=naming.endpoint_key_name,
            description="Encrypts the sentiment endpoint's logs and storage volume",
            pending_window_days=constants.ENDPOINT_KEY_PENDING_WINDOW_DAYS,
        )
        self.log_group = EndpointLogGroup(
            self,
            "EndpointLogs",
            endpoint_name=self.endpoint_name,
            name_prefix=constants.SAGEMAKER_ENDPOINT_LOG_GROUP_PREFIX,
            retention_days=constants.SAGEMAKER_ENDPOINT_LOG_RETENTION_DAYS,
            encryption_key=self.encryption_key,
        ).log_group
        # Captured requests and responses go to a bucket of their own (ADR-0070), named by
        # derivation so that the endpoint can name it before the bucket's construct exists.
        capture_bucket_name = naming.capture_bucket_name(Aws.ACCOUNT_ID, Aws.REGION)
        serving = ServingEndpoint(
            self,
            "Serving",
            endpoint_name=self.endpoint_name,
            variant_name=self.variant_name,
            instance_type=model_instance,
            initial_instance_count=constants.SAGEMAKER_INITIAL_INSTANCE_COUNT,
            instance_storage_families=constants.SAGEMAKER_INSTANCE_STORAGE_FAMILIES,
            image=self.image,
            model_data_url=self.model_data_url,
            model_bucket_name=self.model_bucket_name,
            model_key_prefix=constants.MODEL_KEY_PREFIX,
            environment=constants.SAGEMAKER_MODEL_ENVIRONMENT,
            metrics_namespace=constants.SAGEMAKER_ENDPOINT_NAMESPACE,
            log_group=self.log_group,
            volume_key=self.encryption_key,
            data_capture=DataCapture(
                bucket_name=capture_bucket_name,
                prefix=constants.DATA_CAPTURE_PREFIX,
                key=self.encryption_key,
                sampling_percentage=constants.DATA_CAPTURE_SAMPLING_PERCENTAGE,
                json_content_types=constants.DATA_CAPTURE_JSON_CONTENT_TYPES,
            ),
        )
        self.execution_role = serving.execution_role
        self.model = serving.model
        self.endpoint_config = serving.endpoint_config
        self.endpoint = serving.endpoint

        # After the serving resources in the template: the local emulator (moto) lists a stack's
        # resources in template order and stops at the first one it cannot create (ADR-0066).
        self.capture = CaptureBucket(
            self,
            "Capture",
            bucket_name=capture_bucket_name,
            access_log_bucket_name=naming.capture_access_log_bucket_name(
                Aws.ACCOUNT_ID, Aws.REGION
            ),
            encryption_key=self.encryption_key,
            retention=CAPTURE_RETENTION,
        )
        # SageMaker writes captures as soon as the endpoint serves: the bucket comes first.
        self.endpoint_config.node.add_dependency(self.capture.bucket)

        autoscaling = CpuAutoscaling(
            self,
            "Autoscaling",
            endpoint=self.endpoint,
            endpoint_name=self.endpoint_name,
            variant_name=self.variant_name,
            instance_type=model_instance,
            settings=CPU_SCALING_SETTINGS,
        )
        self.scalable_target = autoscaling.scalable_target
        self.scaling_policy = autoscaling.scaling_policy

        # Every alarm publishes to the operations topic of the Lambda stack, addressed by its
        # derived name (ADR-0036, ADR-0049).
        alarm_actions = operations_alarm_actions(
            self,
            "OperationsAlerts",
            topic_name=naming.resource_name(constants.OPERATIONS_TOPIC_NAME),
        )

        # A new model reaches the endpoint blue/green, with automatic rollback on alarms,
        # keeping the autoscaled instance count (ADR-0053, ADR-0054).
        self.deployment = EndpointDeployment(
            self,
            "Deployment",
            endpoint=self.endpoint,
            endpoint_name=self.endpoint_name,
            variant_name=self.variant_name,
            initial_instance_count=constants.SAGEMAKER_INITIAL_INSTANCE_COUNT,
            min_instance_count=CPU_SCALING_SETTINGS.min_capacity,
            settings=BLUE_GREEN_SETTINGS,
            alarm_actions=alarm_actions,
        )
        # A change of the registered model updates this stack through CloudFormation, which
        # stays the only owner of model, config and endpoint (ADR-0050).
        self.rollout = ModelRollout(
            self,
            "Rollout",
            parameter_name=self.model_parameter_name,
            endpoint_name=self.endpoint_name,
            model_execution_role=self.execution_role,
            rollback_alarms=self.deployment.rollback_alarms,
            instance_types=[model_instance],
            log_encryption_key=self.encryption_key,
            volume_key_arn=self.endpoint_config.kms_key_id,
            capture_key_arn=self.encryption_key.key_arn,
            function_name=naming.rollout_function_name,
            settings=ROLLOUT_SETTINGS,
            alarm_actions=alarm_actions,
            asset_path=ROLLOUT_ASSET_PATH,
        )

        # The live endpoint watched: errors, latency, saturation, silence (ADR-0070).
        self.serving_alarms = ServingAlarms(
            self,
            "ServingAlarms",
            endpoint_name=self.endpoint_name,
            variant_name=self.variant_name,
            instance_vcpus=constants.SAGEMAKER_INSTANCE_VCPUS[model_instance],
            instance_gpus=constants.SAGEMAKER_INSTANCE_GPUS.get(model_instance, 0),
            settings=SERVING_ALARM_SETTINGS,
            alarm_actions=alarm_actions,
        )
        # ... and what it answers: drift and quality from the captured traffic, hourly.
        self.monitor = ModelMonitor(
            self,
            "Monitor",
            endpoint_name=self.endpoint_name,
            variant_name=self.variant_name,
            capture=self.capture,
            capture_key=self.encryption_key,
            model_parameter_name=self.model_parameter_name,
            model_bucket_name=self.model_bucket_name,
            model_key_prefix=constants.MODEL_KEY_PREFIX,
            metrics_file_suffix=constants.METRICS_FILE_SUFFIX,
            # The baseline is found through the registry lambda-stack deploys (ADR-0071).
            model_package_group=naming.model_package_group_name,
            function_name=naming.monitor_function_name,
            event_bus_name=naming.monitor_event_bus_name,
            retraining_topic_name=naming.retraining_topic_name,
            settings=MONITOR_SETTINGS,
            alarm_actions=alarm_actions,
            asset_path=RUNTIME_ASSET_PATH,
        )
        self.dashboard = PipelineDashboard(
            self,
            "Dashboard",
            dashboard_name=naming.dashboard_name,
            sources=DashboardSources(
                registration_namespace=naming.registration_metrics_namespace,
                registration_metrics=constants.DASHBOARD_REGISTRATION_METRICS,
                rollout_namespace=constants.ROLLOUT_METRICS_NAMESPACE,
                rollout_dimensions={constants.ROLLOUT_METRICS_STACK_DIMENSION: self.stack_name},
                rollout_metrics=constants.DASHBOARD_ROLLOUT_METRICS,
                monitoring_namespace=constants.MONITOR_METRICS_NAMESPACE,
                monitoring_dimensions={constants.MONITOR_ENDPOINT_DIMENSION: self.endpoint_name},
                drift_metrics=constants.MONITOR_DRIFT_METRICS,
                quality_metrics=constants.MONITOR_QUALITY_METRICS,
                volume_metrics=constants.MONITOR_VOLUME_METRICS,
            ),
            serving_metrics=self.serving_alarms.metrics,
            alarms=[
                *self.deployment.rollback_alarms,
                *self.rollout.alarms,
                *self.serving_alarms.alarms,
                *self.monitor.alarms,
            ],
        )

        # Every resource but the key, whose template carries no tags (operations/keys.py).
        for key, value in self.tags_applied.items():
            Tags.of(self).add(key, value, exclude_resource_types=[KEY_RESOURCE_TYPE])
