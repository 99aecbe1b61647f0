"""apply_compliance_packs: every pack, reports, and a build that fails on any finding."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from cdk_nag import NagMessageLevel, NagRuleCompliance

from policies.nag import (
    AWS_SOLUTIONS_PACK,
    CUSTOM_PACKS,
    HIPAA_PACK,
    NIST_PACK,
    PACK_NAMES,
    SERVERLESS_PACK,
    ProjectPacks,
    StrictNagAspect,
    apply_compliance_packs,
)
from policies.nag.base import ProjectNagPack, Rule
from policies.nag.findings import nag_findings, validation_report_findings
from policies.nag.strict import STRICT_MARKER
from tests.unit.policies.nag_evaluation import NagRecorder, evaluate

REPO_ROOT = Path(__file__).resolve().parents[3]
CDK_CLI = REPO_ROOT / "node_modules" / ".bin" / "cdk"
STOCK_PACK_NAMES = (AWS_SOLUTIONS_PACK, HIPAA_PACK, NIST_PACK, SERVERLESS_PACK)


def test_all_stock_and_custom_packs_are_applied_then_the_strict_aspect():
    app = cdk.App(builtin_cloud_formation_validation=False)
    packs = apply_compliance_packs(app)
    assert [pack.read_pack_name for pack in packs] == list(PACK_NAMES)
    # The stock packs name themselves: the constants acknowledgments build rule ids from agree.
    assert set(STOCK_PACK_NAMES) <= {pack.read_pack_name for pack in packs}
    applied = cdk.Aspects.of(app).applied
    by_aspect = {id(application.aspect): application.priority for application in applied}
    # The stock packs as Aspects of their own, the project's through one ProjectPacks Aspect.
    project = [a.aspect for a in applied if isinstance(a.aspect, ProjectPacks)]
    assert len(project) == 1
    assert {id(pack) for pack in project[0].packs} == {
        id(pack) for pack in packs if pack.read_pack_name not in STOCK_PACK_NAMES
    }
    assert len(project[0].packs) == len(PACK_NAMES) - len(STOCK_PACK_NAMES)
    stock = [pack for pack in packs if pack.read_pack_name in STOCK_PACK_NAMES]
    assert all(id(pack) in by_aspect for pack in stock)
    strict = [a for a in applied if isinstance(a.aspect, StrictNagAspect)]
    assert len(strict) == 1
    assert strict[0].priority > max(by_aspect[id(aspect)] for aspect in (*stock, project[0]))


def _mixed_app() -> cdk.App:
    """Resources for every project pack, compliant and not, in two stacks."""
    app = cdk.App(builtin_cloud_formation_validation=False)
    for name in ("First", "Second"):
        stack = cdk.Stack(app, name)
        s3.Bucket(stack, "Unversioned")
        s3.Bucket(
            stack,
            "Versioned",
            versioned=True,
            lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=cdk.Duration.days(30))],
        )
        lambda_.Function(
            stack,
            "Function",
            runtime=lambda_.Runtime.PYTHON_3_13,
            handler="index.handler",
            code=lambda_.Code.from_inline("def handler(event, context): pass"),
        ).add_to_role_policy(iam.PolicyStatement(actions=["s3:*"], resources=["*"]))
        sagemaker.CfnModel(
            stack,
            "NamedModel",
            model_name=f"{name.lower()}-model",
            execution_role_arn="arn:aws:iam::111122223333:role/serving",
            primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(image="image:1"),
        )
    return app


def test_packs_visited_through_one_aspect_report_what_they_report_alone():
    """ProjectPacks, as apply_compliance_packs uses it, changes how often CDK calls into Python,
    not what any pack concludes."""
    alone = NagRecorder()
    app = _mixed_app()
    for pack_type in CUSTOM_PACKS:
        cdk.Aspects.of(app).add(pack_type(reports=False, additional_loggers=[alone]))
    app.synth()
    together = NagRecorder()
    app = _mixed_app()
    packs = [pack_type(reports=False, additional_loggers=[together]) for pack_type in CUSTOM_PACKS]
    cdk.Aspects.of(app).add(ProjectPacks(packs))
    app.synth()

    def outcomes(recorder):
        return sorted((o.rule_id, o.path, o.outcome, o.finding_id) for o in recorder.outcomes)

    assert {o.outcome for o in alone.outcomes} >= {"COMPLIANT", "NON_COMPLIANT"}
    assert {o.rule_id.split("-")[0] for o in alone.outcomes} == {
        pack_type.PACK_NAME for pack_type in CUSTOM_PACKS
    }
    assert outcomes(together) == outcomes(alone)


@pytest.fixture(scope="module")
def lambda_app_assembly(tmp_path_factory):
    """A function without tracing: Serverless-LambdaTracing is a WARN-level stock rule."""
    app = cdk.App(
        outdir=str(tmp_path_factory.mktemp("apply")), builtin_cloud_formation_validation=False
    )
    stack = cdk.Stack(app, "ApplyTest")
    lambda_.Function(
        stack,
        "Untraced",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context): pass"),
    )
    cdk.Annotations.of(stack).add_warning_v2("test:unrelated", "The API x is deprecated.")
    apply_compliance_packs(app, reports=False)
    return app.synth()


def test_warning_level_finding_is_reported_as_an_error(lambda_app_assembly):
    tracing = [
        f for f in nag_findings(lambda_app_assembly) if f.rule_id == "Serverless-LambdaTracing"
    ]
    assert {f.level for f in tracing} == {"warning", "error"}
    assert any(STRICT_MARKER in f.message for f in tracing if f.level == "error")


def test_nag_findings_ignores_messages_that_are_not_cdk_nag_findings(lambda_app_assembly):
    all_messages = [str(m.entry.data) for s in lambda_app_assembly.stacks for m in s.messages]
    assert any("The API x is deprecated." in message for message in all_messages)
    assert not [f for f in nag_findings(lambda_app_assembly) if "The API x" in f.message]
    assert nag_findings(lambda_app_assembly, levels=("error",))  # the stack is not compliant


class _CrashingAndWarningPack(ProjectNagPack):
    PACK_NAME = "MlopsS3"  # a known pack name, so nag_findings recognises the rule IDs

    def build_rules(self):
        def crash(_resource):
            raise RuntimeError("unexpected property shape")

        return (
            Rule(
                "Crashes", "crash info", "crash explanation", frozenset({"AWS::S3::Bucket"}), crash
            ),
            Rule(
                "Warns",
                "warn info",
                "warn explanation",
                frozenset({"AWS::S3::Bucket"}),
                lambda _resource: NagRuleCompliance.NON_COMPLIANT,
                level=NagMessageLevel.WARN,
            ),
        )


@pytest.fixture(scope="module")
def crash_evaluation():
    app = cdk.App(builtin_cloud_formation_validation=False)
    s3.CfnBucket(cdk.Stack(app, "CrashTest"), "Bucket")
    return evaluate(app, [_CrashingAndWarningPack], strict=True, verbose=True)


def test_crashed_rule_is_reported_as_an_error(crash_evaluation):
    crashes = [f for f in crash_evaluation.findings() if f.rule_id == "CdkNagValidationFailure"]
    assert {f.level for f in crashes} == {"warning", "error"}
    errors = [f for f in crashes if f.level == "error"]
    assert "MlopsS3-Crashes" in errors[0].message
    assert "unexpected property shape" in errors[0].message


def test_custom_warning_rule_is_reported_as_an_error(crash_evaluation):
    warns = crash_evaluation.findings("MlopsS3-Warns")
    assert {f.level for f in warns} == {"warning", "error"}
    assert any(STRICT_MARKER in f.message for f in warns if f.level == "error")


def test_without_the_strict_aspect_a_warning_does_not_fail():
    app = cdk.App(builtin_cloud_formation_validation=False)
    s3.CfnBucket(cdk.Stack(app, "LenientTest"), "Bucket")
    lenient = evaluate(app, [_CrashingAndWarningPack], strict=False)
    assert {f.level for f in lenient.findings("MlopsS3-Warns")} == {"warning"}


def test_cli_synth_fails_on_an_unacknowledged_finding_and_writes_reports(tmp_path):
    """The real CDK CLI: an unversioned bucket must fail `cdk synth`; the reports are written."""
    (tmp_path / "app.py").write_text(
        textwrap.dedent(
            """
            import aws_cdk as cdk
            from aws_cdk import aws_s3 as s3
            from policies.nag import apply_compliance_packs

            app = cdk.App()
            s3.Bucket(cdk.Stack(app, "CliGate"), "Unversioned")
            apply_compliance_packs(app)
            app.synth()
            """
        )
    )
    (tmp_path / "cdk.json").write_text(json.dumps({"app": f"{sys.executable} app.py"}))
    environment = {
        **os.environ,
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        # The app imports the repository's policies/ package.
        "PYTHONPATH": str(REPO_ROOT),
    }
    completed = subprocess.run(
        [str(CDK_CLI), "synth", "--quiet", "--no-notices", "--no-version-reporting"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert completed.returncode != 0
    assert "MlopsS3-Versioning" in completed.stderr
    outdir = tmp_path / "cdk.out"
    for pack in (*STOCK_PACK_NAMES, "MlopsS3"):
        assert (outdir / f"{pack}--CliGate-NagReport.csv").is_file(), pack
    with (outdir / "MlopsS3--CliGate-NagReport.csv").open() as report:
        rows = list(csv.DictReader(report))
    assert {
        (row["Rule ID"], row["Resource ID"], row["Compliance"])
        for row in rows
        if row["Rule ID"] == "MlopsS3-Versioning"
    } == {("MlopsS3-Versioning", "CliGate/Unversioned/Resource", "Non-Compliant")}


def test_with_annotations_in_the_validation_report_synthesis_raises_and_lists_them(tmp_path):
    app = cdk.App(
        outdir=str(tmp_path),
        builtin_cloud_formation_validation=False,
        context={"@aws-cdk/core:annotationsInValidationReport": True},
    )
    s3.Bucket(cdk.Stack(app, "ReportTest"), "Unversioned")
    apply_compliance_packs(app, reports=False)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    findings = validation_report_findings(tmp_path)
    assert (
        "ReportTest",
        "/ReportTest/Unversioned/Resource",
        "error",
        "MlopsS3-Versioning",
    ) in {(f.stack, f.path, f.level, f.rule_id) for f in findings}
