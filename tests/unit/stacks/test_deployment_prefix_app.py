"""The whole app under a ``deployment_prefix`` context (ADR-0035): every colliding physical
name moves, and the names the stacks share still agree with each other."""

from __future__ import annotations

import aws_cdk as cdk
import pytest

import app as app_module
from config import constants
from config.naming import DeploymentNaming
from tests.cdk_apps import cli_like_app, templates_of
from tests.unit.stacks.stack_template_queries import (
    as_list,
    model_execution_role,
    render_join,
    resources_of_type,
    statement_with_action,
    statements_attached_to,
    the_resource,
    with_physical_names,
)

PREFIX = "it1"
NAMING = DeploymentNaming(PREFIX)


@pytest.fixture(scope="module")
def prefixed_templates(tmp_path_factory):
    # the deployed feature flags (cdk.json) plus the prefix
    app = cli_like_app(
        tmp_path_factory.mktemp("prefixed.cdk.out"),
        **{constants.DEPLOYMENT_PREFIX_CONTEXT_KEY: PREFIX},
    )
    return templates_of(app_module.build_app(app).synth())


def test_stack_names_are_prefixed(prefixed_templates):
    assert {
        NAMING.lambda_stack_name,
        NAMING.s3_stack_name,
        NAMING.sagemaker_stack_name,
    } <= set(prefixed_templates)
    assert NAMING.sagemaker_stack_name == f"{PREFIX}-{constants.SAGEMAKER_STACK_NAME}"


def test_function_and_parameter_are_prefixed(prefixed_templates):
    template = prefixed_templates[NAMING.lambda_stack_name]
    function = the_resource(template, "AWS::Lambda::Function")[1]["Properties"]
    assert function["FunctionName"] == f"{PREFIX}-{constants.LAMBDA_NAME}"
    parameter = function["Environment"]["Variables"][constants.SSM_PARAMETER_ENV_VAR]
    assert parameter == f"/{PREFIX}{constants.SSM_PARAMETER_MODEL}"
    role_id, _ = the_resource(template, "AWS::IAM::Role")
    ssm = statement_with_action(statements_attached_to(template, role_id), "ssm:PutParameter")
    assert render_join(ssm["Resource"]).endswith(f":parameter{parameter}")


def test_buckets_and_notification_target_are_prefixed(prefixed_templates):
    template = prefixed_templates[NAMING.s3_stack_name]
    names = sorted(
        render_join(b["Properties"]["BucketName"])
        for b in resources_of_type(template, "AWS::S3::Bucket").values()
    )
    assert names == sorted(
        [
            NAMING.model_bucket_name("${Ref:AWS::AccountId}", "${Ref:AWS::Region}"),
            NAMING.access_log_bucket_name("${Ref:AWS::AccountId}", "${Ref:AWS::Region}"),
        ]
    )
    assert all(name.startswith(f"{PREFIX}-") for name in names)
    permission = the_resource(template, "AWS::Lambda::Permission")[1]["Properties"]
    assert render_join(permission["FunctionName"]).endswith(f":function:{NAMING.function_name}")


def test_endpoint_reads_the_prefixed_parameter_and_bucket(prefixed_templates):
    template = prefixed_templates[NAMING.sagemaker_stack_name]
    endpoint = the_resource(template, "AWS::SageMaker::Endpoint")[1]["Properties"]
    assert endpoint["EndpointName"] == NAMING.endpoint_name
    target = the_resource(template, "AWS::ApplicationAutoScaling::ScalableTarget")[1]
    assert target["Properties"]["ResourceId"] == (
        f"endpoint/{NAMING.endpoint_name}/variant/{constants.SAGEMAKER_VARIANT_NAME}"
    )
    defaults = [
        p["Default"]
        for name, p in template["Parameters"].items()
        if name != "BootstrapVersion" and p["Type"].startswith("AWS::SSM::Parameter::Value")
    ]
    assert defaults == [NAMING.model_parameter_name]
    model = the_resource(template, "AWS::SageMaker::Model")[1]["Properties"]
    bucket = NAMING.model_bucket_name("${Ref:AWS::AccountId}", "${Ref:AWS::Region}")
    assert render_join(model["PrimaryContainer"]["ModelDataUrl"]).startswith(f"s3://{bucket}/")
    role_id, _ = model_execution_role(template)
    logs = statement_with_action(statements_attached_to(template, role_id), "logs:PutLogEvents")
    log_group = f"{constants.SAGEMAKER_ENDPOINT_LOG_GROUP_PREFIX}{NAMING.endpoint_name}"
    assert all(
        f":log-group:{log_group}" in with_physical_names(template, render_join(r))
        for r in as_list(logs["Resource"])
    )


def test_key_aliases_are_prefixed(prefixed_templates):
    aliases = {
        alias["Properties"]["AliasName"]
        for template in prefixed_templates.values()
        for alias in resources_of_type(template, "AWS::KMS::Alias").values()
    }
    assert (
        aliases
        == {NAMING.key_alias(name) for name in NAMING.key_names}
        == {
            f"alias/{PREFIX}-{constants.OPERATIONS_KEY_NAME}",
            f"alias/{PREFIX}-{constants.ENDPOINT_KEY_NAME}",
        }
    )


def test_registration_metrics_and_their_alarms_have_the_deployments_namespace(
    prefixed_templates,
):
    # The metrics carry no dimension: a shared namespace would let a test deployment's
    # rejected events page the real deployment's operators.
    template = prefixed_templates[NAMING.lambda_stack_name]
    namespace = f"{PREFIX}/{constants.MODEL_REGISTRATION_METRICS_NAMESPACE}"
    function = the_resource(template, "AWS::Lambda::Function")[1]["Properties"]
    assert function["Environment"]["Variables"][constants.METRICS_NAMESPACE_ENV_VAR] == namespace
    role_id, _ = the_resource(template, "AWS::IAM::Role")
    metrics = statement_with_action(
        statements_attached_to(template, role_id), "cloudwatch:PutMetricData"
    )
    assert metrics["Condition"] == {"StringEquals": {"cloudwatch:namespace": namespace}}
    watched = {
        alarm["Properties"]["Namespace"]
        for alarm in resources_of_type(template, "AWS::CloudWatch::Alarm").values()
    } - {"AWS/SQS"}
    assert watched == {namespace}


def test_invalid_prefix_fails_synthesis_with_the_rule():
    app = cdk.App(
        builtin_cloud_formation_validation=False,
        context={constants.DEPLOYMENT_PREFIX_CONTEXT_KEY: "Not_Valid"},
    )
    with pytest.raises(ValueError, match="deployment prefix 'Not_Valid'"):
        app_module.build_app(app)
