"""Warnings and crashed rules fail synthesis (ADR 0041).

cdk-nag 2.x reports an unsuppressed ERROR-level finding as an error annotation, which fails
``cdk synth``; a WARN-level finding, and a rule that *crashed* (``CdkNagValidationFailure``),
only as a warning, which does not. :class:`StrictNagAspect` runs after the packs on every
resource (priority READONLY) and re-reports each such cdk-nag warning as an error.
``cdk synth --strict`` would do the same for every CDK warning, deprecations included.

An aspect rather than a cdk-nag logger: a Python logger is called back from node for every
rule outcome of every pack (thousands per synthesis, seconds of overhead); the aspect is called
once per resource.
"""

from __future__ import annotations

import re
from typing import Any

import aws_cdk as cdk
import jsii

from .base import is_cfn_resource

STRICT_MARKER = "treated as an error (ADR 0041)"
WARNING = "aws:cdk:warning"
VALIDATION_FAILURE = "CdkNagValidationFailure"


def nag_message_pattern(packs: tuple[str, ...]) -> re.Pattern[str]:
    """How a cdk-nag annotation starts, ``<RuleId>[<finding>]: ...``, for the rules of ``packs``
    and for crashed rules; groups ``rule`` and ``finding``."""
    names = "|".join(re.escape(name) for name in packs)
    return re.compile(
        rf"^(?P<rule>(?:{names})-[\w.]+|{VALIDATION_FAILURE})(?:\[(?P<finding>[^\]]*)\])?:"
    )


@jsii.implements(cdk.IAspect)
class StrictNagAspect:
    """Adds an error annotation for each unsuppressed cdk-nag warning of a resource."""

    def __init__(self, packs: tuple[str, ...]) -> None:
        self._pattern = nag_message_pattern(packs)

    def visit(self, node: Any) -> None:
        if not is_cfn_resource(node):
            return
        for entry in node.node.metadata:
            if entry.type != WARNING:
                continue
            text = str(entry.data)
            match = self._pattern.match(text)
            if match:
                label, detail = text.split(":", 1)
                cdk.Annotations.of(node).add_error(
                    f"{label}: cdk-nag warning {STRICT_MARKER}; fix the resource or acknowledge "
                    f"it with policies.exceptions.acknowledge.{detail}"
                )
