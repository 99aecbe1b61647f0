"""The endpoint stack's ``tags`` argument, read the way the brief's call means it.

The brief passes ``tags={'key': 'key', 'value': 'value'}``: ONE tag whose key is ``key`` and
whose value is ``value``, not two tags named "key" and "value" (ADR-0034). A plain mapping
``{K: V, ...}`` is accepted too. Anything else is rejected with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# AWS tag limits shared by SageMaker, IAM, S3, Lambda and CloudWatch.
_MAX_KEY_LENGTH = 128
_MAX_VALUE_LENGTH = 256
_ALLOWED = re.compile(r"[\w\s.:/=+\-@]*")
_RESERVED_PREFIX = "aws:"
_SINGLE_TAG_SHAPE = frozenset({"key", "value"})


def tags_from_argument(tags: Mapping[str, str] | None) -> dict[str, str]:
    """``{'key': K, 'value': V}`` -> ``{K: V}``; ``{K: V, ...}`` unchanged; ``None`` -> ``{}``."""
    if tags is None:
        return {}
    if not isinstance(tags, Mapping):
        raise TypeError(
            "tags must be {'key': K, 'value': V} or a mapping {K: V}, "
            f"got {type(tags).__name__}: {tags!r}"
        )
    pairs = {tags["key"]: tags["value"]} if set(tags) == _SINGLE_TAG_SHAPE else dict(tags)
    for key, value in pairs.items():
        _validate_tag(key, value)
    return pairs


def _validate_tag(key: object, value: object) -> None:
    if not isinstance(key, str) or not isinstance(value, str):
        raise TypeError(f"tag key and value must be strings, got {key!r}: {value!r}")
    if not 1 <= len(key) <= _MAX_KEY_LENGTH:
        raise ValueError(f"tag key {key!r} must be 1-{_MAX_KEY_LENGTH} characters")
    if len(value) > _MAX_VALUE_LENGTH:
        raise ValueError(f"tag value for {key!r} must be at most {_MAX_VALUE_LENGTH} characters")
    if key.lower().startswith(_RESERVED_PREFIX):
        raise ValueError(f"tag key {key!r} must not start with the reserved prefix 'aws:'")
    for text in (key, value):
        if not _ALLOWED.fullmatch(text):
            raise ValueError(
                f"tag {key!r}: {text!r} may only contain letters, digits, spaces and _.:/=+-@"
            )
