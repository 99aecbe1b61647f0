"""The SageMaker stack's monitoring, as synthesized: data capture into a bucket of its own,
the serving alarms, the hourly monitor (schedule, role, alarms, retraining bus) and the
dashboard (ADR-0070)."""

from __future__ import annotations

import json

import pytest

from config import constants
from tests.unit.stacks.stack_template_queries import (
    as_list,
    model_execution_role,
    render_join,
    resources_of_type,
    statements_attached_to,
    the_resource,
)

STACK = constants.SAGEMAKER_STACK_NAME
ACCOUNT_REGION = ("${Ref:AWS::AccountId}", "${Ref:AWS::Region}")
CAPTURE_BUCKET = constants.capture_bucket_name(*ACCOUNT_REGION)
CAPTURE_LOG_BUCKET = constants.capture_access_log_bucket_name(*ACCOUNT_REGION)


@pytest.fixture(scope="module")
def template(templates):
    return templates[STACK]


def bucket_by_name(template, rendered: str) -> tuple[str, dict]:
    [found] = [
        (logical_id, bucket)
        for logical_id, bucket in resources_of_type(template, "AWS::S3::Bucket").items()
        if render_join(bucket["Properties"].get("BucketName", "")) == rendered
    ]
    return found


@pytest.fixture(scope="module")
def capture_bucket(template):
    return bucket_by_name(template, CAPTURE_BUCKET)


@pytest.fixture(scope="module")
def monitor_function(template):
    [found] = [
        (logical_id, function)
        for logical_id, function in resources_of_type(template, "AWS::Lambda::Function").items()
        if function["Properties"]["Handler"] == constants.MONITOR_HANDLER
    ]
    return found


@pytest.fixture(scope="module")
def monitor_statements(template, monitor_function):
    role_id = monitor_function[1]["Properties"]["Role"]["Fn::GetAtt"][0]
    return statements_attached_to(template, role_id)


def alarms_on(template, namespace: str) -> dict[str, dict]:
    """Metric name -> alarm properties, for the alarms on ``namespace``'s metrics."""
    return {
        alarm["Properties"]["MetricName"]: alarm["Properties"]
        for alarm in resources_of_type(template, "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("Namespace") == namespace
    }


# -- Capture ------------------------------------------------------------------------------------


def test_the_endpoint_captures_input_and_output_as_json_encrypted_with_the_endpoint_key(
    template, capture_bucket
):
    config = the_resource(template, "AWS::SageMaker::EndpointConfig")[1]["Properties"]
    capture = config["DataCaptureConfig"]
    key_id, _ = the_resource(template, "AWS::KMS::Key")

    assert capture["EnableCapture"] is True
    assert capture["InitialSamplingPercentage"] == constants.DATA_CAPTURE_SAMPLING_PERCENTAGE
    assert sorted(o["CaptureMode"] for o in capture["CaptureOptions"]) == ["Input", "Output"]
    assert capture["CaptureContentTypeHeader"] == {"JsonContentTypes": ["application/json"]}
    assert capture["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    destination = render_join(capture["DestinationS3Uri"])
    assert destination == f"s3://{CAPTURE_BUCKET}/{constants.DATA_CAPTURE_PREFIX}"
    # The bucket exists before the configuration that names it (by its derived name).
    assert capture_bucket[0] in as_list(
        the_resource(template, "AWS::SageMaker::EndpointConfig")[1]["DependsOn"]
    )


def test_the_capture_bucket_is_kms_encrypted_tls_only_versioned_private_and_logged(
    template, capture_bucket
):
    logical_id, bucket = capture_bucket
    props = bucket["Properties"]
    key_id, _ = the_resource(template, "AWS::KMS::Key")
    log_bucket_id, _ = bucket_by_name(template, CAPTURE_LOG_BUCKET)

    [rule] = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]},
    }
    assert rule["BucketKeyEnabled"] is True
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"),
        True,
    )
    assert props["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": log_bucket_id}
    assert bucket["DeletionPolicy"] == "Retain"
    [policy] = [
        p["Properties"]["PolicyDocument"]
        for p in resources_of_type(template, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": logical_id}
    ]
    denied = [s["Condition"] for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert {"Bool": {"aws:SecureTransport": "false"}} in denied
    assert {"NumericLessThan": {"s3:TlsVersion": 1.2}} in denied


def test_every_prefix_of_the_capture_bucket_expires_as_the_constants_say(capture_bucket):
    rules = capture_bucket[1]["Properties"]["LifecycleConfiguration"]["Rules"]
    expiry = {r.get("Prefix"): r.get("ExpirationInDays") for r in rules if "Prefix" in r}

    assert expiry == {
        f"{constants.DATA_CAPTURE_PREFIX}/": constants.DATA_CAPTURE_RETENTION_DAYS,
        f"{constants.GROUND_TRUTH_PREFIX}/": constants.GROUND_TRUTH_RETENTION_DAYS,
        f"{constants.MONITOR_SUMMARY_PREFIX}/": constants.MONITOR_SUMMARY_RETENTION_DAYS,
    }
    [whole_bucket] = [r for r in rules if "Prefix" not in r]
    assert (
        whole_bucket["NoncurrentVersionExpiration"]["NoncurrentDays"]
        == constants.CAPTURE_NONCURRENT_VERSION_RETENTION_DAYS
    )


def test_the_model_role_may_write_only_its_endpoints_capture_prefix(template, capture_bucket):
    role_id, _ = model_execution_role(template)
    statements = statements_attached_to(template, role_id)
    writes = [s for s in statements if "s3:PutObject" in as_list(s["Action"])]

    assert [render_join(s["Resource"]) for s in writes] == [
        f"arn:${{Ref:AWS::Partition}}:s3:::{CAPTURE_BUCKET}/"
        f"{constants.DATA_CAPTURE_PREFIX}/{constants.SAGEMAKER_ENDPOINT_NAME}/*"
    ]
    [encrypt] = [s for s in statements if "kms:GenerateDataKey" in as_list(s["Action"])]
    assert sorted(as_list(encrypt["Action"])) == ["kms:Encrypt", "kms:GenerateDataKey"]
    assert "kms:ViaService" in encrypt["Condition"]["StringEquals"]


# -- Serving alarms -----------------------------------------------------------------------------


def test_every_serving_metric_has_an_alarm_to_the_operations_topic(template):
    invocation = alarms_on(template, constants.SAGEMAKER_INVOCATION_METRICS_NAMESPACE)
    instance = alarms_on(template, constants.SAGEMAKER_ENDPOINT_NAMESPACE)
    vcpus = constants.SAGEMAKER_INSTANCE_VCPUS[constants.SAGEMAKER_INSTANCE_TYPE]
    gpus = constants.SAGEMAKER_INSTANCE_GPUS[constants.SAGEMAKER_INSTANCE_TYPE]

    serving = {
        name: alarm
        for name, alarm in invocation.items()
        if alarm.get("Period") != constants.DEPLOYMENT_ALARM_PERIOD_SECONDS
    }
    assert serving["Invocation5XXErrors"]["Threshold"] == constants.SERVING_ALARM_5XX_THRESHOLD
    assert serving["Invocation4XXErrors"]["Threshold"] == constants.SERVING_ALARM_4XX_THRESHOLD
    assert serving["ModelLatency"]["ExtendedStatistic"] == "p99"
    assert serving["ModelLatency"]["Threshold"] == constants.SERVING_ALARM_LATENCY_P99_MICROSECONDS
    assert instance["CPUUtilization"]["Threshold"] == constants.SERVING_ALARM_CPU_PERCENT * vcpus
    assert instance["GPUUtilization"]["Threshold"] == constants.SERVING_ALARM_GPU_PERCENT * gpus
    assert instance["MemoryUtilization"]["Threshold"] == constants.SERVING_ALARM_MEMORY_PERCENT
    assert instance["DiskUtilization"]["Threshold"] == constants.SERVING_ALARM_DISK_PERCENT
    silence = serving["Invocations"]
    assert silence["ComparisonOperator"] == "LessThanThreshold"
    assert silence["TreatMissingData"] == "breaching"
    assert silence["Period"] == constants.SERVING_NO_INVOCATIONS_SECONDS
    topic = constants.OPERATIONS_TOPIC_NAME
    for alarm in [*serving.values(), *instance.values()]:
        [action] = alarm["AlarmActions"]
        assert render_join(action).endswith(f":{topic}")
        assert alarm["Dimensions"] == [
            {"Name": "EndpointName", "Value": constants.SAGEMAKER_ENDPOINT_NAME},
            {"Name": "VariantName", "Value": constants.SAGEMAKER_VARIANT_NAME},
        ]


# -- The monitor --------------------------------------------------------------------------------


def test_the_monitor_runs_hourly_after_the_captures_of_the_hour_have_landed(
    template, monitor_function
):
    function_id, function = monitor_function
    _, schedule = the_resource(template, "AWS::Scheduler::Schedule")
    props = schedule["Properties"]

    minute = constants.MONITOR_SCHEDULE_MINUTE
    assert props["ScheduleExpression"] == f"cron({minute} * * * ? *)"
    assert props["ScheduleExpressionTimezone"] == "UTC"
    target = props["Target"]
    assert target["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert "Arn" in target["DeadLetterConfig"]
    role_id = target["RoleArn"]["Fn::GetAtt"][0]
    invoke = [
        s
        for s in statements_attached_to(template, role_id)
        if s["Action"] == "lambda:InvokeFunction"
    ]
    assert [s["Resource"] for s in invoke] == [{"Fn::GetAtt": [function_id, "Arn"]}]
    assert function["Properties"]["Timeout"] == constants.MONITOR_TIMEOUT_SECONDS
    assert function["Properties"]["MemorySize"] == constants.MONITOR_MEMORY_MB


def test_the_monitor_reads_only_its_captures_labels_and_metrics_files(
    monitor_statements, capture_bucket
):
    bucket = f"${{GetAtt:{capture_bucket[0]}.Arn}}"
    endpoint = constants.SAGEMAKER_ENDPOINT_NAME
    reads = {
        render_join(resource)
        for s in monitor_statements
        if "s3:GetObject" in as_list(s["Action"])
        for resource in as_list(s["Resource"])
    }
    writes = [s for s in monitor_statements if "s3:PutObject" in as_list(s["Action"])]

    model_bucket = constants.model_bucket_name(*ACCOUNT_REGION)
    assert reads == {
        f"{bucket}/{constants.DATA_CAPTURE_PREFIX}/{endpoint}/*",
        f"{bucket}/{constants.GROUND_TRUTH_PREFIX}/*",
        f"{bucket}/{constants.MONITOR_SUMMARY_PREFIX}/{endpoint}/*",
        f"arn:${{Ref:AWS::Partition}}:s3:::{model_bucket}/"
        f"{constants.MODEL_KEY_PREFIX}*{constants.METRICS_FILE_SUFFIX}",
    }
    [write] = writes
    assert render_join(write["Resource"]) == (
        f"{bucket}/{constants.MONITOR_SUMMARY_PREFIX}/{endpoint}/*"
    )
    lists = [s for s in monitor_statements if s["Action"] == "s3:ListBucket"]
    assert all("s3:prefix" in s["Condition"]["StringLike"] for s in lists)
    actions = {a for s in monitor_statements for a in as_list(s["Action"])}
    assert not any(a.endswith("*") for a in actions)
    assert "s3:DeleteBucket" not in actions


def test_the_monitor_publishes_in_its_namespace_and_sends_events_to_its_bus_only(
    template, monitor_statements
):
    [metrics] = [s for s in monitor_statements if s["Action"] == "cloudwatch:PutMetricData"]
    [events] = [s for s in monitor_statements if s["Action"] == "events:PutEvents"]
    bus_id, bus = the_resource(template, "AWS::Events::EventBus")

    assert metrics["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": constants.MONITOR_METRICS_NAMESPACE}
    }
    assert events["Resource"] == {"Fn::GetAtt": [bus_id, "Arn"]}
    assert bus["Properties"]["Name"] == constants.MONITOR_EVENT_BUS_NAME


def test_drift_and_quality_alarms_use_the_thresholds_the_function_recommends_retraining_at(
    template, monitor_function
):
    alarms = alarms_on(template, constants.MONITOR_METRICS_NAMESPACE)
    environment = monitor_function[1]["Properties"]["Environment"]["Variables"]
    names = constants.MONITOR_ENVIRONMENT_NAMES

    for metric, field in (
        ("LabelDriftPSI", "max_label_psi"),
        ("ConfidenceDriftPSI", "max_confidence_psi"),
        ("InputLengthDriftPSI", "max_input_length_psi"),
        ("Accuracy", "min_accuracy"),
    ):
        assert alarms[metric]["Threshold"] == float(environment[names[field]]), metric
    assert alarms["Accuracy"]["ComparisonOperator"] == "LessThanThreshold"
    assert alarms["LabelDriftPSI"]["ComparisonOperator"] == "GreaterThanThreshold"
    for alarm in alarms.values():
        assert alarm["Dimensions"] == [
            {
                "Name": constants.MONITOR_ENDPOINT_DIMENSION,
                "Value": constants.SAGEMAKER_ENDPOINT_NAME,
            }
        ]
        assert alarm["TreatMissingData"] == "ignore"
        [action] = alarm["AlarmActions"]
        assert render_join(action).endswith(f":{constants.OPERATIONS_TOPIC_NAME}")


def test_the_retraining_event_reaches_the_data_science_topic(template):
    _, bus = the_resource(template, "AWS::Events::EventBus")
    [rule] = [
        r["Properties"]
        for r in resources_of_type(template, "AWS::Events::Rule").values()
        if r["Properties"].get("EventBusName") == bus["Properties"]["Name"]
    ]
    [(topic_id, topic)] = [
        (logical_id, t)
        for logical_id, t in resources_of_type(template, "AWS::SNS::Topic").items()
        if t["Properties"]["TopicName"] == constants.RETRAINING_TOPIC_NAME
    ]

    assert rule["EventPattern"] == {
        "source": [constants.MONITOR_EVENT_SOURCE],
        "detail-type": [constants.RETRAINING_DETAIL_TYPE],
    }
    [target] = rule["Targets"]
    assert target["Arn"] == {"Ref": topic_id}
    assert "KmsMasterKeyId" in topic["Properties"]


# -- Dashboard ----------------------------------------------------------------------------------


def test_one_dashboard_shows_registration_rollout_endpoint_and_monitor(template):
    _, dashboard = the_resource(template, "AWS::CloudWatch::Dashboard")
    body = json.dumps(dashboard["Properties"]["DashboardBody"])

    assert dashboard["Properties"]["DashboardName"] == constants.MONITOR_DASHBOARD_NAME
    for needle in (
        constants.MODEL_REGISTRATION_METRICS_NAMESPACE,
        constants.ROLLOUT_METRICS_NAMESPACE,
        constants.SAGEMAKER_INVOCATION_METRICS_NAMESPACE,
        constants.SAGEMAKER_ENDPOINT_NAMESPACE,
        constants.MONITOR_METRICS_NAMESPACE,
        *constants.MONITOR_DRIFT_METRICS,
        "ModelRegistered",
        "RolloutRolledBack",
        "DiskUtilization",
    ):
        assert needle in body, needle
