"""The SQS batch the rollout receives, parsed: rollout requests, stack outcomes, and invalid
records with the reason and whether SQS can take them back alone."""

from __future__ import annotations

import pytest

from rollout.queue_records import InvalidRecord, RolloutRequest, StackOutcome, parse_record
from tests.unit.rollout.rollout_testkit import (
    PARAMETER,
    parameter_change,
    sqs_record,
    stack_status_change,
)


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
