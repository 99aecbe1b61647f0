"""How the project's rules plug into cdk-nag 2.x from Python.

cdk-nag supports custom packs officially in TypeScript only (cdklabs/cdk-nag#1177, #1878); from
Python a pack subclasses ``NagPack`` and hands ``_apply_rule`` an object implementing
``IApplyRule``. Two traps found while building this (ADR 0042):

- jsii reads the rule's ``node``/``info``/... through *properties*; plain attributes are
  invisible to it, so :class:`_AppliedRule` defines properties.
- A Python rule function has no JavaScript ``name``, so the rule ID comes from
  ``rule_suffix_override``: every rule sets an explicit, stable suffix.

Rules read CloudFormation-shaped properties (``BucketEncryption``, not ``bucketEncryption``),
resolved exactly as the template will spell them, so that ``policies/rules`` serves cdk-nag and
checkov alike. Property overrides (``add_property_override``) are invisible here, as they are
to cdk-nag's own rules; checkov, reading the synthesized template, sees them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Union

import aws_cdk as cdk
import jsii
from cdk_nag import IApplyRule, NagMessageLevel, NagPack, NagRuleCompliance
from constructs import IConstruct

RuleResult = Union[NagRuleCompliance, list[str]]  # noqa: UP007 (jsii-facing alias)


@dataclass(frozen=True)
class ResourceView:
    """A CloudFormation resource as a rule sees it: type, logical ID, resolved properties."""

    node: cdk.CfnResource
    resource_type: str
    logical_id: str
    properties: dict[str, Any]

    @property
    def stack(self) -> cdk.Stack:
        return cdk.Stack.of(self.node)

    def others(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Logical ID -> resolved properties of every ``resource_type`` resource of the stack."""
        return stack_resources(self.stack, resource_type)


def cfn_properties(node: cdk.CfnResource) -> dict[str, Any]:
    """The resource's properties, resolved and spelled as in the template (overrides aside).

    Resolving before rendering matters: handing unresolved lazy values back from Python makes
    the L1 validators reject them.
    """
    stack = cdk.Stack.of(node)
    rendered = node._render_properties(stack.resolve(node._cfn_properties))
    return stack.resolve(rendered) or {}


def view(node: cdk.CfnResource) -> ResourceView:
    stack = cdk.Stack.of(node)
    return ResourceView(
        node=node,
        resource_type=node.cfn_resource_type,
        logical_id=stack.get_logical_id(node),
        properties=cfn_properties(node),
    )


def stack_resources(stack: cdk.Stack, resource_type: str) -> dict[str, dict[str, Any]]:
    """Logical ID -> resolved properties of the ``resource_type`` resources of ``stack`` only."""
    found: dict[str, dict[str, Any]] = {}
    stack_path = stack.node.path
    for child in stack.node.find_all():
        if (
            cdk.CfnResource.is_cfn_resource(child)
            and child.cfn_resource_type == resource_type
            and cdk.Stack.of(child).node.path == stack_path
        ):
            found[stack.get_logical_id(child)] = cfn_properties(child)
    return found


@dataclass(frozen=True)
class Rule:
    """One custom rule: its ID suffix, messages, level and check.

    ``check`` receives a :class:`ResourceView` of one of ``resource_types`` and returns
    ``NagRuleCompliance`` or a list of finding IDs (granular findings, suppressible one by one
    with ``applies_to``). It is called only for ``resource_types``; :meth:`evaluate` answers
    NOT_APPLICABLE for any other resource.
    """

    suffix: str
    info: str
    explanation: str
    resource_types: frozenset[str]
    check: Callable[[ResourceView], RuleResult]
    level: NagMessageLevel = NagMessageLevel.ERROR

    def evaluate(self, node: cdk.CfnResource) -> RuleResult:
        if node.cfn_resource_type not in self.resource_types:
            return NagRuleCompliance.NOT_APPLICABLE
        return self.check(view(node))


def compliant_if(ok: bool) -> NagRuleCompliance:
    return NagRuleCompliance.COMPLIANT if ok else NagRuleCompliance.NON_COMPLIANT


@jsii.implements(IApplyRule)
class _AppliedRule:
    """One (rule, resource) pair in the shape cdk-nag's ``applyRule`` reads through jsii."""

    def __init__(self, rule: Rule, node: cdk.CfnResource) -> None:
        self._rule = rule
        self._node = node

    @property
    def node(self) -> cdk.CfnResource:
        return self._node

    @property
    def rule_suffix_override(self) -> str:
        return self._rule.suffix

    @property
    def info(self) -> str:
        return self._rule.info

    @property
    def explanation(self) -> str:
        return self._rule.explanation

    @property
    def level(self) -> NagMessageLevel:
        return self._rule.level

    @property
    def ignore_suppression_condition(self) -> None:
        return None

    def rule(self, node: cdk.CfnResource) -> RuleResult:
        return self._rule.evaluate(node)


class ProjectNagPack(NagPack):
    """A cdk-nag pack whose rules are :class:`Rule` objects.

    Subclasses set ``PACK_NAME`` and implement :meth:`build_rules`. Accepts NagPack's keyword
    arguments (``verbose``, ``reports``, ``additional_loggers``...). Rule IDs are
    ``<PACK_NAME>-<suffix>``.
    """

    PACK_NAME: ClassVar[str]

    def __init__(self, **props: Any) -> None:
        super().__init__(**props)
        self._pack_name = self.PACK_NAME
        self.rules: tuple[Rule, ...] = tuple(self.build_rules())

    def build_rules(self) -> tuple[Rule, ...]:
        raise NotImplementedError

    def visit(self, node: IConstruct) -> None:
        if not cdk.CfnResource.is_cfn_resource(node):
            return
        resource_type = node.cfn_resource_type
        for rule in self.rules:
            # Not-applicable pairs are skipped here: cdk-nag reports nothing for them anyway,
            # and each call is a round trip between node and Python.
            if resource_type in rule.resource_types:
                self._apply_rule(_AppliedRule(rule, node))

    def rule_ids(self) -> list[str]:
        return [f"{self.PACK_NAME}-{rule.suffix}" for rule in self.rules]

    def rule(self, rule_id: str) -> Rule:
        """The rule whose full ID is ``rule_id`` (KeyError naming the known IDs otherwise)."""
        for rule in self.rules:
            if f"{self.PACK_NAME}-{rule.suffix}" == rule_id:
                return rule
        raise KeyError(f"{rule_id!r} is not a rule of {self.PACK_NAME}: {self.rule_ids()}")
