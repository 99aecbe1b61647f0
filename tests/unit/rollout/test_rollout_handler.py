"""The rollout function on moto: SSM, CloudFormation, SageMaker and CloudWatch emulated, the
handler called in-process with the SQS batches the event source mapping would deliver.

moto limitations these tests work within (verified on moto 5.2.5):
- a stack is never left in an *_IN_PROGRESS status: botocore's Stubber answers DescribeStacks
  for that one state, and only there;
- an SSM-typed parameter whose name did not change replaces the resources that use it only on
  the first update after a create (moto compares the parameter *names* it was given); each test
  therefore checks one effective update per stack, which is what real CloudFormation does on
  every update whose resolved value changed.
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber
from moto import mock_aws

import rollout_handler
from common.aws_clients import AwsClients
from common.errors import ConfigurationError
from config import constants
from rollout.settings import load_settings
from rollout_handler import handle_batch
from tests.unit.rollout.rollout_testkit import (
    CFN_ROLE_ARN,
    MODEL_LOGICAL_ID,
    NAMESPACE,
    PARAMETER,
    REGION,
    STACK_NAME,
    CallRecorder,
    FixedClients,
    LambdaContext,
    clients,
    create_small_stack,
    parameter_change,
    put_model_key,
    served_model_data_url,
    settings_env,
    stack_status_change,
)

SETTINGS = load_settings(settings_env())


@pytest.fixture
def aws(aws_credentials):
    with mock_aws():
        yield clients()


@pytest.fixture
def log_lines(capsys):
    """The JSON lines the function wrote to stdout so far (every line must be JSON)."""
    written: list[str] = []

    def lines():
        written.extend(capsys.readouterr().out.splitlines())
        return [json.loads(line) for line in written if line]

    return lines


def run(aws, *records, cloudformation=None):
    batch = {"Records": list(records)}
    rollout_clients = FixedClients(
        cloudformation=cloudformation or aws["cloudformation"],
        ssm=aws["ssm"],
        cloudwatch=aws["cloudwatch"],
    )
    return handle_batch(batch, SETTINGS, rollout_clients)


def failed_ids(response):
    return sorted(item["itemIdentifier"] for item in response["batchItemFailures"])


def metric_names(aws):
    listed = aws["cloudwatch"].list_metrics(Namespace=NAMESPACE)["Metrics"]
    assert all(m["Dimensions"] == [{"Name": "StackName", "Value": STACK_NAME}] for m in listed)
    return {m["MetricName"] for m in listed}


def test_parameter_change_updates_the_stack_to_the_new_model(aws, log_lines):
    create_small_stack(aws["cloudformation"], aws["ssm"], "models/v1.tar.gz")
    put_model_key(aws["ssm"], "models/v2.tar.gz")
    recorder = CallRecorder(aws["cloudformation"])

    response = run(aws, parameter_change(message_id="m1"))

    assert failed_ids(response) == []
    assert served_model_data_url(aws["cloudformation"], aws["sagemaker"], MODEL_LOGICAL_ID) == (
        "s3://model-bucket/models/v2.tar.gz"
    )
    [update] = recorder.named("UpdateStack")
    assert update == {
        "StackName": STACK_NAME,
        "UsePreviousTemplate": True,
        "Parameters": [
            {"ParameterKey": "ModelKeyParameter", "ParameterValue": PARAMETER},
            {
                "ParameterKey": "BootstrapVersion",
                "ParameterValue": "/cdk-bootstrap/hnb659fds/version",
            },
        ],
        "Capabilities": [],
        "RoleARN": CFN_ROLE_ARN,
        "ClientRequestToken": "model-rollout-m1",
    }
    stack = aws["cloudformation"].describe_stacks(StackName=STACK_NAME)["Stacks"][0]
    assert stack["RoleARN"] == CFN_ROLE_ARN
    events = [line["event"] for line in log_lines()]
    assert events == ["rollout_requested", "rollout_started"]
    assert log_lines()[1]["parameterVersion"] == 2
    assert metric_names(aws) == {"RolloutRequested", "RolloutStarted"}


def test_change_during_an_update_is_deferred_then_applied_with_the_newest_value(aws, log_lines):
    """While an update runs, requests go back to the queue; the next attempt serves them all
    with the value registered last.

    moto never leaves a stack in UPDATE_IN_PROGRESS, so a Stubber answers DescribeStacks with
    that status for the first attempt (and fails the test on any other call, UpdateStack
    included). The second attempt runs against moto.
    """
    create_small_stack(aws["cloudformation"], aws["ssm"], "models/v1.tar.gz")
    put_model_key(aws["ssm"], "models/v2.tar.gz")
    busy = clients()["cloudformation"]
    stubber = Stubber(busy)
    stubber.add_response(
        "describe_stacks",
        {
            "Stacks": [
                {
                    "StackName": STACK_NAME,
                    "CreationTime": "2026-11-27T10:00:00Z",
                    "StackStatus": "UPDATE_IN_PROGRESS",
                }
            ]
        },
        {"StackName": STACK_NAME},
    )
    first, second = parameter_change(message_id="m1"), parameter_change(message_id="m2")

    with stubber:
        deferred = run(aws, first, second, cloudformation=busy)
    stubber.assert_no_pending_responses()

    assert failed_ids(deferred) == ["m1", "m2"]
    put_model_key(aws["ssm"], "models/v3.tar.gz")
    third = parameter_change(message_id="m3")
    recorder = CallRecorder(aws["cloudformation"])

    applied = run(aws, first, second, third)

    assert failed_ids(applied) == []
    assert len(recorder.named("UpdateStack")) == 1
    assert served_model_data_url(aws["cloudformation"], aws["sagemaker"], MODEL_LOGICAL_ID) == (
        "s3://model-bucket/models/v3.tar.gz"
    )
    lines = log_lines()
    assert [line["event"] for line in lines] == [
        "rollout_requested",
        "rollout_deferred",
        "rollout_requested",
        "rollout_started",
    ]
    assert lines[1]["reason"] == "stack is UPDATE_IN_PROGRESS"
    assert lines[1]["willRetry"] is True
    assert lines[3]["parameterVersion"] == 3
    assert metric_names(aws) == {"RolloutRequested", "RolloutDeferred", "RolloutStarted"}


def test_no_updates_to_perform_counts_as_already_up_to_date(aws, log_lines):
    """A stack whose parameters resolve to what it already uses answers "No updates are to be
    performed."; the request is done, not retried. (A template with a plain parameter, so
    that moto compares values exactly as CloudFormation does.)"""
    template = {
        "Parameters": {"Release": {"Type": "String"}},
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {}}},
    }
    aws["cloudformation"].create_stack(
        StackName=STACK_NAME,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": "Release", "ParameterValue": "r1"}],
    )

    response = run(aws, parameter_change(message_id="m1"))

    assert failed_ids(response) == []
    outcome = log_lines()[-1]
    assert outcome["event"] == "rollout_up_to_date"
    assert "No updates are to be performed" in outcome["reason"]
    assert outcome["willRetry"] is False
    assert "RolloutUpToDate" in metric_names(aws)


def test_missing_stack_fails_and_keeps_the_request_for_retry(aws, log_lines):
    response = run(aws, parameter_change(message_id="m1"))

    assert failed_ids(response) == ["m1"]
    outcome = log_lines()[-1]
    assert outcome["event"] == "rollout_failed"
    assert outcome["reason"].startswith("DescribeStacks: ValidationError")
    assert "RolloutFailed" in metric_names(aws)


def test_stack_that_needs_an_operator_is_not_updated(aws, log_lines):
    create_small_stack(aws["cloudformation"], aws["ssm"], "models/v1.tar.gz")
    broken = clients()["cloudformation"]
    stubber = Stubber(broken)
    stubber.add_response(
        "describe_stacks",
        {
            "Stacks": [
                {
                    "StackName": STACK_NAME,
                    "CreationTime": "2026-11-27T10:00:00Z",
                    "StackStatus": "UPDATE_ROLLBACK_FAILED",
                }
            ]
        },
    )
    with stubber:
        response = run(aws, parameter_change(message_id="m1"), cloudformation=broken)

    assert failed_ids(response) == ["m1"]
    assert "an operator must settle it" in log_lines()[-1]["reason"]


def test_stack_outcomes_are_logged_and_counted_and_never_retried(aws, log_lines):
    response = run(
        aws,
        stack_status_change("UPDATE_COMPLETE", message_id="o1"),
        stack_status_change("UPDATE_ROLLBACK_COMPLETE", message_id="o2"),
        stack_status_change("UPDATE_ROLLBACK_FAILED", token="console-1", message_id="o3"),
    )

    assert failed_ids(response) == []
    lines = log_lines()
    assert [line["event"] for line in lines] == [
        "rollout_succeeded",
        "rollout_rolled_back",
        "rollout_update_failed",
    ]
    assert [line["startedByRollout"] for line in lines] == [True, True, False]
    assert metric_names(aws) == {"RolloutSucceeded", "RolloutRolledBack", "RolloutUpdateFailed"}


def test_invalid_record_is_kept_for_the_dead_letter_queue_and_does_not_block_others(aws, log_lines):
    create_small_stack(aws["cloudformation"], aws["ssm"], "models/v1.tar.gz")
    put_model_key(aws["ssm"], "models/v2.tar.gz")
    garbage = {"messageId": "bad", "body": "{not json"}

    response = run(aws, garbage, parameter_change(message_id="m1"))

    assert failed_ids(response) == ["bad"]
    invalid = log_lines()[0]
    assert invalid["event"] == "rollout_invalid_request"
    assert "not JSON" in invalid["problem"]
    assert served_model_data_url(aws["cloudformation"], aws["sagemaker"], MODEL_LOGICAL_ID) == (
        "s3://model-bucket/models/v2.tar.gz"
    )


@pytest.fixture
def container_clients(aws, monkeypatch):
    """The function's own clients (``rollout_handler.CLIENTS``), fresh and created on moto."""
    fresh = AwsClients(rollout_handler.BUDGETS, rollout_handler.RESERVE_SECONDS)
    monkeypatch.setattr(rollout_handler, "CLIENTS", fresh)
    return fresh


def test_lambda_entry_point_reads_its_environment(aws, monkeypatch, container_clients, log_lines):
    for name, value in settings_env().items():
        monkeypatch.setenv(name, value)
    create_small_stack(aws["cloudformation"], aws["ssm"], "models/v1.tar.gz")
    put_model_key(aws["ssm"], "models/v2.tar.gz")

    response = rollout_handler.lambda_handler(
        {"Records": [parameter_change(message_id="m1")]},
        LambdaContext(remaining_seconds=constants.ROLLOUT_TIMEOUT_SECONDS),
    )

    assert response == {"batchItemFailures": []}
    last = log_lines()[-1]
    assert last["event"] == "rollout_started"
    assert (last["logger"], last["requestId"], last["stackName"]) == (
        "model_rollout",
        "req-rollout",
        STACK_NAME,
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"STACK_NAME": ""}, "STACK_NAME"),
        ({"CFN_ROLE_ARN": "cdk-exec-role"}, "not an IAM role ARN"),
        ({"MODEL_PARAMETER_NAME": "sentiment-model"}, "fully qualified"),
    ],
)
def test_bad_environment_is_named(change, message):
    with pytest.raises(ConfigurationError, match=message):
        load_settings({**settings_env(), **change})


def test_metrics_namespace_defaults_when_unset():
    environ = {k: v for k, v in settings_env().items() if k != "METRICS_NAMESPACE"}
    assert load_settings(environ).metrics_namespace == NAMESPACE


# ------------------------------------------------ malformed input and unreachable endpoints --


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        (["not", "a", "batch"], "event is a list, not an SQS batch"),
        (None, "event is a NoneType, not an SQS batch"),
        ({"Records": {"messageId": "m1"}}, "event Records is a dict, not a list"),
    ],
)
def test_an_event_that_is_no_batch_is_logged_and_counted_not_raised(aws, log_lines, event, problem):
    response = handle_batch(
        event,
        SETTINGS,
        FixedClients(
            cloudformation=aws["cloudformation"], ssm=aws["ssm"], cloudwatch=aws["cloudwatch"]
        ),
    )

    assert response == {"batchItemFailures": []}
    [line] = log_lines()
    assert line["event"] == "rollout_invalid_request"
    assert line["problem"] == problem
    assert line["willRetry"] is False
    assert metric_names(aws) == {"RolloutInvalidRequest"}


def test_a_record_that_is_no_object_does_not_fail_the_valid_records_beside_it(aws, log_lines):
    """An unidentifiable record cannot be handed back alone: a batch item failure with an empty
    itemIdentifier would make SQS return the whole batch, the served request included."""
    create_small_stack(aws["cloudformation"], aws["ssm"], "models/v1.tar.gz")
    put_model_key(aws["ssm"], "models/v2.tar.gz")

    response = run(aws, "garbage", 42, {"body": "{}"}, parameter_change(message_id="m1"))

    assert failed_ids(response) == []
    lines = log_lines()
    invalid = [line for line in lines if line["event"] == "rollout_invalid_request"]
    assert [line["problem"] for line in invalid] == [
        "SQS record is a str, not an object",
        "SQS record is a int, not an object",
        "SQS record has no messageId",
    ]
    assert all(line["willRetry"] is False for line in invalid)
    assert lines[-1]["event"] == "rollout_started"
    assert served_model_data_url(aws["cloudformation"], aws["sagemaker"], MODEL_LOGICAL_ID) == (
        "s3://model-bucket/models/v2.tar.gz"
    )


def _unreachable_on(operation: str):
    """A CloudFormation client whose ``operation`` never reaches the service (botocore raises
    EndpointConnectionError, as without network); one attempt, so no retry sleeps."""
    client = boto3.client(
        "cloudformation", region_name=REGION, config=Config(retries={"total_max_attempts": 1})
    )

    def refuse(request, **_):
        raise EndpointConnectionError(endpoint_url=request.url)

    client.meta.events.register(f"before-send.cloudformation.{operation}", refuse)
    return client


@pytest.mark.parametrize("operation", ["DescribeStacks", "GetTemplateSummary", "UpdateStack"])
def test_an_unreachable_cloudformation_defers_and_outcomes_are_counted_once(
    aws, log_lines, operation
):
    create_small_stack(aws["cloudformation"], aws["ssm"], "models/v1.tar.gz")
    put_model_key(aws["ssm"], "models/v2.tar.gz")

    response = run(
        aws,
        stack_status_change("UPDATE_COMPLETE", message_id="o1"),
        parameter_change(message_id="m1"),
        cloudformation=_unreachable_on(operation),
    )

    assert failed_ids(response) == ["m1"]  # the outcome is done: never re-delivered, re-counted
    lines = log_lines()
    assert [line["event"] for line in lines] == [
        "rollout_succeeded",
        "rollout_requested",
        "rollout_deferred",
    ]
    assert lines[-1]["reason"].startswith(f"{operation}: EndpointConnectionError: ")
    assert lines[-1]["willRetry"] is True
    assert metric_names(aws) == {"RolloutSucceeded", "RolloutRequested", "RolloutDeferred"}


def test_with_the_whole_timeout_left_the_first_attempt_of_every_call_is_sent():
    """The time guard (common.aws_clients) refuses an attempt that could outlive the function;
    with a fresh invocation's time it must let every call start, or no rollout could run."""
    for service in rollout_handler.BUDGETS:
        needed = rollout_handler.CLIENTS.seconds_needed(service, attempt=1)
        assert needed < constants.ROLLOUT_TIMEOUT_SECONDS, service


def test_an_attempt_the_remaining_time_cannot_cover_is_not_sent_and_defers(
    aws, monkeypatch, container_clients, log_lines
):
    for name, value in settings_env().items():
        monkeypatch.setenv(name, value)
    create_small_stack(aws["cloudformation"], aws["ssm"], "models/v1.tar.gz")
    sent = []
    container_clients.client("cloudformation").meta.events.register(
        "before-send.cloudformation", lambda **_: sent.append(1)
    )
    too_little = container_clients.seconds_needed("cloudformation", attempt=1) - 0.5

    response = rollout_handler.lambda_handler(
        {"Records": [parameter_change(message_id="m1")]},
        LambdaContext(remaining_seconds=too_little),
    )

    assert failed_ids(response) == ["m1"]
    assert sent == []
    deferred = log_lines()[-1]
    assert deferred["event"] == "rollout_deferred"
    assert deferred["reason"].startswith(
        "DescribeStacks: OutOfTimeError: DescribeStacks attempt 1 not sent"
    )
    assert deferred["willRetry"] is True
    # The metrics call keeps its own, smaller reserve: the deferral is still counted.
    assert metric_names(aws) == {"RolloutRequested", "RolloutDeferred"}
