"""What the brief's three stacks share: the deployment's names, read from the CDK context."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from config import constants
from config.naming import DeploymentNaming


def naming_for(scope: Construct) -> DeploymentNaming:
    """The names of this deployment, prefixed by the optional ``deployment_prefix`` context."""
    prefix = scope.node.try_get_context(constants.DEPLOYMENT_PREFIX_CONTEXT_KEY)
    return DeploymentNaming("" if prefix is None else prefix)


class PipelineStack(Stack):
    """A stack of the pipeline, named for this deployment (``<prefix>-<id>``, ADR-0035) unless
    ``stack_name`` is given; ``naming`` gives the stack's parts their physical names."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        self.naming = naming_for(scope)
        kwargs.setdefault("stack_name", self.naming.stack_name(construct_id))
        super().__init__(scope, construct_id, **kwargs)
