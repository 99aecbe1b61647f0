"""CKV_MLOPS_1-3, 11, 12 and 13: least privilege, mirroring the MlopsIAM cdk-nag pack
(policies/rules/iam.py).

Stock checkov covers ``"*"`` actions (CKV_AWS_63) but not service-wide ``svc:*`` actions, the
``*``-resource allowlist, the PutMetricData namespace condition or managed policies declared
outside the template. CKV_MLOPS_1 and 2 also read KMS key, S3 bucket, SQS queue and SNS topic
policies, with the resource-policy semantics of the shared rule. CKV_MLOPS_4 (no AWS-managed
full-access policy) is retired with its cdk-nag rule; CKV_MLOPS_11 is stricter (ADR 0042).
CKV_MLOPS_12 and 13 mirror the conditions a SageMaker grant requires (ADR 0057); the queue rule
``MlopsIAM-QueueSendersAreItsRules`` relates a queue policy to the rules targeting the queue,
which one-resource checkov checks cannot see, and has no checkov mirror.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

from policies.rules import conditions, iam
from policies.rules.cfn import plain


class _StatementCheck(BaseResourceCheck):
    kind: str
    resource_types: frozenset[str] = iam.POLICY_RESOURCE_TYPES

    def __init__(self, check_id: str, name: str) -> None:
        super().__init__(
            name=name,
            id=check_id,
            categories=(CheckCategories.IAM,),
            supported_resources=tuple(sorted(self.resource_types)),
        )

    def scan_resource_conf(self, conf):
        properties = plain(conf.get("Properties") or {})
        violations = [
            violation
            for violation in iam.resource_violations(self.entity_type, properties)
            if violation.kind == self.kind
        ]
        self.details = [str(violation) for violation in violations]
        return CheckResult.FAILED if violations else CheckResult.PASSED


class NoWildcardAction(_StatementCheck):
    kind = iam.WILDCARD_ACTION

    def __init__(self) -> None:
        super().__init__(
            "CKV_MLOPS_1",
            "Ensure no IAM statement allows '*', a whole service ('svc:*') or NotAction",
        )


class WildcardResourceAllowlist(_StatementCheck):
    kind = iam.UNLISTED_WILDCARD_RESOURCE

    def __init__(self) -> None:
        super().__init__(
            "CKV_MLOPS_2",
            "Ensure Resource '*' is granted only for actions without resource-level permissions",
        )


class MetricNamespaceCondition(_StatementCheck):
    kind = iam.METRIC_NAMESPACE_MISSING
    resource_types = iam.IDENTITY_POLICY_TYPES

    def __init__(self) -> None:
        super().__init__(
            "CKV_MLOPS_3",
            "Ensure cloudwatch:PutMetricData is allowed only with a cloudwatch:namespace condition",
        )


class ManagedPolicyInTemplate(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure every attached managed policy is declared in the template",
            id="CKV_MLOPS_11",
            categories=(CheckCategories.IAM,),
            supported_resources=tuple(sorted(iam.MANAGED_POLICY_ATTACHMENT_TYPES)),
        )

    def scan_resource_conf(self, conf):
        properties = plain(conf.get("Properties") or {})
        # One resource at a time: any reference counts here; cdk-nag's rule also checks that
        # it is a managed policy of the same stack.
        unreadable = iam.unreadable_managed_policies(properties.get("ManagedPolicyArns"))
        self.details = [f"attaches a managed policy not declared here: {arn}" for arn in unreadable]
        return CheckResult.FAILED if unreadable else CheckResult.PASSED


class _RequiredConditionCheck(BaseResourceCheck):
    kind: str

    def __init__(self, check_id: str, name: str) -> None:
        super().__init__(
            name=name,
            id=check_id,
            categories=(CheckCategories.IAM,),
            supported_resources=tuple(sorted(iam.IDENTITY_POLICY_TYPES)),
        )

    def scan_resource_conf(self, conf):
        properties = plain(conf.get("Properties") or {})
        violations = [
            violation
            for violation in conditions.resource_condition_violations(self.entity_type, properties)
            if violation.kind == self.kind
        ]
        self.details = [conditions.describe(violation) for violation in violations]
        return CheckResult.FAILED if violations else CheckResult.PASSED


class CreateModelNetworkIsolation(_RequiredConditionCheck):
    kind = conditions.MODEL_ISOLATION_MISSING

    def __init__(self) -> None:
        super().__init__(
            "CKV_MLOPS_12",
            "Ensure sagemaker:CreateModel is allowed only with sagemaker:NetworkIsolation true",
        )


class CreateEndpointConfigInstanceTypes(_RequiredConditionCheck):
    kind = conditions.INSTANCE_TYPES_UNRESTRICTED

    def __init__(self) -> None:
        super().__init__(
            "CKV_MLOPS_13",
            "Ensure sagemaker:CreateEndpointConfig is allowed only for named instance types",
        )


checks = (
    NoWildcardAction(),
    WildcardResourceAllowlist(),
    MetricNamespaceCondition(),
    ManagedPolicyInTemplate(),
    CreateModelNetworkIsolation(),
    CreateEndpointConfigInstanceTypes(),
)
