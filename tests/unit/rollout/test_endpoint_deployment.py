"""The EndpointDeployment construct: blue/green updates, baked and rolled back by alarms, with a
deployment configuration the SageMaker API accepts (ADR-0053, ADR-0054)."""

from __future__ import annotations

import aws_cdk as cdk
import botocore.session
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template
from botocore.validate import ParamValidator
from hypothesis import given
from hypothesis import strategies as st

from cdk_exercise_stacks.constructs.endpoint_deployment import EndpointDeployment, traffic_routing
from config import constants
from tests.unit.rollout.rollout_stacks import (
    ENDPOINT_NAME,
    VARIANT,
    endpoint_stack,
    only,
    without_intrinsics,
)


def _operations_actions(app: cdk.App, name: str) -> list[cloudwatch.IAlarmAction]:
    """The alarm actions the constructs require: an operations topic in a stack of its own."""
    topic = sns.Topic(cdk.Stack(app, name), "Operations", enforce_ssl=True)
    return [cloudwatch_actions.SnsAction(topic)]


@pytest.fixture(scope="module")
def app_templates():
    app = cdk.App(builtin_cloud_formation_validation=False)
    actions = _operations_actions(app, "operations-stack")
    single = endpoint_stack(app, "single-instance-stack", instances=1, alarm_actions=actions)
    fleet = endpoint_stack(app, "fleet-stack", instances=2, alarm_actions=actions)
    return {"single": Template.from_stack(single.stack), "fleet": Template.from_stack(fleet.stack)}


@pytest.fixture(scope="module")
def template(app_templates) -> Template:
    return app_templates["single"]


@pytest.fixture(scope="module")
def fleet_template(app_templates) -> Template:
    return app_templates["fleet"]


@pytest.fixture(scope="module")
def update_endpoint_input():
    """botocore's input shape of UpdateEndpoint: what the SageMaker API requires."""
    model = botocore.session.get_session().get_service_model("sagemaker")
    return model.operation_model("UpdateEndpoint").input_shape


def _update_endpoint_call(endpoint_properties: dict) -> dict:
    """The UpdateEndpoint call CloudFormation makes for these endpoint properties: the
    CloudFormation names of DeploymentConfig are the API's, intrinsics resolved to strings."""
    return {
        "EndpointName": ENDPOINT_NAME,
        "EndpointConfigName": "endpoint-config-1",
        "RetainAllVariantProperties": endpoint_properties["RetainAllVariantProperties"],
        "DeploymentConfig": without_intrinsics(endpoint_properties["DeploymentConfig"]),
    }


def _api_errors(call: dict, input_shape) -> str:
    report = ParamValidator().validate(call, input_shape)
    return report.generate_report() if report.has_errors() else ""


@pytest.mark.parametrize("fleet", ["single", "fleet"])
def test_deployment_config_is_accepted_by_the_sagemaker_api(
    app_templates, fleet, update_endpoint_input
):
    """The CloudFormation schema marks WaitIntervalInSeconds optional, the API requires it: a
    template can pass cfn-lint and still have its endpoint update refused."""
    endpoint = only(app_templates[fleet], "AWS::SageMaker::Endpoint")["Properties"]
    assert _api_errors(_update_endpoint_call(endpoint), update_endpoint_input) == ""


def test_api_validation_names_a_missing_wait_interval(template, update_endpoint_input):
    """The check above can fire: the routing as it was before ADR-0053's amendment."""
    endpoint = only(template, "AWS::SageMaker::Endpoint")["Properties"]
    call = _update_endpoint_call(endpoint)
    del call["DeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"][
        "WaitIntervalInSeconds"
    ]
    assert "Missing required parameter in DeploymentConfig.BlueGreenUpdatePolicy." in (
        _api_errors(call, update_endpoint_input)
    )
    assert '"WaitIntervalInSeconds"' in _api_errors(call, update_endpoint_input)


@pytest.mark.parametrize("fleet", ["single", "fleet"])
def test_execution_timeout_exceeds_the_waits(app_templates, fleet):
    """MaximumExecutionTimeoutInSeconds "should be larger than the total waiting time specified
    in TerminationWaitInSeconds and WaitIntervalInSeconds" (SageMaker API reference)."""
    endpoint = only(app_templates[fleet], "AWS::SageMaker::Endpoint")["Properties"]
    policy = endpoint["DeploymentConfig"]["BlueGreenUpdatePolicy"]
    waiting = (
        policy["TerminationWaitInSeconds"]
        + policy["TrafficRoutingConfiguration"]["WaitIntervalInSeconds"]
    )
    assert policy["MaximumExecutionTimeoutInSeconds"] > waiting


def test_endpoint_updates_are_blue_green_baked_and_rolled_back_by_both_alarms(template):
    endpoint = only(template, "AWS::SageMaker::Endpoint")["Properties"]
    assert endpoint["RetainAllVariantProperties"] is True
    config = endpoint["DeploymentConfig"]
    assert config["BlueGreenUpdatePolicy"] == {
        "TrafficRoutingConfiguration": {
            "Type": "ALL_AT_ONCE",
            "WaitIntervalInSeconds": constants.DEPLOYMENT_ALL_AT_ONCE_WAIT_SECONDS,
        },
        "TerminationWaitInSeconds": constants.DEPLOYMENT_BAKE_SECONDS,
        "MaximumExecutionTimeoutInSeconds": constants.DEPLOYMENT_MAX_EXECUTION_SECONDS,
    }
    alarm_ids = {
        logical_id
        for logical_id, alarm in template.find_resources("AWS::CloudWatch::Alarm").items()
        if alarm["Properties"]["Namespace"] == "AWS/SageMaker"
    }
    assert len(alarm_ids) == 2
    assert config["AutoRollbackConfiguration"] == {
        "Alarms": [{"AlarmName": {"Ref": logical_id}} for logical_id in sorted(alarm_ids)]
    }


def test_two_instance_fleet_shifts_a_one_instance_canary_first(fleet_template):
    endpoint = only(fleet_template, "AWS::SageMaker::Endpoint")["Properties"]
    routing = endpoint["DeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    assert routing == {
        "Type": "CANARY",
        "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1},
        "WaitIntervalInSeconds": constants.DEPLOYMENT_CANARY_WAIT_SECONDS,
    }


def test_rollback_alarms_watch_errors_and_p99_latency_of_the_variant(template):
    alarms = [
        a["Properties"]
        for a in template.find_resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"]["Namespace"] == "AWS/SageMaker"
    ]
    by_metric = {a["MetricName"]: a for a in alarms}
    assert set(by_metric) == {"Invocation5XXErrors", "ModelLatency"}
    for alarm in alarms:
        assert alarm["Dimensions"] == [
            {"Name": "EndpointName", "Value": ENDPOINT_NAME},
            {"Name": "VariantName", "Value": VARIANT},
        ]
        assert alarm["Period"] == constants.DEPLOYMENT_ALARM_PERIOD_SECONDS
        assert alarm["EvaluationPeriods"] == constants.DEPLOYMENT_ALARM_EVALUATION_PERIODS
        assert alarm["DatapointsToAlarm"] == constants.DEPLOYMENT_ALARM_DATAPOINTS_TO_ALARM
        assert alarm["TreatMissingData"] == "notBreaching"
        assert "AlarmName" not in alarm  # generated: never collides between deployments
    assert by_metric["Invocation5XXErrors"]["Statistic"] == "Sum"
    assert by_metric["Invocation5XXErrors"]["Threshold"] == constants.ALARM_5XX_THRESHOLD
    assert by_metric["ModelLatency"]["ExtendedStatistic"] == "p99"
    assert by_metric["ModelLatency"]["Threshold"] == constants.ALARM_MODEL_LATENCY_P99_MICROSECONDS


@given(st.integers(min_value=1, max_value=100), st.integers(min_value=0, max_value=100))
def test_canary_never_exceeds_half_of_the_smallest_fleet(smallest, growth):
    routing = traffic_routing(smallest)
    fleet_when_update_starts = smallest + growth  # autoscaling only ever adds to the minimum
    if routing.type == "CANARY":
        assert routing.canary_size.type == "INSTANCE_COUNT"
        assert routing.canary_size.value * 2 <= fleet_when_update_starts
    else:
        assert routing.type == "ALL_AT_ONCE"
        assert smallest < constants.DEPLOYMENT_CANARY_MIN_INSTANCES


def test_autoscaling_minimum_below_the_initial_count_decides():
    stack = cdk.Stack(cdk.App(builtin_cloud_formation_validation=False), "s")
    endpoint = sagemaker.CfnEndpoint(stack, "Endpoint", endpoint_config_name="c")
    EndpointDeployment(
        stack,
        "Deployment",
        endpoint=endpoint,
        endpoint_name=ENDPOINT_NAME,
        variant_name=VARIANT,
        initial_instance_count=2,
        min_instance_count=1,
        alarm_actions=_operations_actions(stack.node.root, "operations"),
    )
    routing = Template.from_stack(stack).find_resources("AWS::SageMaker::Endpoint")["Endpoint"][
        "Properties"
    ]["DeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    assert routing == {
        "Type": "ALL_AT_ONCE",
        "WaitIntervalInSeconds": constants.DEPLOYMENT_ALL_AT_ONCE_WAIT_SECONDS,
    }


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"bake_seconds": 3601}, "bake_seconds must be between 0 and 3600"),
        ({"max_execution_seconds": 599}, "max_execution_seconds must be between 600 and 28800"),
        ({"all_at_once_wait_seconds": 3601}, "all_at_once_wait_seconds must be between 0 and 3600"),
        ({"all_at_once_wait_seconds": -1}, "all_at_once_wait_seconds must be between 0 and 3600"),
        (
            {"initial_instance_count": 2, "canary_wait_seconds": 3601},
            "canary_wait_seconds must be between 0 and 3600",
        ),
        (
            {"bake_seconds": 600, "all_at_once_wait_seconds": 600, "max_execution_seconds": 1200},
            r"max_execution_seconds \(1200\) must be larger than bake_seconds \(600\) plus the "
            r"traffic wait interval \(600\) = 1200",
        ),
        (
            {
                "initial_instance_count": 2,
                "bake_seconds": 300,
                "canary_wait_seconds": 400,
                "max_execution_seconds": 650,
            },
            r"must be larger than bake_seconds \(300\) plus the traffic wait interval \(400\)",
        ),
        ({"initial_instance_count": 0}, "initial_instance_count must be at least 1"),
        ({"min_instance_count": 0}, "min_instance_count must be at least 1"),
    ],
)
def test_out_of_range_deployment_settings_are_refused_by_name(arguments, message):
    stack = cdk.Stack(cdk.App(builtin_cloud_formation_validation=False), "s")
    endpoint = sagemaker.CfnEndpoint(stack, "Endpoint", endpoint_config_name="c")
    settings = {
        "endpoint": endpoint,
        "endpoint_name": ENDPOINT_NAME,
        "variant_name": VARIANT,
        "initial_instance_count": 1,
        "alarm_actions": _operations_actions(stack.node.root, "operations"),
        **arguments,
    }
    with pytest.raises(ValueError, match=message):
        EndpointDeployment(stack, "Deployment", **settings)


def test_a_deployment_without_alarm_actions_is_refused():
    stack = cdk.Stack(cdk.App(builtin_cloud_formation_validation=False), "s")
    endpoint = sagemaker.CfnEndpoint(stack, "Endpoint", endpoint_config_name="c")
    with pytest.raises(ValueError, match=r"^alarm_actions must name at least one action"):
        EndpointDeployment(
            stack,
            "Deployment",
            endpoint=endpoint,
            endpoint_name=ENDPOINT_NAME,
            variant_name=VARIANT,
            initial_instance_count=1,
            alarm_actions=[],
        )
