"""Exceptions to the compliance gates, each traced to an ADR.

Two ways to make one, both of which refuse a reason that does not rest on an existing ADR:

- :func:`acknowledge`: a cdk-nag suppression on a construct;
- :func:`checkov_skip`: a checkov skip in the resource's ``Metadata.checkov.skip``.

And one way to audit them all after synthesis, :func:`invalid_exceptions`, which reads every
template's metadata (resource and template level) and reports each exception whose reason does
not start with ``ADR-NNNN:`` or names an ADR file that does not exist (ADR 0046).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from cdk_nag import NagPackSuppression, NagSuppressions, RegexAppliesTo
from constructs import IConstruct

from policies.adr_references import ADR_DIR, ADR_REFERENCE, adr_file, reason_problem, referenced_adr
from policies.nag import PACK_NAMES

MIN_REASON_LENGTH = 10  # cdk-nag's own minimum for a suppression reason
CHECKOV_CHECK_ID = re.compile(r"^CKV2?_[A-Z0-9]+_\d+$")
NAG_RULE_ID = re.compile(
    r"^(?:" + "|".join(re.escape(pack) for pack in PACK_NAMES) + r")-[\w.]+$"
    r"|^CdkNagValidationFailure$"
)

AppliesTo = str | RegexAppliesTo


class ExceptionReferenceError(ValueError):
    """An exception (suppression or skip) whose justification is missing or points nowhere."""


def _adr_number(adr: str | int) -> str:
    text = str(adr).strip()
    text = text.removeprefix("ADR-").removeprefix("ADR")
    if not re.fullmatch(r"\d{1,4}", text):
        raise ExceptionReferenceError(f"ADR reference {adr!r} is not an ADR number like '0042'")
    return text.zfill(4)


def justification(adr: str | int, reason: str, *, adr_dir: Path = ADR_DIR) -> str:
    """``"ADR-NNNN: <reason>"`` after checking that the ADR exists and the reason says something.

    Raises :class:`ExceptionReferenceError` naming what is wrong.
    """
    number = _adr_number(adr)
    text = " ".join(reason.split())
    if len(text) < MIN_REASON_LENGTH:
        raise ExceptionReferenceError(
            f"the reason for an exception under ADR-{number} must say why in at least "
            f"{MIN_REASON_LENGTH} characters, got {reason!r}"
        )
    if ADR_REFERENCE.match(text):
        raise ExceptionReferenceError(
            f"pass the reason without its ADR prefix (it is added from adr=): {reason!r}"
        )
    if adr_file(number, adr_dir) is None:
        raise ExceptionReferenceError(
            f"ADR-{number} does not exist: no file {adr_dir.name}/{number}-*.md"
        )
    return f"ADR-{number}: {text}"


def _nag_suppression(
    rule_id: str, adr: str | int, reason: str, applies_to: Sequence[AppliesTo] | None
) -> NagPackSuppression:
    if not NAG_RULE_ID.match(rule_id):
        raise ExceptionReferenceError(
            f"{rule_id!r} is not a rule of an applied pack ({', '.join(PACK_NAMES)})"
        )
    if applies_to is not None and not applies_to:
        raise ExceptionReferenceError(
            f"applies_to for {rule_id} is empty; omit it to acknowledge every finding"
        )
    # Always the struct, never a dict: a dict's snake_case "applies_to" key is silently dropped
    # by jsii, and the suppression then covers every finding of the rule (ADR 0046).
    return NagPackSuppression(
        id=rule_id,
        reason=justification(adr, reason),
        applies_to=list(applies_to) if applies_to is not None else None,
    )


def acknowledge(
    construct: IConstruct,
    rule_id: str,
    *,
    adr: str | int,
    reason: str,
    applies_to: Sequence[AppliesTo] | None = None,
    apply_to_children: bool = False,
) -> str:
    """Suppress cdk-nag rule ``rule_id`` on ``construct``, justified by an existing ADR.

    ``applies_to`` limits the suppression to the named findings (e.g.
    ``["WildcardResource::s3:PutBucketNotification"]``, ``["Resource::*"]`` for IAM5).
    ``apply_to_children`` extends it to every CfnResource below ``construct`` (use it for an
    L2 whose finding sits on its ``Resource`` child). Returns the stored reason.
    """
    suppression = _nag_suppression(rule_id, adr, reason, applies_to)
    NagSuppressions.add_resource_suppressions(
        construct, [suppression], apply_to_children=apply_to_children
    )
    return suppression.reason


def _cfn_resource(construct: IConstruct) -> cdk.CfnResource:
    if isinstance(construct, cdk.CfnResource):
        return construct
    child = construct.node.default_child
    if isinstance(child, cdk.CfnResource):
        return child
    raise ExceptionReferenceError(
        f"{construct.node.path} is not a CloudFormation resource and has no default child "
        "resource to carry a checkov skip"
    )


def checkov_skip(construct: IConstruct, check_id: str, *, adr: str | int, reason: str) -> str:
    """Skip checkov check ``check_id`` on the resource, justified by an existing ADR.

    Merges into ``Metadata.checkov.skip`` (``add_metadata`` would overwrite earlier skips).
    Accepts an L1 resource or an L2 construct (its default child). Returns the stored comment.
    """
    if not CHECKOV_CHECK_ID.match(check_id):
        raise ExceptionReferenceError(f"{check_id!r} is not a checkov check ID like CKV_AWS_18")
    comment = justification(adr, reason)
    resource = _cfn_resource(construct)
    existing = resource.get_metadata("checkov") or {}
    skips = [dict(skip) for skip in existing.get("skip", [])]
    for skip in skips:
        if skip.get("id") == check_id and skip.get("comment") != comment:
            raise ExceptionReferenceError(
                f"{check_id} is already skipped on {resource.node.path} with another reason: "
                f"{skip.get('comment')!r}"
            )
    if {"id": check_id, "comment": comment} not in skips:
        skips.append({"id": check_id, "comment": comment})
    resource.add_metadata("checkov", {**existing, "skip": skips})
    return comment


# ------------------------------------------------------------------------------------------
# Audit of a synthesized app
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExceptionRecord:
    """One exception found in a template: which tool, where, which rule, and why."""

    tool: str  # "cdk-nag" | "checkov"
    stack: str
    logical_id: str  # "" for a template-level (whole stack) cdk-nag suppression
    rule_id: str
    reason: str
    applies_to: tuple[str, ...] = field(default=())

    @property
    def adr(self) -> str | None:
        return referenced_adr(self.reason)


@dataclass(frozen=True)
class InvalidException:
    """An exception and what is wrong with its justification."""

    exception: ExceptionRecord
    problem: str

    def __str__(self) -> str:
        where = f"{self.exception.stack}/{self.exception.logical_id or '<stack>'}"
        return f"{self.exception.tool} {self.exception.rule_id} on {where}: {self.problem}"


def _decode_reason(rule: Mapping[str, Any]) -> str:
    reason = rule.get("reason", "")
    if rule.get("is_reason_encoded") and isinstance(reason, str):
        return base64.b64decode(reason).decode()
    return reason if isinstance(reason, str) else ""


def _nag_records(stack: str, logical_id: str, metadata: Any) -> Iterable[ExceptionRecord]:
    if not isinstance(metadata, Mapping):
        return
    for rule in metadata.get("cdk_nag", {}).get("rules_to_suppress", []) or []:
        applies_to = tuple(
            item if isinstance(item, str) else str(item.get("regex", item))
            for item in rule.get("applies_to", []) or []
        )
        yield ExceptionRecord(
            "cdk-nag", stack, logical_id, str(rule.get("id", "")), _decode_reason(rule), applies_to
        )


def _checkov_records(stack: str, logical_id: str, metadata: Any) -> Iterable[ExceptionRecord]:
    if not isinstance(metadata, Mapping):
        return
    checkov = metadata.get("checkov")
    skips = checkov.get("skip", []) if isinstance(checkov, Mapping) else []
    for skip in skips or []:
        comment = skip.get("comment", "") if isinstance(skip, Mapping) else ""
        check_id = skip.get("id", "") if isinstance(skip, Mapping) else str(skip)
        yield ExceptionRecord("checkov", stack, logical_id, str(check_id), str(comment or ""))


def collect_exceptions(templates: Mapping[str, Mapping[str, Any]]) -> list[ExceptionRecord]:
    """Every cdk-nag suppression and checkov skip in ``templates`` (stack name -> template)."""
    records: list[ExceptionRecord] = []
    for stack, template in templates.items():
        records.extend(_nag_records(stack, "", template.get("Metadata")))
        for logical_id, resource in (template.get("Resources") or {}).items():
            metadata = resource.get("Metadata") if isinstance(resource, Mapping) else None
            records.extend(_nag_records(stack, logical_id, metadata))
            records.extend(_checkov_records(stack, logical_id, metadata))
    return records


def _problem(record: ExceptionRecord, adr_dir: Path) -> str | None:
    if record.tool == "checkov" and not CHECKOV_CHECK_ID.match(record.rule_id):
        return f"{record.rule_id!r} is not a checkov check ID"
    if record.tool == "cdk-nag" and not NAG_RULE_ID.match(record.rule_id):
        return f"{record.rule_id!r} is not a rule of an applied cdk-nag pack"
    return reason_problem(record.reason, adr_dir)


def invalid_exceptions(
    templates: Mapping[str, Mapping[str, Any]], *, adr_dir: Path = ADR_DIR
) -> list[InvalidException]:
    """The exceptions of ``templates`` whose justification is missing, malformed or dangling."""
    invalid = []
    for record in collect_exceptions(templates):
        problem = _problem(record, adr_dir)
        if problem:
            invalid.append(InvalidException(record, problem))
    return invalid
