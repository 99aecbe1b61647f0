"""How the project's rules plug into cdk-nag 2.x from Python, crossing the jsii bridge rarely.

cdk-nag supports custom packs officially in TypeScript only (cdklabs/cdk-nag#1177, #1878); from
Python a pack subclasses ``NagPack`` and hands ``_apply_rule`` an object implementing
``IApplyRule``. Two traps found while building this (ADR 0042):

- jsii reads the rule's ``node``/``info``/... through *properties*; plain attributes are
  invisible to it, so :class:`_AppliedRule` defines properties.
- A Python rule function has no JavaScript ``name``, so the rule ID comes from
  ``rule_suffix_override``: every rule sets an explicit, stable suffix.

Every call between Python and the node process that runs the construct tree costs a round trip
(a fraction of a millisecond), and a pack is visited for every construct of the app. So a pack
(ADR 0042, amended):

- tells a CloudFormation resource from any other construct, and reads its resource type, in
  Python (``isinstance`` on the jsii proxy class; an L1 class's type once per class), and skips
  a resource no rule of the pack targets without another call;
- resolves a resource's properties once, for all its rules (:class:`ResourceView`);
- reads the other resources of a stack (cross-resource rules) in one traversal per stack and
  resource type, the first time a rule asks;
- still reports every (rule, resource) pair through ``NagPack._apply_rule``, so findings,
  suppressions, reports, loggers and rule crashes (ADR 0041) behave as cdk-nag's own.

Rules read CloudFormation-shaped properties (``BucketEncryption``, not ``bucketEncryption``),
resolved exactly as the template will spell them, so that ``policies/rules`` serves cdk-nag and
checkov alike. Property overrides (``add_property_override``) are invisible here, as they are
to cdk-nag's own rules; checkov, reading the synthesized template, sees them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar, Union

import aws_cdk as cdk
import jsii
from cdk_nag import IApplyRule, NagMessageLevel, NagPack, NagRuleCompliance
from constructs import IConstruct

RuleResult = Union[NagRuleCompliance, list[str]]  # noqa: UP007 (jsii-facing alias)

# The CloudFormation type of the instances of each L1 class (CfnBucket -> AWS::S3::Bucket), read
# from the first instance of the class that is visited.
_TYPE_OF_L1_CLASS: dict[type, str] = {}
# Whether a jsii proxy class is a CfnResource: isinstance on jsii's abstract classes walks their
# subclass registry, so the answer is kept per class.
_IS_CFN_RESOURCE_CLASS: dict[type, bool] = {}


def is_cfn_resource(construct: Any) -> bool:
    """``isinstance(construct, CfnResource)``, decided once per proxy class, without a round trip
    (jsii gives each JavaScript object a proxy of its exact class)."""
    cls = type(construct)
    known = _IS_CFN_RESOURCE_CLASS.get(cls)
    if known is None:
        known = _IS_CFN_RESOURCE_CLASS[cls] = issubclass(cls, cdk.CfnResource)
    return known


def _is_l1_class(cls: type) -> bool:
    """Generated L1 classes declare their type as a class constant and pass it to CfnResource;
    the generic ``CfnResource`` and hand-written subclasses carry a type per instance."""
    return any("CFN_RESOURCE_TYPE_NAME" in vars(klass) for klass in cls.__mro__)


def cfn_type(node: cdk.CfnResource) -> str:
    """The resource's CloudFormation type, read across the bridge once per L1 class."""
    cls = type(node)
    known = _TYPE_OF_L1_CLASS.get(cls)
    if known is not None:
        return known
    resource_type = node.cfn_resource_type
    if _is_l1_class(cls):
        _TYPE_OF_L1_CLASS[cls] = resource_type
    return resource_type


def _identity(construct: Any) -> str:
    """A key for the JavaScript object behind a jsii proxy, read without a round trip.

    jsii hands Python a new proxy each time it passes an object that JavaScript created, so the
    proxies cannot be compared with ``is``; the object reference they carry is stable.
    """
    return construct.__jsii_ref__.ref


class _StackResources:
    """The CloudFormation resources of one stack, as one pack reads them.

    The stack is traversed once, the first time a rule asks for resources of a type; logical IDs
    and properties are read only for the types asked for, once each.
    """

    def __init__(self, stack: cdk.Stack) -> None:
        self.stack = stack
        self._ids: dict[str, dict[str, cdk.CfnResource]] = {}
        self._properties: dict[str, dict[str, dict[str, Any]]] = {}

    @cached_property
    def _by_type(self) -> dict[str, list[cdk.CfnResource]]:
        constructs = self.stack.node.find_all()
        stack_key = _identity(self.stack)
        # A nested stack's resources are found too, but belong to its own template.
        nested = any(isinstance(c, cdk.Stack) and _identity(c) != stack_key for c in constructs)
        by_type: dict[str, list[cdk.CfnResource]] = {}
        for construct in constructs:
            if not is_cfn_resource(construct):
                continue
            if nested and _identity(cdk.Stack.of(construct)) != stack_key:
                continue
            by_type.setdefault(cfn_type(construct), []).append(construct)
        return by_type

    def logical_id(self, node: cdk.CfnResource) -> str:
        return self.stack.get_logical_id(node)

    def properties(self, node: cdk.CfnResource) -> dict[str, Any]:
        """The resource's properties, resolved and spelled as in the template (overrides aside).

        Resolving before rendering matters: handing unresolved lazy values back from Python
        makes the L1 validators reject them.
        """
        stack = self.stack
        rendered = node._render_properties(stack.resolve(node._cfn_properties))
        return stack.resolve(rendered) or {}

    def logical_ids(self, resource_type: str) -> dict[str, cdk.CfnResource]:
        """Logical ID -> resource, for the ``resource_type`` resources of this stack."""
        if resource_type not in self._ids:
            self._ids[resource_type] = {
                self.logical_id(node): node for node in self._by_type.get(resource_type, ())
            }
        return self._ids[resource_type]

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Logical ID -> resolved properties, for the ``resource_type`` resources of this stack."""
        if resource_type not in self._properties:
            self._properties[resource_type] = {
                logical_id: self.properties(node)
                for logical_id, node in self.logical_ids(resource_type).items()
            }
        return self._properties[resource_type]


class ResourceView:
    """A CloudFormation resource as every rule of a pack sees it: type, logical ID, resolved
    properties, and the other resources of its stack. Each is read at most once."""

    def __init__(self, pack: ProjectNagPack, node: cdk.CfnResource, resource_type: str) -> None:
        self.node = node
        self.resource_type = resource_type
        self._pack = pack

    @cached_property
    def _stack(self) -> _StackResources:
        return self._pack._stack_resources(cdk.Stack.of(self.node))

    @cached_property
    def logical_id(self) -> str:
        return self._stack.logical_id(self.node)

    @cached_property
    def properties(self) -> dict[str, Any]:
        return self._stack.properties(self.node)

    def others(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Logical ID -> resolved properties of every ``resource_type`` resource of the stack."""
        return self._stack.resources(resource_type)

    def other_ids(self, resource_type: str) -> Iterable[str]:
        """Logical IDs of the stack's ``resource_type`` resources (no properties read)."""
        return self._stack.logical_ids(resource_type).keys()


@dataclass(frozen=True)
class Rule:
    """One custom rule: its ID suffix, messages, level and check.

    ``check`` receives a :class:`ResourceView` of one of ``resource_types`` and returns
    ``NagRuleCompliance`` or a list of finding IDs (granular findings, suppressible one by one
    with ``applies_to``). The pack calls it only for ``resource_types``.
    """

    suffix: str
    info: str
    explanation: str
    resource_types: frozenset[str]
    check: Callable[[ResourceView], RuleResult]
    level: NagMessageLevel = NagMessageLevel.ERROR


def compliant_if(ok: bool) -> NagRuleCompliance:
    return NagRuleCompliance.COMPLIANT if ok else NagRuleCompliance.NON_COMPLIANT


@jsii.implements(IApplyRule)
class _AppliedRule:
    """One (rule, resource) pair in the shape cdk-nag's ``applyRule`` reads through jsii."""

    def __init__(self, rule: Rule, resource: ResourceView) -> None:
        self._rule = rule
        self._resource = resource

    @property
    def node(self) -> cdk.CfnResource:
        return self._resource.node

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

    def rule(self, _node: cdk.CfnResource) -> RuleResult:
        # An exception here is cdk-nag's to report, as a crashed rule (ADR 0041).
        return self._rule.check(self._resource)


class ProjectNagPack(NagPack):
    """A cdk-nag pack whose rules are :class:`Rule` objects.

    Subclasses set ``PACK_NAME`` and implement :meth:`build_rules`. Accepts NagPack's keyword
    arguments (``verbose``, ``reports``, ``additional_loggers``...). Rule IDs are
    ``<PACK_NAME>-<suffix>``. A pack is an Aspect like any cdk-nag pack; :class:`ProjectPacks`
    visits several with one Aspect.
    """

    PACK_NAME: ClassVar[str]

    def __init__(self, **props: Any) -> None:
        super().__init__(**props)
        self._pack_name = self.PACK_NAME
        self.rules: tuple[Rule, ...] = tuple(self.build_rules())
        self._rules_by_type: dict[str, list[Rule]] = {}
        for rule in self.rules:
            for resource_type in rule.resource_types:
                self._rules_by_type.setdefault(resource_type, []).append(rule)
        self._stacks: dict[str, _StackResources] = {}

    def build_rules(self) -> tuple[Rule, ...]:
        raise NotImplementedError

    def visit(self, node: IConstruct) -> None:
        if not is_cfn_resource(node):
            return
        resource_type = cfn_type(node)
        rules = self._rules_by_type.get(resource_type)
        if not rules:
            # Not applicable: cdk-nag would report nothing for the pair anyway.
            return
        resource = ResourceView(self, node, resource_type)
        for rule in rules:
            self._apply_rule(_AppliedRule(rule, resource))

    def _stack_resources(self, stack: cdk.Stack) -> _StackResources:
        key = _identity(stack)
        if key not in self._stacks:
            self._stacks[key] = _StackResources(stack)
        return self._stacks[key]


@jsii.implements(cdk.IAspect)
class ProjectPacks:
    """One Aspect that visits each construct once for several :class:`ProjectNagPack` s.

    CDK calls an Aspect's ``visit`` across the bridge for every construct of the app; four packs
    added one by one cost four calls per construct, most of them for constructs that are not
    resources. Each pack still reports through its own ``NagPack`` API (rule IDs, reports,
    suppressions, loggers); added on its own, a pack behaves the same.
    """

    def __init__(self, packs: Iterable[ProjectNagPack]) -> None:
        self.packs = tuple(packs)

    def visit(self, node: IConstruct) -> None:
        for pack in self.packs:
            pack.visit(node)
