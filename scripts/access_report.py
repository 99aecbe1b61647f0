"""Who can do what in this app: an access report generated from the synthesized templates.

    python scripts/access_report.py [--cdk-out cdk.out] [--output docs/access.md] [--check]

The report has two parts:

1. Every principal with its permissions, stack by stack: IAM roles, users and groups with their
   inline and attached policies (policies this app attaches to roles it does not define, such as
   the CDK deploy role, included), and every resource policy (S3 bucket, SQS queue, SNS topic,
   KMS key, Lambda permission, and any other resource property that holds a policy document with
   principals) with its principals, Allow and Deny statements, actions, resources and conditions;
   then what invokes what (S3 notifications, EventBridge rules, event source mappings).
2. Plain answers to the auditor's questions (who can publish a model, write the model parameter,
   approve a model in the registry, change the endpoint, read captured data). The targets of each
   question are found in the templates (the bucket whose uploads start a function, the SSM
   parameters the stacks read or watch, the SageMaker endpoints and model package groups, data
   capture destinations), and the answers are derived from the statements: which principals of
   this app are allowed, which resource policy statements grant or deny, and who else is allowed
   implicitly (any principal of the account that IAM allows, unless a Deny excludes it).

Nothing here names today's resources: new resources appear in the report when the templates
have them. Intrinsic functions are rendered as readable strings (see ``Resolver``). The output is
deterministic: no dates, no asset hashes, stacks and principals in sorted order.

Exit status: 0 written (or current with --check), 1 --check found the report stale, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CDK_OUT = REPO / "cdk.out"
DEFAULT_OUTPUT = REPO / "docs" / "access.md"


class TemplateError(ValueError):
    """A template this report cannot read; the message names the stack and what is wrong."""


# --------------------------------------------------------------------------------------------
# Primary sources for the facts the templates cannot show. Cited as [KEY] in the report.
# --------------------------------------------------------------------------------------------
SOURCES: dict[str, tuple[str, str]] = {
    "IAM-EVAL": (
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
        "reference_policies_evaluation-logic_policy-eval-basics.html",
        "within one account, a request is allowed if either the identity-based or the "
        "resource-based policy allows it, and an explicit Deny in any policy overrides an Allow",
    ),
    "SSM-IAM": (
        "https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-setting-up.html",
        "access to Parameter Store parameters is managed with IAM policies; creating or "
        "updating a parameter needs ssm:PutParameter",
    ),
    "SSM-RESOURCE-POLICY": (
        "https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutResourcePolicy.html",
        "a parameter's resource policy exists only to share an advanced-tier parameter with "
        "other accounts; it is not how access within the account is granted or denied",
    ),
    "AAS-SAGEMAKER": (
        "https://docs.aws.amazon.com/autoscaling/application/userguide/"
        "services-that-can-integrate-sagemaker.html",
        "registering a SageMaker variant as a scalable target creates the service-linked role "
        "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint, assumed only by "
        "sagemaker.application-autoscaling.amazonaws.com",
    ),
    "AAS-SLR-POLICY": (
        "https://docs.aws.amazon.com/aws-managed-policy/latest/reference/"
        "AWSApplicationAutoscalingSageMakerEndpointPolicy.html",
        "the service-linked role's policy allows sagemaker:UpdateEndpointWeightsAndCapacities "
        "on any resource",
    ),
    "CDK-BOOTSTRAP": (
        "https://docs.aws.amazon.com/cdk/v2/guide/bootstrapping-customizing.html",
        "by default, stacks are deployed with the AdministratorAccess policy; "
        "`cdk bootstrap --cloudformation-execution-policies` replaces it",
    ),
    "CDK-SYNTHESIZER": (
        "https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.DefaultStackSynthesizerProps.html",
        "the deploy role is assumed to initiate a deployment; the CloudFormation execution role "
        "is the role CloudFormation assumes when deploying the stack; both are named by the "
        "bootstrap qualifier",
    ),
    "CFN-ROLE": (
        "https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateChangeSet.html",
        "CloudFormation uses a stack's role for all future operations on the stack, even for "
        "users not allowed to pass it, provided they may operate on the stack",
    ),
}

# The CDK's default synthesizer names its bootstrap roles by this convention [CDK-SYNTHESIZER]
# (DefaultStackSynthesizer.DEFAULT_DEPLOY_ROLE_ARN and DEFAULT_CLOUDFORMATION_ROLE_ARN);
# tests/unit/test_access_report.py checks these against the installed aws-cdk-lib.
CDK_DEPLOY_ROLE = "cdk-${Qualifier}-deploy-role-${AWS::AccountId}-${AWS::Region}"
CDK_EXECUTION_ROLE = "cdk-${Qualifier}-cfn-exec-role-${AWS::AccountId}-${AWS::Region}"
CDK_BOOTSTRAP_VERSION_PARAMETER = re.compile(r"^/cdk-bootstrap/(?P<qualifier>[^/]+)/version$")
AAS_SAGEMAKER_ROLE = "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"

# --------------------------------------------------------------------------------------------
# Intrinsic functions -> readable strings
# --------------------------------------------------------------------------------------------
ACCOUNT = "${AWS::AccountId}"
REGION = "${AWS::Region}"
# The partition is written as `aws` and the URL suffix as `amazonaws.com` (the legend says so):
# ARNs then read as the documentation writes them.
PSEUDO_PARAMETERS = {
    "AWS::AccountId": ACCOUNT,
    "AWS::Region": REGION,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NotificationARNs": "${AWS::NotificationARNs}",
}


class _NoValue:
    """``Ref: AWS::NoValue``: the property or list item is dropped."""

    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE = _NoValue()


@dataclass(frozen=True)
class ResourceNaming:
    """How a resource type's physical name, ``Ref`` and ARN read, from its name property."""

    name_property: str
    ref: str  # "name", "arn" or "url": what Ref returns for this type
    arn: str  # "{name}" is replaced; "" when the ARN cannot be written from the name
    name_attributes: tuple[str, ...] = ()
    lowercase_arn: bool = False  # SageMaker writes resource names in ARNs in lower case


REGIONAL = f"{REGION}:{ACCOUNT}"
NAMING: dict[str, ResourceNaming] = {
    "AWS::S3::Bucket": ResourceNaming("BucketName", "name", "arn:aws:s3:::{name}"),
    "AWS::Lambda::Function": ResourceNaming(
        "FunctionName", "name", f"arn:aws:lambda:{REGIONAL}:function:{{name}}"
    ),
    "AWS::IAM::Role": ResourceNaming("RoleName", "name", f"arn:aws:iam::{ACCOUNT}:role/{{name}}"),
    "AWS::IAM::User": ResourceNaming("UserName", "name", f"arn:aws:iam::{ACCOUNT}:user/{{name}}"),
    "AWS::IAM::Group": ResourceNaming(
        "GroupName", "name", f"arn:aws:iam::{ACCOUNT}:group/{{name}}"
    ),
    "AWS::IAM::ManagedPolicy": ResourceNaming(
        "ManagedPolicyName", "arn", f"arn:aws:iam::{ACCOUNT}:policy/{{name}}"
    ),
    "AWS::SQS::Queue": ResourceNaming(
        "QueueName", "url", f"arn:aws:sqs:{REGIONAL}:{{name}}", ("QueueName",)
    ),
    "AWS::SNS::Topic": ResourceNaming(
        "TopicName", "arn", f"arn:aws:sns:{REGIONAL}:{{name}}", ("TopicName",)
    ),
    "AWS::Logs::LogGroup": ResourceNaming(
        "LogGroupName", "name", f"arn:aws:logs:{REGIONAL}:log-group:{{name}}:*"
    ),
    "AWS::Events::Rule": ResourceNaming("Name", "name", f"arn:aws:events:{REGIONAL}:rule/{{name}}"),
    "AWS::SSM::Parameter": ResourceNaming(
        "Name", "name", f"arn:aws:ssm:{REGIONAL}:parameter{{name}}"
    ),
    "AWS::CloudWatch::Alarm": ResourceNaming(
        "AlarmName", "name", f"arn:aws:cloudwatch:{REGIONAL}:alarm:{{name}}"
    ),
    "AWS::SageMaker::Endpoint": ResourceNaming(
        "EndpointName", "arn", f"arn:aws:sagemaker:{REGIONAL}:endpoint/{{name}}",
        ("EndpointName",), lowercase_arn=True,
    ),
    "AWS::SageMaker::EndpointConfig": ResourceNaming(
        "EndpointConfigName", "arn", f"arn:aws:sagemaker:{REGIONAL}:endpoint-config/{{name}}",
        ("EndpointConfigName",), lowercase_arn=True,
    ),
    "AWS::SageMaker::Model": ResourceNaming(
        "ModelName", "arn", f"arn:aws:sagemaker:{REGIONAL}:model/{{name}}",
        ("ModelName",), lowercase_arn=True,
    ),
    "AWS::SageMaker::ModelPackageGroup": ResourceNaming(
        "ModelPackageGroupName", "arn",
        f"arn:aws:sagemaker:{REGIONAL}:model-package-group/{{name}}",
        ("ModelPackageGroupName",), lowercase_arn=True,
    ),
}  # fmt: skip

PLACEHOLDER = re.compile(r"(\$\{[^}]*\}|<[^>]*>)")


def _lower_literal(text: str) -> str:
    """``text`` in lower case except its ``${...}`` and ``<...>`` placeholders."""
    return "".join(
        part if PLACEHOLDER.fullmatch(part) else part.lower() for part in PLACEHOLDER.split(text)
    )


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


class Resolver:
    """Renders one stack's intrinsic functions as readable strings.

    - pseudo parameters: ``${AWS::AccountId}``, ``${AWS::Region}``; the partition as ``aws``, the
      URL suffix as ``amazonaws.com``; ``AWS::StackName`` as the stack's name and
      ``AWS::StackId`` as the stack's ARN pattern (``...:stack/<name>/*``);
    - ``Ref``/``Fn::GetAtt`` of a resource: its name or ARN when the template names it (an S3
      bucket with a ``BucketName``, a Lambda function with a ``FunctionName``...), otherwise
      ``<LogicalId>`` / ``<LogicalId.Attribute>``;
    - ``Ref`` of a parameter: ``${ssm:/name}`` for an SSM-typed parameter (its value is read at
      deploy time), else ``${Name}``;
    - ``Fn::Join``, ``Fn::Sub``, ``Fn::Select``, ``Fn::Split``, ``Fn::Base64`` evaluated;
      ``Fn::FindInMap`` looked up (``<Map[key][attribute]>`` when the key is only known at
      deploy time and the values differ); ``Fn::ImportValue`` resolved through the exporting
      stack when it is one of the app's, else ``<import Name>``; ``Fn::If`` as
      ``<if Condition: a | b>``.

    An unknown intrinsic function or a ``Ref`` to nothing raises ``TemplateError``.
    """

    def __init__(
        self,
        stack: str,
        template: Mapping[str, Any],
        exports: Mapping[str, tuple[Resolver, Any]] | None = None,
    ):
        self.stack = stack
        self.resources: Mapping[str, Any] = template.get("Resources") or {}
        self.parameters: Mapping[str, Any] = template.get("Parameters") or {}
        self.mappings: Mapping[str, Any] = template.get("Mappings") or {}
        self.exports: Mapping[str, tuple[Resolver, Any]] = exports if exports is not None else {}
        self._naming_depth = 0

    # -- public -------------------------------------------------------------------------------
    def resolve(self, value: Any) -> Any:
        """``value`` with every intrinsic function rendered; lists and dicts keep their shape."""
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return [item for item in items if item is not NO_VALUE]
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, argument),) = value.items()
                if key == "Ref":
                    return self._ref(argument)
                if key.startswith("Fn::"):
                    return self._function(key, argument)
            resolved = {key: self.resolve(item) for key, item in value.items()}
            return {key: item for key, item in resolved.items() if item is not NO_VALUE}
        return value

    def text(self, value: Any) -> str:
        """``value`` rendered as one string (a list is joined with ", ")."""
        resolved = self.resolve(value)
        if isinstance(resolved, list):
            return ", ".join(_scalar_text(item) for item in resolved)
        return _scalar_text(resolved)

    def texts(self, value: Any) -> tuple[str, ...]:
        """``value`` (one item or a list) rendered as a tuple of strings."""
        resolved = self.resolve(value)
        if resolved is NO_VALUE or resolved is None:
            return ()
        items = resolved if isinstance(resolved, list) else [resolved]
        return tuple(_scalar_text(item) for item in items)

    def reference_target(self, value: Any) -> tuple[Resolver, str] | None:
        """The (stack resolver, logical ID) a ``Ref``/``Fn::GetAtt``/``Fn::ImportValue`` points
        at, when it is a resource of the app; else None."""
        if not isinstance(value, dict) or len(value) != 1:
            return None
        ((key, argument),) = value.items()
        if key == "Ref" and isinstance(argument, str) and argument in self.resources:
            return self, argument
        if key == "Fn::GetAtt":
            logical_id = argument[0] if isinstance(argument, list) else str(argument).split(".")[0]
            if logical_id in self.resources:
                return self, logical_id
        if key == "Fn::ImportValue":
            exported = self.exports.get(self.text(argument))
            if exported:
                exporter, raw = exported
                return exporter.reference_target(raw)
        return None

    def physical_name(self, logical_id: str) -> str | None:
        """The resource's name when its template sets the name property, else None."""
        resource = self.resources[logical_id]
        naming = NAMING.get(resource.get("Type", ""))
        properties = resource.get("Properties") or {}
        if naming is None or naming.name_property not in properties:
            return None
        # A name built from its own resource would recurse forever; CloudFormation rejects it.
        self._naming_depth += 1
        try:
            if self._naming_depth > 20:
                raise TemplateError(f"{self.stack}: {logical_id}'s name refers to itself")
            return self.text(properties[naming.name_property])
        finally:
            self._naming_depth -= 1

    def arn_of(self, logical_id: str) -> str:
        """The resource's ARN as far as the template tells it, else ``<LogicalId.Arn>``."""
        return self._attribute(logical_id, "Arn")

    # -- Ref and GetAtt -----------------------------------------------------------------------
    def _ref(self, name: Any) -> Any:
        if not isinstance(name, str):
            raise TemplateError(f"{self.stack}: Ref takes a name, got {name!r}")
        if name in PSEUDO_PARAMETERS:
            return PSEUDO_PARAMETERS[name]
        if name == "AWS::NoValue":
            return NO_VALUE
        if name == "AWS::StackName":
            return self.stack
        if name == "AWS::StackId":
            return f"arn:aws:cloudformation:{REGIONAL}:stack/{self.stack}/*"
        if name in self.parameters:
            parameter = self.parameters[name]
            if str(parameter.get("Type", "")).startswith("AWS::SSM::Parameter::Value"):
                return f"${{ssm:{parameter.get('Default', name)}}}"
            return f"${{{name}}}"
        if name in self.resources:
            naming = NAMING.get(self.resources[name].get("Type", ""))
            physical = self.physical_name(name)
            if naming is None or physical is None:
                return f"<{name}>"
            if naming.ref == "arn":
                return self._arn_from_name(naming, physical)
            if naming.ref == "url":
                return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{physical}"
            return physical
        raise TemplateError(
            f"{self.stack}: Ref to {name!r}, which is neither a parameter, a resource nor a "
            "pseudo parameter"
        )

    def _arn_from_name(self, naming: ResourceNaming, physical: str) -> str:
        name = _lower_literal(physical) if naming.lowercase_arn else physical
        if naming.name_property == "Name" and naming.arn.endswith("parameter{name}"):
            name = name if name.startswith("/") else f"/{name}"  # SSM: parameter/a/b
        return naming.arn.replace("{name}", name)

    def _attribute(self, logical_id: str, attribute: str) -> str:
        if logical_id not in self.resources:
            raise TemplateError(
                f"{self.stack}: Fn::GetAtt of {logical_id!r}, which is not a resource"
            )
        naming = NAMING.get(self.resources[logical_id].get("Type", ""))
        physical = self.physical_name(logical_id)
        if naming is not None and physical is not None:
            if attribute in naming.name_attributes:
                return physical
            if (attribute == "Arn" or attribute.endswith("Arn")) and naming.arn:
                return self._arn_from_name(naming, physical)
        return f"<{logical_id}.{attribute}>"

    # -- Fn:: ---------------------------------------------------------------------------------
    def _function(self, name: str, argument: Any) -> Any:
        if name == "Fn::GetAtt":
            if isinstance(argument, str):
                logical_id, _, attribute = argument.partition(".")
            elif isinstance(argument, list) and len(argument) == 2:
                logical_id, attribute = argument[0], self.text(argument[1])
            else:
                raise TemplateError(f"{self.stack}: Fn::GetAtt takes [LogicalId, Attribute]")
            return self._attribute(logical_id, attribute)
        if name == "Fn::Join":
            if not (isinstance(argument, list) and len(argument) == 2):
                raise TemplateError(f"{self.stack}: Fn::Join takes [delimiter, list]")
            delimiter, items = argument[0], self.resolve(argument[1])
            if not isinstance(items, list):
                return f"<join {_scalar_text(items)}>"
            return str(delimiter).join(_scalar_text(item) for item in items)
        if name == "Fn::Sub":
            return self._sub(argument)
        if name == "Fn::FindInMap":
            return self._find_in_map(argument)
        if name == "Fn::ImportValue":
            export_name = self.text(argument)
            exported = self.exports.get(export_name)
            if exported is None:
                return f"<import {export_name}>"
            exporter, raw = exported
            return exporter.resolve(raw)
        if name == "Fn::Select":
            index, items = self.resolve(argument[0]), self.resolve(argument[1])
            if isinstance(items, list) and str(index).isdigit() and int(index) < len(items):
                return items[int(index)]
            return f"<select {_scalar_text(index)} of {_scalar_text(items)}>"
        if name == "Fn::Split":
            delimiter, source = argument[0], self.resolve(argument[1])
            if isinstance(source, str) and not PLACEHOLDER.search(source):
                return source.split(delimiter)
            return f"<split {_scalar_text(source)} at {delimiter!r}>"
        if name == "Fn::If":
            condition, when_true, when_false = argument
            true_text, false_text = self.text(when_true), self.text(when_false)
            return f"<if {condition}: {true_text} | {false_text}>"
        if name == "Fn::Base64":
            return self.resolve(argument)
        if name == "Fn::GetAZs":
            return f"<availability zones of {self.text(argument) or REGION}>"
        if name in ("Fn::ToJsonString", "Fn::Length", "Fn::Cidr"):
            return f"<{name[4:]} {self.text(argument)}>"
        raise TemplateError(f"{self.stack}: unknown intrinsic function {name}")

    def _sub(self, argument: Any) -> str:
        if isinstance(argument, str):
            template, variables = argument, {}
        elif isinstance(argument, list) and len(argument) == 2:
            template, variables = argument[0], argument[1]
        else:
            raise TemplateError(f"{self.stack}: Fn::Sub takes a string or [string, variables]")

        def replace(match: re.Match[str]) -> str:
            expression = match.group(1)
            if expression.startswith("!"):
                return "${" + expression[1:] + "}"  # ${!Literal} is written as ${Literal}
            if expression in variables:
                return self.text(variables[expression])
            if "." in expression and not expression.startswith("AWS::"):
                logical_id, _, attribute = expression.partition(".")
                return self._attribute(logical_id, attribute)
            return _scalar_text(self._ref(expression))

        return re.sub(r"\$\{([^}]+)\}", replace, template)

    def _find_in_map(self, argument: Any) -> Any:
        if not (isinstance(argument, list) and len(argument) == 3):
            raise TemplateError(f"{self.stack}: Fn::FindInMap takes [map, key, attribute]")
        map_name, key, attribute = (self.text(item) for item in argument)
        if map_name not in self.mappings:
            raise TemplateError(f"{self.stack}: Fn::FindInMap of {map_name!r}, not a mapping")
        mapping = self.mappings[map_name]
        if key in mapping:
            return mapping[key].get(attribute, f"<{map_name}[{key}][{attribute}]>")
        # The key is known only at deploy time (the region, say): one value if all agree.
        values = {json.dumps(entry.get(attribute)) for entry in mapping.values()}
        if len(values) == 1:
            return json.loads(values.pop())
        return f"<{map_name}[{key}][{attribute}]>"


def build_resolvers(templates: Mapping[str, Mapping[str, Any]]) -> dict[str, Resolver]:
    """One resolver per stack, sharing the app's exports so ``Fn::ImportValue`` resolves."""
    exports: dict[str, tuple[Resolver, Any]] = {}
    resolvers = {stack: Resolver(stack, template, exports) for stack, template in templates.items()}
    for stack, template in templates.items():
        for output in (template.get("Outputs") or {}).values():
            export = output.get("Export")
            if export and "Name" in export:
                resolver = resolvers[stack]
                exports[resolver.text(export["Name"])] = (resolver, output.get("Value"))
    return resolvers


# --------------------------------------------------------------------------------------------
# Policy statements
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Condition:
    operator: str
    key: str
    values: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.key} {self.operator} {' or '.join(self.values)}"


@dataclass(frozen=True)
class Principal:
    kind: str  # "AWS", "Service", "Federated", "CanonicalUser" or "*"
    value: str

    @property
    def is_anyone(self) -> bool:
        return self.kind == "*" or (self.kind == "AWS" and self.value == "*")

    def __str__(self) -> str:
        if self.is_anyone:
            return "* (any principal)"
        if self.kind == "Service":
            return f"service {self.value}"
        if self.kind == "AWS":
            return self.value
        return f"{self.kind} {self.value}"


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: tuple[Condition, ...]
    source: str  # the policy, as "stack/LogicalId" (inline policies: "stack/Role (inline Name)")
    principals: tuple[Principal, ...] = ()
    not_principals: tuple[Principal, ...] = ()
    not_actions: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    sid: str = ""


def _principals(resolver: Resolver, value: Any) -> tuple[Principal, ...]:
    resolved = resolver.resolve(value)
    if resolved == "*":
        return (Principal("*", "*"),)
    if not isinstance(resolved, dict):
        raise TemplateError(f"{resolver.stack}: a Principal must be '*' or a map, got {value!r}")
    found = []
    for kind, values in resolved.items():
        for item in values if isinstance(values, list) else [values]:
            found.append(Principal(kind, _scalar_text(item)))
    return tuple(found)


def _conditions(resolver: Resolver, value: Any) -> tuple[Condition, ...]:
    resolved = resolver.resolve(value or {})
    if not isinstance(resolved, dict):
        raise TemplateError(f"{resolver.stack}: a Condition must be a map, got {value!r}")
    found = []
    for operator, entries in resolved.items():
        if not isinstance(entries, dict):
            raise TemplateError(f"{resolver.stack}: condition {operator} must map keys to values")
        for key, values in entries.items():
            items = values if isinstance(values, list) else [values]
            found.append(Condition(operator, key, tuple(_scalar_text(item) for item in items)))
    return tuple(found)


def parse_policy(
    resolver: Resolver,
    document: Any,
    source: str,
    protected: tuple[str, ...] = (),
) -> list[Statement]:
    """The statements of one policy document. ``protected`` are the ARNs of the resources a
    resource policy is attached to: a statement without ``Resource`` (or with ``*``, as in a key
    policy) is about those."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as error:
            raise TemplateError(f"{source}: policy document is not JSON ({error})") from error
    if not isinstance(document, dict) or "Statement" not in document:
        raise TemplateError(f"{source}: a policy document needs a Statement")
    raw_statements = document["Statement"]
    if isinstance(raw_statements, dict):
        raw_statements = [raw_statements]
    statements = []
    for index, raw in enumerate(raw_statements):
        effect = raw.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise TemplateError(f"{source}: statement {index} has Effect {effect!r}")
        if "Action" not in raw and "NotAction" not in raw:
            raise TemplateError(f"{source}: statement {index} has no Action or NotAction")
        resources = resolver.texts(raw.get("Resource"))
        if protected and (not resources or resources == ("*",)) and "NotResource" not in raw:
            resources = protected
        statements.append(
            Statement(
                effect=effect,
                actions=resolver.texts(raw.get("Action")),
                not_actions=resolver.texts(raw.get("NotAction")),
                resources=resources,
                not_resources=resolver.texts(raw.get("NotResource")),
                conditions=_conditions(resolver, raw.get("Condition")),
                principals=_principals(resolver, raw["Principal"]) if "Principal" in raw else (),
                not_principals=(
                    _principals(resolver, raw["NotPrincipal"]) if "NotPrincipal" in raw else ()
                ),
                sid=str(raw.get("Sid", "")),
                source=source,
            )
        )
    return statements


# --------------------------------------------------------------------------------------------
# The app's principals, resource policies and triggers
# --------------------------------------------------------------------------------------------
IDENTITY_TYPES = {"AWS::IAM::Role": "role", "AWS::IAM::User": "user", "AWS::IAM::Group": "group"}
# Policy resources and the properties that attach them to principals.
POLICY_ATTACHMENTS = {
    "AWS::IAM::ManagedPolicy": {"Roles": "role", "Users": "user", "Groups": "group"},
    "AWS::IAM::Policy": {"Roles": "role", "Users": "user", "Groups": "group"},
    "AWS::IAM::RolePolicy": {"RoleName": "role"},
    "AWS::IAM::UserPolicy": {"UserName": "user"},
    "AWS::IAM::GroupPolicy": {"GroupName": "group"},
}
# Resource policies kept in their own resource: policy property, property naming what it protects.
RESOURCE_POLICY_TYPES = {
    "AWS::S3::BucketPolicy": ("PolicyDocument", "Bucket"),
    "AWS::SQS::QueuePolicy": ("PolicyDocument", "Queues"),
    "AWS::SNS::TopicPolicy": ("PolicyDocument", "Topics"),
    "AWS::SecretsManager::ResourcePolicy": ("ResourcePolicy", "SecretId"),
}
# Properties that hold a policy but are not resource policies (trust policies are shown with
# their role).
NOT_RESOURCE_POLICIES = {"AssumeRolePolicyDocument", "PolicyDocument", "Policies"}


@dataclass
class Identity:
    """An IAM role, user or group: defined by the app (``stack`` set) or only named by it."""

    kind: str
    name: str  # the logical ID for the app's own; the resolved name for others
    stack: str | None = None
    description: str = ""
    trusted_by: list[Statement] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    other_policies: list[str] = field(default_factory=list)  # ARNs of policies not in the app
    boundary: str = ""
    used_by: list[Use] = field(default_factory=list)
    arn: str = ""
    # (stack, logical ID) of the app's managed policies the identity lists in ManagedPolicyArns
    policy_references: list[tuple[str, str]] = field(default_factory=list)

    @property
    def title(self) -> str:
        """How answers name it: "role `X` (stack)", or "role `X` (outside this app)"."""
        where = self.stack or "outside this app"
        return f"{self.kind} `{self.name}` ({where})"


@dataclass
class ResourcePolicy:
    stack: str
    logical_id: str
    type: str
    protects: tuple[str, ...]
    statements: list[Statement]


@dataclass
class App:
    templates: Mapping[str, Mapping[str, Any]]
    resolvers: dict[str, Resolver]
    identities: list[Identity]
    resource_policies: list[ResourcePolicy]
    routes: list[str]  # what invokes what, one line each, for the report
    # ARN or name -> (stack, logical ID), to show a target by its logical ID
    known: dict[str, tuple[str, str]]

    def resources_of_type(self, resource_type: str) -> Iterator[tuple[str, str, dict]]:
        """(stack, logical ID, properties) of every resource of ``resource_type``, sorted."""
        for stack in sorted(self.templates):
            resources = self.templates[stack].get("Resources") or {}
            for logical_id in sorted(resources):
                if resources[logical_id].get("Type") == resource_type:
                    yield stack, logical_id, resources[logical_id].get("Properties") or {}


def _identity_key(kind: str, stack: str | None, name: str) -> tuple[str, str, str]:
    return (kind, stack or "", name)


def collect(templates: Mapping[str, Mapping[str, Any]]) -> App:
    """Read the principals, resource policies and triggers of every stack."""
    resolvers = build_resolvers(templates)
    identities: dict[tuple[str, str, str], Identity] = {}
    resource_policies: list[ResourcePolicy] = []
    known: dict[str, tuple[str, str]] = {}

    for stack in sorted(templates):
        resolver = resolvers[stack]
        for logical_id, resource in sorted(resolver.resources.items()):
            for value in (resolver.arn_of(logical_id), resolver.text({"Ref": logical_id})):
                known.setdefault(value, (stack, logical_id))
            kind = IDENTITY_TYPES.get(resource.get("Type", ""))
            if kind:
                identities[_identity_key(kind, stack, logical_id)] = _identity(
                    resolver, stack, logical_id, kind
                )

    for stack in sorted(templates):
        resolver = resolvers[stack]
        for logical_id, resource in sorted(resolver.resources.items()):
            _attach_policies(resolver, stack, logical_id, resource, identities)
            resource_policies += _resource_policies(resolver, stack, logical_id, resource)
    _attach_referenced_policies(resolvers, identities.values())
    _record_uses(resolvers, identities)
    return App(
        templates=templates,
        resolvers=resolvers,
        identities=sorted(
            identities.values(), key=lambda i: (i.stack is None, i.stack or "", i.kind, i.name)
        ),
        resource_policies=resource_policies,
        routes=_routes(resolvers, known),
        known=known,
    )


def _identity(resolver: Resolver, stack: str, logical_id: str, kind: str) -> Identity:
    properties = resolver.resources[logical_id].get("Properties") or {}
    identity = Identity(
        kind,
        logical_id,
        stack,
        description=str(properties.get("Description", "")),
        arn=resolver.arn_of(logical_id),
    )
    source = f"{stack}/{logical_id}"
    if "AssumeRolePolicyDocument" in properties:
        identity.trusted_by = parse_policy(
            resolver, properties["AssumeRolePolicyDocument"], f"{source} (trust policy)"
        )
    for inline in properties.get("Policies") or []:
        identity.statements += parse_policy(
            resolver, inline["PolicyDocument"], f"{source} (inline {inline.get('PolicyName', '')})"
        )
    if "PermissionsBoundary" in properties:
        identity.boundary = resolver.text(properties["PermissionsBoundary"])
    for arn in properties.get("ManagedPolicyArns") or []:
        target = resolver.reference_target(arn)
        if target is None:  # an AWS managed or customer policy the templates do not contain
            identity.other_policies.append(resolver.text(arn))
        else:
            identity.policy_references.append((target[0].stack, target[1]))
    return identity


def _attach_policies(
    resolver: Resolver,
    stack: str,
    logical_id: str,
    resource: Mapping[str, Any],
    identities: dict[tuple[str, str, str], Identity],
) -> None:
    resource_type = resource.get("Type", "")
    properties = resource.get("Properties") or {}
    holders: list[tuple[str, Any]] = []
    for attribute, kind in POLICY_ATTACHMENTS.get(resource_type, {}).items():
        values = properties.get(attribute) or []
        holders += [(kind, value) for value in (values if isinstance(values, list) else [values])]
    if not holders:
        return
    statements = parse_policy(resolver, properties.get("PolicyDocument"), f"{stack}/{logical_id}")
    for kind, holder in holders:
        target = resolver.reference_target(holder)
        if target is not None:
            key = _identity_key(kind, target[0].stack, target[1])
            identity = identities.get(key)
            if identity is None:
                raise TemplateError(
                    f"{stack}/{logical_id}: attached to {target[1]}, which is not an IAM {kind}"
                )
        else:
            name = resolver.text(holder)
            key = _identity_key(kind, None, name)
            path = "role" if kind == "role" else kind
            identity = identities.setdefault(
                key, Identity(kind, name, arn=f"arn:aws:iam::{ACCOUNT}:{path}/{name}")
            )
        _add_statements(identity, statements)


def _add_statements(identity: Identity, statements: list[Statement]) -> None:
    """Attach a policy's statements once, however many ways the policy is attached."""
    if statements and not any(s.source == statements[0].source for s in identity.statements):
        identity.statements += statements


def _attach_referenced_policies(
    resolvers: Mapping[str, Resolver], identities: Iterable[Identity]
) -> None:
    """Policies of the app that a role lists in its ManagedPolicyArns (rather than the policy
    listing the role)."""
    for identity in identities:
        for stack, logical_id in identity.policy_references:
            properties = resolvers[stack].resources[logical_id].get("Properties") or {}
            if "PolicyDocument" in properties:
                source = f"{stack}/{logical_id}"
                _add_statements(
                    identity, parse_policy(resolvers[stack], properties["PolicyDocument"], source)
                )


def _protected_arns(resolver: Resolver, value: Any, resource_type: str) -> tuple[str, ...]:
    """The ARNs a resource policy protects, from the property naming its resource(s)."""
    arns = []
    for item in value if isinstance(value, list) else [value]:
        target = resolver.reference_target(item)
        if target is not None:
            arns.append(target[0].arn_of(target[1]))
        else:
            arns.append(resolver.text(item))
    if resource_type == "AWS::S3::BucketPolicy":
        bucket = arns[0]
        bucket = bucket if bucket.startswith("arn:") else f"arn:aws:s3:::{bucket}"
        return (bucket, f"{bucket}/*")
    return tuple(arns)


def _resource_policies(
    resolver: Resolver, stack: str, logical_id: str, resource: Mapping[str, Any]
) -> list[ResourcePolicy]:
    resource_type = resource.get("Type", "")
    properties = resource.get("Properties") or {}
    source = f"{stack}/{logical_id}"
    if resource_type in RESOURCE_POLICY_TYPES:
        policy_property, target_property = RESOURCE_POLICY_TYPES[resource_type]
        protects = _protected_arns(resolver, properties.get(target_property), resource_type)
        statements = parse_policy(resolver, properties.get(policy_property), source, protects)
        return [ResourcePolicy(stack, logical_id, resource_type, protects, statements)]
    if resource_type == "AWS::Lambda::Permission":
        return [_lambda_permission(resolver, stack, logical_id, properties)]
    if resource_type in IDENTITY_TYPES or resource_type in POLICY_ATTACHMENTS:
        return []
    # Any other resource holding a policy document with principals (a KMS key policy, a model
    # package group policy, an ECR repository policy...) is a policy on that resource.
    found = []
    for name in sorted(properties):
        if name in NOT_RESOURCE_POLICIES:
            continue
        document = properties[name]
        if isinstance(document, str) and '"Statement"' in document:
            document = json.loads(document)
        if not (isinstance(document, dict) and "Statement" in document):
            continue
        statements = parse_policy(resolver, document, source, (resolver.arn_of(logical_id),))
        if any(s.principals or s.not_principals for s in statements):
            found.append(
                ResourcePolicy(
                    stack, logical_id, resource_type, statements[0].resources, statements
                )
            )
    return found


def _function_arn(name: str) -> str:
    return name if name.startswith(("arn:", "<")) else f"arn:aws:lambda:{REGIONAL}:function:{name}"


def _lambda_permission(
    resolver: Resolver, stack: str, logical_id: str, properties: Mapping[str, Any]
) -> ResourcePolicy:
    principal_text = resolver.text(properties.get("Principal"))
    kind = "Service" if principal_text.endswith(".amazonaws.com") else "AWS"
    conditions = []
    for prop, operator, key in (
        ("SourceArn", "ArnLike", "aws:SourceArn"),
        ("SourceAccount", "StringEquals", "aws:SourceAccount"),
        ("PrincipalOrgID", "StringEquals", "aws:PrincipalOrgID"),
        ("FunctionUrlAuthType", "StringEquals", "lambda:FunctionUrlAuthType"),
    ):
        if prop in properties:
            conditions.append(Condition(operator, key, (resolver.text(properties[prop]),)))
    function = _function_arn(resolver.text(properties.get("FunctionName")))
    statement = Statement(
        effect="Allow",
        actions=(resolver.text(properties.get("Action")),),
        resources=(function,),
        conditions=tuple(conditions),
        principals=(Principal("*" if principal_text == "*" else kind, principal_text),),
        source=f"{stack}/{logical_id}",
    )
    return ResourcePolicy(stack, logical_id, "AWS::Lambda::Permission", (function,), [statement])


def _walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (property path, value) inside a resource's properties."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")


@dataclass(frozen=True)
class Use:
    """A resource that names one of the app's principals (a function's ``Role``...)."""

    stack: str
    logical_id: str
    type: str
    path: str

    def describe(self, from_stack: str) -> str:
        where = "" if self.stack == from_stack else f"{self.stack}/"
        return f"`{self.type}` `{where}{self.logical_id}` (`{self.path}`)"

    @property
    def runs_as(self) -> bool:
        """Whether the resource runs with the principal (a function's execution role)."""
        return self.type == "AWS::Lambda::Function" and self.path == "Role"


def _record_uses(
    resolvers: Mapping[str, Resolver], identities: dict[tuple[str, str, str], Identity]
) -> None:
    """Which resources name each of the app's roles (a function's ``Role``, a model's
    ``ExecutionRoleArn``, an environment variable...); IAM policies are left out, they are the
    permissions, not the use."""
    for stack in sorted(resolvers):
        resolver = resolvers[stack]
        for logical_id, resource in sorted(resolver.resources.items()):
            resource_type = resource.get("Type", "")
            if resource_type in IDENTITY_TYPES or resource_type in POLICY_ATTACHMENTS:
                continue
            for path, value in _walk(resource.get("Properties") or {}):
                target = resolver.reference_target(value)
                if target is None or not path:
                    continue
                kind = IDENTITY_TYPES.get(target[0].resources[target[1]].get("Type", ""))
                if kind is None:
                    continue
                identity = identities[_identity_key(kind, target[0].stack, target[1])]
                use = Use(stack, logical_id, resource_type, path)
                if use not in identity.used_by:
                    identity.used_by.append(use)


def _event_pattern(resolver: Resolver, pattern: Any) -> str:
    """An EventBridge pattern as "`key` `value` or `value`; ...", nested keys joined by dots."""
    resolved = resolver.resolve(pattern or {})
    parts = []

    def flatten(value: Any, prefix: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                flatten(item, f"{prefix}.{key}" if prefix else key)
        else:
            items = value if isinstance(value, list) else [value]
            parts.append(f"{_code(prefix)} {' or '.join(_code(_scalar_text(i)) for i in items)}")

    flatten(resolved, "")
    return "; ".join(parts)


def _display(known: Mapping[str, tuple[str, str]], value: str, stack: str) -> str:
    """A resource as inline code: its logical ID when it is the app's (with its stack when that
    is another), else the value itself."""
    if value in known:
        owner_stack, logical_id = known[value]
        return _code(logical_id if owner_stack == stack else f"{owner_stack}/{logical_id}")
    return _code(value)


def _routes(resolvers: Mapping[str, Resolver], known: Mapping[str, tuple[str, str]]) -> list[str]:
    """Every route that invokes or feeds something (bucket notification, EventBridge rule,
    event source mapping, topic subscription), one line each, prefixed with its stack."""
    routes: list[str] = []
    for stack in sorted(resolvers):
        resolver = resolvers[stack]
        for logical_id, resource in sorted(resolver.resources.items()):
            resource_type = resource.get("Type", "")
            properties = resource.get("Properties") or {}
            if resource_type == "AWS::S3::Bucket":
                routes += _bucket_routes(resolver, stack, logical_id, properties, known)
            elif resource_type == "AWS::Events::Rule":
                pattern = _event_pattern(resolver, properties.get("EventPattern"))
                schedule = properties.get("ScheduleExpression")
                when = pattern or f"schedule {_code(resolver.text(schedule))}"
                for target in properties.get("Targets") or []:
                    arn = resolver.text(target.get("Arn"))
                    arn = _function_arn(arn) if ":function:" in arn else arn
                    role = (
                        f", as {_code(resolver.text(target['RoleArn']))}"
                        if "RoleArn" in target
                        else ""
                    )
                    routes.append(
                        f"{stack}: EventBridge rule {_code(logical_id)} when {when} -> "
                        f"{_display(known, arn, stack)}{role}"
                    )
            elif resource_type == "AWS::Lambda::EventSourceMapping":
                function = _function_arn(resolver.text(properties.get("FunctionName")))
                source = resolver.text(properties.get("EventSourceArn"))
                routes.append(
                    f"{stack}: event source mapping {_code(logical_id)}: "
                    f"{_display(known, source, stack)} -> {_display(known, function, stack)}"
                )
            elif resource_type == "AWS::SNS::Subscription":
                endpoint = resolver.text(properties.get("Endpoint"))
                topic = resolver.text(properties.get("TopicArn"))
                protocol = resolver.text(properties.get("Protocol"))
                routes.append(
                    f"{stack}: topic {_display(known, topic, stack)} -> {protocol} "
                    f"{_display(known, endpoint, stack)}"
                )
    return routes


def _bucket_routes(
    resolver: Resolver,
    stack: str,
    logical_id: str,
    properties: Mapping[str, Any],
    known: Mapping[str, tuple[str, str]],
) -> list[str]:
    """The bucket's event notifications, one line per target and key filter."""
    notifications = properties.get("NotificationConfiguration") or {}
    grouped: dict[tuple[str, str], list[str]] = {}
    routes: list[str] = []
    for group, target_key in (
        ("LambdaConfigurations", "Function"),
        ("QueueConfigurations", "Queue"),
        ("TopicConfigurations", "Topic"),
    ):
        for entry in notifications.get(group) or []:
            target = resolver.text(entry.get(target_key))
            target = _function_arn(target) if target_key == "Function" else target
            grouped.setdefault((target, _key_filter(resolver, entry)), []).append(
                resolver.text(entry.get("Event"))
            )
    for (target, keys), events in grouped.items():
        label = (
            f"S3 events {_codes(events)} on bucket {_code(logical_id)}"
            f"{f' (keys {_code(keys)})' if keys else ''}"
        )
        routes.append(f"{stack}: {label} -> {_display(known, target, stack)}")
    return routes


def _key_filter(resolver: Resolver, notification: Mapping[str, Any]) -> str:
    """A notification's key filter as a pattern (``models/*.tar.gz``), or "" for none."""
    rules = ((notification.get("Filter") or {}).get("S3Key") or {}).get("Rules") or []
    named = {resolver.text(rule["Name"]).lower(): resolver.text(rule["Value"]) for rule in rules}
    return f"{named.get('prefix', '')}*{named.get('suffix', '')}" if named else ""


# --------------------------------------------------------------------------------------------
# Matching statements against a question's actions and resources
# --------------------------------------------------------------------------------------------
@lru_cache(maxsize=4096)
def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern),
        re.IGNORECASE | re.DOTALL,
    )


def action_matches(pattern: str, action: str) -> bool:
    """IAM action matching: case-insensitive, ``*`` and ``?`` wildcards."""
    return _glob(pattern).fullmatch(action) is not None


@lru_cache(maxsize=16384)
def patterns_overlap(first: str, second: str) -> bool:
    """Whether some ARN matches both wildcard patterns (``*`` any run, ``?`` one character)."""

    @cache
    def overlap(i: int, j: int) -> bool:
        if i == len(first) and j == len(second):
            return True
        if i < len(first) and first[i] == "*":
            return overlap(i + 1, j) or (j < len(second) and overlap(i, j + 1))
        if j < len(second) and second[j] == "*":
            return overlap(i, j + 1) or (i < len(first) and overlap(i + 1, j))
        if i < len(first) and j < len(second):
            a, b = first[i], second[j]
            return (a == b or a == "?" or b == "?") and overlap(i + 1, j + 1)
        return False

    return overlap(0, 0)


def _matching_actions(statement: Statement, actions: Iterable[str]) -> tuple[str, ...]:
    """The question's actions the statement covers (``NotAction``: those it does not exclude)."""
    if statement.not_actions:
        return tuple(
            a for a in actions if not any(action_matches(p, a) for p in statement.not_actions)
        )
    return tuple(a for a in actions if any(action_matches(p, a) for p in statement.actions))


def _matching_resources(statement: Statement, target: str) -> tuple[str, ...]:
    """The statement's resource patterns that overlap the target."""
    if statement.not_resources:
        # Approximation: excluded only when a NotResource pattern covers the whole target.
        if any(_glob(p).fullmatch(target) for p in statement.not_resources):
            return ()
        return tuple(f"all except {r}" for r in statement.not_resources)
    return tuple(r for r in statement.resources if patterns_overlap(r, target))


# Condition keys that say who the caller is: a Deny for `*` unless one of them matches lets only
# those principals through.
PRINCIPAL_KEYS = (
    "aws:principalarn",
    "aws:principalaccount",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:userid",
    "aws:username",
    "aws:principaltype",
    "aws:principalisawsservice",
    "aws:principalservicename",
    "aws:principaltag/",
)


def _is_principal_key(key: str) -> bool:
    key = key.lower()
    return any(key == k or (k.endswith("/") and key.startswith(k)) for k in PRINCIPAL_KEYS)


def _positive(condition: Condition) -> Condition:
    """A negated condition's positive form (``ArnNotEquals`` -> ``ArnEquals``): what a principal
    must match to be exempt from a Deny written with the negated operator."""
    return Condition(condition.operator.replace("Not", "", 1), condition.key, condition.values)


def _is_negated(operator: str) -> bool:
    return "Not" in operator.split(":")[-1].removesuffix("IfExists")


@dataclass(frozen=True)
class Grant:
    """An Allow statement that lets a principal do (some of) a question's actions."""

    principal: str  # Markdown: "role `X` (stack)" or "`service s3.amazonaws.com`"
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: tuple[Condition, ...]
    source: str
    functions: tuple[str, ...] = ()  # Lambda functions that run as this principal
    refused_by: str = ""  # the Deny that keeps this principal out nevertheless


@dataclass(frozen=True)
class Deny:
    """A Deny statement on a question's actions and resource, and whom it keeps out.

    scope: "all" (no condition: nobody), "only" (every principal except those matching the
    principal conditions in ``exempt``), "named" (the principals in ``principals``), "how"
    (conditions on the request, such as TLS, that do not say who), or "identity" (a Deny in a
    principal's own policy: only that principal).
    """

    source: str
    principals: tuple[str, ...]
    actions: tuple[str, ...]
    conditions: tuple[Condition, ...]
    scope: str
    exempt: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Implicit:
    """Who else can, beyond the grants: any principal of the account that IAM allows, narrowed
    by resource-policy Deny statements that exclude principals."""

    only: tuple[Condition, ...] | None  # None: not narrowed; else conditions all must meet
    nobody: bool
    excluded: tuple[str, ...]
    # Deny statements that restrict how, not who: one tuple per statement, whose conditions must
    # all hold for it to refuse
    request_conditions: tuple[tuple[Condition, ...], ...]
    sources: tuple[str, ...]  # the resource policies whose Deny statements these are


def _deny_scope(statement: Statement) -> tuple[str, tuple[Condition, ...]]:
    if statement.not_principals:
        names = tuple(str(p) for p in statement.not_principals)
        return "only", (Condition("is", "principal", names),)
    if not any(p.is_anyone for p in statement.principals):
        return "named", ()
    if not statement.conditions:
        return "all", ()
    if all(_is_principal_key(c.key) and _is_negated(c.operator) for c in statement.conditions):
        return "only", tuple(_positive(c) for c in statement.conditions)
    return "how", ()


@dataclass(frozen=True)
class Part:
    """One thing a question asks about: actions on a resource pattern, and who can do them."""

    label: str  # Markdown naming the resource
    actions: tuple[str, ...]
    resource: str
    grants: tuple[Grant, ...]
    denies: tuple[Deny, ...]
    implicit: Implicit
    resource_policies: tuple[str, ...]  # the app's resource policies attached to the resource
    resource_policies_apply: bool = True  # False for targets no resource policy can protect


def _functions_running_as(app: App, identity: Identity) -> tuple[str, ...]:
    """The Lambda functions that run as a principal (each can be invoked with any event)."""
    return tuple(
        _display(app.known, app.resolvers[use.stack].arn_of(use.logical_id), identity.stack or "")
        for use in identity.used_by
        if use.runs_as
    )


def _exempt(principal_arn: str | None, only: tuple[Condition, ...]) -> bool | None:
    """Whether a principal (by ARN; None for a service) meets a Deny's exemption: True, False,
    or None when the conditions are not about the principal's ARN and cannot be decided here."""
    for condition in only:
        if condition.key.lower() != "aws:principalarn":
            return None
        if principal_arn is None:
            # A service principal has no principal ARN: the negated condition matched, so the
            # Deny applies, unless the operator was ...IfExists.
            if condition.operator.endswith("IfExists"):
                continue
            return False
        if not any(patterns_overlap(value, principal_arn) for value in condition.values):
            return False
    return True


def evaluate(
    app: App, label: str, actions: tuple[str, ...], resource: str, *, resource_policies: bool = True
) -> Part:
    """Who the templates allow to do ``actions`` on ``resource``, and what a Deny excludes.
    ``resource_policies=False`` for targets no resource policy can protect (``*``)."""
    grants: list[tuple[Grant, str | None]] = []  # (grant, principal ARN or None for a service)
    denies: list[Deny] = []
    for identity in app.identities:
        for statement in identity.statements:
            matched = _matching_actions(statement, actions)
            resources = _matching_resources(statement, resource) if matched else ()
            if not (matched and resources):
                continue
            if statement.effect == "Deny":
                denies.append(
                    Deny(statement.source, (identity.title,), matched, statement.conditions,
                         "identity")
                )  # fmt: skip
                continue
            grant = Grant(identity.title, matched, resources, statement.conditions,
                          statement.source, _functions_running_as(app, identity))  # fmt: skip
            grants.append((grant, identity.arn))
    attached = []
    for policy in app.resource_policies if resource_policies else []:
        if any(patterns_overlap(arn, resource) for arn in policy.protects):
            attached.append(f"{policy.stack}/{policy.logical_id}")
        for statement in policy.statements:
            matched = _matching_actions(statement, actions)
            resources = _matching_resources(statement, resource) if matched else ()
            if not (matched and resources):
                continue
            if statement.effect == "Allow":
                for principal in statement.principals:
                    grant = Grant(_code(str(principal)), matched, resources, statement.conditions,
                                  statement.source)  # fmt: skip
                    arn = principal.value if principal.kind == "AWS" else None
                    grants.append((grant, arn))
            else:
                scope, exempt = _deny_scope(statement)
                names = tuple(_code(str(p)) for p in statement.principals)
                denies.append(
                    Deny(statement.source, names, matched, statement.conditions, scope, exempt)
                )
    implicit = _implicit(denies)
    refusing = next((d.source for d in denies if d.scope in ("all", "only")), "")
    decided = []
    for grant, arn in grants:
        keep_out = implicit.nobody or (
            implicit.only is not None and _exempt(arn, implicit.only) is False
        )
        decided.append(replace(grant, refused_by=refusing if keep_out else ""))
    return Part(label, actions, resource, tuple(decided), tuple(denies), implicit,
                tuple(attached), resource_policies)  # fmt: skip


def _implicit(denies: Iterable[Deny]) -> Implicit:
    only: list[Condition] | None = None
    nobody, excluded, request_conditions, sources = False, [], [], []
    for deny in denies:
        if deny.scope == "identity":
            continue  # a principal's own Deny says nothing about the others
        sources.append(deny.source)
        if deny.scope == "all":
            nobody = True
        elif deny.scope == "only":
            # Each such Deny must be passed: the exemptions add up (all of them must hold).
            only = [*(only or []), *(c for c in deny.exempt if c not in (only or []))]
        elif deny.scope == "named":
            excluded += deny.principals
        else:
            if deny.conditions not in request_conditions:
                request_conditions.append(deny.conditions)
    return Implicit(
        only=tuple(only) if only is not None else None,
        nobody=nobody,
        excluded=tuple(dict.fromkeys(excluded)),
        request_conditions=tuple(request_conditions),
        sources=tuple(dict.fromkeys(sources)),
    )


# --------------------------------------------------------------------------------------------
# The questions: their targets come from the templates
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Answer:
    key: str
    question: str
    parts: tuple[Part, ...]
    notes: tuple[str, ...]  # derived facts and the implicit principals, with [SOURCE] keys
    absent: str = ""  # why the question has no target in this app, when it has none


def bootstrap_qualifier(template: Mapping[str, Any]) -> str | None:
    """The CDK bootstrap qualifier of a stack, from its BootstrapVersion parameter."""
    for parameter in (template.get("Parameters") or {}).values():
        match = CDK_BOOTSTRAP_VERSION_PARAMETER.match(str(parameter.get("Default", "")))
        if match:
            return match.group("qualifier")
    return None


def cdk_roles(template: Mapping[str, Any]) -> tuple[str, str] | None:
    """(deploy role, CloudFormation execution role) names of a CDK stack, when it has them."""
    qualifier = bootstrap_qualifier(template)
    if qualifier is None:
        return None
    return (
        CDK_DEPLOY_ROLE.replace("${Qualifier}", qualifier),
        CDK_EXECUTION_ROLE.replace("${Qualifier}", qualifier),
    )


def _implicit_note(
    app: App, stack: str, actions: tuple[str, ...], where: str, *, first: str = "Beyond these"
) -> str:
    """Who is allowed beyond the templates: identity-based policies outside the app (the rule
    behind it, IMPLICIT_RULE, is stated once at the top of part 2)."""
    roles = cdk_roles(app.templates[stack]) if stack in app.templates else None
    example = f", such as the CDK execution role `{roles[1]}`" if roles else ""
    allowed = _codes(actions) if len(actions) == 1 else "the actions above"
    return (
        f"{first}, any principal of the account whose identity-based policies allow {allowed} on "
        f"{where}{example} [IAM-EVAL]."
    )


IMPLICIT_RULE = (
    "Each answer lists the app's own principals that are allowed (how a role is assumed and "
    "what invokes it: part 1), then who else is. Within one account an Allow in either the "
    "identity-based or the resource policy is enough, and only an explicit Deny overrides it "
    "[IAM-EVAL]: so policies outside this app count too, such as those of the CDK execution "
    "role, which has AdministratorAccess unless the account was bootstrapped with "
    "`--cloudformation-execution-policies` [CDK-BOOTSTRAP]."
)


def _invocation_note(parts: Iterable[Part]) -> list[str]:
    """Functions that run as a granted principal can also be invoked directly."""
    functions = [f for part in parts for grant in part.grants for f in grant.functions]
    if not functions:
        return []
    names = ", ".join(dict.fromkeys(functions))
    return [
        f"Any principal IAM allows `lambda:InvokeFunction` on {names} can also invoke it "
        "directly, with an event of its own making, and so act with its role."
    ]


def _rules_watching(app: App, name: str) -> list[str]:
    """EventBridge rules whose pattern names ``name`` (a parameter, a model package group)."""
    found = []
    for stack, logical_id, properties in app.resources_of_type("AWS::Events::Rule"):
        resolver = app.resolvers[stack]
        pattern = json.dumps(resolver.resolve(properties.get("EventPattern") or {}))
        if json.dumps(name)[1:-1] in pattern:
            targets = [
                _display(app.known, resolver.text(t.get("Arn")), stack)
                for t in properties.get("Targets") or []
            ]
            found.append(f"rule {_code(logical_id)} ({stack}) -> {', '.join(targets)}")
    return found


def _model_uploads(app: App) -> list[tuple[str, str, str, str]]:
    """(stack, bucket ID, object ARN pattern, started functions) of every upload notification
    that starts a Lambda function: uploading such an object publishes a model."""
    found: dict[tuple[str, str, str], list[str]] = {}
    for stack, logical_id, properties in app.resources_of_type("AWS::S3::Bucket"):
        resolver = app.resolvers[stack]
        bucket = resolver.arn_of(logical_id)
        notifications = properties.get("NotificationConfiguration") or {}
        for entry in notifications.get("LambdaConfigurations") or []:
            if "ObjectCreated" not in resolver.text(entry.get("Event")):
                continue
            keys = _key_filter(resolver, entry) or "*"
            function = _function_arn(resolver.text(entry.get("Function")))
            found.setdefault((stack, logical_id, f"{bucket}/{keys}"), []).append(
                _display(app.known, function, stack)
            )
    return [
        (stack, bucket, pattern, ", ".join(dict.fromkeys(functions)))
        for (stack, bucket, pattern), functions in sorted(found.items())
    ]


def answer_publish_model(app: App) -> Answer:
    parts, notes = [], []
    action = ("s3:PutObject",)
    for stack, bucket, pattern, functions in _model_uploads(app):
        label = f"{_code(pattern)} (bucket {_code(bucket)}, {stack}; an upload starts {functions})"
        parts.append(evaluate(app, label, action, pattern))
        notes.append(_implicit_note(app, stack, action, "these objects"))
    return Answer(
        "publish-model",
        "Who can publish a model",
        tuple(parts),
        tuple(dict.fromkeys(notes + _invocation_note(parts))),
        absent="" if parts else "No bucket of this app starts a function on an upload.",
    )


def _watched_parameters(app: App) -> list[tuple[str, str]]:
    """(stack, parameter name) the app reads at deploy time (SSM-typed stack parameters),
    defines (AWS::SSM::Parameter) or watches (EventBridge rules on Parameter Store changes);
    the CDK's bootstrap version parameter excluded."""
    names: dict[str, str] = {}
    for stack in sorted(app.templates):
        for parameter in (app.templates[stack].get("Parameters") or {}).values():
            default = str(parameter.get("Default", ""))
            ssm_typed = str(parameter.get("Type", "")).startswith("AWS::SSM::Parameter::Value")
            if ssm_typed and not CDK_BOOTSTRAP_VERSION_PARAMETER.match(default):
                names.setdefault(default, stack)
    for stack, logical_id, _ in app.resources_of_type("AWS::SSM::Parameter"):
        names.setdefault(app.resolvers[stack].physical_name(logical_id) or f"<{logical_id}>", stack)
    for stack, _, properties in app.resources_of_type("AWS::Events::Rule"):
        pattern = app.resolvers[stack].resolve(properties.get("EventPattern") or {})
        if "aws.ssm" in (pattern.get("source") or []):
            for name in (pattern.get("detail") or {}).get("name") or []:
                if isinstance(name, str):
                    names.setdefault(name, stack)
    return sorted((stack, name) for name, stack in names.items())


def answer_write_parameter(app: App) -> Answer:
    parts, notes = [], []
    action = ("ssm:PutParameter",)
    for stack, name in _watched_parameters(app):
        arn = f"arn:aws:ssm:{REGIONAL}:parameter{name if name.startswith('/') else '/' + name}"
        watchers = _rules_watching(app, name)
        effect = f"; a write starts {'; '.join(watchers)}" if watchers else ""
        parts.append(evaluate(app, f"{_code(arn)}{effect}", action, arn))
        notes.append(_implicit_note(app, stack, action, "it"))
    if parts:
        notes.append(
            "Parameter Store access within the account is granted by IAM policies [SSM-IAM]; a "
            "parameter's resource policy only shares an advanced-tier parameter with other "
            "accounts [SSM-RESOURCE-POLICY], and no template here sets one. So nothing narrows "
            "who writes it: every principal IAM allows `ssm:PutParameter` can write it and, where "
            "a rule watches it, start a rollout."
        )
    return Answer(
        "write-parameter",
        "Who can write the model parameter",
        tuple(parts),
        tuple(dict.fromkeys(notes + _invocation_note(parts))),
        absent="" if parts else "The templates read, define or watch no SSM parameter.",
    )


def answer_approve_model(app: App) -> Answer:
    question = "Who can approve or reject a model in the registry"
    parts, notes = [], []
    action = ("sagemaker:UpdateModelPackage",)
    for stack, logical_id, _ in app.resources_of_type("AWS::SageMaker::ModelPackageGroup"):
        group = app.resolvers[stack].physical_name(logical_id)
        packages = (
            f"arn:aws:sagemaker:{REGIONAL}:model-package/{_lower_literal(group)}/*"
            if group
            else f"<{logical_id}>/*"
        )
        watchers = _rules_watching(app, group) if group else []
        effect = f"; a status change starts {'; '.join(watchers)}" if watchers else ""
        label = f"{_code(packages)} (model package group {_code(logical_id)}, {stack}){effect}"
        parts.append(evaluate(app, label, action, packages))
        notes.append(_implicit_note(app, stack, action, "them"))
    if parts:
        return Answer("approve-model", question, tuple(parts),
                      tuple(dict.fromkeys(notes + _invocation_note(parts))))  # fmt: skip
    # No registry in the app: still report any statement that allows approving anywhere.
    anywhere = evaluate(app, "any model package", action, "*", resource_policies=False)
    first_stack = sorted(app.templates)[0]
    listens = [
        r
        for r in app.routes
        if "aws.sagemaker" in r and ("Model Package" in r or "ModelPackage" in r)
    ]
    consequence = (
        "a registry status change starts " + "; ".join(listens)
        if listens
        else "no rule or function of this app reacts to a registry status change, so an approval "
        "deploys nothing"
    )
    implicit = _implicit_note(
        app, first_stack, action, "the account's model packages", first="Still"
    )
    if anywhere.grants:
        absent = (
            "The templates define no model package group, but statements of the app allow "
            f"`sagemaker:UpdateModelPackage`; {consequence}."
        )
        return Answer("approve-model", question, (anywhere,),
                      (implicit, *_invocation_note([anywhere])), absent)  # fmt: skip
    absent = (
        "No principal of this app: the templates define no SageMaker model package group (model "
        "registry) and no statement of the app allows `sagemaker:UpdateModelPackage`; "
        f"{consequence}."
    )
    return Answer("approve-model", question, (), (implicit,), absent)


ENDPOINT_ACTIONS = (
    "sagemaker:UpdateEndpoint",
    "sagemaker:UpdateEndpointWeightsAndCapacities",
    "sagemaker:DeleteEndpoint",
    "sagemaker:CreateEndpoint",
)
STACK_ACTIONS = (
    "cloudformation:UpdateStack",
    "cloudformation:CreateChangeSet",
    "cloudformation:ExecuteChangeSet",
    "cloudformation:DeleteStack",
)
SCALING_ACTIONS = (
    "application-autoscaling:RegisterScalableTarget",
    "application-autoscaling:PutScalingPolicy",
    "application-autoscaling:DeleteScalingPolicy",
    "application-autoscaling:DeregisterScalableTarget",
)


def answer_change_endpoint(app: App) -> Answer:
    parts, notes = [], []
    for stack, logical_id, _ in app.resources_of_type("AWS::SageMaker::Endpoint"):
        resolver = app.resolvers[stack]
        endpoint = resolver.arn_of(logical_id)
        label = f"the endpoint {_code(endpoint)} ({_code(logical_id)}, {stack})"
        parts.append(evaluate(app, label, ENDPOINT_ACTIONS, endpoint))
        stack_arn = f"arn:aws:cloudformation:{REGIONAL}:stack/{stack}/*"
        label = f"its stack {_code(stack_arn)} (an update can replace the endpoint's configuration)"
        parts.append(evaluate(app, label, STACK_ACTIONS, stack_arn))
        notes.append(_implicit_note(app, stack, ENDPOINT_ACTIONS + STACK_ACTIONS, "them"))
        roles = cdk_roles(app.templates[stack])
        if roles:
            notes.append(
                f"`cdk deploy` of {stack} assumes the CDK deploy role `{roles[0]}`, and "
                f"CloudFormation deploys with the execution role `{roles[1]}` [CDK-SYNTHESIZER]; "
                "CloudFormation keeps using a stack's role for later operations by anyone allowed "
                "to operate on the stack, even one not allowed to pass that role [CFN-ROLE]."
            )
        for scaling_stack, scaling_id, note in _scalable_targets(
            app, resolver.physical_name(logical_id)
        ):
            label = f"its scaling (scalable target {_code(scaling_id)}, {scaling_stack})"
            parts.append(evaluate(app, label, SCALING_ACTIONS, "*", resource_policies=False))
            notes.append(note)
    return Answer(
        "change-endpoint",
        "Who can change the endpoint",
        tuple(parts),
        tuple(dict.fromkeys(notes + _invocation_note(parts))),
        absent="" if parts else "The templates define no SageMaker endpoint.",
    )


def _scalable_targets(app: App, endpoint_name: str | None) -> list[tuple[str, str, str]]:
    """(stack, logical ID, note) of the scalable targets of an endpoint's variants."""
    found = []
    for stack, logical_id, properties in app.resources_of_type(
        "AWS::ApplicationAutoScaling::ScalableTarget"
    ):
        resolver = app.resolvers[stack]
        resource_id = resolver.text(properties.get("ResourceId"))
        if endpoint_name is None or not resource_id.startswith(f"endpoint/{endpoint_name}/"):
            continue
        dimension = resolver.text(properties.get("ScalableDimension"))
        bounds = (
            f"between {resolver.text(properties.get('MinCapacity'))} and "
            f"{resolver.text(properties.get('MaxCapacity'))}"
        )
        if "RoleARN" in properties:
            who = f"the role `{resolver.text(properties['RoleARN'])}` (its `RoleARN`)"
        else:
            who = (
                f"Application Auto Scaling's service-linked role `{AAS_SAGEMAKER_ROLE}` "
                "[AAS-SAGEMAKER], whose policy allows "
                "`sagemaker:UpdateEndpointWeightsAndCapacities` on any endpoint [AAS-SLR-POLICY],"
            )
        found.append(
            (stack, logical_id,
             f"Through the scalable target `{logical_id}` ({stack}), {who} changes "
             f"`{dimension}` of `{resource_id}` {bounds}, following the scaling policies.")
        )  # fmt: skip
    return found


def _capture_destinations(app: App) -> list[tuple[str, str, str, str]]:
    """(stack, endpoint config ID, S3 object pattern, KMS key) of every data capture."""
    found = []
    for stack, logical_id, properties in app.resources_of_type("AWS::SageMaker::EndpointConfig"):
        resolver = app.resolvers[stack]
        capture = properties.get("DataCaptureConfig")
        if not capture:
            continue
        uri = resolver.text(capture.get("DestinationS3Uri"))
        pattern = "arn:aws:s3:::" + uri.removeprefix("s3://").rstrip("/") + "/*"
        key = resolver.text(capture["KmsKeyId"]) if "KmsKeyId" in capture else ""
        found.append((stack, logical_id, pattern, key))
    return found


def answer_read_capture(app: App) -> Answer:
    parts, notes = [], []
    action = ("s3:GetObject",)
    for stack, config, pattern, key in _capture_destinations(app):
        label = f"{_code(pattern)} (data capture of {_code(config)}, {stack})"
        parts.append(evaluate(app, label, action, pattern))
        if key:
            notes.append(
                f"The captured objects are encrypted with `{key}`: reading them also needs "
                "`kms:Decrypt` under its key policy (part 1)."
            )
        notes.append(_implicit_note(app, stack, action, "them"))
    return Answer(
        "read-capture",
        "Who can read captured data",
        tuple(parts),
        tuple(dict.fromkeys(notes + _invocation_note(parts))),
        absent=""
        if parts
        else "Nobody: no endpoint configuration of this app enables data capture "
        "(`DataCaptureConfig`), so the app stores no captured requests or responses.",
    )


QUESTIONS = (
    answer_publish_model,
    answer_write_parameter,
    answer_approve_model,
    answer_change_endpoint,
    answer_read_capture,
)


def derive_answers(app: App) -> list[Answer]:
    """The answer to each audit question, derived from the app's statements."""
    return [question(app) for question in QUESTIONS]


# --------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------
def _code(text: str) -> str:
    """``text`` as inline code that survives a table cell."""
    text = text.replace("|", "\\|")
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _codes(items: Iterable[str]) -> str:
    return ", ".join(_code(item) for item in items)


def _conditions_text(conditions: Iterable[Condition]) -> str:
    return "; ".join(
        f"{_code(c.key)} {c.operator} {' or '.join(_code(v) for v in c.values)}" for c in conditions
    )


def _alternatives(statements: Iterable[Statement]) -> list[tuple[Statement, list[tuple]]]:
    """Consecutive statements that differ only in their conditions, as one statement with the
    alternative condition sets: the same access is granted (or refused) when any set holds.
    A statement without conditions is never merged: it would absorb the others."""
    groups: list[tuple[Statement, list[tuple]]] = []
    for s in statements:
        if groups and s.conditions and groups[-1][1][-1]:
            first = groups[-1][0]
            if replace(first, conditions=s.conditions, sid=s.sid) == s:
                groups[-1][1].append(s.conditions)
                continue
        groups.append((s, [s.conditions]))
    return groups


def _statement_rows(
    statements: Iterable[Statement], stack: str, principal_column: bool, kind: str = ""
) -> list[str]:
    """One row per statement (statements differing only in conditions share a row, their
    condition sets joined by **or**); a policy's name stands on its first row only."""
    rows, previous_policy = [], None
    for s, condition_sets in _alternatives(statements):
        actions = _codes(s.actions) if s.actions else "all except " + _codes(s.not_actions)
        resources = _codes(s.resources) if s.resources else "all except " + _codes(s.not_resources)
        policy = s.source.removeprefix(f"{stack}/") + (f" ({kind})" if kind else "")
        cells = ["″" if policy == previous_policy else policy, s.effect]
        previous_policy = policy
        if principal_column:
            who = _codes(str(p) for p in s.principals)
            if s.not_principals:
                who = "all except " + _codes(str(p) for p in s.not_principals)
            cells.append(who)
        conditions = " **or** ".join(_conditions_text(c) for c in condition_sets)
        cells += [actions, resources, conditions]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def _identity_section(app: App, identity: Identity) -> list[str]:
    outside = "" if identity.stack else " (not defined by this app)"
    lines = [f"#### {identity.kind.capitalize()} `{identity.name}`{outside}", ""]
    if identity.description:
        lines += [identity.description.rstrip(".") + ".", ""]
    trusted = [
        _code(str(p)) + (f" when {_conditions_text(s.conditions)}" if s.conditions else "")
        for s in identity.trusted_by
        if s.effect == "Allow"
        for p in s.principals
    ]
    if trusted:
        lines.append(f"- Assumed by {', '.join(trusted)}")
    for use in identity.used_by:
        # what invokes a function that runs as this role: "What invokes what" of the stacks
        lines.append(f"- Referenced by {use.describe(identity.stack or '')}")
    if identity.boundary:
        lines.append(f"- Permissions boundary {_code(identity.boundary)}")
    for arn in identity.other_policies:
        lines.append(f"- Also attached, not in the templates: {_code(arn)}")
    if not identity.stack:
        lines.append("- Its own policies are outside the templates; these are the app's:")
    if lines[-1]:
        lines.append("")
    if identity.statements:
        lines += [
            "| Policy | Effect | Actions | Resources | Conditions |",
            "|---|---|---|---|---|",
            *_statement_rows(identity.statements, identity.stack or "", principal_column=False),
            "",
        ]
    else:
        lines += ["No policy of the app grants it anything.", ""]
    return lines


def _implicit_principals(app: App) -> list[str]:
    lines = ["### Principals outside the templates", ""]
    by_roles: dict[tuple[str, str], list[str]] = {}
    for stack in sorted(app.templates):
        roles = cdk_roles(app.templates[stack])
        if roles:
            by_roles.setdefault(roles, []).append(stack)
    for (deploy, execution), stacks in sorted(by_roles.items()):
        lines.append(
            f"- The CDK bootstrap roles of {', '.join(stacks)}: `cdk deploy` assumes the deploy "
            f"role {_code(deploy)}, and CloudFormation deploys with the execution role "
            f"{_code(execution)} [CDK-SYNTHESIZER], which has AdministratorAccess unless the "
            "account was bootstrapped with `--cloudformation-execution-policies` [CDK-BOOTSTRAP]."
        )
    without = [s for s in sorted(app.templates) if cdk_roles(app.templates[s]) is None]
    if without:
        lines.append(
            f"- {', '.join(without)}: no CDK bootstrap version parameter, so the roles that "
            "deploy them are not known from the templates."
        )
    for stack, logical_id, properties in app.resources_of_type(
        "AWS::ApplicationAutoScaling::ScalableTarget"
    ):
        if "RoleARN" not in properties:
            namespace = app.resolvers[stack].text(properties.get("ServiceNamespace"))
            role = AAS_SAGEMAKER_ROLE if namespace == "sagemaker" else "its service-linked role"
            source = " [AAS-SAGEMAKER]" if namespace == "sagemaker" else ""
            lines.append(
                f"- The scalable target {_code(logical_id)} ({stack}): Application Auto Scaling "
                f"acts through {_code(role)}{source}."
            )
    return [*lines, ""]


def _part_lines(part: Part) -> list[str]:
    lines = [f"- {_codes(part.actions)} on {part.label}:"]
    for grant in part.grants:
        when = f" when {_conditions_text(grant.conditions)}" if grant.conditions else ""
        refused = f", but refused by the Deny in {grant.refused_by}" if grant.refused_by else ""
        # a grant on exactly the part's resource does not repeat its ARN
        on = "" if grant.resources == (part.resource,) else f" on {_codes(grant.resources)}"
        lines.append(
            f"  - {grant.principal} is allowed {_codes(grant.actions)}{on}{when} "
            f"(by {grant.source}){refused}"
        )
    if not part.grants:
        lines.append("  - No principal of this app is allowed this.")
    for deny in part.denies:
        if deny.scope in ("identity", "named"):
            when = f" when {_conditions_text(deny.conditions)}" if deny.conditions else ""
            lines.append(f"  - Denied to {', '.join(deny.principals)}{when} (by {deny.source}).")
    implicit = part.implicit
    sources = ", ".join(implicit.sources)
    if implicit.nobody:
        lines.append(f"  - Anyone else: nobody; a Deny without exception refuses all ({sources}).")
    elif implicit.only is not None:
        lines.append(
            "  - Anyone else: only principals whose "
            + " and ".join(f"{_code(c.key)} {c.operator} {_codes(c.values)}" for c in implicit.only)
            + f", if IAM allows them; a Deny refuses every other principal ({sources})."
        )
    else:
        lines.append("  - Anyone else: any principal of the account IAM allows; no Deny says who.")
    if implicit.request_conditions:
        lines.append(
            "  - Refused, whoever asks, when "
            + "; when ".join(
                " and ".join(_conditions_text([c]) for c in conditions)
                for conditions in implicit.request_conditions
            )
            + f" ({sources})."
        )
    if part.resource_policies_apply and not part.resource_policies:
        lines.append("  - No resource policy of the app is attached to it.")
    return lines


def _answer_lines(answer: Answer, number: int) -> list[str]:
    lines = [f"### 2.{number} {answer.question}", ""]
    if answer.absent:
        lines += [answer.absent, ""]
    for part in answer.parts:
        lines += _part_lines(part)
    if answer.parts:
        lines.append("")
    for note in answer.notes:
        lines += [note, ""]
    return lines


def _cited(text: str) -> list[str]:
    return [key for key in SOURCES if f"[{key}]" in text]


def render_report(templates: Mapping[str, Mapping[str, Any]]) -> str:
    """The whole report for the given templates (stack name -> template)."""
    if not templates:
        raise TemplateError("no templates: synthesize the app first (make synth)")
    app = collect(templates)
    stacks = sorted(templates)
    lines = [
        "# Access report: who can do what",
        "",
        "<!-- Generated by `make access-report` (scripts/access_report.py) from the synthesized "
        "templates. Do not edit: change the app and regenerate; "
        "tests/unit/test_access_report.py fails when this file is stale. -->",
        "",
        f"From the synthesized templates of {', '.join(f'`{s}`' for s in stacks)}. Part 1 lists "
        "every principal the templates define or give permissions to, every resource policy, and "
        "what invokes what; part 2 answers the audit questions from those statements, including "
        "who is allowed implicitly; part 3 lists the sources of the facts the templates cannot "
        "show.",
        "",
        "Reading the values: `${AWS::AccountId}` and `${AWS::Region}` are the deployment's account "
        "and region, `aws` the partition; `<LogicalId>` is the name or ARN CloudFormation gives "
        "that resource and `<LogicalId.Attribute>` one of its attributes; `${ssm:/name}` is an SSM "
        "parameter's value read at deploy time. As a principal, "
        "`arn:aws:iam::${AWS::AccountId}:root` means the account's own principals, as far as "
        "their IAM policies allow. In a table, `″` stands for the policy of the row above, and "
        "**or** joins the conditions of statements that differ in nothing else.",
        "",
        "## 1. Principals and permissions",
        "",
    ]
    for stack in stacks:
        lines += [f"### Stack `{stack}`", ""]
        for identity in app.identities:
            if identity.stack == stack:
                lines += _identity_section(app, identity)
        policies = [p for p in app.resource_policies if p.stack == stack]
        if policies:
            lines += [
                "#### Resource policies",
                "",
                "| Policy | Effect | Principal | Actions | Resources | Conditions |",
                "|---|---|---|---|---|---|",
            ]
            for policy in policies:
                kind = policy.type.split("::", 1)[-1]  # S3::BucketPolicy, KMS::Key...
                lines += _statement_rows(policy.statements, stack, principal_column=True, kind=kind)
            lines.append("")
        routes = [r.removeprefix(f"{stack}: ") for r in app.routes if r.startswith(f"{stack}: ")]
        if routes:
            lines += ["#### What invokes what", "", *[f"- {r}" for r in routes], ""]
    outside = [i for i in app.identities if i.stack is None]
    if outside:
        lines += ["### Roles this app attaches policies to but does not define", ""]
        for identity in outside:
            lines += _identity_section(app, identity)
    lines += _implicit_principals(app)
    lines += ["## 2. Answers", "", IMPLICIT_RULE, ""]
    for number, answer in enumerate(derive_answers(app), start=1):
        lines += _answer_lines(answer, number)
    body = "\n".join(lines)
    lines += ["## 3. Sources", ""]
    lines += [f"- [{key}] <{SOURCES[key][0]}>: {SOURCES[key][1]}." for key in _cited(body)]
    return "\n".join(lines).rstrip() + "\n"


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------
def load_templates(cdk_out: Path) -> dict[str, dict]:
    """The templates of a cloud assembly directory, keyed by stack name (from manifest.json when
    it names the stacks, else from the file names)."""
    files = sorted(cdk_out.glob("*.template.json"))
    if not files:
        raise TemplateError(f"{cdk_out}: no *.template.json (run make synth first)")
    names = {path.name: path.name.removesuffix(".template.json") for path in files}
    manifest = cdk_out / "manifest.json"
    if manifest.exists():
        artifacts = json.loads(manifest.read_text(encoding="utf-8")).get("artifacts", {})
        for artifact_id, artifact in artifacts.items():
            properties = artifact.get("properties") or {}
            template_file = properties.get("templateFile")
            if artifact.get("type") == "aws:cloudformation:stack" and template_file in names:
                names[template_file] = properties.get("stackName") or artifact_id
    templates = {}
    for path in files:
        try:
            templates[names[path.name]] = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise TemplateError(f"{path}: not JSON ({error})") from error
    return templates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cdk-out", type=Path, default=DEFAULT_CDK_OUT)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument(
        "--check", action="store_true", help="fail if the output file differs, write nothing"
    )
    arguments = parser.parse_args(argv)
    try:
        report = render_report(load_templates(arguments.cdk_out))
    except TemplateError as error:
        print(f"access report: {error}", file=sys.stderr)
        return 2
    if arguments.check:
        current = arguments.output.read_text(encoding="utf-8") if arguments.output.exists() else ""
        if current != report:
            print(f"{arguments.output} is stale: run make access-report", file=sys.stderr)
            return 1
        return 0
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text(report, encoding="utf-8")
    print(f"wrote {arguments.output} ({len(report.encode())} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
