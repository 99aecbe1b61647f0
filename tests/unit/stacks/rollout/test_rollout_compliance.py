"""The project's compliance packs (the four stock cdk-nag packs and the project's own) over small
stacks holding the rollout's constructs (tests/unit/stacks/endpoint_stacks.py), with and
without a volume key: nothing unacknowledged, no acknowledgment without a finding, every reason
traced to a rollout ADR (ADR-0055)."""

from __future__ import annotations

import csv
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import cx_api

from policies.exceptions import collect_exceptions, invalid_exceptions
from policies.nag import compliance_packs
from tests.unit.stacks.endpoint_stacks import endpoint_stack, operations_actions

ROLLOUT_ADRS = {"0051", "0052", "0053", "0054", "0055"}
OURS = ("/Rollout/", "/Deployment/")
ALARM_ACTION_RULES = {
    "HIPAA.Security-CloudWatchAlarmAction",
    "NIST.800.53.R5-CloudWatchAlarmAction",
}


def _stack(app: cdk.App, name: str, *, volume_key: bool = False) -> cdk.Stack:
    actions = operations_actions(app, f"{name}-topic")
    parts = endpoint_stack(app, name, volume_key=volume_key, alarm_actions=actions)
    parts.add_rollout(alarm_actions=actions)
    return parts.stack


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("nag")
    app = cdk.App(outdir=str(outdir), builtin_cloud_formation_validation=False)
    plain = _stack(app, "rollout-plain")
    keyed = _stack(app, "rollout-keyed", volume_key=True)
    for pack in compliance_packs(reports=True, verbose=False):
        cdk.Aspects.of(app).add(pack)
    assembly = app.synth()
    return {
        "outdir": Path(outdir),
        "assembly": assembly,
        "stack_names": {
            "plain": plain.stack_name,
            "keyed": keyed.stack_name,
        },
        "templates": {s.stack_name: s.template for s in assembly.stacks},
    }


def _findings_on_ours(assembly, stack_name: str) -> list[str]:
    """Error and warning annotations cdk-nag left on the rollout's constructs."""
    prefix = f"/{stack_name}"
    return [
        f"{message.id}: {str(message.entry.data)[:120]}"
        for message in assembly.get_stack_by_name(stack_name).messages
        if message.level
        in (cx_api.SynthesisMessageLevel.ERROR, cx_api.SynthesisMessageLevel.WARNING)
        and message.id.startswith(OURS, len(prefix))
    ]


def _suppressed_rules(outdir: Path, stack_name: str) -> set[str]:
    suppressed = set()
    for report in outdir.glob(f"*--{stack_name}-NagReport.csv"):
        with report.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row["Compliance"] == "Suppressed":
                    suppressed.add(row["Rule ID"])
    return suppressed


@pytest.mark.parametrize("variant", ["plain", "keyed"])
def test_no_unacknowledged_finding_on_the_rollout_constructs(checked, variant):
    assert _findings_on_ours(checked["assembly"], checked["stack_names"][variant]) == []


def test_every_acknowledgment_suppresses_a_finding_that_really_fires(checked):
    acknowledged = {
        record.rule_id
        for record in collect_exceptions({"rollout-plain": checked["templates"]["rollout-plain"]})
        if record.tool == "cdk-nag"
    }
    assert acknowledged
    assert acknowledged == _suppressed_rules(checked["outdir"], "rollout-plain")


def test_every_exception_cites_an_existing_rollout_adr(checked):
    records = collect_exceptions(checked["templates"])
    assert records
    assert invalid_exceptions(checked["templates"]) == []
    assert {record.adr for record in records} <= ROLLOUT_ADRS


@pytest.mark.parametrize("stack_name", ["rollout-plain", "rollout-keyed"])
def test_every_alarm_has_an_action_and_none_is_acknowledged_without(checked, stack_name):
    """alarm_actions is required: the alarm-action rules pass instead of being acknowledged."""
    template = checked["templates"][stack_name]
    assert not [
        record
        for record in collect_exceptions({stack_name: template})
        if record.rule_id in ALARM_ACTION_RULES
    ]
    alarms = [r for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    assert len(alarms) == 8  # two rollback alarms, six rollout alarms
    assert all(alarm["Properties"].get("AlarmActions") for alarm in alarms)


def test_checkov_skips_sit_on_the_resources_they_excuse(checked):
    skipped = {}
    for record in collect_exceptions({"rollout-plain": checked["templates"]["rollout-plain"]}):
        if record.tool == "checkov":
            skipped.setdefault(record.rule_id, set()).add(
                checked["templates"]["rollout-plain"]["Resources"][record.logical_id]["Type"]
            )
    assert skipped == {
        "CKV_AWS_116": {"AWS::Lambda::Function"},
        "CKV_AWS_117": {"AWS::Lambda::Function"},
        "CKV_AWS_173": {"AWS::Lambda::Function"},
        "CKV_AWS_27": {"AWS::SQS::Queue"},
    }
