"""Lambda functions: failures are kept, concurrency is bounded, logs expire on purpose."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .cfn import join_parts, referenced_logical_ids

DEFAULT_LOG_GROUP_PREFIX = "/aws/lambda/"


def _get(mapping: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(mapping, Mapping):
            return None
        mapping = mapping.get(key)
    return mapping


def has_dead_letter_queue(function: Mapping[str, Any]) -> bool:
    """``DeadLetterConfig.TargetArn`` is set."""
    return _get(function, "DeadLetterConfig", "TargetArn") is not None


def refers_to_function(reference: Any, logical_id: str, function: Mapping[str, Any]) -> bool:
    """Whether a ``FunctionName`` value (name, ARN or intrinsic) designates this function."""
    if logical_id in referenced_logical_ids(reference):
        return True
    name = function.get("FunctionName")
    if isinstance(name, str) and isinstance(reference, str):
        return reference == name or reference.endswith(f":function:{name}")
    return False


def has_on_failure_destination(
    logical_id: str,
    function: Mapping[str, Any],
    invoke_configs: Mapping[str, Mapping[str, Any]],
) -> bool:
    """A DLQ, or an ``AWS::Lambda::EventInvokeConfig`` for this function with an OnFailure
    destination (``invoke_configs``: logical ID -> properties)."""
    if has_dead_letter_queue(function):
        return True
    return any(
        refers_to_function(config.get("FunctionName"), logical_id, function)
        and _get(config, "DestinationConfig", "OnFailure", "Destination") is not None
        for config in invoke_configs.values()
    )


def has_reserved_concurrency(function: Mapping[str, Any]) -> bool:
    """``ReservedConcurrentExecutions`` is set (a number or a deploy-time value)."""
    return function.get("ReservedConcurrentExecutions") is not None


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
    target = _get(function, "LoggingConfig", "LogGroup")
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
