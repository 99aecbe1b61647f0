"""A moto sandbox for the registration function in registry mode (MODEL_PACKAGE_GROUP set):
a versioned model bucket, the model package group, the handler's own clients, and the steps an
operator takes in the SageMaker Model Registry.

moto stands in for S3's notifications (the S3Simulator builds the record S3 would send) and
for SageMaker's EventBridge events (``state_change_event`` builds the one SageMaker would
send); everything else is moto's SageMaker, S3, SSM and CloudWatch answering the handler.
"""

from __future__ import annotations

import json
import os
from typing import Any
from unittest import mock

from tests.unit.registration.registration_testkit import (
    BUCKET,
    CONTEXT,
    FAKE_CREDENTIALS,
    OPTIONAL_SETTINGS,
    PARAMETER,
    S3Simulator,
)

GROUP = "sentiment-model-test"


def metrics_body(**metrics: float) -> bytes:
    return json.dumps({"metrics": metrics}).encode()


def state_change_event(arn: str, status: str, group: str = GROUP) -> dict[str, Any]:
    """The "SageMaker Model Package State Change" event EventBridge delivers (the fields the
    rule matches and the function logs)."""
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "SageMaker Model Package State Change",
        "source": "aws.sagemaker",
        "account": "123456789012",
        "time": "2026-12-05T12:00:00Z",
        "region": "us-east-1",
        "resources": [arn],
        "detail": {
            "ModelPackageGroupName": group,
            "ModelPackageArn": arn,
            "ModelApprovalStatus": status,
        },
    }


class RegistrySandbox:
    """moto + the handler's environment with a registry; use as a context manager."""

    def __init__(self, policy: dict[str, Any] | None = None) -> None:
        self.policy = policy

    def __enter__(self) -> RegistrySandbox:
        import boto3
        from moto import mock_aws

        import lambda_handler
        from common.aws_clients import AwsClients

        environment = {
            **FAKE_CREDENTIALS,
            "SSM_SENTIMENT_MODEL": PARAMETER,
            "MODEL_PACKAGE_GROUP": GROUP,
            "MODEL_BUCKET": BUCKET,
            "MODEL_KEY_PREFIX": "models/",
        }
        if self.policy is not None:
            environment["MODEL_GATE_POLICY"] = json.dumps(self.policy)
        self._environment = mock.patch.dict(os.environ, environment)
        self._environment.start()
        for optional in set(OPTIONAL_SETTINGS) - set(environment):
            os.environ.pop(optional, None)
        if self.policy is None:
            os.environ.pop("MODEL_GATE_POLICY", None)
        self._moto = mock_aws()
        self._moto.start()
        self._handler_module = lambda_handler
        self._previous_clients = lambda_handler.CLIENTS
        lambda_handler.CLIENTS = AwsClients(lambda_handler.BUDGETS, lambda_handler.RESERVE_SECONDS)
        self.s3 = boto3.client("s3")
        self.ssm = boto3.client("ssm")
        self.sagemaker = boto3.client("sagemaker")
        self.s3.create_bucket(Bucket=BUCKET)
        self.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        self.sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
        self.uploads = S3Simulator(self.s3)
        self.group, self.parameter = GROUP, PARAMETER
        return self

    def fresh_example(self) -> None:
        """A new group and parameter (an empty registry and nothing served) for one
        Hypothesis example, without moto's reset cost."""
        self._examples = getattr(self, "_examples", 0) + 1
        self.group = f"{GROUP}-{self._examples}"
        self.parameter = f"/property/example-{self._examples}"
        self.sagemaker.create_model_package_group(ModelPackageGroupName=self.group)
        os.environ["MODEL_PACKAGE_GROUP"] = self.group
        os.environ["SSM_SENTIMENT_MODEL"] = self.parameter

    def __exit__(self, *exc_info: object) -> None:
        self._handler_module.CLIENTS = self._previous_clients
        self._moto.stop()
        self._environment.stop()

    # -- what producers, S3 and EventBridge do -----------------------------------------------

    def upload_model(self, key: str, metrics: bytes | None) -> dict[str, Any]:
        """The contract: the metrics file first, then the model; the model's S3 record."""
        if metrics is not None:
            self.s3.put_object(
                Bucket=BUCKET, Key=key.removesuffix(".tar.gz") + ".metrics.json", Body=metrics
            )
        return self.uploads.put(key)

    def deliver(self, *records: dict[str, Any]) -> dict[str, Any]:
        return self.invoke({"Records": list(records)})

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        return self._handler_module.lambda_handler(event, CONTEXT)

    def state_change(self, arn: str, status: str) -> dict[str, Any]:
        return self.invoke(state_change_event(arn, status, self.group))

    # -- what an operator does in the registry -----------------------------------------------

    def operator_sets_status(self, arn: str, status: str) -> dict[str, Any]:
        """`aws sagemaker update-model-package --model-approval-status ...`, then the event
        SageMaker raises for it. moto (unlike SageMaker) forgets customer metadata an update
        does not re-send, so the operator's call re-sends it here."""
        described = self.sagemaker.describe_model_package(ModelPackageName=arn)
        self.sagemaker.update_model_package(
            ModelPackageArn=arn,
            ModelApprovalStatus=status,
            ApprovalDescription=f"operator: {status}",
            CustomerMetadataProperties=described.get("CustomerMetadataProperties", {}),
        )
        return self.state_change(arn, status)

    # -- what the tests read -----------------------------------------------------------------

    def served_key(self) -> str | None:
        try:
            return self.ssm.get_parameter(Name=self.parameter)["Parameter"]["Value"]
        except self.ssm.exceptions.ParameterNotFound:
            return None

    def packages(self) -> list[dict[str, Any]]:
        """Every package of the group, described, oldest first."""
        summaries = self.sagemaker.list_model_packages(
            ModelPackageGroupName=self.group, SortBy="CreationTime", SortOrder="Ascending"
        )["ModelPackageSummaryList"]
        return [
            self.sagemaker.describe_model_package(ModelPackageName=s["ModelPackageArn"])
            for s in summaries
        ]

    def package_for(self, key: str) -> dict[str, Any]:
        [package] = [
            p for p in self.packages() if p["CustomerMetadataProperties"]["ModelKey"] == key
        ]
        return package
