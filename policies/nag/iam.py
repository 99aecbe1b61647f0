"""``MlopsIAM``: least privilege for every policy statement and managed-policy attachment.

The wildcard rules read identity policies and the resource policies of KMS keys, S3 buckets,
SQS queues and SNS topics, each with its own semantics (policies/rules/iam.py, ADR 0044).
Findings are granular: each finding ID names the offending action or policy, so an
acknowledgment must list exactly what it accepts (``applies_to``).

How the rules relate to the stock packs (ADR 0042):

- ``NoWildcardAction`` is stricter than ``AwsSolutions-IAM5`` and HIPAA/NIST
  ``IAMPolicyNoStatementsWithFullAccess``, which read identity policies only and look for a
  ``*`` in the ``Action`` element: it also reads key, bucket, queue and topic policies (a key
  policy's ``kms:*`` included, ADR 0049) and treats ``NotAction`` in an Allow as the wildcard
  it is.
- ``WildcardResourceAllowlist`` is stricter than ``AwsSolutions-IAM5``, whose one finding
  ``Resource::*`` covers every action granted on ``*`` once acknowledged: it names the action,
  accepts ``*`` only for the allowlist of actions without resource-level permissions, and reads
  resource policies too.
- ``MetricNamespaceCondition``: no stock rule looks at conditions.
- ``ManagedPolicyInStack`` is stricter than ``AwsSolutions-IAM4``, which fails AWS-managed
  policies only: it also fails a customer-managed policy named by ARN, a parameter or an
  import, whose statements no rule can read. (It replaces ``NoFullAccessManagedPolicy``, which
  failed only AWS-managed full-access policies, a subset of what IAM4 fails.)
- ``CreateModelNetworkIsolation``, ``CreateEndpointConfigInstanceTypes`` and
  ``QueueSendersAreItsRules`` (ADR 0057): no stock rule reads conditions, and none relates a
  queue policy to the rules that target the queue.
"""

from __future__ import annotations

from cdk_nag import NagRuleCompliance

from policies.rules import conditions as condition_rules
from policies.rules import iam as iam_rules

from .base import ProjectNagPack, ResourceView, Rule, RuleResult, compliant_if

POLICY_HOLDERS = frozenset(iam_rules.POLICY_RESOURCE_TYPES)
IDENTITY_POLICY_HOLDERS = frozenset(iam_rules.IDENTITY_POLICY_TYPES)
MANAGED_POLICY_HOLDERS = frozenset(iam_rules.MANAGED_POLICY_ATTACHMENT_TYPES)


def _findings(kind: str):
    def check(resource: ResourceView) -> RuleResult:
        findings = [
            violation.finding_id
            for violation in iam_rules.resource_violations(
                resource.resource_type, resource.properties
            )
            if violation.kind == kind
        ]
        return findings or NagRuleCompliance.COMPLIANT

    return check


def _required_conditions(kind: str):
    def check(resource: ResourceView) -> RuleResult:
        findings = [
            violation.finding_id
            for violation in condition_rules.resource_condition_violations(
                resource.resource_type, resource.properties
            )
            if violation.kind == kind
        ]
        return findings or NagRuleCompliance.COMPLIANT

    return check


def _queue_senders_are_its_rules(resource: ResourceView) -> RuleResult:
    queues = condition_rules.queues_of_policy(resource.properties)
    rules = condition_rules.rules_targeting(
        queues, resource.others(condition_rules.EVENTS_RULE_TYPE)
    )
    if not rules:
        return NagRuleCompliance.NOT_APPLICABLE
    problem = condition_rules.queue_sender_problem(resource.properties, rules)
    return compliant_if(problem is None)


def _managed_policies_in_stack(resource: ResourceView) -> RuleResult:
    unreadable = iam_rules.unreadable_managed_policies(
        resource.properties.get("ManagedPolicyArns"),
        stack_policy_ids=set(resource.other_ids(iam_rules.STACK_MANAGED_POLICY_TYPE)),
    )
    return [f"ManagedPolicy::{arn}" for arn in unreadable] or NagRuleCompliance.COMPLIANT


class LeastPrivilegeChecks(ProjectNagPack):
    """No wildcard actions; ``*`` resources only for allowlisted actions; PutMetricData only
    within a namespace; no AWS-managed full-access policies (ADR 0044)."""

    PACK_NAME = "MlopsIAM"

    def build_rules(self) -> tuple[Rule, ...]:
        allowlist = ", ".join(iam_rules.WILDCARD_RESOURCE_ACTIONS)
        return (
            Rule(
                suffix="NoWildcardAction",
                info="A policy statement allows '*', a whole service ('svc:*') or NotAction.",
                explanation=(
                    "A wildcard action grants every present and future action of the service, "
                    "including destructive and permission-changing ones. Identity policies and "
                    "key, bucket, queue and topic policies alike (a key policy's kms:* too)."
                ),
                resource_types=POLICY_HOLDERS,
                check=_findings(iam_rules.WILDCARD_ACTION),
            ),
            Rule(
                suffix="WildcardResourceAllowlist",
                info="A policy statement allows Resource '*' for an action that supports "
                "resource-level permissions.",
                explanation=(
                    "In an identity policy, Resource '*' is acceptable only for actions that "
                    f"cannot name a resource: {allowlist}. In a bucket, queue or topic policy "
                    "an Allow statement always names its resources. In a KMS key policy '*' "
                    "means the key itself and is accepted. Deny statements never count."
                ),
                resource_types=POLICY_HOLDERS,
                check=_findings(iam_rules.UNLISTED_WILDCARD_RESOURCE),
            ),
            Rule(
                suffix="MetricNamespaceCondition",
                info="cloudwatch:PutMetricData is allowed without a cloudwatch:namespace "
                "condition.",
                explanation=(
                    "PutMetricData has no resource-level permissions; only a StringEquals/"
                    "StringLike condition on cloudwatch:namespace keeps a function from "
                    "writing metrics into other namespaces (including alarms' sources)."
                ),
                resource_types=IDENTITY_POLICY_HOLDERS,
                check=_findings(iam_rules.METRIC_NAMESPACE_MISSING),
            ),
            Rule(
                suffix="ManagedPolicyInStack",
                info="A role, user or group attaches a managed policy that is not an "
                "AWS::IAM::ManagedPolicy of its stack.",
                explanation=(
                    "The least-privilege rules can only judge statements they can read. An "
                    "AWS-managed policy (which also changes without notice), a customer-managed "
                    "policy named by ARN, a parameter or an import grants permissions that no "
                    "rule of the gate sees; declare the policy in the stack instead."
                ),
                resource_types=MANAGED_POLICY_HOLDERS,
                check=_managed_policies_in_stack,
            ),
            Rule(
                suffix="CreateModelNetworkIsolation",
                info="sagemaker:CreateModel is allowed without requiring "
                "sagemaker:NetworkIsolation true.",
                explanation=(
                    "A model created without network isolation runs a container that can "
                    "reach the internet and AWS with its execution role: anyone who may create "
                    "models could send model data, or anything the role reads, anywhere "
                    "(ADR 0057). Condition: Bool sagemaker:NetworkIsolation true."
                ),
                resource_types=IDENTITY_POLICY_HOLDERS,
                check=_required_conditions(condition_rules.MODEL_ISOLATION_MISSING),
            ),
            Rule(
                suffix="CreateEndpointConfigInstanceTypes",
                info="sagemaker:CreateEndpointConfig is allowed without restricting "
                "sagemaker:InstanceTypes to named types.",
                explanation=(
                    "Without it, whoever may create endpoint configurations chooses any "
                    "instance type, the largest GPU fleets included (ADR 0057). Condition: "
                    "ForAllValues:StringEquals sagemaker:InstanceTypes [types] and Null "
                    "sagemaker:InstanceTypes false (ForAllValues alone matches a request "
                    "without instance types)."
                ),
                resource_types=IDENTITY_POLICY_HOLDERS,
                check=_required_conditions(condition_rules.INSTANCE_TYPES_UNRESTRICTED),
            ),
            Rule(
                suffix="QueueSendersAreItsRules",
                info="A queue that an EventBridge rule targets does not deny sqs:SendMessage "
                "to every other sender.",
                explanation=(
                    "EventBridge's Allow names the rule, but IAM may let any principal of the "
                    "account send too, forging the events the consumer acts on. The queue "
                    "policy must deny sqs:SendMessage to all principals unless aws:SourceArn "
                    "(ArnNotEquals/ArnNotLike, no other condition) is one of the rules "
                    "targeting the queue, and nothing else (ADR 0057)."
                ),
                resource_types=frozenset({condition_rules.QUEUE_POLICY_TYPE}),
                check=_queue_senders_are_its_rules,
            ),
        )
