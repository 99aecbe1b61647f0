"""The acknowledgments several parts make, and cdk-nag's spelling of a finding to acknowledge.

Every acknowledgment names its ADR (``policies.exceptions.acknowledge``); the constructs make
their own, next to the resource a finding is about. What several of them share is here:

- HIPAA and NIST 800-53 ship many rules under the same name; a finding acknowledged in one is
  acknowledged in both with the same ADR and reason (``acknowledge_in_packs``).
- Both project functions answer the same Lambda baseline findings (VPC, dead-letter queue,
  tracing, runtime, environment key), each with its own ADR and reasons
  (``acknowledge_lambda_baseline``).
- AwsSolutions-IAM5 names each wildcard resource ``Resource::<flattened ARN>``, where a token is
  shown as ``<LogicalId>`` (Ref) or ``<LogicalId.Attribute>`` (GetAtt). An acknowledgment that
  lists these IDs exactly covers the reviewed resources and nothing added later; a regular
  expression or a rule-wide suppression would also hide the next wildcard someone adds
  (``wildcard_resource_finding``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_lambda as lambda_
from constructs import IConstruct

from policies.exceptions import acknowledge, checkov_skip
from policies.nag import HIPAA_PACK, NIST_PACK, SERVERLESS_PACK

HIPAA_NIST = (HIPAA_PACK, NIST_PACK)
# The packs with a LambdaDLQ rule.
DLQ_PACKS = (HIPAA_PACK, NIST_PACK, SERVERLESS_PACK)


def acknowledge_in_packs(
    construct: IConstruct,
    rule_name: str,
    packs: Sequence[str] = HIPAA_NIST,
    *,
    adr: str,
    reason: str,
    apply_to_children: bool = True,
) -> None:
    """Acknowledge ``<pack>-<rule_name>`` for every pack in ``packs``, one ADR and reason."""
    for pack in packs:
        acknowledge(
            construct,
            f"{pack}-{rule_name}",
            adr=adr,
            reason=reason,
            apply_to_children=apply_to_children,
        )


def acknowledge_lambda_baseline(
    function: lambda_.Function,
    *,
    adr: str,
    no_vpc: str,
    no_tracing: str,
    runtime: str,
    plain_environment: str,
    failure_adr: str,
    failure_handling: str,
    failure_rules: Sequence[str] = (),
    failure_checks: Sequence[str] = (),
) -> None:
    """The findings every project function answers the same way, with ``adr`` unless noted.

    :param no_vpc, no_tracing, runtime, plain_environment: why the function runs outside a
        VPC, untraced, on ``LAMBDA_RUNTIME``, with an environment under an AWS-managed key.
    :param failure_adr, failure_handling: the ADR and reason for having no dead-letter queue
        (LambdaDLQ in three packs, checkov CKV_AWS_116).
    :param failure_rules, failure_checks: further cdk-nag rules and checkov checks answered by
        the same failure handling.
    """
    acknowledge_in_packs(function, "LambdaInsideVPC", adr=adr, reason=no_vpc)
    acknowledge_in_packs(function, "LambdaDLQ", DLQ_PACKS, adr=failure_adr, reason=failure_handling)
    for rule in failure_rules:
        acknowledge(
            function, rule, adr=failure_adr, reason=failure_handling, apply_to_children=True
        )
    acknowledge(
        function, "Serverless-LambdaTracing", adr=adr, reason=no_tracing, apply_to_children=True
    )
    for rule in ("AwsSolutions-L1", "Serverless-LambdaLatestVersion"):
        acknowledge(function, rule, adr=adr, reason=runtime, apply_to_children=True)
    checkov_skip(function, "CKV_AWS_117", adr=adr, reason=no_vpc)
    for check in ("CKV_AWS_116", *failure_checks):
        checkov_skip(function, check, adr=failure_adr, reason=failure_handling)
    checkov_skip(function, "CKV_AWS_173", adr=adr, reason=plain_environment)


def flatten_reference(node: Any) -> str:
    """A resolved CloudFormation value as cdk-nag flattens it (its ``flattenCfnReference``)."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if isinstance(node, dict):
        if "Fn::Join" in node:
            delimiter, items = node["Fn::Join"]
            return delimiter.join(flatten_reference(item) for item in items)
        if "Fn::Sub" in node:
            return flatten_reference(node["Fn::Sub"])
        if "Fn::GetAtt" in node:
            resource, attribute = node["Fn::GetAtt"]
            return f"<{flatten_reference(resource)}.{flatten_reference(attribute)}>"
        if "Fn::ImportValue" in node:
            return flatten_reference(node["Fn::ImportValue"])
        if "Ref" in node:
            return f"<{flatten_reference(node['Ref'])}>"
    return json.dumps(node, separators=(",", ":"))


def wildcard_resource_finding(scope: IConstruct, resource: str) -> str:
    """The IAM5 finding ID of ``resource`` (an ARN that may hold tokens) in ``scope``'s stack."""
    return "Resource::" + flatten_reference(Stack.of(scope).resolve(resource))
