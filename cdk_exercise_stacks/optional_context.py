"""Optional CDK context values of one deployment that are lists or addresses: parsed and checked
at synthesis, so a typo fails ``cdk synth`` naming the key instead of deploying a policy that
matches no one.

``model_uploaders`` (ADR-0056): comma-separated IAM principal ARNs, the only principals that may
write under the model prefix. ``alert_email`` (ADR-0058): one e-mail address subscribed to the
operations topic.
"""

from __future__ import annotations

import re
from typing import Any

from constructs import Construct

# What aws:PrincipalArn holds for a request (IAM User Guide, "AWS global condition context
# keys"): the account root, an IAM user or an IAM role (an assumed-role session is evaluated as
# its role's ARN). `*` and `?` are ArnLike wildcards; the partition, account and type are fixed.
_PRINCIPAL_ARN = re.compile(
    r"^arn:aws(-[a-z]+)*:iam::\d{12}:(root|user/[\w+=,.@/*?-]+|role/[\w+=,.@/*?-]+)$"
)
# A pragmatic address check (one @, a dotted domain, no spaces or commas): SNS refuses
# malformed endpoints only at deploy time, after the stacks before it have deployed.
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")


def principal_arns_from_context(scope: Construct, key: str) -> tuple[str, ...] | None:
    """The ``key`` context value as a tuple of principal ARNs, or None when it is absent.

    Refused with the key and the offending entry named: a value that is not a string, an empty
    list, an entry that is not an IAM root, user or role ARN (an assumed-role session ARN is
    refused: ``aws:PrincipalArn`` holds the role's ARN, so a session ARN would match no one).
    """
    value = _context_value(scope, key)
    if value is None:
        return None
    entries = [entry.strip() for entry in value.split(",")]
    if not any(entries):
        raise ValueError(f"CDK context {key} names no principal ARN, got {value!r}")
    for entry in entries:
        if not _PRINCIPAL_ARN.match(entry):
            raise ValueError(
                f"CDK context {key}: {entry!r} is not an IAM principal ARN "
                "(arn:<partition>:iam::<12-digit account>:root, :user/<name> or :role/<name>; "
                "for an assumed-role session give its role's ARN), comma-separated"
            )
    return tuple(dict.fromkeys(entries))


def email_from_context(scope: Construct, key: str) -> str | None:
    """The ``key`` context value as one e-mail address, or None when it is absent."""
    value = _context_value(scope, key)
    if value is None:
        return None
    address = value.strip()
    if not _EMAIL.match(address):
        raise ValueError(
            f"CDK context {key}: {value!r} is not one e-mail address (name@example.com)"
        )
    return address


def _context_value(scope: Construct, key: str) -> str | None:
    value: Any = scope.node.try_get_context(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"CDK context {key} must be a non-empty string, got {value!r}")
    return value
