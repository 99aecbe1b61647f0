"""attempt_rollout with botocore's Stubber: answers moto cannot give on demand."""

from __future__ import annotations

import boto3
from botocore.stub import ANY, Stubber

from rollout.cloudformation import attempt_rollout
from rollout.decision import Outcome
from rollout.settings import load_settings
from tests.unit.rollout.rollout_testkit import PARAMETER, REGION, STACK_NAME, settings_env

SETTINGS = load_settings(settings_env())


def _client(service: str):
    return boto3.client(
        service,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _updatable_stack(cloudformation) -> Stubber:
    stubber = Stubber(cloudformation)
    stubber.add_response(
        "describe_stacks",
        {
            "Stacks": [
                {
                    "StackName": STACK_NAME,
                    "CreationTime": "2026-11-27T10:00:00Z",
                    "StackStatus": "UPDATE_COMPLETE",
                }
            ]
        },
        {"StackName": STACK_NAME},
    )
    stubber.add_response("get_template_summary", {"Parameters": []}, {"StackName": STACK_NAME})
    stubber.add_response("update_stack", {"StackId": "arn:stack"}, {**_update_request()})
    return stubber


def _update_request() -> dict:
    return {
        "StackName": STACK_NAME,
        "UsePreviousTemplate": True,
        "Parameters": [],
        "Capabilities": [],
        "RoleARN": SETTINGS.cfn_role_arn,
        "ClientRequestToken": ANY,
    }


def test_a_refused_read_of_the_parameter_version_leaves_it_unknown_and_still_updates():
    cloudformation, ssm = _client("cloudformation"), _client("ssm")
    ssm_stubber = Stubber(ssm)
    ssm_stubber.add_client_error(
        "get_parameters", "AccessDeniedException", "not authorized", 400, {"Names": [PARAMETER]}
    )

    with _updatable_stack(cloudformation) as cfn_stubber, ssm_stubber:
        result = attempt_rollout(cloudformation, ssm, SETTINGS, ["message-1"])

    cfn_stubber.assert_no_pending_responses()
    ssm_stubber.assert_no_pending_responses()
    assert result.outcome is Outcome.STARTED
    assert result.parameter_version is None


def test_a_readable_parameter_version_is_reported():
    cloudformation, ssm = _client("cloudformation"), _client("ssm")
    ssm_stubber = Stubber(ssm)
    ssm_stubber.add_response(
        "get_parameters",
        {"Parameters": [{"Name": PARAMETER, "Type": "String", "Value": "m", "Version": 7}]},
        {"Names": [PARAMETER]},
    )

    with _updatable_stack(cloudformation), ssm_stubber:
        result = attempt_rollout(cloudformation, ssm, SETTINGS, ["message-1"])

    assert result.outcome is Outcome.STARTED
    assert result.parameter_version == 7
