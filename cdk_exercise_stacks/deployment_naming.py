"""The deployment's names for a construct tree: config/naming.py plus the CDK context."""

from __future__ import annotations

from constructs import Construct

from config import constants
from config.naming import DeploymentNaming


def naming_for(scope: Construct) -> DeploymentNaming:
    """The names of this deployment, prefixed by the optional ``deployment_prefix`` context."""
    prefix = scope.node.try_get_context(constants.DEPLOYMENT_PREFIX_CONTEXT_KEY)
    return DeploymentNaming("" if prefix is None else prefix)
