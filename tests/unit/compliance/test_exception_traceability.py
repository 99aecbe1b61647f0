"""An auditor can trace every exception: the ADR a suppression or skip cites must itself name
the rule it excuses (by its full id, or its name without the pack prefix)."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
ADR_REASON = re.compile(r"^ADR-(\d{4}):")


def _adr_texts() -> dict[str, str]:
    return {p.name[:4]: p.read_text(encoding="utf-8") for p in (REPO / "ADR").glob("[0-9]*.md")}


def _rule_names(rule_id: str) -> tuple[str, ...]:
    """`HIPAA.Security-LambdaDLQ` may be cited as itself or as `LambdaDLQ`."""
    return (rule_id, rule_id.split("-", 1)[1]) if "-" in rule_id else (rule_id,)


def untraceable_exceptions(templates: dict, adrs: dict[str, str]) -> list[str]:
    problems = []
    for stack, template in templates.items():
        for logical_id, resource in template.get("Resources", {}).items():
            metadata = resource.get("Metadata", {})
            entries = [
                (entry["id"], entry.get("reason", ""))
                for entry in metadata.get("cdk_nag", {}).get("rules_to_suppress", [])
            ] + [
                (entry["id"], entry.get("comment", ""))
                for entry in metadata.get("checkov", {}).get("skip", [])
            ]
            for rule_id, reason in entries:
                cited = ADR_REASON.match(reason)
                text = adrs.get(cited.group(1), "") if cited else ""
                if not any(name in text for name in _rule_names(rule_id)):
                    adr = f"ADR-{cited.group(1)}" if cited else "no ADR"
                    problems.append(
                        f"{stack}/{logical_id}: {rule_id} cites {adr}, which never names it"
                    )
    return problems


def test_every_exception_cites_an_adr_that_names_the_rule(templates):
    assert untraceable_exceptions(templates, _adr_texts()) == []


def test_the_trace_check_fires_on_an_adr_that_does_not_name_the_rule():
    templates = {
        "s": {
            "Resources": {
                "Q": {
                    "Metadata": {
                        "cdk_nag": {
                            "rules_to_suppress": [
                                {"id": "AwsSolutions-SQS3", "reason": "ADR-0001: a reason"}
                            ]
                        },
                        "checkov": {"skip": [{"id": "CKV_AWS_27", "comment": "ADR-0001: x"}]},
                    }
                }
            }
        }
    }
    adrs = {"0001": "mentions SQS3 only"}
    assert untraceable_exceptions(templates, adrs) == [
        "s/Q: CKV_AWS_27 cites ADR-0001, which never names it"
    ]
