"""The model package groups of a template, created as CloudFormation would.

moto's CloudFormation does not emulate ``AWS::SageMaker::ModelPackageGroup`` (it skips the
resource with a warning); moto's SageMaker API does. The rehearsal and the local end-to-end
test create each group of the Lambda stack's template with its name and description, so the
deployed registration function finds the group its environment names (ADR-0071).
"""

from __future__ import annotations

from typing import Any

from demo.cfn_values import resources_of_type

MODEL_PACKAGE_GROUP_TYPE = "AWS::SageMaker::ModelPackageGroup"


def create_model_package_groups(sagemaker: Any, template: dict[str, Any]) -> list[str]:
    """Create every model package group ``template`` declares; their names, in order."""
    names = []
    for resource in resources_of_type(template, MODEL_PACKAGE_GROUP_TYPE).values():
        properties = resource["Properties"]
        name = properties["ModelPackageGroupName"]
        if not isinstance(name, str):
            raise ValueError(f"model package group name {name!r} is not a plain string")
        sagemaker.create_model_package_group(
            ModelPackageGroupName=name,
            ModelPackageGroupDescription=properties.get("ModelPackageGroupDescription", ""),
        )
        names.append(name)
    return names
