"""CKV_MLOPS_7-9: SageMaker serving, mirroring the MlopsSageMaker cdk-nag pack.

The cross-resource halves (endpoint autoscaled; autoscaled endpoint retains capacity) are
graph checks: CKV2_MLOPS_4 and CKV2_MLOPS_5.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

from policies.rules import sagemaker
from policies.rules.cfn import plain


class _GeneratedName(BaseResourceCheck):
    def __init__(self, check_id: str, resource_type: str, name_property: str) -> None:
        self.name_property = name_property
        super().__init__(
            name=f"Ensure {resource_type} leaves {name_property} to CloudFormation",
            id=check_id,
            categories=(CheckCategories.CONVENTION,),
            supported_resources=(resource_type,),
        )

    def scan_resource_conf(self, conf):
        problem = sagemaker.fixed_name_problem(
            plain(conf.get("Properties") or {}), self.name_property
        )
        self.details = [problem] if problem else []
        return CheckResult.FAILED if problem else CheckResult.PASSED


class DeploymentConfigRetainsCapacity(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure an endpoint with a DeploymentConfig retains its variant properties",
            id="CKV_MLOPS_9",
            categories=(CheckCategories.GENERAL_SECURITY,),
            supported_resources=("AWS::SageMaker::Endpoint",),
        )

    def scan_resource_conf(self, conf):
        properties = plain(conf.get("Properties") or {})
        if not sagemaker.needs_capacity_retention(properties, autoscaled=False):
            return CheckResult.PASSED
        problem = sagemaker.capacity_retention_problem(properties, autoscaled=False)
        self.details = [problem] if problem else []
        return CheckResult.FAILED if problem else CheckResult.PASSED


checks = (
    _GeneratedName("CKV_MLOPS_7", "AWS::SageMaker::Model", "ModelName"),
    _GeneratedName("CKV_MLOPS_8", "AWS::SageMaker::EndpointConfig", "EndpointConfigName"),
    DeploymentConfigRetainsCapacity(),
)
