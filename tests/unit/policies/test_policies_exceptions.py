"""Exceptions must rest on an existing ADR: when made, and when audited after synthesis."""

from __future__ import annotations

import base64

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from cdk_nag import NagPackSuppression, NagSuppressions

from policies.exceptions import (
    ExceptionReferenceError,
    acknowledge,
    checkov_skip,
    collect_exceptions,
    invalid_exceptions,
    justification,
)

EXISTING_ADR = "0046"  # this module's own ADR
MISSING_ADR = "0999"
REASON = "the brief requires SSE-S3 for the model bucket"


@pytest.fixture
def adr_dir(tmp_path):
    (tmp_path / "0042-some-decision.md").write_text("# 0042. Some decision\n")
    return tmp_path


def test_justification_prefixes_the_adr(adr_dir):
    assert justification("0042", REASON, adr_dir=adr_dir) == f"ADR-0042: {REASON}"
    assert justification(42, REASON, adr_dir=adr_dir) == f"ADR-0042: {REASON}"
    assert justification("ADR-0042", REASON, adr_dir=adr_dir) == f"ADR-0042: {REASON}"


@pytest.mark.parametrize(
    ("adr", "reason", "message"),
    [
        ("0043", REASON, "ADR-0043 does not exist"),
        ("42a", REASON, "not an ADR number"),
        ("0042", "too short", "at least 10 characters"),
        ("0042", "   ", "at least 10 characters"),
        ("0042", f"ADR-0042: {REASON}", "without its ADR prefix"),
    ],
)
def test_justification_refuses_what_an_auditor_could_not_follow(adr_dir, adr, reason, message):
    with pytest.raises(ExceptionReferenceError, match=message):
        justification(adr, reason, adr_dir=adr_dir)


def _stack() -> tuple[cdk.App, cdk.Stack]:
    app = cdk.App(builtin_cloud_formation_validation=False)
    return app, cdk.Stack(app, "ExceptionsTest")


def test_acknowledge_refuses_a_missing_adr_an_unknown_rule_and_empty_applies_to():
    _, stack = _stack()
    bucket = s3.Bucket(stack, "Bucket")
    with pytest.raises(ExceptionReferenceError, match=f"ADR-{MISSING_ADR} does not exist"):
        acknowledge(bucket, "AwsSolutions-S1", adr=MISSING_ADR, reason=REASON)
    with pytest.raises(ExceptionReferenceError, match="not a rule of an applied pack"):
        acknowledge(bucket, "AwsSolution-S1", adr=EXISTING_ADR, reason=REASON)
    with pytest.raises(ExceptionReferenceError, match="applies_to for AwsSolutions-IAM5 is empty"):
        acknowledge(bucket, "AwsSolutions-IAM5", adr=EXISTING_ADR, reason=REASON, applies_to=[])
    assert bucket.node.default_child.get_metadata("cdk_nag") is None


def test_acknowledge_stores_the_reason_and_the_granular_findings():
    _, stack = _stack()
    bucket = s3.Bucket(stack, "Bucket")
    stored = acknowledge(
        bucket,
        "AwsSolutions-IAM5",
        adr=EXISTING_ADR,
        reason=REASON,
        applies_to=["Resource::*"],
        apply_to_children=True,
    )
    assert stored == f"ADR-{EXISTING_ADR}: {REASON}"
    rules = bucket.node.default_child.get_metadata("cdk_nag")["rules_to_suppress"]
    assert rules == [{"id": "AwsSolutions-IAM5", "reason": stored, "applies_to": ["Resource::*"]}]


def test_checkov_skips_merge_instead_of_overwriting():
    _, stack = _stack()
    bucket = s3.Bucket(stack, "Bucket")
    checkov_skip(bucket, "CKV_AWS_18", adr=EXISTING_ADR, reason="access logs go to the log bucket")
    checkov_skip(bucket, "CKV_AWS_21", adr=EXISTING_ADR, reason=REASON)
    checkov_skip(bucket, "CKV_AWS_21", adr=EXISTING_ADR, reason=REASON)  # idempotent
    skips = bucket.node.default_child.get_metadata("checkov")["skip"]
    assert [skip["id"] for skip in skips] == ["CKV_AWS_18", "CKV_AWS_21"]
    assert all(skip["comment"].startswith(f"ADR-{EXISTING_ADR}: ") for skip in skips)


def test_checkov_skip_refuses_bad_ids_missing_adrs_and_conflicting_reasons():
    _, stack = _stack()
    bucket = s3.Bucket(stack, "Bucket")
    with pytest.raises(ExceptionReferenceError, match="not a checkov check ID"):
        checkov_skip(bucket, "AwsSolutions-S1", adr=EXISTING_ADR, reason=REASON)
    with pytest.raises(ExceptionReferenceError, match="does not exist"):
        checkov_skip(bucket, "CKV_AWS_18", adr=MISSING_ADR, reason=REASON)
    checkov_skip(bucket, "CKV_AWS_18", adr=EXISTING_ADR, reason=REASON)
    with pytest.raises(ExceptionReferenceError, match="already skipped"):
        checkov_skip(bucket, "CKV_AWS_18", adr=EXISTING_ADR, reason="another reason entirely")


def _encoded(reason: str) -> dict:
    return {
        "id": "AwsSolutions-S1",
        "reason": base64.b64encode(reason.encode()).decode(),
        "is_reason_encoded": True,
    }


def test_audit_of_hand_written_metadata_reports_exactly_the_bad_entries(adr_dir):
    good = "ADR-0042: the brief requires it"
    templates = {
        "stack-a": {
            "Metadata": {
                "cdk_nag": {
                    "rules_to_suppress": [{"id": "Serverless-LambdaDLQ", "reason": "trust me"}]
                }
            },
            "Resources": {
                "Good": {
                    "Metadata": {
                        "cdk_nag": {
                            "rules_to_suppress": [
                                {"id": "AwsSolutions-S1", "reason": good},
                                {
                                    "id": "AwsSolutions-IAM5",
                                    "reason": good,
                                    "applies_to": ["Resource::*"],
                                },
                                _encoded("ADR-0042: naïve reason with a non-latin character"),
                            ]
                        },
                        "checkov": {"skip": [{"id": "CKV_AWS_18", "comment": good}]},
                    }
                },
                "Bad": {
                    "Metadata": {
                        "cdk_nag": {
                            "rules_to_suppress": [
                                {"id": "AwsSolutions-S2", "reason": "ADR-0043: no such ADR"},
                                {"id": "Unknown-Rule", "reason": good},
                            ]
                        },
                        "checkov": {
                            "skip": [
                                {"id": "CKV_AWS_19", "comment": "not needed"},
                                {"id": "CKV_AWS_20"},
                                {"id": "S3_LOGGING", "comment": good},
                            ]
                        },
                    }
                },
                "Plain": {"Type": "AWS::SQS::Queue"},
            },
        }
    }
    invalid = invalid_exceptions(templates, adr_dir=adr_dir)
    assert {(i.exception.logical_id, i.exception.rule_id) for i in invalid} == {
        ("", "Serverless-LambdaDLQ"),
        ("Bad", "AwsSolutions-S2"),
        ("Bad", "Unknown-Rule"),
        ("Bad", "CKV_AWS_19"),
        ("Bad", "CKV_AWS_20"),
        ("Bad", "S3_LOGGING"),
    }
    problems = {i.exception.rule_id: i.problem for i in invalid}
    assert "no file" in problems["AwsSolutions-S2"]
    assert "does not start with 'ADR-NNNN: '" in problems["CKV_AWS_19"]
    assert problems["CKV_AWS_20"] == "no reason given"
    records = collect_exceptions(templates)
    assert len(records) == 10
    assert "ADR-0042: naïve reason with a non-latin character" in {r.reason for r in records}


def test_audit_of_a_synthesized_stack(tmp_path):
    app = cdk.App(outdir=str(tmp_path), builtin_cloud_formation_validation=False)
    stack = cdk.Stack(app, "AuditTest")
    justified = s3.Bucket(stack, "Justified")
    acknowledge(
        justified, "AwsSolutions-S1", adr=EXISTING_ADR, reason=REASON, apply_to_children=True
    )
    checkov_skip(justified, "CKV_AWS_18", adr=EXISTING_ADR, reason=REASON)
    bypassed = s3.Bucket(stack, "Bypassed")
    NagSuppressions.add_resource_suppressions(
        bypassed,
        [NagPackSuppression(id="AwsSolutions-S1", reason="we do not need access logs")],
        apply_to_children=True,
    )
    bypassed.node.default_child.add_metadata("checkov", {"skip": [{"id": "CKV_AWS_18"}]})
    templates = {s.stack_name: s.template for s in app.synth().stacks}
    invalid = invalid_exceptions(templates)
    bypassed_id = stack.get_logical_id(bypassed.node.default_child)
    assert {(i.exception.tool, i.exception.logical_id, i.exception.rule_id) for i in invalid} == {
        ("cdk-nag", bypassed_id, "AwsSolutions-S1"),
        ("checkov", bypassed_id, "CKV_AWS_18"),
    }
    assert len(collect_exceptions(templates)) == 4
