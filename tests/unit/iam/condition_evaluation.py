"""A small evaluator of IAM policy Condition blocks, for tests of what a Deny statement refuses.

No emulator evaluates bucket or queue policies, so the tests state requests as IAM request
contexts (the condition keys a request carries) and ask whether a statement's conditions match.
Only the operators the project's policies use are implemented; any other fails loudly. Semantics
from the IAM User Guide ("IAM JSON policy elements: Condition operators"): all operators of a
block must match (AND), any value of an operator's list may match (OR); a negated operator
(``...Not...``) matches when the key is absent; ``Null: true`` matches when the key is absent.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any


def _values(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _arn_like(pattern: str, value: str) -> bool:
    # ArnLike matches each of the six colon-separated parts with * and ? wildcards.
    pattern_parts, value_parts = pattern.split(":", 5), value.split(":", 5)
    return len(pattern_parts) == len(value_parts) and all(
        fnmatch.fnmatchcase(v, p) for p, v in zip(pattern_parts, value_parts, strict=True)
    )


_POSITIVE = {
    "StringEquals": lambda expected, actual: actual == expected,
    "ArnEquals": lambda expected, actual: actual == expected,
    "ArnLike": _arn_like,
    "Bool": lambda expected, actual: str(actual).lower() == str(expected).lower(),
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def conditions_match(conditions: Mapping[str, Mapping[str, Any]], request: Mapping[str, Any]):
    """Whether every operator of ``conditions`` matches ``request`` (key -> value)."""
    return all(
        _operator_matches(operator, key, expected, request)
        for operator, block in conditions.items()
        for key, expected in block.items()
    )


def _operator_matches(operator: str, key: str, expected: Any, request: Mapping[str, Any]) -> bool:
    present = key in request
    if operator == "Null":
        return (not present) == (str(expected).lower() == "true")
    if operator in _NEGATED:
        if not present:
            return True
        test = _POSITIVE[_NEGATED[operator]]
        return not any(test(value, request[key]) for value in _values(expected))
    if operator in _POSITIVE:
        return present and any(
            _POSITIVE[operator](value, request[key]) for value in _values(expected)
        )
    raise NotImplementedError(f"condition operator {operator} is not modelled")
