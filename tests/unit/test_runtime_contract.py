"""The contract names: each is defined once in the functions' runtime (``lambda/``: the
``contract`` module of each function, ``common.metrics`` for what all share) and once on the
infrastructure side (``config/constants.py``, or the construct, as the synthesized template
shows it). The runtime cannot import ``config/`` (each asset ships alone), so this test is what
keeps the two definitions in step: environment variable names, handler strings, metric names,
namespaces and dimensions, the events the S3 notification and the rollout's rules deliver, and
the stack statuses the rollout reports. docs/architecture.md ("Contract names") lists them.
"""

from __future__ import annotations

import importlib
import json

import pytest

from cdk_exercise_stacks.rollout.model_rollout import FOREIGN_EVENT_IGNORED_METRIC
from common import metrics as common_metrics
from config import constants
from config.naming import DeploymentNaming
from monitoring import contract as monitoring
from monitoring import report as monitoring_report
from monitoring.settings import load_settings as load_monitor_settings
from registration import contract as registration
from registration.s3_events import CREATED_PREFIX, REMOVAL_EVENT_NAMES
from registration.settings import load_settings as load_registration_settings
from registry import contract as registry
from registry.gate import GatePolicy
from registry.metrics_file import METRICS_FILE_SUFFIX
from registry.settings import load_registry_settings
from rollout import contract as rollout
from rollout.decision import outcome_event
from rollout.queue_records import RolloutRequest, StackOutcome, parse_record

LAMBDA_STACK = constants.LAMBDA_STACK_NAME
ENDPOINT_STACK = constants.SAGEMAKER_STACK_NAME


def _resources(template: dict, resource_type: str) -> list[dict]:
    return [r for r in template["Resources"].values() if r["Type"] == resource_type]


def _function(template: dict, handler: str) -> dict:
    [function] = [
        r["Properties"]
        for r in _resources(template, "AWS::Lambda::Function")
        if r["Properties"]["Handler"] == handler
    ]
    return function


def _alarms_in(template: dict, namespace: str) -> list[dict]:
    alarms = [
        r["Properties"]
        for r in _resources(template, "AWS::CloudWatch::Alarm")
        if r["Properties"].get("Namespace") == namespace
    ]
    assert alarms, f"no alarm on the {namespace} namespace: nothing to tie"
    return alarms


def _rule_pattern(template: dict, source: str) -> dict:
    [pattern] = [
        r["Properties"]["EventPattern"]
        for r in _resources(template, "AWS::Events::Rule")
        if r["Properties"].get("EventPattern", {}).get("source") == [source]
    ]
    return pattern


def _sqs_record(event: dict, message_id: str) -> dict:
    return {"messageId": message_id, "body": json.dumps(event)}


# -- shared by every function ----------------------------------------------------------------


def test_every_function_reads_its_metrics_namespace_from_the_variable_the_stacks_set():
    assert common_metrics.METRICS_NAMESPACE_ENV_VAR == constants.METRICS_NAMESPACE_ENV_VAR


@pytest.mark.parametrize(
    ("stack", "handler"),
    [
        (LAMBDA_STACK, constants.LAMBDA_HANDLER),
        (ENDPOINT_STACK, constants.ROLLOUT_HANDLER),
        (ENDPOINT_STACK, constants.MONITOR_HANDLER),
    ],
)
def test_each_handler_string_names_a_function_of_its_entry_module(templates, stack, handler):
    assert _function(templates[stack], handler)["Handler"] == handler
    module_name, function_name = handler.rsplit(".", 1)
    entry = importlib.import_module(module_name)
    assert callable(getattr(entry, function_name, None)), f"{handler} is not a function"


# -- registration ------------------------------------------------------------------------------


def test_the_registration_reads_the_env_vars_the_lambda_stack_sets(templates):
    assert registration.PARAMETER_ENV_VAR == constants.SSM_PARAMETER_ENV_VAR
    assert registration.MODEL_BUCKET_ENV_VAR == constants.MODEL_BUCKET_ENV_VAR
    assert registration.MODEL_KEY_PREFIX_ENV_VAR == constants.MODEL_KEY_PREFIX_ENV_VAR
    variables = _function(templates[LAMBDA_STACK], constants.LAMBDA_HANDLER)["Environment"][
        "Variables"
    ]
    assert set(variables) == {
        registration.PARAMETER_ENV_VAR,
        common_metrics.METRICS_NAMESPACE_ENV_VAR,
        registration.MODEL_BUCKET_ENV_VAR,
        registration.MODEL_KEY_PREFIX_ENV_VAR,
        registry.MODEL_PACKAGE_GROUP_ENV_VAR,
        registry.GATE_POLICY_ENV_VAR,
    }


@pytest.mark.parametrize("prefix", ["", "it1", "a" * constants.DEPLOYMENT_PREFIX_MAX_LENGTH])
def test_the_registration_accepts_the_environment_of_every_deployment(prefix):
    naming = DeploymentNaming(prefix)
    environment = {
        **naming.lambda_environment,
        **naming.model_bucket_environment("123456789012", "ap-southeast-4"),
    }
    settings = load_registration_settings(environment)
    assert settings.parameter_name == naming.model_parameter_name
    assert settings.metrics_namespace == naming.registration_metrics_namespace
    assert settings.model_location.key_prefix == constants.MODEL_KEY_PREFIX
    assert settings.model_location.bucket == naming.model_bucket_name(
        "123456789012", "ap-southeast-4"
    )


def test_the_registration_default_namespace_is_the_one_the_role_and_alarms_use():
    assert (
        registration.DEFAULT_METRICS_NAMESPACE
        == constants.MODEL_REGISTRATION_METRICS_NAMESPACE
        == DeploymentNaming().registration_metrics_namespace
    )


def test_the_alarmed_registration_metrics_are_ones_the_handler_writes_without_dimensions(
    templates,
):
    assert constants.REGISTERED_MODEL_DELETED_METRIC == registration.REGISTERED_MODEL_DELETED
    assert (
        constants.REGISTERED_MODEL_OVERWRITTEN_METRIC == registration.REGISTERED_MODEL_OVERWRITTEN
    )
    assert constants.EVENT_REJECTED_METRIC == registration.EVENT_REJECTED
    assert constants.UNVERIFIED_UPLOAD_IGNORED_METRIC == registration.UNVERIFIED_UPLOAD_IGNORED
    for alarm in _alarms_in(templates[LAMBDA_STACK], registration.DEFAULT_METRICS_NAMESPACE):
        assert alarm["MetricName"] in registration.METRIC_NAMES + registry.METRIC_NAMES
        # The handler writes no dimension: an alarm naming one would never see data.
        assert "Dimensions" not in alarm


def test_the_registration_allows_the_event_time_skew_the_configuration_documents():
    assert (
        registration.MAX_EVENT_TIME_AHEAD_SECONDS
        == constants.REGISTRATION_MAX_EVENT_TIME_AHEAD_SECONDS
        == 15 * 60
    )


def test_every_alarmed_registration_metric_is_one_the_handler_sends(templates):
    alarmed = {
        alarm["MetricName"]
        for alarm in _alarms_in(templates[LAMBDA_STACK], registration.DEFAULT_METRICS_NAMESPACE)
    }
    assert registration.UNVERIFIED_UPLOAD_IGNORED in alarmed
    # In registry mode the function also sends the gate's metrics (ADR-0071).
    assert alarmed <= set(registration.METRIC_NAMES) | set(registry.METRIC_NAMES)


def test_the_registration_accepts_the_suffix_and_event_types_the_notification_sends(templates):
    assert registration.MODEL_ARTIFACT_SUFFIX == constants.MODEL_ARTIFACT_SUFFIX
    [bucket] = [
        r["Properties"]
        for r in _resources(templates[constants.S3_STACK_NAME], "AWS::S3::Bucket")
        if "NotificationConfiguration" in r["Properties"]
    ]
    configurations = bucket["NotificationConfiguration"]["LambdaConfigurations"]
    assert configurations
    handled_families = {CREATED_PREFIX} | {name.split(":")[0] + ":" for name in REMOVAL_EVENT_NAMES}
    for configuration in configurations:
        rules = {r["Name"]: r["Value"] for r in configuration["Filter"]["S3Key"]["Rules"]}
        assert rules["suffix"] == registration.MODEL_ARTIFACT_SUFFIX
        # "s3:ObjectCreated:*" arrives as eventName "ObjectCreated:Put" (no "s3:").
        family = configuration["Event"].removeprefix("s3:").removesuffix("*")
        assert family in handled_families, configuration["Event"]


# -- rollout -------------------------------------------------------------------------------------


def test_the_rollout_reads_the_env_vars_its_construct_sets(templates):
    assert rollout.STACK_NAME_ENV_VAR == constants.ROLLOUT_STACK_NAME_ENV_VAR
    assert rollout.CFN_ROLE_ARN_ENV_VAR == constants.ROLLOUT_CFN_ROLE_ARN_ENV_VAR
    assert rollout.PARAMETER_NAME_ENV_VAR == constants.ROLLOUT_PARAMETER_ENV_VAR
    variables = _function(templates[ENDPOINT_STACK], constants.ROLLOUT_HANDLER)["Environment"][
        "Variables"
    ]
    assert set(variables) == {*rollout.REQUIRED_ENV_VARS, common_metrics.METRICS_NAMESPACE_ENV_VAR}


def test_the_rollout_default_namespace_is_the_one_the_role_and_alarms_use(templates):
    assert rollout.DEFAULT_METRICS_NAMESPACE == constants.ROLLOUT_METRICS_NAMESPACE
    variables = _function(templates[ENDPOINT_STACK], constants.ROLLOUT_HANDLER)["Environment"][
        "Variables"
    ]
    assert variables[common_metrics.METRICS_NAMESPACE_ENV_VAR] == rollout.DEFAULT_METRICS_NAMESPACE


def test_the_alarmed_rollout_metrics_are_ones_the_function_writes_with_its_dimension(templates):
    assert rollout.STACK_DIMENSION == constants.ROLLOUT_METRICS_STACK_DIMENSION
    for alarm in _alarms_in(templates[ENDPOINT_STACK], rollout.DEFAULT_METRICS_NAMESPACE):
        assert alarm["MetricName"] in rollout.METRIC_NAMES.values()
        assert [d["Name"] for d in alarm["Dimensions"]] == [rollout.STACK_DIMENSION]


def test_the_foreign_event_metric_is_the_one_the_function_writes_and_is_alarmed(templates):
    name = rollout.METRIC_NAMES["foreign_event_ignored"]
    assert name == constants.ROLLOUT_FOREIGN_EVENT_IGNORED_METRIC == FOREIGN_EVENT_IGNORED_METRIC
    alarmed = {
        a["MetricName"]
        for a in _alarms_in(templates[ENDPOINT_STACK], rollout.DEFAULT_METRICS_NAMESPACE)
    }
    assert name in alarmed


def test_every_parameter_change_the_rule_delivers_is_a_rollout_request(templates):
    """Events built from the synthesized pattern go through the function's parser: a pattern
    and a parser typed apart can drift (a new operation, a renamed detail-type)."""
    pattern = _rule_pattern(templates[ENDPOINT_STACK], rollout.SSM_SOURCE)
    assert pattern["detail-type"] == [rollout.SSM_DETAIL_TYPE]
    [name] = pattern["detail"]["name"]
    operations = pattern["detail"]["operation"]
    assert set(operations) == rollout.ROLLOUT_OPERATIONS
    for operation in operations:
        event = {
            "source": rollout.SSM_SOURCE,
            "detail-type": rollout.SSM_DETAIL_TYPE,
            "time": "2026-11-27T10:00:00Z",
            "detail": {"name": name, "type": "String", "operation": operation},
        }
        parsed = parse_record(_sqs_record(event, f"m-{operation}"), name)
        assert parsed == RolloutRequest(f"m-{operation}", name, operation, event["time"])


def test_every_stack_status_the_outcome_rule_delivers_is_one_the_function_reports(templates):
    pattern = _rule_pattern(templates[ENDPOINT_STACK], rollout.CLOUDFORMATION_SOURCE)
    assert pattern["detail-type"] == [rollout.STACK_STATUS_DETAIL_TYPE]
    statuses = pattern["detail"]["status-details"]["status"]
    assert sorted(statuses) == sorted(rollout.STACK_OUTCOME_EVENTS)
    for status in statuses:
        event = {
            "source": rollout.CLOUDFORMATION_SOURCE,
            "detail-type": rollout.STACK_STATUS_DETAIL_TYPE,
            "detail": {
                "stack-id": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
                "status-details": {"status": status, "status-reason": ""},
                "client-request-token": "model-rollout-m1",
            },
        }
        parsed = parse_record(_sqs_record(event, f"o-{status}"), "/unused")
        assert isinstance(parsed, StackOutcome), parsed
        assert parsed.status == status
        assert outcome_event(status) in rollout.METRIC_NAMES


# -- model registry (ADR-0071) -----------------------------------------------------------------


def test_the_registry_reads_the_group_and_gate_the_lambda_stack_sets(templates):
    assert registry.MODEL_PACKAGE_GROUP_ENV_VAR == constants.MODEL_PACKAGE_GROUP_ENV_VAR
    assert registry.GATE_POLICY_ENV_VAR == constants.MODEL_GATE_POLICY_ENV_VAR
    template = templates[LAMBDA_STACK]
    variables = _function(template, constants.LAMBDA_HANDLER)["Environment"]["Variables"]
    [group] = _resources(template, "AWS::SageMaker::ModelPackageGroup")
    settings = load_registry_settings(variables)

    assert settings.group_name == group["Properties"]["ModelPackageGroupName"]
    assert settings.group_name == DeploymentNaming().model_package_group_name
    guards = constants.model_gate_policy()["guards"]
    assert settings.policy == GatePolicy(
        primary_metric=constants.MODEL_GATE_PRIMARY_METRIC,
        direction=constants.MODEL_GATE_DIRECTION,
        tolerance=constants.MODEL_GATE_TOLERANCE,
        guards=settings.policy.guards,
        missing_metrics=constants.MODEL_GATE_MISSING_METRICS,
    )
    assert [(g.name, g.max_drop, g.direction.value) for g in settings.policy.guards] == [
        (g["name"], g["max_drop"], g["direction"]) for g in guards
    ]


def test_the_state_change_rule_delivers_the_events_the_registry_handles(templates):
    pattern = _rule_pattern(templates[LAMBDA_STACK], registry.STATE_CHANGE_SOURCE)

    assert pattern["detail-type"] == [registry.STATE_CHANGE_DETAIL_TYPE]
    assert constants.MODEL_PACKAGE_STATE_CHANGE_DETAIL_TYPE == registry.STATE_CHANGE_DETAIL_TYPE
    assert pattern["detail"] == {
        "ModelPackageGroupName": [DeploymentNaming().model_package_group_name]
    }


def test_the_gate_alarm_watches_the_metric_the_registry_writes(templates):
    assert constants.MODEL_REJECTED_BY_GATE_METRIC == registry.MODEL_REJECTED_BY_GATE
    alarms = _alarms_in(templates[LAMBDA_STACK], registration.DEFAULT_METRICS_NAMESPACE)
    assert registry.MODEL_REJECTED_BY_GATE in {alarm["MetricName"] for alarm in alarms}


def test_the_metrics_files_the_function_may_read_are_the_ones_the_parser_names():
    assert constants.MODEL_METRICS_FILE_SUFFIX == METRICS_FILE_SUFFIX


# -- monitor -------------------------------------------------------------------------------------


def _monitor_variables(templates) -> dict:
    return _function(templates[ENDPOINT_STACK], constants.MONITOR_HANDLER)["Environment"][
        "Variables"
    ]


def test_the_monitor_reads_the_env_vars_its_construct_sets(templates):
    variables = _monitor_variables(templates)
    optional = {monitoring.MODEL_PACKAGE_GROUP_ENV_VAR}

    assert set(constants.MONITOR_ENVIRONMENT_NAMES.values()) == {
        *monitoring.REQUIRED_ENV_VARS,
        *optional,
        common_metrics.METRICS_NAMESPACE_ENV_VAR,
    }
    assert set(variables) - optional == {
        *monitoring.REQUIRED_ENV_VARS,
        common_metrics.METRICS_NAMESPACE_ENV_VAR,
    }


def test_the_monitor_accepts_the_environment_the_stack_gives_it(templates):
    variables = {
        name: value if isinstance(value, str) else "capture-bucket"  # the bucket's Ref
        for name, value in _monitor_variables(templates).items()
    }

    settings = load_monitor_settings(variables)

    assert settings.metrics_namespace == monitoring_report.NAMESPACE
    assert settings.thresholds.max_label_psi == constants.MONITOR_MAX_LABEL_PSI
    assert settings.event_source == constants.MONITOR_EVENT_SOURCE


def test_the_monitoring_namespace_dimension_and_event_are_the_ones_the_stack_uses():
    assert monitoring_report.NAMESPACE == constants.MONITOR_METRICS_NAMESPACE
    assert monitoring_report.ENDPOINT_DIMENSION == constants.MONITOR_ENDPOINT_DIMENSION
    assert monitoring_report.RETRAINING_DETAIL_TYPE == constants.RETRAINING_DETAIL_TYPE


def test_the_alarmed_and_charted_monitoring_metrics_are_ones_the_function_writes(templates):
    written = {
        value
        for name, value in vars(monitoring_report).items()
        if name.isupper() and isinstance(value, str) and value[:1].isupper()
    }
    charted = {
        *constants.MONITOR_DRIFT_METRICS,
        *constants.MONITOR_QUALITY_METRICS,
        *constants.MONITOR_VOLUME_METRICS,
    }
    alarmed = {
        a["MetricName"] for a in _alarms_in(templates[ENDPOINT_STACK], monitoring_report.NAMESPACE)
    }

    assert charted <= written
    assert alarmed <= written


def test_the_charted_registration_and_rollout_metrics_are_ones_those_functions_write():
    assert set(constants.DASHBOARD_REGISTRATION_METRICS) <= {
        registration.MODEL_REGISTERED,
        registration.EVENT_IGNORED,
        registration.EVENT_REJECTED,
        registration.REGISTERED_MODEL_DELETED,
        registration.REGISTERED_MODEL_OVERWRITTEN,
    }
    assert set(constants.DASHBOARD_ROLLOUT_METRICS) <= set(rollout.METRIC_NAMES.values())


def test_the_monitor_reads_metrics_files_where_the_registry_puts_them():
    from registry.metrics_file import METRICS_FILE_SUFFIX

    assert constants.METRICS_FILE_SUFFIX == METRICS_FILE_SUFFIX
