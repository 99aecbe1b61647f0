"""LambdaStack: the registration function, its exact permissions, logs and failure handling.

Brief expectations adapted here (each with its ADR): runtime python3.13 instead of python3.10
(ADR-0022); no AWSLambdaBasicExecutionRole and one scoped statement per purpose instead of one
statement on "*" (ADR-0031); an environment holding the fully qualified parameter name
(ADR-0020) plus the metrics namespace. Compliance fixes (ADR-0049): one customer-managed policy
instead of an inline one, a KMS-encrypted log group, and the operations topic as the failure
alarm's action. Alarms on the registration metrics that need a person (ADR-0014). The topic and
its key, which this stack owns: tests/unit/stacks/operations/test_operations_alerts.py.
"""

from __future__ import annotations

import pytest

from cdk_exercise_stacks.registry.model_registry import (
    BUCKET_LIST_ACTIONS,
    METRICS_READ_ACTIONS,
    PACKAGE_ACTIONS,
)
from config import constants
from tests.unit.stacks.stack_template_queries import (
    as_list,
    properties,
    render_join,
    resources_of_type,
    statement_with_action,
    statements_attached_to,
    the_resource,
)

STACK = constants.LAMBDA_STACK_NAME
PARAMETER_ARN = (
    "arn:${Ref:AWS::Partition}:ssm:${Ref:AWS::Region}:${Ref:AWS::AccountId}:parameter"
    + constants.SSM_PARAMETER_MODEL
)

# The model registry's policy and actions on the registration role (ADR-0071).
REGISTRY_POLICY_PREFIX = "ModelRegistryPolicy"
REGISTRY_ACTIONS = {*PACKAGE_ACTIONS, *METRICS_READ_ACTIONS, *BUCKET_LIST_ACTIONS}


@pytest.fixture(scope="module")
def template(templates):
    return templates[STACK]


@pytest.fixture(scope="module")
def function(template):
    return properties(template, "AWS::Lambda::Function")


@pytest.fixture(scope="module")
def role_statements(template):
    role_id, _ = the_resource(template, "AWS::IAM::Role")
    return statements_attached_to(template, role_id)


def test_function_has_the_briefs_name_handler_timeout_and_environment(function):
    assert function["FunctionName"] == constants.LAMBDA_NAME
    assert function["Handler"] == constants.LAMBDA_HANDLER
    assert function["Timeout"] == 60
    variables = function["Environment"]["Variables"]
    assert constants.LAMBDA_ENVIRONMENT_VARIABLE.items() <= variables.items()
    assert variables[constants.METRICS_NAMESPACE_ENV_VAR] == (
        constants.MODEL_REGISTRATION_METRICS_NAMESPACE
    )
    # the handler ignores records from other buckets or outside the notification prefix
    assert variables[constants.MODEL_KEY_PREFIX_ENV_VAR] == constants.MODEL_KEY_PREFIX
    assert render_join(variables[constants.MODEL_BUCKET_ENV_VAR]) == constants.model_bucket_name(
        "${Ref:AWS::AccountId}", "${Ref:AWS::Region}"
    )
    assert set(variables) == {
        constants.SSM_PARAMETER_ENV_VAR,
        constants.METRICS_NAMESPACE_ENV_VAR,
        constants.MODEL_KEY_PREFIX_ENV_VAR,
        constants.MODEL_BUCKET_ENV_VAR,
        # the model registry's (tests/unit/stacks/registry/, ADR-0071)
        constants.MODEL_PACKAGE_GROUP_ENV_VAR,
        constants.MODEL_GATE_POLICY_ENV_VAR,
    }


def test_runtime_is_a_supported_python_not_the_briefs_python310(function):
    # Adapted brief expectation (ADR-0022): python3.10 can no longer be created after 2026-11-30.
    runtime = function["Runtime"]
    assert runtime == constants.LAMBDA_RUNTIME
    major, minor = (int(part) for part in runtime.removeprefix("python").split("."))
    assert (major, minor) >= (3, 13)


def test_environment_parameter_name_is_fully_qualified(function):
    name = function["Environment"]["Variables"][constants.SSM_PARAMETER_ENV_VAR]
    assert name.startswith("/")
    assert name == constants.SSM_PARAMETER_MODEL


def test_single_writer_and_async_failure_handling(template, function):
    assert function["ReservedConcurrentExecutions"] == constants.LAMBDA_RESERVED_CONCURRENCY == 1
    config = properties(template, "AWS::Lambda::EventInvokeConfig")
    assert config["MaximumRetryAttempts"] == constants.LAMBDA_ASYNC_RETRY_ATTEMPTS
    assert config["MaximumEventAgeInSeconds"] == constants.LAMBDA_MAX_EVENT_AGE_SECONDS
    queue_id, _ = the_resource(template, "AWS::SQS::Queue")
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": [queue_id, "Arn"]
    }


def test_failure_queue_is_encrypted_and_tls_only(template):
    queue_id, queue = the_resource(template, "AWS::SQS::Queue")
    props = queue["Properties"]
    assert props.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in props
    policy = properties(template, "AWS::SQS::QueuePolicy")
    assert {"Ref": queue_id} in policy["Queues"]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in policy["PolicyDocument"]["Statement"]
    )


def failure_alarm(template: dict) -> dict:
    (alarm,) = [
        a["Properties"]
        for a in resources_of_type(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("Namespace") == "AWS/SQS"
    ]
    return alarm


def test_alarm_fires_on_the_first_failed_registration(template):
    queue_id, _ = the_resource(template, "AWS::SQS::Queue")
    alarm = failure_alarm(template)
    assert alarm["Namespace"] == "AWS/SQS"
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}
    ]
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["Threshold"] == constants.REGISTRATION_FAILURE_ALARM_THRESHOLD == 1


def test_function_logs_to_its_own_log_group_with_retention(template, function):
    log_group_id, log_group = the_resource(template, "AWS::Logs::LogGroup")
    assert function["LoggingConfig"]["LogGroup"] == {"Ref": log_group_id}
    assert log_group["Properties"]["RetentionInDays"] == constants.LAMBDA_LOG_RETENTION_DAYS
    assert log_group["DeletionPolicy"] == "Retain"


def test_role_permissions_are_one_customer_managed_policy_the_function_waits_for(template):
    # ADR-0049: HIPAA/NIST IAMNoInlinePolicy. CDK's own grants (destination, log group) would
    # add an inline policy; the function gets its role read-only.
    role_id, role = the_resource(template, "AWS::IAM::Role")
    assert "Policies" not in role["Properties"]
    assert resources_of_type(template, "AWS::IAM::Policy") == {}
    # The model registry's own policy on the same role: tests/unit/stacks/registry/.
    ((policy_id, policy),) = [
        (logical_id, policy)
        for logical_id, policy in resources_of_type(template, "AWS::IAM::ManagedPolicy").items()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        and not logical_id.startswith(REGISTRY_POLICY_PREFIX)
    ]
    assert policy["Properties"]["Roles"] == [{"Ref": role_id}]
    for resource_type in ("AWS::Lambda::Function", "AWS::Lambda::EventInvokeConfig"):
        (resource,) = resources_of_type(template, resource_type).values()
        assert policy_id in as_list(resource.get("DependsOn", [])), resource_type


def test_role_has_no_managed_policy(template):
    # Adapted brief expectation (ADR-0031): the brief's test wanted AWSLambdaBasicExecutionRole,
    # which may write to every log group of the account.
    _, role = the_resource(template, "AWS::IAM::Role")
    assert "ManagedPolicyArns" not in role["Properties"]
    principal = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
    assert principal == {"Service": "lambda.amazonaws.com"}


def test_parameter_permissions_are_on_the_one_parameter_only(role_statements):
    statement = statement_with_action(role_statements, "ssm:PutParameter")
    assert set(as_list(statement["Action"])) == {
        "ssm:GetParameterHistory",
        "ssm:PutParameter",
    }
    assert [render_join(r) for r in as_list(statement["Resource"])] == [PARAMETER_ARN]
    ssm_statements = [
        s for s in role_statements if any(a.startswith("ssm:") for a in as_list(s["Action"]))
    ]
    assert ssm_statements == [statement], "SSM actions granted by more than one statement"


def test_object_reads_are_versions_under_the_model_prefix_of_the_model_bucket_only(
    role_statements,
):
    # HeadObject with a VersionId is authorized as s3:GetObjectVersion (ADR-0017). Not
    # s3:GetObject (the current version, which an overwrite changes), not s3:ListBucket.
    statement = statement_with_action(role_statements, "s3:GetObjectVersion")
    assert as_list(statement["Action"]) == ["s3:GetObjectVersion"]
    bucket = constants.model_bucket_name("${Ref:AWS::AccountId}", "${Ref:AWS::Region}")
    assert [render_join(r) for r in as_list(statement["Resource"])] == [
        f"arn:${{Ref:AWS::Partition}}:s3:::{bucket}/{constants.MODEL_KEY_PREFIX}*"
    ]
    # Besides it, only the registry's metrics-file reads (ADR-0071), each by its own statement.
    s3_sids = {
        s.get("Sid")
        for s in role_statements
        if s is not statement and any(a.startswith("s3:") for a in as_list(s["Action"]))
    }
    assert s3_sids == {"ReadMetricsFiles", "TellMissingMetricsFilesFromDenied"}


def test_metrics_permission_is_narrowed_to_the_registration_namespace(role_statements):
    # Adapted brief expectation (ADR-0031): PutMetricData keeps Resource "*" (it has no
    # resource-level permission) but only for the handler's namespace.
    statement = statement_with_action(role_statements, "cloudwatch:PutMetricData")
    assert as_list(statement["Action"]) == ["cloudwatch:PutMetricData"]
    assert statement["Resource"] == "*"
    assert statement["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": constants.MODEL_REGISTRATION_METRICS_NAMESPACE}
    }


def test_log_permissions_are_on_the_functions_log_group_only(template, role_statements):
    log_group_id, _ = the_resource(template, "AWS::Logs::LogGroup")
    statement = statement_with_action(role_statements, "logs:PutLogEvents")
    assert set(as_list(statement["Action"])) == {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert statement["Resource"] == {"Fn::GetAtt": [log_group_id, "Arn"]}


def test_role_grants_nothing_beyond_what_the_handler_uses(template, role_statements):
    queue_id, _ = the_resource(template, "AWS::SQS::Queue")
    # Less the model registry's actions (tests/unit/model_registry/test_registry_permissions.py)
    granted = {
        action for s in role_statements for action in as_list(s["Action"])
    } - REGISTRY_ACTIONS
    assert granted == {
        "ssm:GetParameterHistory",
        "ssm:PutParameter",
        "s3:GetObjectVersion",
        "cloudwatch:PutMetricData",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        # the on-failure destination, used by the Lambda service with the function's role
        "sqs:SendMessage",
    }
    sqs = statement_with_action(role_statements, "sqs:SendMessage")
    assert sqs["Resource"] == {"Fn::GetAtt": [queue_id, "Arn"]}


# -- the CDK deploy role may resolve the endpoint stack's model parameter (ADR-0032) ----------

DEPLOY_ROLE_NAME = constants.cdk_deploy_role_name("${Ref:AWS::AccountId}", "${Ref:AWS::Region}")


def deploy_role_policies(template: dict) -> dict[str, dict]:
    """The managed policies attached to a role this stack does not create."""
    own_roles = set(resources_of_type(template, "AWS::IAM::Role"))
    return {
        logical_id: policy["Properties"]
        for logical_id, policy in resources_of_type(template, "AWS::IAM::ManagedPolicy").items()
        if not {role.get("Ref") for role in policy["Properties"]["Roles"] if isinstance(role, dict)}
        & own_roles
    }


def test_the_cdk_deploy_role_may_read_exactly_the_model_parameter(template):
    # CloudFormation resolves the endpoint stack's SSM-typed parameter with the credentials of
    # its caller, the CDK deploy role, whose bootstrap policy reads only the bootstrap version.
    (policy,) = deploy_role_policies(template).values()
    assert [render_join(role) for role in policy["Roles"]] == [DEPLOY_ROLE_NAME]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert set(as_list(statement["Action"])) == {"ssm:GetParameter", "ssm:GetParameters"}
    assert [render_join(r) for r in as_list(statement["Resource"])] == [PARAMETER_ARN]
    assert "Condition" not in statement


def test_the_deploy_role_is_imported_not_created(template):
    # The bootstrap owns the role; the stack only attaches its policy (the Roles property).
    for role in resources_of_type(template, "AWS::IAM::Role").values():
        assert render_join(role["Properties"].get("RoleName", "")) != DEPLOY_ROLE_NAME


def test_the_policy_names_the_role_cdk_deploy_assumes_for_the_endpoint_stack(synthesized_app):
    # The synthesizer's deploy role for the endpoint stack (what `cdk deploy` assumes to call
    # CloudFormation) ends with the name the Lambda stack attaches the policy to.
    endpoint_stack = synthesized_app.get_stack_by_name(constants.SAGEMAKER_STACK_NAME)
    expected = constants.cdk_deploy_role_name("${AWS::AccountId}", "${AWS::Region}")
    assert endpoint_stack.assume_role_arn.endswith(f":role/{expected}")


def test_the_model_parameter_is_not_a_cloudformation_resource(templates):
    # ADR-0032: the handler owns the parameter; a stack update would reset a CFN-owned one.
    for name, template in templates.items():
        assert resources_of_type(template, "AWS::SSM::Parameter") == {}, name


# -- alarms on the registration metrics (ADR-0012, ADR-0014) ---------------------------------

ALARMED_METRICS = {
    constants.REGISTERED_MODEL_DELETED_METRIC,
    constants.REGISTERED_MODEL_OVERWRITTEN_METRIC,
    constants.EVENT_REJECTED_METRIC,
    constants.UNVERIFIED_UPLOAD_IGNORED_METRIC,
}


def registration_metric_alarms(template: dict) -> dict[str, dict]:
    """The registration's alarms (not the gate's, in the same namespace: stacks/registry/)."""
    return {
        alarm["Properties"]["MetricName"]: alarm["Properties"]
        for alarm in resources_of_type(template, "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("Namespace") == constants.MODEL_REGISTRATION_METRICS_NAMESPACE
        and alarm["Properties"]["MetricName"] != constants.MODEL_REJECTED_BY_GATE_METRIC
    }


def test_deleted_overwritten_rejected_and_unverified_registrations_each_raise_an_alarm(
    template,
):
    alarms = registration_metric_alarms(template)
    assert (
        set(alarms)
        == ALARMED_METRICS
        == {
            "RegisteredModelDeleted",
            "RegisteredModelOverwritten",
            "EventRejected",
            "UnverifiedUploadIgnored",
        }
    )
    for metric, alarm in alarms.items():
        assert alarm["Statistic"] == "Sum", metric
        assert alarm["Period"] == constants.REGISTRATION_METRIC_ALARM_PERIOD_SECONDS == 300
        assert alarm["EvaluationPeriods"] == 1, metric
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold", metric
        assert alarm["Threshold"] == constants.REGISTRATION_METRIC_ALARM_THRESHOLD == 1
        # An idle period (no invocation, no data) is not an incident.
        assert alarm["TreatMissingData"] == "notBreaching", metric
        # The function sends its metrics without dimensions (lambda/registration/contract.py).
        assert "Dimensions" not in alarm, metric
        assert alarm["AlarmDescription"], metric


def test_registration_alarms_publish_to_the_operations_topic(template):
    topic_id, _ = the_resource(template, "AWS::SNS::Topic")
    for metric, alarm in registration_metric_alarms(template).items():
        assert alarm["AlarmActions"] == [{"Ref": topic_id}], metric


def test_alarms_watch_the_namespace_the_function_writes_and_may_write(template, function):
    namespace = function["Environment"]["Variables"][constants.METRICS_NAMESPACE_ENV_VAR]
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm").values()
    watched = {a["Properties"]["Namespace"] for a in alarms} - {"AWS/SQS"}
    assert watched == {namespace}
