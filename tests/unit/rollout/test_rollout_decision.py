"""The rollout's pure decisions: stack statuses, UpdateStack errors, the update's parameters and
request token, the verdict of a terminal stack status. (Parsing the queue records:
test_rollout_queue_records.py.)"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rollout.decision import (
    REQUEST_TOKEN_PREFIX,
    Outcome,
    StackAction,
    action_for_status,
    classify_update_error,
    outcome_event,
    request_token,
    update_parameters,
)

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


# The verdict of each terminal status: only a completed update succeeded, only a completed
# rollback rolled back; a failed rollback or a failed update needs an operator.
OUTCOME_EVENT_OF_STATUS = {
    "UPDATE_COMPLETE": "succeeded",
    "UPDATE_ROLLBACK_COMPLETE": "rolled_back",
    "UPDATE_ROLLBACK_FAILED": "update_failed",
    "UPDATE_FAILED": "update_failed",
}


@pytest.mark.parametrize(("status", "verdict"), OUTCOME_EVENT_OF_STATUS.items())
def test_each_terminal_stack_status_is_reported_as_its_verdict(status, verdict):
    assert outcome_event(status) == verdict
