"""The registry flow calls exactly the SageMaker and S3 operations the registry's policy grants
(ADR-0071): a story on moto through the handler (a first model, a worse one, one without a
metrics file, an operator's approval) sends them all, and nothing else."""

from __future__ import annotations

import pytest

from cdk_exercise_stacks.registry.model_registry import (
    BUCKET_LIST_ACTIONS,
    METRICS_READ_ACTIONS,
    PACKAGE_ACTIONS,
)
from config import constants
from tests.unit.model_registry.registry_testkit import RegistrySandbox, metrics_body
from tests.unit.registration.registration_testkit import CallCounter

# Every upload is confirmed in S3 before it is registered, in registry mode too (ADR-0017).
UPLOAD_CHECK = "s3:HeadObject"


@pytest.fixture
def registry_story_operations():
    with RegistrySandbox() as box:
        import lambda_handler

        calls = CallCounter()
        for service in ("sagemaker", "s3"):
            calls.attach(lambda_handler.CLIENTS.client(service))
        box.deliver(box.upload_model("models/a.tar.gz", metrics_body(accuracy=0.9)))
        box.deliver(box.upload_model("models/b.tar.gz", metrics_body(accuracy=0.5)))
        box.deliver(box.upload_model("models/c.tar.gz", None))
        box.operator_sets_status(box.package_for("models/b.tar.gz")["ModelPackageArn"], "Approved")
        return {operation.replace(".", ":") for operation in calls.calls}


def test_the_registry_story_calls_exactly_the_package_actions_and_reads_metrics_files(
    registry_story_operations,
):
    assert registry_story_operations == {*PACKAGE_ACTIONS, *METRICS_READ_ACTIONS, UPLOAD_CHECK}


def test_the_registry_policy_grants_what_the_story_calls_and_the_404_listing(
    templates, registry_story_operations
):
    resources = templates[constants.LAMBDA_STACK_NAME]["Resources"]
    [policy] = [
        r for logical_id, r in resources.items() if logical_id.startswith("ModelRegistryPolicy")
    ]
    granted = {
        action
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        for action in (
            [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        )
    }

    # s3:ListBucket is never called: S3 checks it to answer 404 (not 403) for a missing file.
    # HeadObject of the upload is the registration policy's grant (ADR-0017), in both modes.
    assert granted == (registry_story_operations - {UPLOAD_CHECK}) | set(BUCKET_LIST_ACTIONS)
