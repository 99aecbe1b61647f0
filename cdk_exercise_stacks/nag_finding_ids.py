"""cdk-nag's spelling of an IAM resource in a finding ID, for exact ``applies_to`` lists.

AwsSolutions-IAM5 names each wildcard resource ``Resource::<flattened ARN>``, where a token is
shown as ``<LogicalId>`` (Ref) or ``<LogicalId.Attribute>`` (GetAtt). An acknowledgment that
lists these IDs exactly covers the reviewed resources and nothing added later; a regular
expression or a rule-wide suppression would also hide the next wildcard someone adds.
"""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Stack
from constructs import IConstruct


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
