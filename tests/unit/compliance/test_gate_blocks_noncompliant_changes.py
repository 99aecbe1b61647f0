"""Deliberately non-compliant changes fail both gates: cdk-nag (synthesis) and checkov.

One app holds one stack per change, each otherwise identical to the real one, plus an unchanged
Lambda stack as the control; it is synthesized once with the app's feature flags (so the
findings make ``app.synth()`` raise, as they make ``cdk synth`` fail) and checkov runs once over
its templates and the real app's. Changes are made the way a developer would: through the L2
API or an L1 attribute (cdk-nag does not see ``add_property_override``, ADR-0042).
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from pathlib import Path

import pytest
from aws_cdk import aws_iam as iam

from cdk_exercise_stacks.lambda_functions import LambdaStack
from cdk_exercise_stacks.s3 import S3Stack
from cdk_exercise_stacks.sagemaker_endpoints import SentimentEndpointStack
from config import constants
from policies.nag import apply_compliance_packs
from policies.nag.findings import validation_report_findings
from tests.cdk_apps import cli_like_app

REPO_ROOT = Path(__file__).resolve().parents[3]
CHECKOV = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"
CONTROL = "control-lambda"
REAL_APP_PREFIX = "app--"
# An instance type without instance storage: a volume KMS key is possible, so required. The
# stack sets one (ADR-0048); the change removes it.
EBS_ONLY_INSTANCE = "ml.m5.xlarge"

# Stack -> the (rule, finding) pairs cdk-nag must report for it, and nothing else.
EXPECTED_NAG = {
    "versioning-off": {
        ("MlopsS3-Versioning", ""),
        ("HIPAA.Security-S3BucketVersioningEnabled", ""),
        ("NIST.800.53.R5-S3BucketVersioningEnabled", ""),
    },
    "ssm-put-on-star": {
        # AwsSolutions-IAM5's acknowledged Resource::* (PutMetricData) would hide it: the
        # project's rule names the action.
        ("MlopsIAM-WildcardResourceAllowlist", "WildcardResource::ssm:PutParameter"),
    },
    "key-policy-kms-star": {
        # A resource policy: only the project's rule reads key policies (ADR-0044).
        ("MlopsIAM-NoWildcardAction", "WildcardAction::kms:*"),
    },
    # The stock packs' own rules: the project's copies of them are gone (ADR-0042).
    "no-tls-policy": {
        ("AwsSolutions-S10", ""),
        ("HIPAA.Security-S3BucketSSLRequestsOnly", ""),
        ("NIST.800.53.R5-S3BucketSSLRequestsOnly", ""),
    },
    "no-on-failure-destination": {("Serverless-LambdaAsyncFailureDestination", "")},
    "volume-key-removed": {
        ("HIPAA.Security-SageMakerEndpointConfigurationKMSKeyConfigured", ""),
        ("NIST.800.53.R5-SageMakerEndpointConfigurationKMSKeyConfigured", ""),
    },
}
# Stack -> (check, resource type) checkov must fail on it. Stock checkov has no CloudFormation
# check for an endpoint configuration's KMS key, a TLS-only bucket policy or an on-failure
# destination, so those changes are cdk-nag's alone (the project's checkov copies of the last
# two went with the cdk-nag rules they mirrored, which repeated stock rules; ADR-0042).
EXPECTED_CHECKOV = {
    "versioning-off": {("CKV_AWS_21", "AWS::S3::Bucket"), ("CKV_MLOPS_10", "AWS::S3::Bucket")},
    "ssm-put-on-star": {
        ("CKV_MLOPS_2", "AWS::IAM::ManagedPolicy"),
        ("CKV_AWS_111", "AWS::IAM::ManagedPolicy"),  # write access without constraints
    },
    "key-policy-kms-star": {("CKV_MLOPS_1", "AWS::KMS::Key")},
    "no-tls-policy": set(),
    "no-on-failure-destination": set(),
    "volume-key-removed": set(),
}


def _model_bucket(stack: S3Stack):
    return stack.bucket


def _break_versioning(stack: S3Stack) -> None:
    _model_bucket(stack).node.default_child.versioning_configuration = None


def _drop_tls_policy(stack: S3Stack) -> None:
    bucket = _model_bucket(stack)
    assert bucket.node.try_remove_child("Policy"), "the model bucket had no policy to drop"


def _grant_put_parameter_on_star(stack: LambdaStack) -> None:
    registration = stack.node.find_child("ModelRegistration")
    registration.policy.add_statements(
        iam.PolicyStatement(actions=["ssm:PutParameter"], resources=["*"])
    )


def _grant_kms_star_in_the_key_policy(stack: LambdaStack) -> None:
    # What CDK's default key policy holds (ADR-0049 replaced it): kms:* for the account.
    stack.operations_key.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.AccountRootPrincipal()], actions=["kms:*"], resources=["*"]
        )
    )


def _drop_volume_key(stack: SentimentEndpointStack) -> None:
    assert stack.endpoint_config.kms_key_id is not None, "the EBS-only instance had no key"
    stack.endpoint_config.kms_key_id = None


def _drop_on_failure_destination(stack: LambdaStack) -> None:
    invoke_config = stack.lambda_function.node.find_child("EventInvokeConfig")
    invoke_config.node.default_child.destination_config = None


@pytest.fixture(scope="module")
def gated(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("noncompliant")
    app = cli_like_app(outdir)
    control = LambdaStack(app, CONTROL)

    _grant_put_parameter_on_star(LambdaStack(app, "ssm-put-on-star"))
    _drop_on_failure_destination(LambdaStack(app, "no-on-failure-destination"))
    _grant_kms_star_in_the_key_policy(LambdaStack(app, "key-policy-kms-star"))
    _break_versioning(S3Stack(app, "versioning-off", lambda_stack=control))
    _drop_tls_policy(S3Stack(app, "no-tls-policy", lambda_stack=control))
    _drop_volume_key(
        SentimentEndpointStack(
            app,
            "volume-key-removed",
            ssm_parameter_model_s3=constants.SSM_PARAMETER_MODEL,
            mode_image=constants.SAGEMAKER_CPU_MODEL_IMAGE,
            model_instance=EBS_ONLY_INSTANCE,
            tags={"key": "key", "value": "value"},
        )
    )
    apply_compliance_packs(app)

    with pytest.raises(RuntimeError, match="ValidationFailed") as failure:
        app.synth()
    findings = defaultdict(set)
    for finding in validation_report_findings(outdir):
        findings[finding.stack].add((finding.rule_id, finding.finding_id))
    return {"outdir": Path(outdir), "findings": findings, "failure": str(failure.value)}


def test_synthesis_fails(gated):
    assert "ValidationFailed" in gated["failure"]


def test_the_unchanged_stack_has_no_finding(gated):
    # The control: the findings below come from the changes, not from the baseline. The real
    # app (tests/unit/compliance/test_app_compliance.py) and the CPU app with its volume key
    # (tests/unit/stacks/serving/test_serving_context_app.py) are the controls of the endpoint
    # change.
    assert gated["findings"][CONTROL] == set()


@pytest.mark.parametrize("stack", sorted(EXPECTED_NAG))
def test_each_change_yields_its_specific_nag_findings(gated, stack):
    assert gated["findings"][stack] == EXPECTED_NAG[stack]


# -- checkov: one run over the changed stacks and the real app ------------------------------


def _checkov_gate():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "checkov_gate", REPO_ROOT / "scripts" / "checkov_gate.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def checkov_run(gated, synthesized_app, tmp_path_factory):
    if not CHECKOV.is_file():
        pytest.fail(f"{CHECKOV} missing: run `make .venv-checkov/.stamp` (make test does)")
    scanned = tmp_path_factory.mktemp("checkov-in")
    for template in gated["outdir"].glob("*.template.json"):
        shutil.copy(template, scanned / template.name)
    real = Path(synthesized_app.directory)
    for template in real.glob("*.template.json"):
        shutil.copy(template, scanned / f"{REAL_APP_PREFIX}{template.name}")
    reports = tmp_path_factory.mktemp("checkov-reports")
    gate = _checkov_gate()
    exit_code = gate.run_gate(scanned, reports)
    report = json.loads((reports / gate.JSON_REPORT).read_text(encoding="utf-8"))
    failed = defaultdict(set)
    for section in report if isinstance(report, list) else [report]:
        for result in section["results"]["failed_checks"]:
            stack = Path(result["file_path"]).name.removesuffix(".template.json")
            failed[stack].add((result["check_id"], result["resource"].split(".")[0]))
    return {"exit_code": exit_code, "failed": failed, "passed": gate.PASSED}


def test_checkov_gate_fails_on_the_changed_templates(checkov_run):
    assert checkov_run["exit_code"] != checkov_run["passed"]


@pytest.mark.parametrize("stack", sorted(EXPECTED_CHECKOV))
def test_each_change_fails_its_checkov_check(checkov_run, stack):
    assert checkov_run["failed"][stack] == EXPECTED_CHECKOV[stack]


def test_checkov_passes_the_unchanged_stack_and_the_real_app(checkov_run):
    clean = [CONTROL] + [
        f"{REAL_APP_PREFIX}{name}"
        for name in (
            constants.LAMBDA_STACK_NAME,
            constants.S3_STACK_NAME,
            constants.SAGEMAKER_STACK_NAME,
        )
    ]
    assert {stack: checkov_run["failed"][stack] for stack in clean} == {s: set() for s in clean}
