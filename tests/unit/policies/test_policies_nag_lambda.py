"""MlopsLambda: each rule on compliant, non-compliant and not-applicable resources."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs

from policies.nag import LambdaResilienceChecks
from tests.unit.policies.nag_evaluation import evaluate

STACK = "LambdaPackTest"


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory):
    app = cdk.App(
        outdir=str(tmp_path_factory.mktemp("lambda-pack")),
        builtin_cloud_formation_validation=False,
    )
    stack = cdk.Stack(app, STACK)
    sqs.Queue(stack, "NotAFunction")

    def function(name: str, **kwargs) -> lambda_.Function:
        return lambda_.Function(
            stack,
            name,
            runtime=lambda_.Runtime.PYTHON_3_13,
            handler="index.handler",
            code=lambda_.Code.from_inline("def handler(event, context): pass"),
            **kwargs,
        )

    def retained(name: str, **kwargs) -> logs.LogGroup:
        return logs.LogGroup(stack, name, retention=logs.RetentionDays.ONE_YEAR, **kwargs)

    function("Compliant", log_group=retained("CompliantLogs"))
    function(
        "UnretainedLogs",
        log_group=logs.LogGroup(stack, "ForeverLogs", retention=logs.RetentionDays.INFINITE),
    )
    default_named = function("DefaultLogGroup")
    retained(
        "DefaultLogGroupLogs",
        log_group_name=cdk.Fn.join("", ["/aws/lambda/", default_named.function_name]),
    )
    function("FixedName", function_name="fixed-function")
    retained("FixedNameLogs", log_group_name="/aws/lambda/fixed-function")
    function("NoLogGroup")
    return evaluate(app, [LambdaResilienceChecks])


CASES = [
    ("MlopsLambda-LogRetention", "Compliant", "COMPLIANT"),
    ("MlopsLambda-LogRetention", "DefaultLogGroup", "COMPLIANT"),
    ("MlopsLambda-LogRetention", "FixedName", "COMPLIANT"),
    ("MlopsLambda-LogRetention", "UnretainedLogs", "NON_COMPLIANT"),
    # No group of its own: the groups declared for the other functions do not count.
    ("MlopsLambda-LogRetention", "NoLogGroup", "NON_COMPLIANT"),
]


@pytest.mark.parametrize(("rule_id", "function", "expected"), CASES)
def test_rule_outcome_and_annotation(evaluation, rule_id, function, expected):
    path = f"{STACK}/{function}/Resource"
    assert evaluation.outcomes(rule_id, path) == [expected]
    flagged = {finding.path.lstrip("/") for finding in evaluation.findings(rule_id)}
    assert (path in flagged) == (expected == "NON_COMPLIANT")


def test_rules_are_not_applied_to_queues_or_log_groups(evaluation):
    paths = {o.path for o in evaluation.recorder.outcomes}
    assert paths  # the pack ran
    assert not [
        p for p in paths if p.startswith((f"{STACK}/NotAFunction", f"{STACK}/CompliantLogs"))
    ]
