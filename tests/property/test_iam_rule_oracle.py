"""The least-privilege statement rule against a simple oracle (ADR 0044).

The oracle states the rule semantically over a small universe of real action names: a statement
*grants* every universe action one of its patterns matches (fnmatch, case-insensitive), or that
none of its NotAction patterns matches. Then:

- wildcard action: NotAction, or a pattern that grants every action of its service;
- wildcard resource: Resource "*" (or NotResource) while granting some action that is not on
  the allowlist (any NotAction counts as doing so);
- metric namespace: granting cloudwatch:PutMetricData without a positive namespace condition.

The generated partial wildcards each grant at least one action that is not on the allowlist
(checked below), the case in which the rule's conservative "patterns are never listed" and the
oracle's "granted set within the allowlist" coincide.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from policies.rules import iam

UNIVERSE = {
    "cloudwatch": ["PutMetricData", "GetMetricData", "PutMetricAlarm", "ListMetrics"],
    "ssm": ["PutParameter", "GetParameter", "GetParameterHistory", "DeleteParameter"],
    "s3": ["GetObject", "PutObject", "ListBucket", "PutBucketNotification"],
    "xray": [
        "PutTraceSegments",
        "PutTelemetryRecords",
        "GetSamplingRules",
        "GetSamplingTargets",
        "PutEncryptionConfig",
    ],
    "ecr": ["GetAuthorizationToken", "BatchGetImage", "GetDownloadUrlForLayer"],
    "iam": ["PassRole", "CreateRole", "ListUsers"],
}
ALL_ACTIONS = [f"{service}:{name}" for service, names in UNIVERSE.items() for name in names]
ALLOWLIST = {
    "cloudwatch:putmetricdata",
    "ecr:getauthorizationtoken",
    "xray:puttracesegments",
    "xray:puttelemetryrecords",
    "xray:getsamplingrules",
    "xray:getsamplingtargets",
}
PARTIAL_WILDCARDS = [
    "s3:Get*",
    "s3:*Object",
    "ssm:*Parameter",
    "cloudwatch:Put*",
    "cloudwatch:PutMetric*",
    "xray:Put*",
    "ecr:*Image",
    "iam:*Role",
    "ssm:GetParameter?istory",
]
POSITIVE_NAMESPACE_OPERATORS = {"stringequals", "stringequalsignorecase", "stringlike"}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _matches(pattern: str, action: str) -> bool:
    return fnmatchcase(action.lower(), pattern.lower())


def _granted_by(pattern: str) -> set[str]:
    return {action.lower() for action in ALL_ACTIONS if _matches(pattern, action)}


def _granted(statement: dict) -> set[str]:
    if statement.get("Effect") == "Deny":
        return set()
    if "NotAction" in statement:
        excluded = set().union(*(_granted_by(p) for p in _as_list(statement["NotAction"])))
        return {action.lower() for action in ALL_ACTIONS} - excluded
    return set().union(set(), *(_granted_by(p) for p in _as_list(statement.get("Action"))))


def _grants_whole_service(pattern: str) -> bool:
    if ":" not in pattern:
        return _granted_by(pattern) == {a.lower() for a in ALL_ACTIONS}
    service = pattern.split(":", 1)[0].lower()
    return all(_matches(pattern, f"{service}:{name}") for name in UNIVERSE.get(service, ["?"]))


def _restricts_namespace(condition: Any) -> bool:
    for operator, block in (condition or {}).items():
        if operator.lower() not in POSITIVE_NAMESPACE_OPERATORS:
            continue
        for key, value in block.items():
            values = _as_list(value)
            specific = all(isinstance(v, str) and v.strip("*?").strip() for v in values)
            if key.lower() == "cloudwatch:namespace" and values and specific:
                return True
    return False


def oracle(statement: dict) -> dict[str, set[str]]:
    """Violation kind -> offending subjects, computed from the statement's granted actions."""
    if statement.get("Effect") == "Deny":
        return {}
    patterns = _as_list(statement.get("Action"))
    found: dict[str, set[str]] = {}
    wildcard = {p for p in patterns if _grants_whole_service(p)}
    if "NotAction" in statement:
        wildcard.add("NotAction")
    if wildcard:
        found[iam.WILDCARD_ACTION] = wildcard
    star = "NotResource" in statement or "*" in _as_list(statement.get("Resource"))
    # ADR 0044: NotAction in an Allow counts as unlisted even when its exclusion happens to
    # cover everything (NotAction "*" grants nothing, and is still not written that way).
    if star and ("NotAction" in statement or _granted(statement) - ALLOWLIST):
        unlisted = {p for p in patterns if _granted_by(p) - ALLOWLIST}
        if "NotAction" in statement:
            unlisted.add("NotAction")
        found[iam.UNLISTED_WILDCARD_RESOURCE] = unlisted
    granted = _granted(statement)
    if "cloudwatch:putmetricdata" in granted and not _restricts_namespace(
        statement.get("Condition")
    ):
        found[iam.METRIC_NAMESPACE_MISSING] = {iam.PUT_METRIC_DATA}
    return found


def _implementation(statement: dict) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for violation in iam.statement_violations(statement):
        found.setdefault(violation.kind, set()).add(violation.subject)
    return found


case_variants = st.sampled_from([str, str.lower, str.upper])
concrete_actions = st.builds(lambda a, case: case(a), st.sampled_from(ALL_ACTIONS), case_variants)
service_wide = st.sampled_from([f"{s}:{w}" for s in UNIVERSE for w in ("*", "**", "?*")] + ["*"])
action_patterns = st.one_of(
    concrete_actions,
    concrete_actions,
    service_wide,
    st.sampled_from(PARTIAL_WILDCARDS),
)
resources = st.sampled_from(
    [
        "*",
        "arn:aws:s3:::models/*",
        "arn:aws:ssm:us-east-1:111122223333:parameter/sentiment_model/latest_object_key",
        {"Fn::GetAtt": ["FailureQueue", "Arn"]},
    ]
)
conditions = st.sampled_from(
    [
        None,
        {"StringEquals": {"cloudwatch:namespace": "ModelRegistration"}},
        {"StringEqualsIgnoreCase": {"CloudWatch:Namespace": ["ModelRegistration", "Other"]}},
        {"StringLike": {"cloudwatch:namespace": "Model*"}},
        {"StringLike": {"cloudwatch:namespace": "*"}},
        {"StringEquals": {"cloudwatch:namespace": []}},
        {"StringNotEquals": {"cloudwatch:namespace": "ModelRegistration"}},
        {"StringEqualsIfExists": {"cloudwatch:namespace": "ModelRegistration"}},
        {"StringEquals": {"aws:RequestedRegion": "us-east-1"}},
    ]
)


def _one_or_many(elements: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(elements, st.lists(elements, min_size=1, max_size=4))


@st.composite
def statements(draw) -> dict:
    statement: dict[str, Any] = {}
    effect = draw(st.sampled_from(["Allow", "Allow", "Deny", None]))
    if effect is not None:
        statement["Effect"] = effect
    action_key = draw(st.sampled_from(["Action", "Action", "Action", "NotAction"]))
    statement[action_key] = draw(_one_or_many(action_patterns))
    resource_key = draw(st.sampled_from(["Resource", "Resource", "Resource", "NotResource"]))
    statement[resource_key] = draw(_one_or_many(resources))
    condition = draw(conditions)
    if condition is not None:
        statement["Condition"] = condition
    return statement


def test_every_generated_partial_wildcard_grants_an_unlisted_action():
    for pattern in PARTIAL_WILDCARDS:
        assert _granted_by(pattern) - ALLOWLIST, pattern
        assert not _grants_whole_service(pattern), pattern


def test_oracle_allowlist_is_the_rules_allowlist():
    assert {action.lower() for action in iam.WILDCARD_RESOURCE_ACTIONS} == ALLOWLIST


# A pure function: a wider search than the profile's default costs well under a second.
@settings(max_examples=400)
@given(statements())
def test_statement_violations_agree_with_the_oracle(statement):
    assert _implementation(statement) == oracle(statement)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                ["Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"]
            )
            | st.text(max_size=6),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@given(json_values)
def test_malformed_statements_never_crash_the_rule(value):
    # A crash would surface as CdkNagValidationFailure; the rule must answer instead.
    assert isinstance(iam.statement_violations(value), list)
