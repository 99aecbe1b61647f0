"""The generated access report (scripts/access_report.py, docs/access.md).

- the committed docs/access.md is what the synthesized app gives (run `make access-report`);
- the intrinsic-function resolver renders templates readably, and rejects what it cannot read;
- the answers are derived from the statements: small hand-made templates, a compliant and a bad
  case each (a bucket policy that denies every uploader but one, and none at all...).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from scripts import access_report as report

REPO = Path(__file__).resolve().parents[2]

ACCOUNT = "${AWS::AccountId}"
REGION = "${AWS::Region}"


# ---------------------------------------------------------------------------------------------
# The committed report
# ---------------------------------------------------------------------------------------------
def test_committed_report_is_what_the_templates_give(templates):
    committed = (REPO / "docs" / "access.md").read_text(encoding="utf-8")
    assert committed == report.render_report(templates), (
        "docs/access.md is stale: run make access-report and commit the result"
    )


def test_report_does_not_depend_on_the_order_of_resources_or_stacks(templates):
    shuffled = {
        stack: {**template, "Resources": dict(reversed(template["Resources"].items()))}
        for stack, template in reversed(templates.items())
    }
    assert report.render_report(shuffled) == report.render_report(templates)


def test_report_is_short_and_carries_no_dates_or_asset_hashes(templates):
    text = report.render_report(templates)
    assert len(text.encode()) < 40_000
    assert not re.search(r"\b[0-9a-f]{64}\b", text)
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", text)


def test_every_cited_source_is_listed_and_every_listed_source_cited(templates):
    text = report.render_report(templates)
    body, _, sources = text.partition("## 3. Sources")
    cited = set(re.findall(r"\[([A-Z][A-Z-]+)\]", body))
    listed = set(
        re.findall(r"^- \[([A-Z][A-Z-]+)\] <https://docs\.aws\.amazon\.com/", sources, re.M)
    )
    assert cited == listed
    assert cited <= set(report.SOURCES)


def test_cdk_role_conventions_match_the_installed_cdk():
    import aws_cdk

    synthesizer = aws_cdk.DefaultStackSynthesizer
    assert synthesizer.DEFAULT_DEPLOY_ROLE_ARN.endswith(f":role/{report.CDK_DEPLOY_ROLE}")
    assert synthesizer.DEFAULT_CLOUDFORMATION_ROLE_ARN.endswith(
        f":role/{report.CDK_EXECUTION_ROLE}"
    )
    parameter = synthesizer.DEFAULT_BOOTSTRAP_STACK_VERSION_SSM_PARAMETER.replace(
        "${Qualifier}", "abc123"
    )
    template = {"Parameters": {"BootstrapVersion": {"Default": parameter}}}
    assert report.bootstrap_qualifier(template) == "abc123"


def test_check_mode_fails_on_a_stale_report_and_passes_on_a_current_one(tmp_path):
    cdk_out = tmp_path / "cdk.out"
    cdk_out.mkdir()
    (cdk_out / "only-stack.template.json").write_text(json.dumps(uploads_template()))
    output = tmp_path / "access.md"
    output.write_text("stale\n")
    arguments = ["--cdk-out", str(cdk_out), "--output", str(output)]
    assert report.main([*arguments, "--check"]) == 1
    assert report.main(arguments) == 0
    assert report.main([*arguments, "--check"]) == 0
    assert "### Stack `only-stack`" in output.read_text()


def test_missing_templates_are_a_usage_error_naming_the_directory(tmp_path, capsys):
    assert report.main(["--cdk-out", str(tmp_path), "--output", str(tmp_path / "a.md")]) == 2
    assert str(tmp_path) in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# The intrinsic-function resolver
# ---------------------------------------------------------------------------------------------
def resolver_for(resources: dict, **template: Any) -> report.Resolver:
    return report.Resolver("demo-stack", {"Resources": resources, **template})


BUCKET = {
    "Type": "AWS::S3::Bucket",
    "Properties": {
        "BucketName": {
            "Fn::Join": [
                "",
                ["cdk-exercise-bucket-", {"Ref": "AWS::AccountId"}, "-", {"Ref": "AWS::Region"}],
            ]
        }
    },
}


def test_named_bucket_arn_reads_as_the_documentation_writes_it():
    resolver = resolver_for({"Models": BUCKET})
    value = {"Fn::Join": ["", [{"Fn::GetAtt": ["Models", "Arn"]}, "/models/*"]]}
    assert resolver.text(value) == (f"arn:aws:s3:::cdk-exercise-bucket-{ACCOUNT}-{REGION}/models/*")
    assert resolver.text({"Ref": "Models"}) == f"cdk-exercise-bucket-{ACCOUNT}-{REGION}"


def test_unnamed_resources_read_as_their_logical_ids():
    resolver = resolver_for({"Queue": {"Type": "AWS::SQS::Queue", "Properties": {}}})
    assert resolver.text({"Ref": "Queue"}) == "<Queue>"
    assert resolver.text({"Fn::GetAtt": ["Queue", "Arn"]}) == "<Queue.Arn>"
    assert resolver.text({"Fn::GetAtt": "Queue.QueueName"}) == "<Queue.QueueName>"


def test_sub_replaces_pseudo_parameters_resources_variables_and_keeps_escapes():
    resolver = resolver_for({"Models": BUCKET})
    value = {
        "Fn::Sub": [
            "arn:${AWS::Partition}:s3:::${Models}/${Prefix}/${!Literal}",
            {"Prefix": {"Fn::Join": ["-", ["a", "b"]]}},
        ]
    }
    assert resolver.text(value) == (
        f"arn:aws:s3:::cdk-exercise-bucket-{ACCOUNT}-{REGION}/a-b/${{Literal}}"
    )
    assert resolver.text({"Fn::Sub": "${Models.Arn}"}).startswith("arn:aws:s3:::cdk-exercise")


def test_parameters_read_as_ssm_names_or_placeholders():
    resolver = resolver_for(
        {},
        Parameters={
            "ModelKey": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/model/key"},
            "Stage": {"Type": "String", "Default": "prod"},
        },
    )
    assert resolver.text({"Ref": "ModelKey"}) == "${ssm:/model/key}"
    assert resolver.text({"Ref": "Stage"}) == "${Stage}"


def test_find_in_map_looks_up_literal_keys_and_names_deploy_time_ones():
    mappings = {"Registry": {"eu-west-1": {"account": "111"}, "us-east-1": {"account": "222"}}}
    same = {"Same": {"eu-west-1": {"account": "333"}, "us-east-1": {"account": "333"}}}
    resolver = resolver_for({}, Mappings={**mappings, **same})
    assert resolver.text({"Fn::FindInMap": ["Registry", "us-east-1", "account"]}) == "222"
    by_region = {"Fn::FindInMap": ["Registry", {"Ref": "AWS::Region"}, "account"]}
    assert resolver.text(by_region) == f"<Registry[{REGION}][account]>"
    assert resolver.text({"Fn::FindInMap": ["Same", {"Ref": "AWS::Region"}, "account"]}) == "333"


def test_import_value_resolves_through_the_exporting_stack_of_the_app():
    exporter = {
        "Resources": {"Models": BUCKET},
        "Outputs": {
            "BucketArn": {
                "Value": {"Fn::GetAtt": ["Models", "Arn"]},
                "Export": {"Name": "exporter:BucketArn"},
            }
        },
    }
    resolvers = report.build_resolvers({"exporter": exporter, "importer": {"Resources": {}}})
    importer = resolvers["importer"]
    assert importer.text({"Fn::ImportValue": "exporter:BucketArn"}) == (
        f"arn:aws:s3:::cdk-exercise-bucket-{ACCOUNT}-{REGION}"
    )
    assert importer.text({"Fn::ImportValue": "elsewhere:Thing"}) == "<import elsewhere:Thing>"
    assert importer.reference_target({"Fn::ImportValue": "exporter:BucketArn"})[1] == "Models"


def test_stack_pseudo_parameters_and_sagemaker_names():
    endpoint = {
        "Type": "AWS::SageMaker::Endpoint",
        "Properties": {"EndpointName": {"Fn::Sub": "My-Endpoint-${AWS::Region}"}},
    }
    resolver = resolver_for({"Endpoint": endpoint})
    assert resolver.text({"Ref": "AWS::StackId"}) == (
        f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/demo-stack/*"
    )
    # SageMaker writes names in lower case in ARNs; the placeholders stay as they are.
    assert resolver.text({"Ref": "Endpoint"}) == (
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/my-endpoint-{REGION}"
    )
    assert resolver.text({"Fn::GetAtt": ["Endpoint", "EndpointName"]}) == f"My-Endpoint-{REGION}"


def test_no_value_drops_the_item():
    resolver = resolver_for({})
    assert resolver.resolve(["a", {"Ref": "AWS::NoValue"}, "b"]) == ["a", "b"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"Fn::Bogus": "x"}, "unknown intrinsic function Fn::Bogus"),
        ({"Ref": "Missing"}, "Ref to 'Missing'"),
        ({"Fn::GetAtt": ["Missing", "Arn"]}, "Fn::GetAtt of 'Missing'"),
        ({"Fn::FindInMap": ["NoMap", "k", "v"]}, "'NoMap', not a mapping"),
    ],
)
def test_resolver_rejects_what_it_cannot_read_naming_the_stack(value, message):
    with pytest.raises(report.TemplateError, match=re.escape(message)) as raised:
        resolver_for({}).text(value)
    assert "demo-stack" in str(raised.value)


def test_a_statement_without_action_is_rejected_naming_its_policy():
    document = {"Statement": [{"Effect": "Allow", "Resource": "*"}]}
    with pytest.raises(report.TemplateError, match=r"demo-stack/Policy: statement 0"):
        report.parse_policy(resolver_for({}), document, "demo-stack/Policy")


def test_action_and_resource_wildcards():
    assert report.action_matches("S3:put*", "s3:PutObject")
    assert not report.action_matches("s3:Get*", "s3:PutObject")
    assert report.patterns_overlap("arn:aws:s3:::b/*", "arn:aws:s3:::b/models/*.tar.gz")
    assert report.patterns_overlap("*", "arn:aws:ssm:r:a:parameter/x")
    assert report.patterns_overlap("arn:aws:s3:::b/models/*", "arn:aws:s3:::b/*.tar.gz")
    assert not report.patterns_overlap("arn:aws:s3:::b/logs/*", "arn:aws:s3:::b/models/*")


# ---------------------------------------------------------------------------------------------
# Answers derived from small hand-made templates
# ---------------------------------------------------------------------------------------------
def trust(principal: dict) -> dict:
    return {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": principal}]}


def role(name: str | None, principal: dict) -> dict:
    properties: dict[str, Any] = {"AssumeRolePolicyDocument": trust(principal)}
    if name:
        properties["RoleName"] = name
    return {"Type": "AWS::IAM::Role", "Properties": properties}


def managed_policy(roles: list[str], *statements: dict) -> dict:
    return {
        "Type": "AWS::IAM::ManagedPolicy",
        "Properties": {
            "PolicyDocument": {"Statement": list(statements)},
            "Roles": [{"Ref": r} for r in roles],
        },
    }


MODELS_OBJECTS = {"Fn::Sub": "arn:${AWS::Partition}:s3:::models-${AWS::AccountId}/models/*"}
ACCOUNT_ROOT = {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}


def uploads_template(*bucket_policy: dict) -> dict:
    """A bucket whose uploads under models/ start a function; two roles may upload."""
    resources: dict[str, Any] = {
        "Models": {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "BucketName": {"Fn::Sub": "models-${AWS::AccountId}"},
                "NotificationConfiguration": {
                    "LambdaConfigurations": [
                        {
                            "Event": "s3:ObjectCreated:*",
                            "Filter": {
                                "S3Key": {"Rules": [{"Name": "prefix", "Value": "models/"}]}
                            },
                            "Function": {"Fn::GetAtt": ["Register", "Arn"]},
                        }
                    ]
                },
            },
        },
        "Register": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "FunctionName": "register",
                "Role": {"Fn::GetAtt": ["RegisterRole", "Arn"]},
            },
        },
        "RegisterRole": role(None, {"Service": "lambda.amazonaws.com"}),
        "Uploader": role("uploader", ACCOUNT_ROOT),
        "Intruder": role("intruder", ACCOUNT_ROOT),
        "UploadPolicy": managed_policy(
            ["Uploader", "Intruder"],
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": MODELS_OBJECTS},
        ),
    }
    if bucket_policy:
        resources["ModelsPolicy"] = {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": "Models"},
                "PolicyDocument": {"Statement": list(bucket_policy)},
            },
        }
    return {
        "Parameters": {
            "BootstrapVersion": {"Type": "String", "Default": "/cdk-bootstrap/q1/version"}
        },
        "Resources": resources,
    }


def answers_of(templates: dict) -> dict[str, report.Answer]:
    return {answer.key: answer for answer in report.derive_answers(report.collect(templates))}


DENY_ALL_BUT_UPLOADER = {
    "Effect": "Deny",
    "Principal": {"AWS": "*"},
    "Action": "s3:PutObject",
    "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::models-${AWS::AccountId}/*"},
    "Condition": {"ArnNotEquals": {"aws:PrincipalArn": {"Fn::GetAtt": ["Uploader", "Arn"]}}},
}
UPLOADER_ARN = f"arn:aws:iam::{ACCOUNT}:role/uploader"


def test_bucket_policy_denying_all_but_one_uploader_narrows_who_can_publish():
    (part,) = answers_of({"app": uploads_template(DENY_ALL_BUT_UPLOADER)})["publish-model"].parts
    assert part.resource == f"arn:aws:s3:::models-{ACCOUNT}/models/*"
    assert part.implicit.only == (
        report.Condition("ArnEquals", "aws:PrincipalArn", (UPLOADER_ARN,)),
    )
    refused = {grant.principal: grant.refused_by for grant in part.grants}
    assert refused == {
        "role `Intruder` (app)": "app/ModelsPolicy",
        "role `Uploader` (app)": "",
    }
    assert part.resource_policies == ("app/ModelsPolicy",)


def test_without_a_bucket_policy_any_principal_iam_allows_can_publish():
    answer = answers_of({"app": uploads_template()})["publish-model"]
    (part,) = answer.parts
    assert part.implicit.only is None
    assert not part.implicit.nobody
    assert part.resource_policies == ()
    assert [grant.refused_by for grant in part.grants] == ["", ""]
    # The implicit answer names the CDK execution role of the stack's bootstrap qualifier.
    assert any("cdk-q1-cfn-exec-role-" in note for note in answer.notes)


def test_a_tls_only_deny_restricts_how_not_who():
    tls_only = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::models-${AWS::AccountId}/*"},
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    (part,) = answers_of({"app": uploads_template(tls_only)})["publish-model"].parts
    assert part.implicit.only is None
    assert part.implicit.request_conditions == (
        (report.Condition("Bool", "aws:SecureTransport", ("false",)),),
    )


def test_conditions_of_one_deny_must_all_hold_and_read_so():
    """A Deny with two conditions refuses only when both hold: the report must say "and", not
    list them as separate refusals (which would read as: every object creation is refused)."""
    write_once = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": MODELS_OBJECTS,
        "Condition": {
            "Null": {"s3:if-none-match": "true"},
            "Bool": {"s3:ObjectCreationOperation": "true"},
        },
    }
    templates = {"app": uploads_template(write_once)}
    (part,) = answers_of(templates)["publish-model"].parts
    assert len(part.implicit.request_conditions) == 1
    assert {c.key for c in part.implicit.request_conditions[0]} == {
        "s3:if-none-match",
        "s3:ObjectCreationOperation",
    }
    text = report.render_report(templates)
    assert (
        "when `s3:if-none-match` Null `true` and `s3:ObjectCreationOperation` Bool `true`" in text
        or "when `s3:ObjectCreationOperation` Bool `true` and `s3:if-none-match` Null `true`"
        in text
    )


def test_a_deny_without_condition_keeps_everyone_out():
    deny_all = {"Effect": "Deny", "Principal": "*", "Action": "s3:Put*", "Resource": MODELS_OBJECTS}
    (part,) = answers_of({"app": uploads_template(deny_all)})["publish-model"].parts
    assert part.implicit.nobody
    assert all(grant.refused_by == "app/ModelsPolicy" for grant in part.grants)


def test_no_upload_notification_means_no_publish_target():
    template = uploads_template()
    del template["Resources"]["Models"]["Properties"]["NotificationConfiguration"]
    answer = answers_of({"app": template})["publish-model"]
    assert answer.parts == ()
    assert "No bucket of this app starts a function" in answer.absent


def parameter_template(*statements: dict) -> dict:
    return {
        "Parameters": {
            "ModelKey": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/model/key"},
            "BootstrapVersion": {
                "Type": "AWS::SSM::Parameter::Value<String>",
                "Default": "/cdk-bootstrap/q1/version",
            },
        },
        "Resources": {
            "Writer": role("writer", ACCOUNT_ROOT),
            "WriterPolicy": managed_policy(["Writer"], *statements),
        },
    }


def test_parameter_writers_are_found_through_wildcards_and_readers_are_not():
    writes = {
        "Effect": "Allow",
        "Action": "ssm:Put*",
        "Resource": {
            "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}"
            ":parameter/model/*"
        },
    }
    answer = answers_of({"app": parameter_template(writes)})["write-parameter"]
    (part,) = answer.parts  # the bootstrap version parameter is not a model parameter
    assert part.resource == f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/model/key"
    assert [grant.principal for grant in part.grants] == ["role `Writer` (app)"]
    assert any("[SSM-RESOURCE-POLICY]" in note for note in answer.notes)

    reads = {**writes, "Action": "ssm:GetParameter"}
    (part,) = answers_of({"app": parameter_template(reads)})["write-parameter"].parts
    assert part.grants == ()


def test_registry_question_without_a_model_package_group_names_no_principal_of_this_app():
    answer = answers_of({"app": parameter_template()})["approve-model"]
    assert answer.parts == ()
    assert answer.absent.startswith("No principal of this app")


def test_registry_question_with_a_group_lists_who_may_update_its_packages():
    approves = {
        "Effect": "Allow",
        "Action": "sagemaker:UpdateModelPackage",
        "Resource": {
            "Fn::Sub": "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}"
            ":model-package/sentiment/*"
        },
    }
    template = parameter_template(approves)
    template["Resources"]["Registry"] = {
        "Type": "AWS::SageMaker::ModelPackageGroup",
        "Properties": {"ModelPackageGroupName": "Sentiment"},
    }
    (part,) = answers_of({"app": template})["approve-model"].parts
    assert part.resource == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/sentiment/*"
    assert [grant.principal for grant in part.grants] == ["role `Writer` (app)"]


def endpoint_template(*, scalable: bool, capture: bool) -> dict:
    config: dict[str, Any] = {"ProductionVariants": []}
    if capture:
        config["DataCaptureConfig"] = {"DestinationS3Uri": "s3://capture-bucket/endpoint"}
    resources: dict[str, Any] = {
        "Config": {"Type": "AWS::SageMaker::EndpointConfig", "Properties": config},
        "Endpoint": {
            "Type": "AWS::SageMaker::Endpoint",
            "Properties": {"EndpointName": "serve", "EndpointConfigName": "x"},
        },
    }
    if scalable:
        resources["Scaling"] = {
            "Type": "AWS::ApplicationAutoScaling::ScalableTarget",
            "Properties": {
                "ResourceId": "endpoint/serve/variant/AllTraffic",
                "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
                "ServiceNamespace": "sagemaker",
                "MinCapacity": 1,
                "MaxCapacity": 4,
            },
        }
    return {"Resources": resources}


def test_scalable_target_brings_the_service_linked_role_into_the_endpoint_answer():
    scaled = answers_of({"app": endpoint_template(scalable=True, capture=False)})
    notes = " ".join(scaled["change-endpoint"].notes)
    assert report.AAS_SAGEMAKER_ROLE in notes
    assert "between 1 and 4" in notes
    unscaled = answers_of({"app": endpoint_template(scalable=False, capture=False)})
    assert report.AAS_SAGEMAKER_ROLE not in " ".join(unscaled["change-endpoint"].notes)


def test_endpoint_and_stack_updates_are_asked_about():
    updates = {
        "Effect": "Allow",
        "Action": "cloudformation:UpdateStack",
        "Resource": {"Ref": "AWS::StackId"},
        "Condition": {
            "StringEquals": {"cloudformation:RoleArn": {"Fn::GetAtt": ["Writer", "Arn"]}}
        },
    }
    template = endpoint_template(scalable=False, capture=False)
    template["Resources"].update(parameter_template(updates)["Resources"])
    endpoint, stack = answers_of({"app": template})["change-endpoint"].parts
    assert endpoint.resource == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/serve"
    assert endpoint.grants == ()
    (grant,) = stack.grants
    assert grant.conditions == (
        report.Condition(
            "StringEquals", "cloudformation:RoleArn", (f"arn:aws:iam::{ACCOUNT}:role/writer",)
        ),
    )


def test_data_capture_is_asked_about_only_when_configured():
    captured = answers_of({"app": endpoint_template(scalable=False, capture=True)})
    (part,) = captured["read-capture"].parts
    assert part.resource == "arn:aws:s3:::capture-bucket/endpoint/*"
    uncaptured = answers_of({"app": endpoint_template(scalable=False, capture=False)})
    assert uncaptured["read-capture"].parts == ()
    assert uncaptured["read-capture"].absent.startswith("Nobody")


def test_policies_attached_to_roles_outside_the_app_are_reported_with_that_role():
    template = {
        "Resources": {
            "ReadForDeploy": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {
                    "PolicyDocument": {
                        "Statement": [
                            {"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "*"}
                        ]
                    },
                    "Roles": [{"Fn::Sub": "cdk-q1-deploy-role-${AWS::AccountId}-${AWS::Region}"}],
                },
            }
        }
    }
    app = report.collect({"app": template})
    (identity,) = app.identities
    assert identity.stack is None
    assert identity.name == f"cdk-q1-deploy-role-{ACCOUNT}-{REGION}"
    assert [s.source for s in identity.statements] == ["app/ReadForDeploy"]


def _tls_deny(condition: dict) -> dict:
    return {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": MODELS_OBJECTS,
        "Condition": condition,
    }


def test_statements_differing_only_in_conditions_share_a_row_with_or():
    templates = {
        "app": uploads_template(
            _tls_deny({"Bool": {"aws:SecureTransport": "false"}}),
            _tls_deny({"NumericLessThan": {"s3:TlsVersion": "1.2"}}),
        )
    }
    rows = [line for line in report.render_report(templates).splitlines() if "| Deny |" in line]
    assert len(rows) == 1
    assert (
        "`aws:SecureTransport` Bool `false` **or** `s3:TlsVersion` NumericLessThan `1.2`"
        in (rows[0])
    )


def test_an_unconditional_statement_is_never_merged_with_a_conditional_one():
    """Merged, the unconditional Deny would read as conditional: a weaker refusal than it is."""
    unconditional = {**_tls_deny({}), "Action": "s3:*"}
    del unconditional["Condition"]
    templates = {
        "app": uploads_template(
            _tls_deny({"Bool": {"aws:SecureTransport": "false"}}), unconditional
        )
    }
    rows = [line for line in report.render_report(templates).splitlines() if "| Deny |" in line]
    assert len(rows) == 2
    assert rows[1].startswith("| ″ | Deny |"), "the policy's name stands on its first row only"
    assert "**or**" not in "".join(rows)
