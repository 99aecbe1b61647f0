"""Every (action, condition key) pair of a template's policies, checked against an IAM
definitions database (policy_sentry's bundled copy of the Service Authorization Reference).

No emulator evaluates IAM, and a condition key an action does not support is simply absent from
its request: a positive operator then never matches (an Allow that grants nothing), a negated
one always matches (a Deny that refuses everything). Either way nothing fails until AWS runs.

Rules:
- a global key (``aws:``, IAM User Guide "AWS global condition context keys") is valid with any
  action;
- any other key must be listed for the action (on any of its resource types); templated keys of
  the database (``aws:ResourceTag/${TagKey}``, ``kms:EncryptionContext:${EncryptionContextKey}``,
  ``s3:RequestObjectTag/<key>``) match any suffix; keys compare case-insensitively, as IAM does;
- an action pattern with a wildcard (``s3:*``, ``kms:Describe*``) is expanded; the key must be
  supported by at least one of the actions it names (for the others it is absent, which is what
  a wildcard over a service's actions means).
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from policy_sentry.querying.actions import get_action_data, get_actions_for_service

# IAM User Guide, "AWS global condition context keys" (properties of the principal, the
# network, the resource, the request), available with every action.
GLOBAL_KEYS = frozenset(
    key.lower()
    for key in (
        "aws:PrincipalArn",
        "aws:PrincipalAccount",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalOrgID",
        "aws:PrincipalIsAWSService",
        "aws:PrincipalServiceName",
        "aws:PrincipalServiceNamesList",
        "aws:PrincipalType",
        "aws:userid",
        "aws:username",
        "aws:FederatedProvider",
        "aws:TokenIssueTime",
        "aws:MultiFactorAuthAge",
        "aws:MultiFactorAuthPresent",
        "aws:SourceIdentity",
        "aws:SourceIp",
        "aws:SourceVpc",
        "aws:SourceVpcArn",
        "aws:SourceVpce",
        "aws:VpcSourceIp",
        "aws:ResourceAccount",
        "aws:ResourceOrgPaths",
        "aws:ResourceOrgID",
        "aws:CalledVia",
        "aws:CalledViaFirst",
        "aws:CalledViaLast",
        "aws:ViaAWSService",
        "aws:CurrentTime",
        "aws:EpochTime",
        "aws:referer",
        "aws:RequestedRegion",
        "aws:TagKeys",
        "aws:SecureTransport",
        "aws:SourceAccount",
        "aws:SourceArn",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
        "aws:UserAgent",
    )
)
GLOBAL_KEY_PREFIXES = ("aws:principaltag/", "aws:resourcetag/", "aws:requesttag/")

# Where a template's policy documents are, per resource type.
POLICY_DOCUMENTS = {
    "AWS::IAM::ManagedPolicy": ("PolicyDocument",),
    "AWS::IAM::Policy": ("PolicyDocument",),
    "AWS::S3::BucketPolicy": ("PolicyDocument",),
    "AWS::SQS::QueuePolicy": ("PolicyDocument",),
    "AWS::SNS::TopicPolicy": ("PolicyDocument",),
    "AWS::KMS::Key": ("KeyPolicy",),
    "AWS::IAM::Role": ("AssumeRolePolicyDocument",),
}


@dataclass(frozen=True)
class UnsupportedKey:
    stack: str
    logical_id: str
    sid: str | None
    action: str
    key: str

    def __str__(self) -> str:
        return (
            f"{self.stack}/{self.logical_id} statement {self.sid or '(no Sid)'}: "
            f"{self.action} does not support condition key {self.key}"
        )


def policy_statements(templates: Mapping[str, dict]) -> Iterator[tuple[str, str, dict]]:
    """(stack, logical id, statement) of every policy document in ``templates``, including
    the roles' inline policies."""
    for stack, template in templates.items():
        for logical_id, resource in template.get("Resources", {}).items():
            props = resource.get("Properties", {})
            documents = [props.get(name) for name in POLICY_DOCUMENTS.get(resource["Type"], ())]
            if resource["Type"] == "AWS::IAM::Role":
                documents += [p.get("PolicyDocument") for p in props.get("Policies", [])]
            for document in documents:
                if not document:
                    continue
                statements = document["Statement"]
                for statement in statements if isinstance(statements, list) else [statements]:
                    yield stack, logical_id, statement


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


@functools.cache
def _service_actions(service: str) -> tuple[str, ...]:
    return tuple(get_actions_for_service(service))


def expand(action_pattern: str) -> list[str]:
    """The actions of the database an action pattern names (``svc:Name`` or with wildcards)."""
    service, _, name = action_pattern.partition(":")
    if "*" not in name and "?" not in name:
        return [action_pattern]
    pattern = f"{service}:{name}".lower()
    return [a for a in _service_actions(service.lower()) if fnmatch.fnmatchcase(a.lower(), pattern)]


@functools.cache
def _action_key_patterns(action: str) -> tuple[re.Pattern, ...] | None:
    """Regexes of the condition keys ``action`` supports; None if the database has no action
    of that name."""
    service, _, name = action.partition(":")
    try:
        rows = get_action_data(service.lower(), name)
    except Exception:  # policy_sentry raises for unknown services
        return None
    rows = rows.get(service.lower()) if isinstance(rows, dict) else None
    if not rows:
        return None
    keys = {key for row in rows for key in row["condition_keys"]}
    return tuple(_key_regex(key) for key in sorted(keys))


def _key_regex(key: str) -> re.Pattern:
    # ${TagKey}, ${EncryptionContextKey}, <key>: any non-empty suffix.
    parts = re.split(r"\$\{[^}]+\}|<[^>]+>", key)
    return re.compile(".+".join(re.escape(part) for part in parts) + "$", re.IGNORECASE)


def is_global(key: str) -> bool:
    lowered = key.lower()
    return lowered in GLOBAL_KEYS or lowered.startswith(GLOBAL_KEY_PREFIXES)


def supports(action_pattern: str, key: str) -> bool:
    """Whether at least one action ``action_pattern`` names supports ``key``."""
    if is_global(key):
        return True
    for action in expand(action_pattern):
        patterns = _action_key_patterns(action)
        if patterns and any(pattern.match(key) for pattern in patterns):
            return True
    return False


def unknown_actions(templates: Mapping[str, dict]) -> list[str]:
    """Action patterns that name no action of the database (a misspelt action)."""
    found = set()
    for _, _, statement in policy_statements(templates):
        for action in _as_list(statement.get("Action", [])):
            if action == "*":
                continue
            expanded = expand(action)
            if not expanded or _action_key_patterns(expanded[0]) is None:
                found.add(action)
    return sorted(found)


def unsupported_keys(
    templates: Mapping[str, dict], *, accepted: Mapping[tuple[str, str], str] | None = None
) -> list[UnsupportedKey]:
    """Every (action, condition key) pair no action of the pattern supports, except the pairs
    in ``accepted`` ((action pattern, key) -> the documented reason)."""
    accepted = accepted or {}
    found = []
    for stack, logical_id, statement in policy_statements(templates):
        keys = [key for block in statement.get("Condition", {}).values() for key in block]
        for action in _as_list(statement.get("Action", [])):
            for key in keys:
                if (action, key) in accepted or supports(action, key):
                    continue
                found.append(UnsupportedKey(stack, logical_id, statement.get("Sid"), action, key))
    return found
