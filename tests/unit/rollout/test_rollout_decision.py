"""The rollout's pure decisions: record parsing, stack statuses, UpdateStack errors, the update's
parameters and request token."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rollout_decision import (
    REQUEST_TOKEN_PREFIX,
    InvalidRecord,
    Outcome,
    RolloutRequest,
    StackAction,
    StackOutcome,
    action_for_status,
    classify_update_error,
    parse_record,
    request_token,
    update_parameters,
)
from rollout_testkit import PARAMETER, parameter_change, sqs_record, stack_status_change

# Every stack status CloudFormation documents (API reference, StackStatus).
SETTLED = [
    "CREATE_COMPLETE",
    "UPDATE_COMPLETE",
    "UPDATE_ROLLBACK_COMPLETE",
    "IMPORT_COMPLETE",
    "IMPORT_ROLLBACK_COMPLETE",
]
BUSY = [
    "CREATE_IN_PROGRESS",
    "ROLLBACK_IN_PROGRESS",
    "DELETE_IN_PROGRESS",
    "UPDATE_IN_PROGRESS",
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
    "UPDATE_ROLLBACK_IN_PROGRESS",
    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
    "REVIEW_IN_PROGRESS",
    "IMPORT_IN_PROGRESS",
    "IMPORT_ROLLBACK_IN_PROGRESS",
]
NEEDS_OPERATOR = [
    "CREATE_FAILED",
    "ROLLBACK_FAILED",
    "ROLLBACK_COMPLETE",
    "DELETE_FAILED",
    "DELETE_COMPLETE",
    "UPDATE_FAILED",
    "UPDATE_ROLLBACK_FAILED",
    "IMPORT_ROLLBACK_FAILED",
]


@pytest.mark.parametrize("status", SETTLED)
def test_settled_stack_is_updated(status):
    assert action_for_status(status) is StackAction.UPDATE


@pytest.mark.parametrize("status", BUSY)
def test_busy_stack_defers_the_request(status):
    assert action_for_status(status) is StackAction.DEFER


@pytest.mark.parametrize("status", [*NEEDS_OPERATOR, "SOMETHING_NEW"])
def test_broken_or_unknown_stack_needs_an_operator(status):
    assert action_for_status(status) is StackAction.NEEDS_OPERATOR


@pytest.mark.parametrize(
    ("code", "message", "expected"),
    [
        ("ValidationError", "No updates are to be performed.", Outcome.UP_TO_DATE),
        (
            "ValidationError",
            "Stack:arn:aws:cloudformation:us-east-1:1:stack/s/x is in UPDATE_IN_PROGRESS state "
            "and can not be updated.",
            Outcome.DEFERRED,
        ),
        (
            "ValidationError",
            "Stack:arn:aws:cloudformation:us-east-1:1:stack/s/x is in "
            "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS state and can not be updated.",
            Outcome.DEFERRED,
        ),
        ("Throttling", "Rate exceeded", Outcome.DEFERRED),
        ("TokenAlreadyExistsException", "token exists", Outcome.UP_TO_DATE),
        (
            "ValidationError",
            "Stack:arn:aws:cloudformation:us-east-1:1:stack/s/x is in UPDATE_ROLLBACK_FAILED "
            "state and can not be updated.",
            Outcome.FAILED,
        ),
        ("ValidationError", "Stack with id s does not exist", Outcome.FAILED),
        ("AccessDenied", "not authorized to perform: iam:PassRole", Outcome.FAILED),
        ("InsufficientCapabilitiesException", "Requires capabilities", Outcome.FAILED),
    ],
)
def test_update_errors_are_classified(code, message, expected):
    assert classify_update_error(code, message) is expected


def test_only_deferred_and_failed_attempts_go_back_to_the_queue():
    assert {o for o in Outcome if o.retry} == {Outcome.DEFERRED, Outcome.FAILED}


SSM_TYPE = "AWS::SSM::Parameter::Value<String>"


def test_ssm_parameter_is_passed_by_the_name_cloudformation_reports():
    declared = [{"ParameterKey": "Key", "ParameterType": SSM_TYPE, "DefaultValue": "/default"}]
    current = [{"ParameterKey": "Key", "ParameterValue": "/in-use", "ResolvedValue": "v1"}]
    assert update_parameters(declared, current) == [
        {"ParameterKey": "Key", "ParameterValue": "/in-use"}
    ]


def test_ssm_parameter_falls_back_to_the_template_default_without_a_resolved_value():
    """Without ResolvedValue, ParameterValue may be the resolved value (moto reports it so):
    it must not be taken for the parameter's name."""
    declared = [{"ParameterKey": "Key", "ParameterType": SSM_TYPE, "DefaultValue": "/default"}]
    current = [{"ParameterKey": "Key", "ParameterValue": "models/a.tar.gz"}]
    assert update_parameters(declared, current) == [
        {"ParameterKey": "Key", "ParameterValue": "/default"}
    ]


def test_other_parameters_keep_their_previous_value():
    declared = [
        {"ParameterKey": "Secret", "ParameterType": "String", "NoEcho": True},
        {"ParameterKey": "Count", "ParameterType": "Number", "DefaultValue": "1"},
    ]
    current = [{"ParameterKey": "Secret", "ParameterValue": "****"}]
    assert update_parameters(declared, current) == [
        {"ParameterKey": "Secret", "UsePreviousValue": True},
        {"ParameterKey": "Count", "UsePreviousValue": True},
    ]


def test_ssm_parameter_without_any_name_is_an_error_naming_it():
    declared = [{"ParameterKey": "Orphan", "ParameterType": SSM_TYPE}]
    with pytest.raises(ValueError, match="'Orphan'"):
        update_parameters(declared, [])


@given(st.lists(st.text(min_size=1, max_size=300), min_size=1, max_size=3))
def test_request_token_is_always_a_valid_cloudformation_token(message_ids):
    token = request_token(message_ids)
    assert token.startswith(REQUEST_TOKEN_PREFIX)
    assert len(token) <= 128
    assert re.fullmatch(r"[a-zA-Z0-9][-a-zA-Z0-9]*", token)


def test_request_token_is_stable_for_the_same_first_request():
    assert request_token(["a-1", "b"]) == request_token(["a-1", "c"]) != request_token(["b"])


def test_parameter_change_record_is_a_rollout_request():
    record = parameter_change(operation="Create", message_id="m1")
    parsed = parse_record(record, PARAMETER)
    assert parsed == RolloutRequest("m1", PARAMETER, "Create", "2026-11-27T10:00:00Z")


def test_stack_status_record_is_an_outcome_and_knows_who_started_the_update():
    ours = parse_record(stack_status_change("UPDATE_ROLLBACK_COMPLETE"), PARAMETER)
    theirs = parse_record(stack_status_change("UPDATE_COMPLETE", token="cdk-deploy-1"), PARAMETER)
    assert isinstance(ours, StackOutcome)
    assert ours.status == "UPDATE_ROLLBACK_COMPLETE"
    assert ours.started_by_rollout
    assert isinstance(theirs, StackOutcome)
    assert not theirs.started_by_rollout


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        ({"messageId": "m", "body": "not json"}, "not JSON"),
        ({"messageId": "m", "body": "[]"}, "not an EventBridge event"),
        ({"body": "{}"}, "no messageId"),
        (parameter_change(name="/other/parameter", message_id="m"), "'/other/parameter'"),
        (parameter_change(operation="Delete", message_id="m"), "'Delete'"),
        (sqs_record({"source": "aws.s3", "detail-type": "x", "detail": {}}, "m"), "aws.s3"),
        (
            sqs_record(
                {
                    "source": "aws.cloudformation",
                    "detail-type": "CloudFormation Stack Status Change",
                    "detail": {"stack-id": "s"},
                },
                "m",
            ),
            "status-details",
        ),
    ],
)
def test_malformed_records_are_invalid_with_a_reason(record, problem):
    parsed = parse_record(record, PARAMETER)
    assert isinstance(parsed, InvalidRecord)
    assert problem in parsed.problem


@pytest.mark.parametrize("record", ["a string", 42, None, ["messageId", "m"]])
def test_a_record_that_is_no_object_is_invalid_and_cannot_go_back_alone(record):
    parsed = parse_record(record, PARAMETER)
    assert isinstance(parsed, InvalidRecord)
    assert parsed.problem == f"SQS record is a {type(record).__name__}, not an object"
    assert parsed.returnable is False


def test_a_malformed_record_with_a_message_id_goes_back_to_the_queue():
    parsed = parse_record({"messageId": "m", "body": "not json"}, PARAMETER)
    assert isinstance(parsed, InvalidRecord)
    assert parsed.returnable is True
    assert parse_record({"body": "{}"}, PARAMETER).returnable is False
