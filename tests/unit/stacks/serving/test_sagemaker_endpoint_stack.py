"""SentimentEndpointStack: model, endpoint configuration, endpoint, role and CPU autoscaling.

Brief expectations asserted as written: endpoint config referenced by GetAtt
EndpointConfigName, tag Key=key/Value=value, variant AllTraffic, InitialInstanceCount 1, the
constants' cooldowns. Adapted (with ADRs): the model has no fixed name (ADR-0025); its
ModelDataUrl is the registered key in the model bucket, not "s3://sentiment-model" (ADR-0021,
ADR-0023, ADR-0032); the scaling metric is CPU utilisation per instance, not invocations per
instance (ADR-0026, ADR-0027); the image is the Hugging Face GPU DLC (ADR-0024, ADR-0033).
The endpoint's log group and the endpoint key are the stack's own (ADR-0038); the key encrypts
the storage volume only where the instance type allows it (ADR-0048; the other path:
test_serving_context_app.py).
"""

from __future__ import annotations

import pytest

from config import constants
from tests.unit.stacks.stack_template_queries import (
    as_list,
    model_execution_role,
    properties,
    render_join,
    resources_of_type,
    statement_with_action,
    statements_attached_to,
    the_resource,
    with_physical_names,
)

STACK = constants.SAGEMAKER_STACK_NAME
REPOSITORY, TAG = constants.SAGEMAKER_MODEL_IMAGE.split(":")
MODEL_BUCKET = constants.model_bucket_name("${Ref:AWS::AccountId}", "${Ref:AWS::Region}")
PARTITION_REGION_ACCOUNT = "${Ref:AWS::Partition}:%s:${Ref:AWS::Region}:${Ref:AWS::AccountId}"
ENDPOINT_LOG_GROUP = (
    f"{constants.SAGEMAKER_ENDPOINT_LOG_GROUP_PREFIX}{constants.SAGEMAKER_ENDPOINT_NAME}"
)
KMS_RULE = "SageMakerEndpointConfigurationKMSKeyConfigured"


@pytest.fixture(scope="module")
def template(templates):
    return templates[STACK]


@pytest.fixture(scope="module")
def model(template):
    return the_resource(template, "AWS::SageMaker::Model")


@pytest.fixture(scope="module")
def endpoint_config(template):
    return the_resource(template, "AWS::SageMaker::EndpointConfig")


@pytest.fixture(scope="module")
def endpoint(template):
    return the_resource(template, "AWS::SageMaker::Endpoint")


@pytest.fixture(scope="module")
def model_parameter_id(template):
    ssm_typed = {
        logical_id: parameter
        for logical_id, parameter in template["Parameters"].items()
        if parameter["Type"] == "AWS::SSM::Parameter::Value<String>"
        and logical_id != "BootstrapVersion"
    }
    assert len(ssm_typed) == 1, ssm_typed
    return next(iter(ssm_typed))


@pytest.fixture(scope="module")
def role_statements(template):
    role_id, _ = model_execution_role(template)
    return statements_attached_to(template, role_id)


def test_model_has_no_fixed_name(model):
    # Adapted brief expectation (ADR-0025): a fixed name makes the next model's replacement fail.
    assert "ModelName" not in model[1]["Properties"]


def test_endpoint_config_has_no_fixed_name(endpoint_config):
    assert "EndpointConfigName" not in endpoint_config[1]["Properties"]


def test_model_data_is_the_registered_key_in_the_model_bucket(template, model, model_parameter_id):
    # Adapted brief expectation: not "s3://sentiment-model" but s3://<bucket>/<registered key>.
    url = model[1]["Properties"]["PrimaryContainer"]["ModelDataUrl"]
    assert render_join(url) == f"s3://{MODEL_BUCKET}/${{Ref:{model_parameter_id}}}"


def test_registered_key_is_read_from_the_one_parameter_on_every_deploy(
    template, model_parameter_id
):
    # ADR-0021/ADR-0032: a template parameter of SSM type (re-read on every update), defaulting
    # to the same fully qualified name the handler writes; no {{resolve:ssm}} reference.
    parameter = template["Parameters"][model_parameter_id]
    assert parameter["Default"] == constants.SSM_PARAMETER_MODEL
    assert parameter["Default"] == constants.LAMBDA_ENVIRONMENT_VARIABLE["SSM_SENTIMENT_MODEL"]
    assert "{{resolve:ssm" not in str(template)


def test_model_serves_the_hugging_face_gpu_image_from_the_regional_registry(template, model):
    container = model[1]["Properties"]["PrimaryContainer"]
    mapping_id = container["Image"]["Fn::Join"][1][0]["Fn::FindInMap"][0]
    assert render_join(container["Image"]) == (
        f"${{FindInMap:{mapping_id}}}.dkr.ecr.${{Ref:AWS::Region}}.${{Ref:AWS::URLSuffix}}/"
        f"{REPOSITORY}:{TAG}"
    )
    assert container["Image"]["Fn::Join"][1][0]["Fn::FindInMap"][1:] == [
        {"Ref": "AWS::Region"},
        "account",
    ]
    assert REPOSITORY == "huggingface-pytorch-inference"
    for feature in ("-gpu-", "transformers", "py312"):
        assert feature in TAG
    assert container["Environment"] == constants.SAGEMAKER_MODEL_ENVIRONMENT
    assert container["Environment"]["HF_TASK"] == "text-classification"
    # network isolation (ADR-0049): the toolkit must not look for the Hub
    assert container["Environment"]["HF_HUB_OFFLINE"] == "1"


def test_registry_mapping_has_every_exception_and_the_default_elsewhere(template, model):
    image = model[1]["Properties"]["PrimaryContainer"]["Image"]
    mapping = template["Mappings"][image["Fn::Join"][1][0]["Fn::FindInMap"][0]]
    for region, account in constants.DLC_REGISTRY_ACCOUNTS.items():
        assert mapping[region] == {"account": account}
    for region in ("us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1"):
        assert mapping[region] == {"account": constants.DLC_DEFAULT_REGISTRY_ACCOUNT}
    assert not [r for r in mapping if "-iso" in r], "isolated partitions have no DLC registry"
    assert all(len(row["account"]) == 12 and row["account"].isdigit() for row in mapping.values())


def test_model_waits_for_its_roles_policy(template, model):
    role_id, _ = model_execution_role(template)
    policy_ids = {
        logical_id
        for logical_id, policy in resources_of_type(template, "AWS::IAM::ManagedPolicy").items()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
    }
    assert len(policy_ids) == 1
    assert policy_ids <= set(as_list(model[1].get("DependsOn", [])))


def test_execution_role_permissions_are_one_customer_managed_policy(template):
    # ADR-0049: HIPAA/NIST IAMNoInlinePolicy; a grant to the role would add an inline policy.
    role_id, role = model_execution_role(template)
    assert "Policies" not in role["Properties"]
    inline = [
        logical_id
        for logical_id, policy in resources_of_type(template, "AWS::IAM::Policy").items()
        if {"Ref": role_id} in policy["Properties"].get("Roles", [])
    ]
    assert inline == []


def test_model_runs_network_isolated(model):
    # ADR-0049: the container gets weights and code from the archive and needs no network.
    assert model[1]["Properties"]["EnableNetworkIsolation"] is True


def test_one_variant_all_traffic_on_the_configured_instance(model, endpoint_config):
    (variant,) = endpoint_config[1]["Properties"]["ProductionVariants"]
    assert variant["VariantName"] == "AllTraffic" == constants.SAGEMAKER_VARIANT_NAME
    assert variant["InitialInstanceCount"] == 1
    assert variant["InstanceType"] == constants.SAGEMAKER_INSTANCE_TYPE
    assert variant["ModelName"] == {"Fn::GetAtt": [model[0], "ModelName"]}


def test_endpoint_uses_the_config_by_getatt_and_keeps_its_stable_name(endpoint, endpoint_config):
    props = endpoint[1]["Properties"]
    assert props["EndpointConfigName"] == {"Fn::GetAtt": [endpoint_config[0], "EndpointConfigName"]}
    assert props["EndpointName"] == constants.SAGEMAKER_ENDPOINT_NAME


def test_briefs_tag_argument_is_one_tag_key_equals_key(endpoint):
    # ADR-0034: {'key': 'key', 'value': 'value'} is ONE tag, not tags "key" and "value".
    assert endpoint[1]["Properties"]["Tags"] == [{"Key": "key", "Value": "value"}]


def test_scalable_target_registers_the_variant_after_the_endpoint_exists(template, endpoint):
    _, target = the_resource(template, "AWS::ApplicationAutoScaling::ScalableTarget")
    props = target["Properties"]
    assert props["ServiceNamespace"] == "sagemaker"
    assert props["ScalableDimension"] == "sagemaker:variant:DesiredInstanceCount"
    assert props["ResourceId"] == (
        f"endpoint/{constants.SAGEMAKER_ENDPOINT_NAME}/variant/{constants.SAGEMAKER_VARIANT_NAME}"
    )
    assert props["MinCapacity"] == constants.AUTOSCALING_MIN_CAPACITY == 1
    assert props["MaxCapacity"] == constants.AUTOSCALING_MAX_CAPACITY
    assert endpoint[0] in as_list(target.get("DependsOn", []))
    # Application Auto Scaling's service-linked role: no role of ours, no "*" policy.
    assert "RoleARN" not in props


def test_target_tracking_on_cpu_as_percent_of_the_whole_instance(template):
    # Adapted brief expectation (ADR-0026, ADR-0027): CPUUtilization, not invocations.
    target_id, _ = the_resource(template, "AWS::ApplicationAutoScaling::ScalableTarget")
    policy = properties(template, "AWS::ApplicationAutoScaling::ScalingPolicy")
    assert policy["PolicyType"] == "TargetTrackingScaling"
    assert policy["ScalingTargetId"] == {"Ref": target_id}
    config = policy["TargetTrackingScalingPolicyConfiguration"]
    assert config["TargetValue"] == constants.TARGET_VALUE
    assert config["ScaleInCooldown"] == constants.SCALEINCOOLDOWN
    assert config["ScaleOutCooldown"] == constants.SCALEOUTCOOLDOWN
    assert "PredefinedMetricSpecification" not in config

    queries = config["CustomizedMetricSpecification"]["Metrics"]
    (raw,) = [q for q in queries if "MetricStat" in q]
    (returned,) = [q for q in queries if q.get("ReturnData") is not False]
    metric = raw["MetricStat"]["Metric"]
    assert metric["Namespace"] == "/aws/sagemaker/Endpoints"
    assert metric["MetricName"] == "CPUUtilization"
    assert metric["Dimensions"] == [
        {"Name": "EndpointName", "Value": constants.SAGEMAKER_ENDPOINT_NAME},
        {"Name": "VariantName", "Value": constants.SAGEMAKER_VARIANT_NAME},
    ]
    assert raw["MetricStat"]["Stat"] == "Average"
    vcpus = constants.SAGEMAKER_INSTANCE_VCPUS[constants.SAGEMAKER_INSTANCE_TYPE]
    assert returned["Expression"] == f"{raw['Id']} / {vcpus}"


def test_execution_role_reads_only_model_objects_under_the_prefix(template, role_statements):
    _, role = model_execution_role(template)
    assert "ManagedPolicyArns" not in role["Properties"]
    statement = statement_with_action(role_statements, "s3:GetObject")
    assert as_list(statement["Action"]) == ["s3:GetObject"]
    assert [render_join(r) for r in as_list(statement["Resource"])] == [
        f"arn:${{Ref:AWS::Partition}}:s3:::{MODEL_BUCKET}/{constants.MODEL_KEY_PREFIX}*"
    ]
    # The bucket is found by its derived name: only this account's bucket of that name counts.
    assert statement["Condition"] == {
        "StringEquals": {"aws:ResourceAccount": {"Ref": "AWS::AccountId"}}
    }


def test_execution_role_pulls_only_the_serving_repository(template, role_statements):
    statement = statement_with_action(role_statements, "ecr:BatchGetImage")
    assert set(as_list(statement["Action"])) == {
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
    }
    (resource,) = as_list(statement["Resource"])
    assert render_join(resource).endswith(f":repository/{REPOSITORY}")
    intrinsics = [part for part in resource["Fn::Join"][1] if isinstance(part, dict)]
    assert {"Fn::FindInMap"} <= {next(iter(part)) for part in intrinsics}, (
        "the repository must be in the DLC registry account of the deploy region"
    )
    token = statement_with_action(role_statements, "ecr:GetAuthorizationToken")
    assert as_list(token["Action"]) == ["ecr:GetAuthorizationToken"]
    assert token["Resource"] == "*"


def test_execution_role_writes_only_its_endpoints_logs_and_metrics(template, role_statements):
    logs = statement_with_action(role_statements, "logs:PutLogEvents")
    log_group_id, _ = endpoint_log_group(template)
    log_group = "arn:" + PARTITION_REGION_ACCOUNT % "logs" + f":log-group:${{Ref:{log_group_id}}}"
    # ADR-0038: the stack's log group by reference, so the policy cannot name another group
    assert sorted(render_join(r) for r in as_list(logs["Resource"])) == [
        log_group,
        f"{log_group}:log-stream:*",
    ]
    assert {with_physical_names(template, render_join(r)) for r in as_list(logs["Resource"])} == {
        "arn:" + PARTITION_REGION_ACCOUNT % "logs" + f":log-group:{ENDPOINT_LOG_GROUP}",
        "arn:"
        + PARTITION_REGION_ACCOUNT % "logs"
        + f":log-group:{ENDPOINT_LOG_GROUP}:log-stream:*",
    }
    metrics = statement_with_action(role_statements, "cloudwatch:PutMetricData")
    assert metrics["Resource"] == "*"
    assert metrics["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": "/aws/sagemaker/Endpoints"}
    }
    granted = {action for s in role_statements for action in as_list(s["Action"])}
    # kms: encrypting its own data-capture files through S3 (ADR-0070).
    assert {a.split(":")[0] for a in granted} == {"s3", "ecr", "logs", "cloudwatch", "kms"}


def test_stack_name_is_the_one_the_rollout_updates(synthesized_app):
    stack = synthesized_app.get_stack_by_name(STACK)
    assert stack.stack_name == constants.SAGEMAKER_STACK_NAME


def test_endpoint_updates_are_blue_green_with_rollback_and_keep_capacity(template, endpoint):
    properties = endpoint[1]["Properties"]
    assert properties["RetainAllVariantProperties"] is True
    policy = properties["DeploymentConfig"]["BlueGreenUpdatePolicy"]
    assert policy["TerminationWaitInSeconds"] == constants.DEPLOYMENT_BAKE_SECONDS
    routing = policy["TrafficRoutingConfiguration"]
    # one instance at the start (the brief's count): a canary of 50% is impossible (ADR-0053)
    assert routing["Type"] == "ALL_AT_ONCE"
    alarms = properties["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]
    alarm_ids = {alarm["AlarmName"]["Ref"] for alarm in alarms}
    metrics = {template["Resources"][a]["Properties"]["MetricName"] for a in alarm_ids}
    assert metrics == {"Invocation5XXErrors", "ModelLatency"}


def test_every_alarm_publishes_to_the_operations_topic_of_the_lambda_stack(template):
    # ADR-0049: the topic's ARN is derived from its name, not imported (ADR-0036).
    topic_arn = "arn:" + PARTITION_REGION_ACCOUNT % "sns" + f":{constants.OPERATIONS_TOPIC_NAME}"
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm")
    # two rollback, six rollout, eight serving (GPU on the default instance), seven monitor
    # alarms (ADR-0070)
    assert len(alarms) == 23
    for logical_id, alarm in alarms.items():
        actions = [render_join(a) for a in alarm["Properties"].get("AlarmActions", [])]
        assert actions == [topic_arn], logical_id


def test_a_registered_model_change_triggers_the_rollout_of_this_stack(template):
    rules = resources_of_type(template, "AWS::Events::Rule")
    watched = [
        rule["Properties"]["EventPattern"]
        for rule in rules.values()
        if rule["Properties"].get("EventPattern", {}).get("detail-type")
        == ["Parameter Store Change"]
    ]
    assert len(watched) == 1
    assert watched[0]["detail"]["name"] == [constants.SSM_PARAMETER_MODEL]


# -- the endpoint's log group and key (ADR-0038, ADR-0048) -----------------------------------


def endpoint_log_group(template) -> tuple[str, dict]:
    found = [
        (logical_id, group)
        for logical_id, group in resources_of_type(template, "AWS::Logs::LogGroup").items()
        if group["Properties"].get("LogGroupName") == ENDPOINT_LOG_GROUP
    ]
    assert len(found) == 1, found
    return found[0]


def endpoint_key(template) -> tuple[str, dict]:
    (alias,) = [
        a["Properties"]
        for a in resources_of_type(template, "AWS::KMS::Alias").values()
        if a["Properties"]["AliasName"] == f"alias/{constants.ENDPOINT_KEY_NAME}"
    ]
    key_id = alias["TargetKeyId"]["Fn::GetAtt"][0]
    return key_id, template["Resources"][key_id]


def test_endpoint_log_group_exists_before_the_endpoint_with_retention(template, endpoint):
    log_group_id, log_group = endpoint_log_group(template)
    assert log_group["Properties"]["RetentionInDays"] == (
        constants.SAGEMAKER_ENDPOINT_LOG_RETENTION_DAYS
    )
    assert log_group["DeletionPolicy"] == "Retain"
    assert log_group_id in as_list(endpoint[1].get("DependsOn", []))


def test_endpoint_log_group_is_encrypted_with_the_endpoint_key(template):
    key_id, key = endpoint_key(template)
    _, log_group = endpoint_log_group(template)
    assert log_group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    # CloudWatch Logs may use the key for this one log group only (the rollout's own log group
    # has a statement of its own, tested with the rollout).
    (logs,) = [
        s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if "Service" in s.get("Principal", {})
        and "ArnEquals" in s.get("Condition", {})
        and s.get("Sid") != "EncryptRolloutLogGroup"
    ]
    # The regional principal with the partition's URL suffix (amazonaws.com.cn in China).
    assert render_join(logs["Principal"]["Service"]) == (
        "logs.${Ref:AWS::Region}.${Ref:AWS::URLSuffix}"
    )
    assert render_join(logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"]) == (
        "arn:" + PARTITION_REGION_ACCOUNT % "logs" + f":log-group:{ENDPOINT_LOG_GROUP}"
    )


def test_endpoint_key_is_rotated_retained_and_usable_by_the_account(template):
    _, key = endpoint_key(template)
    props = key["Properties"]
    assert props["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"
    assert props["PendingWindowInDays"] == constants.ENDPOINT_KEY_PENDING_WINDOW_DAYS
    # The deploying role lets SageMaker create its grants through the account's IAM policies:
    # kms:CreateGrant (in kms:Create*) and kms:DescribeKey are delegated to the account.
    account = {
        s["Sid"]: set(as_list(s["Action"]))
        for s in props["KeyPolicy"]["Statement"]
        if "AWS" in s.get("Principal", {})
        and render_join(s["Principal"]["AWS"])
        == "arn:${Ref:AWS::Partition}:iam::${Ref:AWS::AccountId}:root"
    }
    assert set(account) == {
        "KeyAdministrationThroughIamPolicies",
        "KeyUseThroughIamPolicies",
    }
    assert "kms:Create*" in account["KeyAdministrationThroughIamPolicies"]
    assert "kms:DescribeKey" in account["KeyUseThroughIamPolicies"]
    # moto cannot create a key with template tags (cdk_exercise_stacks/operations/keys.py)
    assert "Tags" not in props


def test_nvme_instance_gets_no_volume_key_and_the_adr_acknowledgment(endpoint_config):
    # ADR-0048: ml.g4dn has local NVMe storage, where SageMaker rejects a volume KmsKeyId.
    props = endpoint_config[1]["Properties"]
    assert constants.SAGEMAKER_INSTANCE_TYPE.startswith("ml.g4dn.")
    assert "KmsKeyId" not in props
    suppressed = endpoint_config[1]["Metadata"]["cdk_nag"]["rules_to_suppress"]
    assert {rule["id"] for rule in suppressed} == {
        f"HIPAA.Security-{KMS_RULE}",
        f"NIST.800.53.R5-{KMS_RULE}",
    }
    assert all(rule["reason"].startswith("ADR-0048: ") for rule in suppressed)
