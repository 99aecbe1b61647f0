"""Reading CloudFormation values: lists, booleans, references and joined strings."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

PSEUDO_PARAMETER_PREFIX = "AWS::"
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


def dig(value: Any, *keys: str) -> Any:
    """``value[k1][k2]...``, or None as soon as a level is missing or not a mapping."""
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def as_list(value: Any) -> list[Any]:
    """A CloudFormation "string or list of strings" value as a list (None -> [])."""
    if value is None:
        return []
    if isinstance(value, list):
        return list(value)
    return [value]


def is_true(value: Any) -> bool:
    """True for the JSON boolean true or the string "true" (any case); never for tokens."""
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() == "true"


def _walk(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, Mapping):
        for child in value.values():
            yield from _walk(child)
    elif isinstance(value, list):
        for child in value:
            yield from _walk(child)


def referenced_logical_ids(value: Any) -> set[str]:
    """Logical IDs of the resources that ``value`` references through Ref, Fn::GetAtt or Fn::Sub.

    Pseudo parameters (``AWS::Region``...) are not resources and are left out.
    """
    found: set[str] = set()
    for node in _walk(value):
        if not isinstance(node, Mapping):
            continue
        ref = node.get("Ref")
        if isinstance(ref, str):
            found.add(ref)
        get_att = node.get("Fn::GetAtt")
        if isinstance(get_att, list) and get_att and isinstance(get_att[0], str):
            found.add(get_att[0])
        elif isinstance(get_att, str):
            found.add(get_att.split(".", 1)[0])
        sub = node.get("Fn::Sub")
        template = sub[0] if isinstance(sub, list) and sub else sub
        if isinstance(template, str):
            found.update(name.split(".", 1)[0] for name in _SUB_VARIABLE.findall(template))
    return {name for name in found if not name.startswith(PSEUDO_PARAMETER_PREFIX)}


def join_parts(value: Any) -> list[Any]:
    """A string-valued property as a list of parts: literal strings merged, intrinsics kept.

    ``{"Fn::Join": ["", ["/aws/lambda/", {"Ref": "Fn"}]]}`` -> ``["/aws/lambda/", {"Ref": "Fn"}]``;
    ``"abc"`` -> ``["abc"]``. Nested empty-delimiter joins are flattened, so that two spellings
    of the same name compare equal.
    """
    parts: list[Any] = []
    for part in _raw_parts(value):
        if isinstance(part, str) and parts and isinstance(parts[-1], str):
            parts[-1] += part
        elif part != "":
            parts.append(part)
    return parts


def _raw_parts(value: Any) -> Iterator[Any]:
    if isinstance(value, Mapping) and set(value.keys()) == {"Fn::Join"}:
        args = value["Fn::Join"]
        if isinstance(args, list) and len(args) == 2 and isinstance(args[1], list):
            delimiter, items = args
            if delimiter == "":
                for item in items:
                    yield from _raw_parts(item)
                return
            if isinstance(delimiter, str) and all(isinstance(item, str) for item in items):
                yield delimiter.join(items)
                return
    yield value


def readable(value: Any) -> str:
    """A string-valued property on one line, references spelled as cdk-nag spells them in finding
    IDs: ``{"Ref": "X"}`` as ``<X>``, ``{"Fn::GetAtt": ["X", "Arn"]}`` as ``<X.Arn>``, the parts
    of an empty-delimiter ``Fn::Join`` concatenated; any other intrinsic as compact JSON."""
    spelled = []
    for part in join_parts(value):
        if isinstance(part, str):
            spelled.append(part)
        elif isinstance(part, Mapping) and isinstance(part.get("Ref"), str) and len(part) == 1:
            spelled.append(f"<{part['Ref']}>")
        elif (
            isinstance(part, Mapping)
            and len(part) == 1
            and isinstance(part.get("Fn::GetAtt"), list)
            and all(isinstance(item, str) for item in part["Fn::GetAtt"])
        ):
            spelled.append(f"<{'.'.join(part['Fn::GetAtt'])}>")
        else:
            spelled.append(json.dumps(part, sort_keys=True, separators=(",", ":")))
    return "".join(spelled)


def plain(value: Any) -> Any:
    """``value`` as plain dicts, lists and strings, without parser annotations.

    checkov's template nodes are dict/list/str subclasses that also carry ``__file__``,
    ``__startline__`` and ``__endline__`` *keys*; those would make an intrinsic look like a
    multi-key dict and leak the file path into string checks.
    """
    if isinstance(value, Mapping):
        return {
            str(key): plain(child)
            for key, child in value.items()
            if not (isinstance(key, str) and key.startswith("__") and key.endswith("__"))
        }
    if isinstance(value, list):
        return [plain(child) for child in value]
    if isinstance(value, str):
        return str(value)
    return value
