"""An auditor can trace every exception: the ADR a suppression or skip cites must itself name
the rule it excuses (by its full id, or its name without the pack prefix)."""

from __future__ import annotations

from policies.adr_references import adr_file
from policies.exceptions import ExceptionRecord, collect_exceptions


def _rule_names(rule_id: str) -> tuple[str, ...]:
    """`HIPAA.Security-LambdaDLQ` may be cited as itself or as `LambdaDLQ`."""
    return (rule_id, rule_id.split("-", 1)[1]) if "-" in rule_id else (rule_id,)


def untraceable(records: list[ExceptionRecord], adr_text) -> list[str]:
    """Exceptions whose cited ADR (text from ``adr_text(number)``) never names their rule."""
    problems = []
    for record in records:
        text = adr_text(record.adr) if record.adr else ""
        if not any(name in text for name in _rule_names(record.rule_id)):
            cited = f"ADR-{record.adr}" if record.adr else "no ADR"
            where = f"{record.stack}/{record.logical_id}"
            problems.append(f"{where}: {record.rule_id} cites {cited}, which never names it")
    return problems


def _repo_adr_text(number: str) -> str:
    path = adr_file(number)
    return path.read_text(encoding="utf-8") if path else ""


def test_every_exception_cites_an_adr_that_names_the_rule(templates):
    assert untraceable(collect_exceptions(templates), _repo_adr_text) == []


def test_the_trace_check_fires_on_an_adr_that_does_not_name_the_rule():
    records = [
        ExceptionRecord("cdk-nag", "s", "Q", "AwsSolutions-SQS3", "ADR-0001: a reason"),
        ExceptionRecord("checkov", "s", "Q", "CKV_AWS_27", "ADR-0001: another reason"),
    ]
    assert untraceable(records, {"0001": "mentions SQS3 only"}.get) == [
        "s/Q: CKV_AWS_27 cites ADR-0001, which never names it"
    ]
