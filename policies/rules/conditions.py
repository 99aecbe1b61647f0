"""Conditions that must accompany some grants (ADR-0057).

- A statement allowing ``sagemaker:CreateModel`` must require ``sagemaker:NetworkIsolation``
  true: a model whose container reaches the network can send what its role reads anywhere.
- A statement allowing ``sagemaker:CreateEndpointConfig`` must restrict
  ``sagemaker:InstanceTypes`` to named types (``ForAllValues:StringEquals`` or ``StringLike``)
  and require the key (``Null`` false): ``ForAllValues`` alone also matches a request that
  names no instance type.
- A queue that an EventBridge rule targets must deny ``sqs:SendMessage`` to every sender whose
  ``aws:SourceArn`` is not one of the rules targeting it (a Deny for all principals with
  ``ArnNotEquals``/``ArnNotLike`` on ``aws:SourceArn`` and no other condition).

Identity policies only for the first two (a resource policy of these types does not govern
SageMaker). Pure functions over CloudFormation dictionaries, shared by cdk-nag and checkov.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from .cfn import as_list, is_true, referenced_logical_ids
from .iam import StatementViolation, action_matches, statements

MODEL_ISOLATION_MISSING = "ModelIsolation"
INSTANCE_TYPES_UNRESTRICTED = "InstanceTypes"
CREATE_MODEL = "sagemaker:CreateModel"
CREATE_ENDPOINT_CONFIG = "sagemaker:CreateEndpointConfig"
NETWORK_ISOLATION_KEY = "sagemaker:networkisolation"
INSTANCE_TYPES_KEY = "sagemaker:instancetypes"
INSTANCE_TYPE_OPERATORS = frozenset({"forallvalues:stringequals", "forallvalues:stringlike"})
SEND_MESSAGE = "sqs:SendMessage"
SOURCE_ARN_KEY = "aws:sourcearn"
NEGATED_ARN_OPERATORS = frozenset({"arnnotequals", "arnnotlike"})
QUEUE_POLICY_TYPE = "AWS::SQS::QueuePolicy"
EVENTS_RULE_TYPE = "AWS::Events::Rule"

_DESCRIPTIONS = {
    MODEL_ISOLATION_MISSING: "{subject} is allowed without Bool sagemaker:NetworkIsolation true",
    INSTANCE_TYPES_UNRESTRICTED: "{subject} is allowed without ForAllValues:StringEquals on "
    "sagemaker:InstanceTypes (named types) and Null sagemaker:InstanceTypes false",
}


def _grants(statement: Any, action: str) -> bool:
    """Whether an Allow statement grants ``action`` (by name, pattern or NotAction)."""
    if not isinstance(statement, Mapping) or statement.get("Effect") == "Deny":
        return False
    actions = as_list(statement.get("Action"))
    not_actions = as_list(statement.get("NotAction"))
    if any(isinstance(a, str) and action_matches(a.strip(), action) for a in actions):
        return True
    return bool(not_actions) and not any(
        isinstance(a, str) and action_matches(a.strip(), action) for a in not_actions
    )


def _blocks(condition: Any) -> list[tuple[str, str, Any]]:
    """(operator, key, values) of a Condition element, operator and key in lower case."""
    if not isinstance(condition, Mapping):
        return []
    return [
        (operator.lower(), key.lower(), values)
        for operator, block in condition.items()
        if isinstance(operator, str) and isinstance(block, Mapping)
        for key, values in block.items()
        if isinstance(key, str)
    ]


def requires_network_isolation(condition: Any) -> bool:
    return any(
        operator == "bool"
        and key == NETWORK_ISOLATION_KEY
        and as_list(values)
        and all(is_true(v) for v in as_list(values))
        for operator, key, values in _blocks(condition)
    )


def _named(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip()) and not set(value.strip()) <= {"*", "?"}
    return value is not None  # an intrinsic: a concrete type known at deploy time


def restricts_instance_types(condition: Any) -> bool:
    blocks = _blocks(condition)
    restricted = any(
        operator in INSTANCE_TYPE_OPERATORS
        and key == INSTANCE_TYPES_KEY
        and as_list(values)
        and all(_named(v) for v in as_list(values))
        for operator, key, values in blocks
    )
    required = any(
        operator == "null"
        and key == INSTANCE_TYPES_KEY
        and as_list(values)
        and all(isinstance(v, (str, bool)) and not is_true(v) for v in as_list(values))
        for operator, key, values in blocks
    )
    return restricted and required


def statement_condition_violations(statement: Any) -> list[StatementViolation]:
    """The required-condition violations of one identity-policy statement."""
    violations = []
    condition = statement.get("Condition") if isinstance(statement, Mapping) else None
    if _grants(statement, CREATE_MODEL) and not requires_network_isolation(condition):
        violations.append(StatementViolation(MODEL_ISOLATION_MISSING, CREATE_MODEL))
    if _grants(statement, CREATE_ENDPOINT_CONFIG) and not restricts_instance_types(condition):
        violations.append(StatementViolation(INSTANCE_TYPES_UNRESTRICTED, CREATE_ENDPOINT_CONFIG))
    return violations


def resource_condition_violations(
    resource_type: str, properties: Mapping[str, Any]
) -> list[StatementViolation]:
    """Every required-condition violation of the resource's identity policies, deduplicated."""
    seen: dict[StatementViolation, None] = {}
    for statement in statements(resource_type, properties):
        for violation in statement_condition_violations(statement):
            seen.setdefault(violation, None)
    return list(seen)


def describe(violation: StatementViolation) -> str:
    return _DESCRIPTIONS[violation.kind].format(subject=violation.subject)


def queues_of_policy(policy_properties: Mapping[str, Any]) -> set[str]:
    """Logical IDs of the queues an ``AWS::SQS::QueuePolicy`` applies to (``Queues`` refs)."""
    return referenced_logical_ids(policy_properties.get("Queues"))


def rules_targeting(queue_ids: Collection[str], rules: Mapping[str, Mapping[str, Any]]) -> set[str]:
    """Logical IDs of the EventBridge rules whose target (not dead-letter queue) is one of the
    queues."""
    return {
        rule_id
        for rule_id, properties in rules.items()
        for target in as_list(properties.get("Targets"))
        if isinstance(target, Mapping)
        and referenced_logical_ids(target.get("Arn")) & set(queue_ids)
    }


def _denies_send_to_everyone(statement: Any) -> bool:
    if not isinstance(statement, Mapping) or statement.get("Effect") != "Deny":
        return False
    principal = statement.get("Principal")
    everyone = principal == "*" or (
        isinstance(principal, Mapping) and as_list(principal.get("AWS")) == ["*"]
    )
    actions = as_list(statement.get("Action"))
    sends = any(isinstance(a, str) and action_matches(a.strip(), SEND_MESSAGE) for a in actions)
    return everyone and sends


def queue_sender_problem(
    policy_properties: Mapping[str, Any], targeting_rule_ids: Collection[str]
) -> str | None:
    """None when the queue policy denies SendMessage to every sender but the targeting rules;
    otherwise what is missing. With no targeting rule the rule does not apply (None)."""
    if not targeting_rule_ids:
        return None
    document = policy_properties.get("PolicyDocument")
    for statement in as_list(document.get("Statement") if isinstance(document, Mapping) else []):
        if not _denies_send_to_everyone(statement):
            continue
        blocks = _blocks(statement.get("Condition"))
        if len(blocks) != 1:
            continue  # another condition would narrow the Deny
        operator, key, values = blocks[0]
        if operator not in NEGATED_ARN_OPERATORS or key != SOURCE_ARN_KEY:
            continue
        listed = as_list(values)
        named = set().union(*(referenced_logical_ids(v) for v in listed))
        missing = set(targeting_rule_ids) - named
        if missing:
            return f"the SourceArn Deny does not name the targeting rules {sorted(missing)}"
        others = sorted(named - set(targeting_rule_ids)) + [v for v in listed if isinstance(v, str)]
        if others:
            return f"the SourceArn Deny also lets other sources send: {others}"
        return None
    return (
        "no Deny of sqs:SendMessage for all principals unless aws:SourceArn is one of the "
        f"rules targeting the queue ({', '.join(sorted(targeting_rule_ids))})"
    )
