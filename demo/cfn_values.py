"""Resolve the few CloudFormation intrinsic functions the S3 and Lambda stack templates use.

moto's CloudFormation skips some bucket properties and whole resource types (bucket policies);
the rehearsal applies those from the synthesized template itself (``bucket_definition``), so it
needs the template's values with ``Ref``/``Fn::GetAtt``/``Fn::Join``/``Fn::Sub`` resolved. Only
what the templates use is supported; anything else raises UnsupportedIntrinsicError naming it,
so a template change can never be applied half-resolved.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")


class UnsupportedIntrinsicError(ValueError):
    """The template uses an intrinsic function or reference this resolver does not know."""


@dataclass(frozen=True)
class Environment:
    """The account and region a template is deployed to."""

    account: str
    region: str
    partition: str = "aws"
    url_suffix: str = "amazonaws.com"

    @property
    def pseudo_parameters(self) -> dict[str, str]:
        return {
            "AWS::AccountId": self.account,
            "AWS::Region": self.region,
            "AWS::Partition": self.partition,
            "AWS::URLSuffix": self.url_suffix,
        }


@dataclass
class TemplateValues:
    """Resolves values of one template in one environment.

    ``refs`` maps logical IDs to what ``Ref`` returns for them (for a bucket: its name);
    ``arns`` maps logical IDs to what ``Fn::GetAtt [id, Arn]`` returns.
    """

    environment: Environment
    refs: dict[str, str] = field(default_factory=dict)
    arns: dict[str, str] = field(default_factory=dict)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, Mapping):
            return value
        if len(value) == 1:
            ((name, argument),) = value.items()
            if name == "Ref":
                return self._ref(argument)
            if name == "Fn::GetAtt":
                return self._get_att(argument)
            if name == "Fn::Join":
                separator, parts = argument
                return separator.join(str(self.resolve(part)) for part in parts)
            if name == "Fn::Sub" and isinstance(argument, str):
                return _SUB_VARIABLE.sub(lambda m: self._ref(m.group(1)), argument)
            if name.startswith("Fn::"):
                raise UnsupportedIntrinsicError(f"{name} is not supported here: {value!r}")
        return {key: self.resolve(item) for key, item in value.items()}

    def _ref(self, name: str) -> str:
        known = {**self.environment.pseudo_parameters, **self.refs}
        if name not in known:
            raise UnsupportedIntrinsicError(f"Ref {name!r}: not a pseudo parameter nor a known id")
        return known[name]

    def _get_att(self, argument: Any) -> str:
        logical_id, attribute = argument
        if attribute != "Arn" or logical_id not in self.arns:
            raise UnsupportedIntrinsicError(f"Fn::GetAtt {logical_id}.{attribute} is not known")
        return self.arns[logical_id]


def resources_of_type(template: Mapping[str, Any], resource_type: str) -> dict[str, Any]:
    """The template's resources of one type, by logical ID."""
    return {
        logical_id: resource
        for logical_id, resource in template.get("Resources", {}).items()
        if resource.get("Type") == resource_type
    }


def bucket_values(template: Mapping[str, Any], environment: Environment) -> TemplateValues:
    """A resolver that knows every bucket of ``template`` by its (resolved) BucketName."""
    values = TemplateValues(environment)
    for logical_id, bucket in resources_of_type(template, "AWS::S3::Bucket").items():
        if "BucketName" not in bucket.get("Properties", {}):
            raise UnsupportedIntrinsicError(
                f"bucket {logical_id} has no BucketName: its generated name cannot be known"
            )
        name = values.resolve(bucket["Properties"]["BucketName"])
        values.refs[logical_id] = name
        values.arns[logical_id] = f"arn:{environment.partition}:s3:::{name}"
    return values
