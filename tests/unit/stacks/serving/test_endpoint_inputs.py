"""The endpoint stack's arguments: image reference, tags, instance type. Bad input fails at
synthesis with the argument's name and the rule it broke; good variants render correctly."""

from __future__ import annotations

import aws_cdk as cdk
import pytest

from cdk_exercise_stacks.sagemaker_endpoints import CPU_SCALING_SETTINGS, SentimentEndpointStack
from cdk_exercise_stacks.serving.autoscaling import vcpus_of
from cdk_exercise_stacks.serving.image import ImageReference, parse_image_reference
from cdk_exercise_stacks.serving.tagging import tags_from_argument
from config import constants
from tests.unit.stacks.stack_template_queries import (
    model_execution_role,
    render_join,
    statement_with_action,
    statements_attached_to,
    the_resource,
)

BRIEF_IMAGE = (
    "763104351884.dkr.ecr.us-west-2.amazonaws.com/pytorch-inference:1.5.1-cpu-py36-ubuntu16.04"
)
DIGEST = "a" * 64


def _stack(**overrides) -> SentimentEndpointStack:
    arguments = {
        "ssm_parameter_model_s3": constants.SSM_PARAMETER_MODEL,
        "mode_image": constants.SAGEMAKER_MODEL_IMAGE,
        "model_instance": constants.SAGEMAKER_INSTANCE_TYPE,
        "tags": {"key": "key", "value": "value"},
        **overrides,
    }
    app = cdk.App(builtin_cloud_formation_validation=False)
    return SentimentEndpointStack(app, "endpoint-under-test", **arguments)


@pytest.fixture(scope="module")
def full_uri_stack():
    """The brief's original image (a full URI, CPU build) on the brief's GPU instance."""
    return _stack(mode_image=BRIEF_IMAGE)


# -- image reference ---------------------------------------------------------------------


def test_repository_and_tag_is_the_regional_dlc_form():
    assert parse_image_reference(constants.SAGEMAKER_MODEL_IMAGE) == ImageReference(
        repository="huggingface-pytorch-inference",
        reference=":" + constants.SAGEMAKER_MODEL_IMAGE.split(":", 1)[1],
    )


@pytest.mark.parametrize(
    ("image", "account", "region", "domain", "repository"),
    [
        (BRIEF_IMAGE, "763104351884", "us-west-2", "amazonaws.com", "pytorch-inference"),
        (
            f"727897471807.dkr.ecr.cn-north-1.amazonaws.com.cn/team/model@sha256:{DIGEST}",
            "727897471807",
            "cn-north-1",
            "amazonaws.com.cn",
            "team/model",
        ),
    ],
)
def test_full_uri_is_parsed(image, account, region, domain, repository):
    parsed = parse_image_reference(image)
    assert (parsed.account, parsed.region, parsed.domain, parsed.repository) == (
        account,
        region,
        domain,
        repository,
    )


@pytest.mark.parametrize(
    "image",
    [
        "huggingface-pytorch-inference",  # no tag: the served image would drift
        "763104351884.dkr.ecr.us-west-2.amazonaws.com/pytorch-inference",
        "Huggingface:1.0",  # ECR repositories are lower case
        "https://763104351884.dkr.ecr.us-west-2.amazonaws.com/repo:1",
        "docker.io/library/python:3.12",
        "repo:",
        "repo@sha256:short",
        "",
    ],
)
def test_invalid_image_is_rejected_naming_the_argument(image):
    with pytest.raises(ValueError, match=r"mode_image .* must be 'repository:tag'"):
        parse_image_reference(image)


def test_non_string_image_is_rejected():
    with pytest.raises(TypeError, match="mode_image must be a string"):
        parse_image_reference(None)


def test_invalid_image_fails_the_stack_before_any_resource_is_built():
    with pytest.raises(ValueError, match="mode_image"):
        _stack(mode_image="pytorch-inference")


def test_full_uri_is_used_verbatim_and_pinned_to_its_region(full_uri_stack):
    template = cdk.assertions.Template.from_stack(full_uri_stack).to_json()
    _, model = the_resource(template, "AWS::SageMaker::Model")
    assert model["Properties"]["PrimaryContainer"]["Image"] == BRIEF_IMAGE
    assert "Mappings" not in template
    rule = next(r for name, r in template["Rules"].items() if name.startswith("ModelImage"))
    assert rule["Assertions"][0]["Assert"] == {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-west-2"]}
    role_id, _ = model_execution_role(template)
    pull = statement_with_action(statements_attached_to(template, role_id), "ecr:BatchGetImage")
    assert render_join(pull["Resource"]) == (
        "arn:${Ref:AWS::Partition}:ecr:us-west-2:763104351884:repository/pytorch-inference"
    )


def test_cpu_image_on_gpu_instance_is_flagged(full_uri_stack):
    warnings = cdk.assertions.Annotations.from_stack(full_uri_stack).find_warning(
        "*", cdk.assertions.Match.string_like_regexp("CPU image on GPU instance")
    )
    assert len(warnings) == 1


def test_matching_gpu_image_raises_no_warning():
    stack = _stack()
    warnings = cdk.assertions.Annotations.from_stack(stack).find_warning(
        "*", cdk.assertions.Match.string_like_regexp("image on")
    )
    assert warnings == []


# -- tags ------------------------------------------------------------------------------------


def test_briefs_key_value_shape_is_one_tag():
    assert tags_from_argument({"key": "key", "value": "value"}) == {"key": "value"}
    assert tags_from_argument({"key": "team", "value": "nlp"}) == {"team": "nlp"}


def test_plain_mapping_is_taken_as_is():
    assert tags_from_argument({"team": "nlp", "cost-center": "42"}) == {
        "team": "nlp",
        "cost-center": "42",
    }
    assert tags_from_argument(None) == {}


@pytest.mark.parametrize(
    ("tags", "error", "message"),
    [
        ([("key", "value")], TypeError, "tags must be"),
        ("key=value", TypeError, "tags must be"),
        ({"key": "k", "value": 1}, TypeError, "strings"),
        ({"": "v"}, ValueError, "1-128"),
        ({"k" * 129: "v"}, ValueError, "1-128"),
        ({"k": "v" * 257}, ValueError, "at most 256"),
        ({"aws:owner": "me"}, ValueError, "reserved prefix"),
        ({"team": "nlp;drop"}, ValueError, "may only contain"),
    ],
)
def test_invalid_tags_are_rejected_with_the_reason(tags, error, message):
    with pytest.raises(error, match=message):
        tags_from_argument(tags)


def test_invalid_tags_fail_the_stack():
    with pytest.raises(TypeError, match="tags must be"):
        _stack(tags=["key", "value"])


# -- instance type ---------------------------------------------------------------------------


def test_vcpus_come_from_config():
    assert CPU_SCALING_SETTINGS.instance_vcpus is constants.SAGEMAKER_INSTANCE_VCPUS
    assert vcpus_of("ml.g4dn.xlarge", CPU_SCALING_SETTINGS.instance_vcpus) == 4
    # The table is the stack's to give: another one decides for another instance type.
    assert vcpus_of("ml.x9.large", {"ml.x9.large": 3}) == 3


def test_unknown_instance_type_is_rejected_naming_the_table():
    with pytest.raises(ValueError, match="SAGEMAKER_INSTANCE_VCPUS"):
        vcpus_of("ml.unknown.huge", CPU_SCALING_SETTINGS.instance_vcpus)
    with pytest.raises(ValueError, match=r"model_instance 'ml\.unknown\.huge'"):
        _stack(model_instance="ml.unknown.huge")


def test_unqualified_parameter_name_fails_the_stack():
    with pytest.raises(ValueError, match="fully qualified"):
        _stack(ssm_parameter_model_s3="sentiment_model/latest_object_key")
