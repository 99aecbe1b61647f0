"""Least privilege for policy statements (identity and resource policies) and managed-policy
attachments.

The statement-level rule is one pure function per policy kind, :func:`statement_violations`
for identity policies and :func:`resource_policy_statement_violations` for resource policies
(KMS key, S3 bucket, SQS queue and SNS topic policies), so that the cdk-nag pack, the checkov
checks and the Hypothesis oracle test all exercise the same code.

IAM semantics used here (IAM User Guide, "IAM JSON policy elements"): only ``Allow`` grants;
``NotAction``/``NotResource`` in an ``Allow`` grant everything *except* the listed items;
action names match case-insensitively with ``*`` (any run) and ``?`` (one character).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .cfn import PSEUDO_PARAMETER_PREFIX, as_list, readable

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
IDENTITY_POLICY_TYPES = _POLICY_DOCUMENT_TYPES | _INLINE_POLICY_TYPES
# Resource policies and the property holding each one's document (ADR 0044, amended
# 2026-11-27). A key policy's Resource "*" means "this KMS key" (AWS KMS Developer Guide,
# "Elements in a key policy"); the other three always act on resources with ARNs.
KEY_POLICY_TYPE = "AWS::KMS::Key"
RESOURCE_POLICY_DOCUMENTS: Mapping[str, str] = {
    KEY_POLICY_TYPE: "KeyPolicy",
    "AWS::S3::BucketPolicy": "PolicyDocument",
    "AWS::SQS::QueuePolicy": "PolicyDocument",
    "AWS::SNS::TopicPolicy": "PolicyDocument",
}
RESOURCE_POLICY_TYPES = frozenset(RESOURCE_POLICY_DOCUMENTS)
# Every resource type carrying a policy document: the wildcard-action and wildcard-resource
# rules apply to all of them, the metric-namespace rule to identity policies only.
POLICY_RESOURCE_TYPES = IDENTITY_POLICY_TYPES | RESOURCE_POLICY_TYPES
# Principals that attach managed policies (ManagedPolicyArns), and the one policy type whose
# statements the template carries.
MANAGED_POLICY_ATTACHMENT_TYPES = _INLINE_POLICY_TYPES
STACK_MANAGED_POLICY_TYPE = "AWS::IAM::ManagedPolicy"


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
    UNLISTED_WILDCARD_RESOURCE: "action {subject!r} is allowed on Resource '*' (or NotResource) "
    "where it must name its resources: identity policies only for the allowlist of actions "
    "without resource-level permissions, bucket, queue and topic policies never",
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


def _allows(statement: Any) -> bool:
    """Whether the statement can grant: a mapping whose ``Effect`` is not a literal ``Deny``
    (an intrinsic ``Effect`` counts as ``Allow``)."""
    return isinstance(statement, Mapping) and statement.get("Effect") != "Deny"


def _wildcard_actions(actions: list[Any], not_actions: list[Any]) -> list[StatementViolation]:
    violations = [
        StatementViolation(WILDCARD_ACTION, action)
        for action in actions
        if isinstance(action, str) and is_service_wide(action)
    ]
    if not_actions:
        violations.append(StatementViolation(WILDCARD_ACTION, "NotAction"))
    return violations


def _on_every_resource(
    actions: list[Any], not_actions: list[Any], *, allowlisted: Callable[[Any], bool]
) -> list[StatementViolation]:
    """A wildcard-resource finding for each granted action the ``allowlisted`` test rejects."""
    violations = [
        StatementViolation(UNLISTED_WILDCARD_RESOURCE, _action_label(action))
        for action in actions
        if not allowlisted(action)
    ]
    if not_actions:
        violations.append(StatementViolation(UNLISTED_WILDCARD_RESOURCE, "NotAction"))
    return violations


def _wildcard_resource(statement: Mapping[str, Any]) -> bool:
    star = any(_is_wildcard_resource(r) for r in as_list(statement.get("Resource")))
    return star or "NotResource" in statement


def _never_listed(action: Any) -> bool:
    return False


def _on_allowlist(action: Any) -> bool:
    return isinstance(action, str) and action.strip().lower() in _ALLOWLIST_LOWER


def statement_violations(statement: Any) -> list[StatementViolation]:
    """Every least-privilege violation of one identity-policy statement (empty: compliant).

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
    if not _allows(statement):
        return []
    actions = as_list(statement.get("Action"))
    not_actions = as_list(statement.get("NotAction"))

    violations = _wildcard_actions(actions, not_actions)
    if _wildcard_resource(statement):
        violations += _on_every_resource(actions, not_actions, allowlisted=_on_allowlist)

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


def resource_policy_statement_violations(
    resource_type: str, statement: Any
) -> list[StatementViolation]:
    """Every least-privilege violation of one statement of a resource policy (ADR 0044).

    - WILDCARD_ACTION, as for identity policies: ``*``, ``svc:*`` or ``NotAction`` allowed.
      In a key policy that includes the ``kms:*`` of CDK's and KMS's default key policy: the
      pipeline's keys delegate named actions instead (ADR 0049).
    - UNLISTED_WILDCARD_RESOURCE: in a bucket, queue or topic policy, every action an
      ``Allow`` statement grants on Resource ``*`` (or ``NotResource``): the statements of
      those policies act on resources that have ARNs, so no allowlist applies. In a key policy
      Resource ``*`` is the key itself and never a finding; ``NotResource`` still is.
    - Never METRIC_NAMESPACE_MISSING: a resource policy grants access to its own resource, and
      no resource policy of these types governs CloudWatch metrics.

    ``Deny`` statements (the TLS-only statements, for example) never violate.
    """
    if resource_type not in RESOURCE_POLICY_DOCUMENTS:
        raise ValueError(f"{resource_type} carries no resource policy this rule reads")
    if not _allows(statement):
        return []
    actions = as_list(statement.get("Action"))
    not_actions = as_list(statement.get("NotAction"))
    violations = _wildcard_actions(actions, not_actions)
    if resource_type == KEY_POLICY_TYPE:
        wildcard_resource = "NotResource" in statement
    else:
        wildcard_resource = _wildcard_resource(statement)
    if wildcard_resource:
        violations += _on_every_resource(actions, not_actions, allowlisted=_never_listed)
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
    if resource_type in RESOURCE_POLICY_DOCUMENTS:
        return [_as_document(properties.get(RESOURCE_POLICY_DOCUMENTS[resource_type]))]
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
    """The statement violations of all the resource's policy documents, in order, deduplicated,
    with the semantics of its kind of policy (identity or resource)."""
    seen: dict[StatementViolation, None] = {}
    for statement in statements(resource_type, properties):
        if resource_type in RESOURCE_POLICY_DOCUMENTS:
            found = resource_policy_statement_violations(resource_type, statement)
        else:
            found = statement_violations(statement)
        for violation in found:
            seen.setdefault(violation, None)
    return list(seen)


def _referenced_logical_id(arn: Any) -> str | None:
    """The logical ID that an ARN value is, as a whole: ``{"Ref": id}`` (a managed policy's Ref
    is its ARN) or ``{"Fn::GetAtt": [id, "PolicyArn"]}``; None for anything else."""
    if not isinstance(arn, Mapping) or len(arn) != 1:
        return None
    ref = arn.get("Ref")
    if isinstance(ref, str) and not ref.startswith(PSEUDO_PARAMETER_PREFIX):
        return ref
    get_att = arn.get("Fn::GetAtt")
    if isinstance(get_att, str):
        get_att = get_att.split(".", 1)
    if isinstance(get_att, list) and len(get_att) == 2 and get_att[1] == "PolicyArn":
        return get_att[0] if isinstance(get_att[0], str) else None
    return None


def unreadable_managed_policies(
    managed_policy_arns: Any, stack_policy_ids: Collection[str] | None = None
) -> list[str]:
    """The attached managed policies (``ManagedPolicyArns``) whose statements are not in the
    template, each spelled by :func:`~policies.rules.cfn.readable`.

    Each ARN must reference, as a whole, an ``AWS::IAM::ManagedPolicy`` of the template: only
    then do the statement rules read what it grants. An AWS-managed policy, a customer-managed
    policy named by ARN, a parameter or an import is reported. ``stack_policy_ids``: the logical
    IDs of the template's managed policies; None when they are unknown (checkov reads one
    resource at a time), and then any reference to a logical ID counts.
    """
    unreadable = []
    for arn in as_list(managed_policy_arns):
        logical_id = _referenced_logical_id(arn)
        if logical_id is None or (
            stack_policy_ids is not None and logical_id not in stack_policy_ids
        ):
            unreadable.append(readable(arn))
    return unreadable
