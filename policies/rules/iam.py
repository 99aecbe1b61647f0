"""Least privilege for IAM policy statements and managed-policy attachments.

The statement-level rule is one pure function, :func:`statement_violations`, so that the
cdk-nag pack, the checkov checks and the Hypothesis oracle test all exercise the same code.

IAM semantics used here (IAM User Guide, "IAM JSON policy elements"): only ``Allow`` grants;
``NotAction``/``NotResource`` in an ``Allow`` grant everything *except* the listed items;
action names match case-insensitively with ``*`` (any run) and ``?`` (one character).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .cfn import as_list, literal_text

WILDCARD_ACTION = "WildcardAction"
UNLISTED_WILDCARD_RESOURCE = "WildcardResource"
METRIC_NAMESPACE_MISSING = "MetricNamespace"

PUT_METRIC_DATA = "cloudwatch:PutMetricData"
NAMESPACE_CONDITION_KEY = "cloudwatch:namespace"
# Operators that restrict the namespace to named values. Negated operators (StringNotEquals)
# would allow every other namespace, and ...IfExists would match a request without the key.
NAMESPACE_OPERATORS = frozenset({"stringequals", "stringequalsignorecase", "stringlike"})

# Actions that may be granted on Resource "*": their "Resource types" column in the Service
# Authorization Reference is empty, so "*" is the only resource they can have. The list is
# closed: anything else on "*" is a finding. Sources and reasons: ADR 0044.
WILDCARD_RESOURCE_ACTIONS: Mapping[str, str] = {
    "cloudwatch:PutMetricData": "no resource types; narrowed by the cloudwatch:namespace "
    "condition instead (see METRIC_NAMESPACE_MISSING)",
    "ecr:GetAuthorizationToken": "no resource types; the token alone grants no image access "
    "(image pulls are scoped to the repository ARN)",
    "xray:PutTraceSegments": "no resource types; needed by Lambda active tracing",
    "xray:PutTelemetryRecords": "no resource types; needed by Lambda active tracing",
    "xray:GetSamplingRules": "no resource types; needed by X-Ray SDK samplers",
    "xray:GetSamplingTargets": "no resource types; needed by X-Ray SDK samplers",
}
_ALLOWLIST_LOWER = frozenset(action.lower() for action in WILDCARD_RESOURCE_ACTIONS)

# AWS-managed policies broader than any one workload needs.
FORBIDDEN_MANAGED_POLICY_MARKER = "FullAccess"
FORBIDDEN_MANAGED_POLICIES = frozenset({"AdministratorAccess", "PowerUserAccess", "IAMFullAccess"})
_AWS_MANAGED_POLICY = re.compile(r":iam::aws:policy/(?P<path>[\w+=,.@/-]+)$")

_POLICY_DOCUMENT_TYPES = frozenset(
    {
        "AWS::IAM::Policy",
        "AWS::IAM::ManagedPolicy",
        "AWS::IAM::RolePolicy",
        "AWS::IAM::UserPolicy",
        "AWS::IAM::GroupPolicy",
    }
)
_INLINE_POLICY_TYPES = frozenset({"AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"})
POLICY_RESOURCE_TYPES = _POLICY_DOCUMENT_TYPES | _INLINE_POLICY_TYPES
MANAGED_POLICY_ATTACHMENT_TYPES = _INLINE_POLICY_TYPES


@dataclass(frozen=True)
class StatementViolation:
    """One least-privilege problem in one statement.

    ``kind`` is one of WILDCARD_ACTION, UNLISTED_WILDCARD_RESOURCE, METRIC_NAMESPACE_MISSING;
    ``subject`` is the offending action (or ``NotAction``/``NotResource``).
    """

    kind: str
    subject: str

    @property
    def finding_id(self) -> str:
        """The cdk-nag finding ID; an acknowledgment's ``applies_to`` names it."""
        return f"{self.kind}::{self.subject}"

    def __str__(self) -> str:
        return _DESCRIPTIONS[self.kind].format(subject=self.subject)


_DESCRIPTIONS = {
    WILDCARD_ACTION: "action {subject!r} grants every action of a service (or all services)",
    UNLISTED_WILDCARD_RESOURCE: "action {subject!r} is granted on Resource '*' but is not on the "
    "allowlist of actions without resource-level permissions",
    METRIC_NAMESPACE_MISSING: "{subject} is allowed without a cloudwatch:namespace condition",
}


def action_matches(pattern: str, action: str) -> bool:
    """Whether an IAM action pattern (``*``, ``?`` wildcards, case-insensitive) matches."""
    regex = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )
    return re.fullmatch(regex, action, flags=re.IGNORECASE | re.DOTALL) is not None


def _only_wildcards(text: str) -> bool:
    return bool(text) and set(text) <= {"*", "?"} and "*" in text


def is_service_wide(pattern: str) -> bool:
    """``*``, ``svc:*`` (or any name made only of wildcards), or a wildcard in the service part.

    Partial wildcards such as ``s3:Get*`` are not service-wide; AwsSolutions-IAM5 reports them.
    """
    service, separator, name = pattern.strip().partition(":")
    if not separator:
        return _only_wildcards(service)
    return any(char in service for char in "*?") or _only_wildcards(name)


def _is_wildcard_resource(resource: Any) -> bool:
    return isinstance(resource, str) and resource.strip() == "*"


def _specific_namespace(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip()) and not set(value.strip()) <= {"*", "?"}
    return value is not None  # an intrinsic: a concrete name known at deploy time


def has_namespace_condition(condition: Any) -> bool:
    """Whether ``condition`` restricts ``cloudwatch:namespace`` to specific values."""
    if not isinstance(condition, Mapping):
        return False
    for operator, block in condition.items():
        if not isinstance(operator, str) or operator.lower() not in NAMESPACE_OPERATORS:
            continue
        if not isinstance(block, Mapping):
            continue
        for key, values in block.items():
            if isinstance(key, str) and key.lower() == NAMESPACE_CONDITION_KEY:
                listed = as_list(values)
                if listed and all(_specific_namespace(value) for value in listed):
                    return True
    return False


def _action_label(action: Any) -> str:
    return action if isinstance(action, str) else json.dumps(action, sort_keys=True)


def statement_violations(statement: Any) -> list[StatementViolation]:
    """Every least-privilege violation of one policy statement (empty list: compliant).

    - WILDCARD_ACTION: an allowed action is ``*`` or service-wide, or the statement allows
      ``NotAction``.
    - UNLISTED_WILDCARD_RESOURCE: the statement allows Resource ``*`` (or ``NotResource``) for
      an action that is not literally on :data:`WILDCARD_RESOURCE_ACTIONS` (a wildcard pattern
      never counts as listed, even when everything it matches is).
    - METRIC_NAMESPACE_MISSING: ``cloudwatch:PutMetricData`` is allowed (by name or by a
      pattern that matches it) without a positive ``cloudwatch:namespace`` condition.

    ``Deny`` statements grant nothing and never violate. An ``Effect`` that is not a literal
    ``Deny`` (including an intrinsic) is treated as ``Allow``.
    """
    if not isinstance(statement, Mapping) or statement.get("Effect") == "Deny":
        return []
    actions = as_list(statement.get("Action"))
    not_actions = as_list(statement.get("NotAction"))
    wildcard_resource = any(_is_wildcard_resource(r) for r in as_list(statement.get("Resource")))
    wildcard_resource = wildcard_resource or "NotResource" in statement

    violations: list[StatementViolation] = []
    for action in actions:
        if isinstance(action, str) and is_service_wide(action):
            violations.append(StatementViolation(WILDCARD_ACTION, action))
    if not_actions:
        violations.append(StatementViolation(WILDCARD_ACTION, "NotAction"))

    if wildcard_resource:
        for action in actions:
            if not (isinstance(action, str) and action.strip().lower() in _ALLOWLIST_LOWER):
                violations.append(
                    StatementViolation(UNLISTED_WILDCARD_RESOURCE, _action_label(action))
                )
        if not_actions:
            violations.append(StatementViolation(UNLISTED_WILDCARD_RESOURCE, "NotAction"))

    allows_put_metric_data = any(
        isinstance(action, str) and action_matches(action.strip(), PUT_METRIC_DATA)
        for action in actions
    ) or (
        bool(not_actions)
        and not any(
            isinstance(action, str) and action_matches(action.strip(), PUT_METRIC_DATA)
            for action in not_actions
        )
    )
    if allows_put_metric_data and not has_namespace_condition(statement.get("Condition")):
        violations.append(StatementViolation(METRIC_NAMESPACE_MISSING, PUT_METRIC_DATA))
    return violations


def _as_document(document: Any) -> Any:
    if isinstance(document, str):
        try:
            return json.loads(document)
        except ValueError:
            return None
    return document


def policy_documents(resource_type: str, properties: Mapping[str, Any]) -> list[Any]:
    """The policy documents a resource of ``resource_type`` carries (inline ones included)."""
    if resource_type in _POLICY_DOCUMENT_TYPES:
        return [_as_document(properties.get("PolicyDocument"))]
    if resource_type in _INLINE_POLICY_TYPES:
        return [
            _as_document(policy.get("PolicyDocument"))
            for policy in as_list(properties.get("Policies"))
            if isinstance(policy, Mapping)
        ]
    return []


def statements(resource_type: str, properties: Mapping[str, Any]) -> Iterator[Any]:
    """Every statement of every policy document of the resource."""
    for document in policy_documents(resource_type, properties):
        if isinstance(document, Mapping):
            yield from as_list(document.get("Statement"))


def resource_violations(
    resource_type: str, properties: Mapping[str, Any]
) -> list[StatementViolation]:
    """The statement violations of all the resource's policy documents, in order, deduplicated."""
    seen: dict[StatementViolation, None] = {}
    for statement in statements(resource_type, properties):
        for violation in statement_violations(statement):
            seen.setdefault(violation, None)
    return list(seen)


def aws_managed_policy_name(arn: Any) -> str | None:
    """The name of an AWS-managed policy ARN (``arn:<partition>:iam::aws:policy/...``), else None.

    Works on literal ARNs and on ``Fn::Join``/``Fn::Sub`` forms that spell the path literally.
    """
    match = _AWS_MANAGED_POLICY.search(literal_text(arn))
    return match.group("path").rsplit("/", 1)[-1] if match else None


def forbidden_managed_policies(managed_policy_arns: Any) -> list[str]:
    """Names of attached AWS-managed policies that grant full access to a service or account."""
    forbidden = []
    for arn in as_list(managed_policy_arns):
        name = aws_managed_policy_name(arn)
        if name and (FORBIDDEN_MANAGED_POLICY_MARKER in name or name in FORBIDDEN_MANAGED_POLICIES):
            forbidden.append(name)
    return forbidden
