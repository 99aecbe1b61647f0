"""The whole app with the serving instance type and image overridden by CDK context (ADR-0069):
a CPU instance without NVMe storage gets the CPU image, a volume key on its endpoint
configuration (ADR-0048) and zero compliance findings; bad context values fail synthesis with
the key and what it accepts."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
import pytest

import app as app_module
from cdk_exercise_stacks.serving.endpoint import has_instance_storage
from config import constants
from policies.nag.findings import nag_findings
from tests.cdk_apps import cli_like_app
from tests.unit.stacks.stack_template_queries import resources_of_type, the_resource

REPO_ROOT = Path(__file__).resolve().parents[4]
CPU_INSTANCE = "ml.m5.xlarge"
KMS_RULE = "SageMakerEndpointConfigurationKMSKeyConfigured"


def _app(tmp_path: Path | None = None, **context: str) -> cdk.App:
    return cli_like_app(tmp_path, **context)


@pytest.fixture(scope="module")
def cpu_assembly(tmp_path_factory):
    app = _app(
        tmp_path_factory.mktemp("cpu.cdk.out"),
        **{
            constants.INSTANCE_TYPE_CONTEXT_KEY: CPU_INSTANCE,
            constants.MODEL_IMAGE_CONTEXT_KEY: constants.SAGEMAKER_CPU_MODEL_IMAGE,
        },
    )
    return app_module.build_app(app).synth()


@pytest.fixture(scope="module")
def cpu_template(cpu_assembly):
    return cpu_assembly.get_stack_by_name(constants.SAGEMAKER_STACK_NAME).template


def test_cpu_instance_without_nvme_storage_synthesizes_with_zero_findings(cpu_assembly):
    assert not has_instance_storage(CPU_INSTANCE, constants.SAGEMAKER_INSTANCE_STORAGE_FAMILIES)
    assert [str(finding) for finding in nag_findings(cpu_assembly)] == []


def test_endpoint_config_serves_the_context_instance_type_and_image(cpu_template):
    config = the_resource(cpu_template, "AWS::SageMaker::EndpointConfig")[1]["Properties"]
    (variant,) = config["ProductionVariants"]
    assert variant["InstanceType"] == CPU_INSTANCE
    model = the_resource(cpu_template, "AWS::SageMaker::Model")[1]["Properties"]
    image = model["PrimaryContainer"]["Image"]["Fn::Join"][1][-1]
    assert image.endswith("/" + constants.SAGEMAKER_CPU_MODEL_IMAGE)
    # TARGET_VALUE stays percent of the whole instance: divided by this type's vCPUs
    policy = the_resource(cpu_template, "AWS::ApplicationAutoScaling::ScalingPolicy")[1]
    queries = policy["Properties"]["TargetTrackingScalingPolicyConfiguration"][
        "CustomizedMetricSpecification"
    ]["Metrics"]
    expression = next(q["Expression"] for q in queries if "Expression" in q)
    assert expression.endswith(f"/ {constants.SAGEMAKER_INSTANCE_VCPUS[CPU_INSTANCE]}")


def test_endpoint_config_volume_is_encrypted_with_the_endpoint_key(cpu_template):
    # ADR-0048: only NVMe families keep the acknowledgment; this one gets the key.
    _, config = the_resource(cpu_template, "AWS::SageMaker::EndpointConfig")
    (alias,) = [
        a["Properties"]
        for a in resources_of_type(cpu_template, "AWS::KMS::Alias").values()
        if a["Properties"]["AliasName"] == f"alias/{constants.ENDPOINT_KEY_NAME}"
    ]
    key_id = alias["TargetKeyId"]["Fn::GetAtt"][0]
    assert config["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    suppressed = config.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    assert [rule["id"] for rule in suppressed if KMS_RULE in rule["id"]] == []


def test_the_gpu_default_is_unchanged_without_context(templates):
    config = the_resource(
        templates[constants.SAGEMAKER_STACK_NAME], "AWS::SageMaker::EndpointConfig"
    )[1]["Properties"]
    assert config["ProductionVariants"][0]["InstanceType"] == constants.SAGEMAKER_INSTANCE_TYPE


def test_unknown_instance_type_fails_naming_the_known_ones():
    app = _app(**{constants.INSTANCE_TYPE_CONTEXT_KEY: "ml.m99.huge"})
    with pytest.raises(ValueError, match=r"CDK context instance_type='ml\.m99\.huge'") as failure:
        app_module.build_app(app)
    message = str(failure.value)
    assert "is not a known SageMaker instance type" in message
    for known in constants.SAGEMAKER_INSTANCE_VCPUS:
        assert known in message


def test_a_cpu_instance_with_the_gpu_image_fails_naming_the_cpu_image():
    app = _app(**{constants.INSTANCE_TYPE_CONTEXT_KEY: CPU_INSTANCE})
    with pytest.raises(ValueError, match=r"GPU build and ml\.m5\.xlarge has no GPU") as failure:
        app_module.build_app(app)
    assert f"-c model_image={constants.SAGEMAKER_CPU_MODEL_IMAGE}" in str(failure.value)


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({constants.MODEL_IMAGE_CONTEXT_KEY: "no-tag"}, "CDK context model_image: mode_image"),
        ({constants.INSTANCE_TYPE_CONTEXT_KEY: ""}, "instance_type must be a non-empty string"),
        ({constants.MODEL_IMAGE_CONTEXT_KEY: 7}, "model_image must be a non-empty string"),
    ],
)
def test_malformed_context_values_fail_naming_the_key(context, message):
    with pytest.raises(ValueError, match=message):
        app_module.build_app(_app(**context))
