"""read_state's ordering: botocore's Stubber answers GetParameterHistory with pages whose
versions are out of order, which moto (ascending, like the examples in AWS's documentation)
never does. The API reference does not promise an order, so read_state sorts: the latest
version (what our write is checked against, ADR-0010) must be the highest number."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
from botocore.stub import Stubber

from registration.parameter_description import to_description
from registration.parameter_store import HISTORY_PAGE_SIZE, read_state
from tests.unit.registration.registration_testkit import PARAMETER, registration_after, s3_record


def _entry(version: int, key: str, seconds: int) -> dict:
    registration = registration_after(s3_record(key), seconds, key, sequencer=f"{version:02X}")
    return {
        "Name": PARAMETER,
        "Type": "String",
        "Value": key,
        "Version": version,
        "Description": to_description(registration),
        "LastModifiedDate": datetime(2026, 11, 27, 10, 0, version, tzinfo=UTC),
    }


def test_versions_answered_out_of_order_are_read_oldest_first():
    ssm = boto3.client(
        "ssm",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    stubber = Stubber(ssm)
    first = {"Name": PARAMETER, "MaxResults": HISTORY_PAGE_SIZE}
    stubber.add_response(
        "get_parameter_history",
        {
            "Parameters": [_entry(3, "models/c.tar.gz", 30), _entry(1, "models/a.tar.gz", 10)],
            "NextToken": "page-2",
        },
        first,
    )
    stubber.add_response(
        "get_parameter_history",
        {"Parameters": [_entry(2, "models/b.tar.gz", 20)]},
        {**first, "NextToken": "page-2"},
    )

    with stubber:
        state = read_state(ssm, PARAMETER)

    stubber.assert_no_pending_responses()
    assert [v.version for v in state.versions] == [1, 2, 3]
    assert state.latest_version == 3
    assert state.registered.key == "models/c.tar.gz"
