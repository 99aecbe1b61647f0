"""The rollout acts only on events of its own account and region (ADR-0017).

Anyone who can send to the rollout queue can write a body that looks like a Parameter Store
Change or a stack status. EventBridge writes the event's ``account`` and ``region``; an event
naming another is dropped (never returned to the queue, never acted on), logged and counted in
RolloutForeignEventIgnored, which has an alarm.
"""

from __future__ import annotations

import json

import pytest
from moto import mock_aws

import rollout_handler
from common.aws_clients import AwsClients
from config import constants
from rollout.queue_records import (
    ForeignEvent,
    FunctionIdentity,
    RolloutRequest,
    StackOutcome,
    parse_record,
)
from rollout.settings import load_settings
from rollout_handler import handle_batch
from tests.unit.rollout.rollout_testkit import (
    ACCOUNT,
    NAMESPACE,
    PARAMETER,
    REGION,
    CallRecorder,
    FixedClients,
    LambdaContext,
    clients,
    create_small_stack,
    parameter_change,
    put_model_key,
    settings_env,
    stack_status_change,
)

SETTINGS = load_settings(settings_env())
OWN = FunctionIdentity(account=ACCOUNT, region=REGION)
OTHER_ACCOUNT = "999999999999"
OTHER_REGION = "eu-west-1"


def _with(record: dict, **fields) -> dict:
    """``record`` with its EventBridge event's top-level ``fields`` replaced (None: removed)."""
    event = json.loads(record["body"])
    for name, value in fields.items():
        if value is None:
            event.pop(name, None)
        else:
            event[name] = value
    return {**record, "body": json.dumps(event)}


FOREIGN_VARIANTS = [
    pytest.param({"account": OTHER_ACCOUNT}, "account", id="other-account"),
    pytest.param({"region": OTHER_REGION}, "region", id="other-region"),
    pytest.param({"account": None}, "account", id="no-account"),
    pytest.param({"region": None}, "region", id="no-region"),
]


@pytest.mark.parametrize(("fields", "named"), FOREIGN_VARIANTS)
@pytest.mark.parametrize(
    "make", [lambda: parameter_change(), lambda: stack_status_change("UPDATE_COMPLETE")]
)
def test_a_parameter_change_or_stack_status_of_elsewhere_is_foreign(make, fields, named):
    parsed = parse_record(_with(make(), **fields), PARAMETER, OWN)

    assert isinstance(parsed, ForeignEvent)
    assert parsed.problem.startswith(f"event {named} ")


def test_events_of_the_functions_own_account_and_region_are_parsed_as_before():
    assert isinstance(parse_record(parameter_change(), PARAMETER, OWN), RolloutRequest)
    assert isinstance(
        parse_record(stack_status_change("UPDATE_COMPLETE"), PARAMETER, OWN), StackOutcome
    )


def test_the_identity_is_the_invoked_arns_account_and_lambdas_region():
    context = LambdaContext(remaining_seconds=60)

    assert FunctionIdentity.of(context, {"AWS_REGION": REGION}) == OWN
    # Outside Lambda (no ARN, no AWS_REGION) nothing is known, so nothing is compared.
    unknown = FunctionIdentity.of(object(), {})
    assert unknown == FunctionIdentity()
    assert unknown.why_foreign({"account": OTHER_ACCOUNT, "region": OTHER_REGION}) is None


@pytest.fixture
def aws(aws_credentials):
    with mock_aws():
        yield clients()


def test_events_of_another_account_or_region_are_ignored_and_counted(aws, capsys):
    create_small_stack(aws["cloudformation"], aws["ssm"], "models/v1.tar.gz")
    put_model_key(aws["ssm"], "models/v2.tar.gz")
    recorder = CallRecorder(aws["cloudformation"])
    batch = {
        "Records": [
            _with(parameter_change(message_id="f1"), account=OTHER_ACCOUNT),
            _with(parameter_change(message_id="f2"), region=OTHER_REGION),
            _with(stack_status_change("UPDATE_FAILED", message_id="f3"), account=OTHER_ACCOUNT),
        ]
    }
    fixed = FixedClients(
        cloudformation=aws["cloudformation"], ssm=aws["ssm"], cloudwatch=aws["cloudwatch"]
    )

    response = handle_batch(batch, SETTINGS, fixed, identity=OWN)

    # Dropped: not handed back to the queue (it would only come back), never acted on.
    assert response == {"batchItemFailures": []}
    assert recorder.named("UpdateStack") == []
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    foreign = [line for line in lines if line.get("event") == "rollout_foreign_event_ignored"]
    assert [line["messageId"] for line in foreign] == ["f1", "f2", "f3"]
    assert all(line["level"] == "WARNING" for line in foreign)
    assert not any(line.get("event") == "rollout_update_failed" for line in lines)
    [datum] = aws["cloudwatch"].get_metric_statistics(
        Namespace=NAMESPACE,
        MetricName="RolloutForeignEventIgnored",
        Dimensions=[{"Name": "StackName", "Value": SETTINGS.stack_name}],
        StartTime="2000-01-01",
        EndTime="2100-01-01",
        Period=86400,
        Statistics=["Sum"],
    )["Datapoints"]
    assert datum["Sum"] == 3


def test_the_entry_point_drops_a_foreign_change_and_rolls_out_its_own(aws, monkeypatch, capsys):
    for name, value in settings_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(
        rollout_handler,
        "CLIENTS",
        AwsClients(rollout_handler.BUDGETS, rollout_handler.RESERVE_SECONDS),
    )
    create_small_stack(aws["cloudformation"], aws["ssm"], "models/v1.tar.gz")
    put_model_key(aws["ssm"], "models/v2.tar.gz")

    response = rollout_handler.lambda_handler(
        {
            "Records": [
                _with(parameter_change(message_id="forged"), account=OTHER_ACCOUNT),
                parameter_change(message_id="own"),
            ]
        },
        LambdaContext(remaining_seconds=constants.ROLLOUT_TIMEOUT_SECONDS),
    )

    assert response == {"batchItemFailures": []}
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    events = {line.get("event"): line for line in lines}
    assert events["rollout_foreign_event_ignored"]["messageId"] == "forged"
    assert events["rollout_requested"]["messageIds"] == ["own"]
    assert "rollout_started" in events
