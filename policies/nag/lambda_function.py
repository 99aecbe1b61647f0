"""``MlopsLambda``: a function's logs expire on purpose.

``MlopsLambda-LogRetention`` relates to ``HIPAA.Security``/``NIST.800.53.R5``/``Serverless``
``-CloudWatchLogGroupRetentionPeriod``, which checks the retention of each log group *declared*
in the template. It cannot see the group a function writes to when nobody declared it: Lambda
creates ``/aws/lambda/<name>`` on the first write, with no retention, outside the stack. This
rule starts from the function and requires its group to be declared, with a retention.
(The stock packs' other Lambda rules already cover what this pack used to check as well:
``LambdaDLQ`` and ``LambdaAsyncFailureDestination`` the failure destination,
``LambdaConcurrency`` the reserved concurrency; ADR 0042.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdk_nag import NagRuleCompliance

from policies.rules.cfn import dig, join_parts, referenced_logical_ids

from .base import ProjectNagPack, ResourceView, Rule, compliant_if

FUNCTION = frozenset({"AWS::Lambda::Function"})
LOG_GROUP = "AWS::Logs::LogGroup"
# Where Lambda writes without LoggingConfig.LogGroup:
# https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
DEFAULT_LOG_GROUP_PREFIX = "/aws/lambda/"


def _default_log_group_name(logical_id: str, function: Mapping[str, Any]) -> list[Any]:
    name = function.get("FunctionName")
    if name is None:
        name = {"Ref": logical_id}
    return join_parts({"Fn::Join": ["", [DEFAULT_LOG_GROUP_PREFIX, name]]})


def log_retention_problem(
    logical_id: str,
    function: Mapping[str, Any],
    log_groups: Mapping[str, Mapping[str, Any]],
) -> str | None:
    """Why the function's log group has no explicit retention in this template, or None.

    The function writes to ``LoggingConfig.LogGroup`` when set, else to
    ``/aws/lambda/<FunctionName>``. That group must be an ``AWS::Logs::LogGroup`` of the same
    template (``log_groups``: logical ID -> properties) with ``RetentionInDays`` set; a group
    Lambda creates on first write keeps logs forever.
    """
    target = dig(function, "LoggingConfig", "LogGroup")
    if target is not None:
        wanted_ids = referenced_logical_ids(target)
        wanted_name = join_parts(target)
        description = f"LoggingConfig.LogGroup {target!r}"
    else:
        wanted_ids = set()
        wanted_name = _default_log_group_name(logical_id, function)
        description = f"default log group {wanted_name!r}"
    for group_id, group in log_groups.items():
        names_match = group.get("LogGroupName") is not None and (
            join_parts(group.get("LogGroupName")) == wanted_name
        )
        if group_id in wanted_ids or names_match:
            if group.get("RetentionInDays") is None:
                return f"log group {group_id} ({description}) has no RetentionInDays"
            return None
    return f"no AWS::Logs::LogGroup in the template for the {description}"


def _log_retention(resource: ResourceView) -> NagRuleCompliance:
    problem = log_retention_problem(
        resource.logical_id, resource.properties, resource.others(LOG_GROUP)
    )
    return compliant_if(problem is None)


class LambdaResilienceChecks(ProjectNagPack):
    """Every function's log group is declared in its stack with an explicit retention."""

    PACK_NAME = "MlopsLambda"

    def build_rules(self) -> tuple[Rule, ...]:
        return (
            Rule(
                suffix="LogRetention",
                info="The Lambda function's log group is not declared in the stack with "
                "RetentionInDays.",
                explanation=(
                    "A log group Lambda creates on first write keeps logs forever and outlives "
                    "the stack; declare it (LoggingConfig.LogGroup or /aws/lambda/<name>) with "
                    "an explicit retention."
                ),
                resource_types=FUNCTION,
                check=_log_retention,
            ),
        )
