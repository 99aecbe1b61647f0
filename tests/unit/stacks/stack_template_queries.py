"""Small queries over synthesized CloudFormation templates (plain dicts), shared by the stack
tests. They return data; the tests assert on it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Template = dict[str, Any]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def resources_of_type(template: Template, resource_type: str) -> dict[str, dict]:
    """Logical ID -> resource, for every resource of ``resource_type``."""
    return {
        logical_id: resource
        for logical_id, resource in template.get("Resources", {}).items()
        if resource["Type"] == resource_type
    }


def the_resource(template: Template, resource_type: str) -> tuple[str, dict]:
    """The single resource of ``resource_type`` (fails if there are none or several)."""
    found = resources_of_type(template, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    return next(iter(found.items()))


def bucket_named(template: Template, rendered_name: str) -> tuple[str, dict]:
    """(logical ID, resource) of the one bucket whose name renders as ``rendered_name``."""
    matching = [
        (logical_id, bucket)
        for logical_id, bucket in resources_of_type(template, "AWS::S3::Bucket").items()
        if render_join(bucket["Properties"]["BucketName"]) == rendered_name
    ]
    assert len(matching) == 1, f"no single bucket named {rendered_name}"
    return matching[0]


def properties(template: Template, resource_type: str) -> dict:
    return the_resource(template, resource_type)[1]["Properties"]


def identity_policy_documents(template: Template) -> Iterator[tuple[str, dict]]:
    """(owner logical ID, policy document) of every identity policy in the template."""
    for logical_id, resource in template.get("Resources", {}).items():
        props = resource.get("Properties", {})
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            yield logical_id, props["PolicyDocument"]
        elif resource["Type"] == "AWS::IAM::Role":
            for inline in props.get("Policies", []):
                yield logical_id, inline["PolicyDocument"]


def allow_statements(template: Template) -> list[tuple[str, dict]]:
    """(owner logical ID, statement) of every Allow statement of every identity policy."""
    return [
        (owner, statement)
        for owner, document in identity_policy_documents(template)
        for statement in document["Statement"]
        if statement["Effect"] == "Allow"
    ]


def statements_attached_to(template: Template, role_logical_id: str) -> list[dict]:
    """Allow statements of the policies attached to one role (inline or AWS::IAM::Policy)."""
    attached = []
    for owner, statement in allow_statements(template):
        resource = template["Resources"][owner]
        roles = resource["Properties"].get("Roles", [])
        if owner == role_logical_id or {"Ref": role_logical_id} in roles:
            attached.append(statement)
    return attached


def statement_with_action(statements: list[dict], action: str) -> dict:
    matching = [s for s in statements if action in as_list(s["Action"])]
    assert len(matching) == 1, f"expected one statement with {action}, found {matching}"
    return matching[0]


def intrinsic_functions_used(node: Any) -> set[str]:
    """Names of every ``Fn::*``/``Ref`` intrinsic anywhere under ``node``."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key.startswith("Fn::") or key == "Ref":
                found.add(key)
            found |= intrinsic_functions_used(value)
    elif isinstance(node, list):
        for item in node:
            found |= intrinsic_functions_used(item)
    return found


def join_parts(value: Any) -> list[Any]:
    """The parts of an ``Fn::Join`` with the empty delimiter (the form CDK emits for
    token-bearing strings)."""
    assert isinstance(value, dict), f"not an Fn::Join: {value!r}"
    assert "Fn::Join" in value, f"not an Fn::Join: {value!r}"
    delimiter, parts = value["Fn::Join"]
    assert delimiter == ""
    return parts


def render_join(value: Any) -> str:
    """A readable rendering of a string or an ``Fn::Join``: literals kept, intrinsics shown
    as ``${Ref:Name}``, ``${GetAtt:Res.Attr}`` or ``${FindInMap:Map}``."""
    if isinstance(value, str):
        return value
    rendered = []
    for part in join_parts(value):
        if isinstance(part, str):
            rendered.append(part)
        elif "Ref" in part:
            rendered.append(f"${{Ref:{part['Ref']}}}")
        elif "Fn::GetAtt" in part:
            rendered.append(f"${{GetAtt:{'.'.join(part['Fn::GetAtt'])}}}")
        elif "Fn::FindInMap" in part:
            rendered.append(f"${{FindInMap:{part['Fn::FindInMap'][0]}}}")
        else:
            rendered.append(f"${{{next(iter(part))}}}")
    return "".join(rendered)


def model_execution_role(template: Template) -> tuple[str, dict]:
    """The role the SageMaker model runs as (the stack also holds the rollout's role)."""
    model = the_resource(template, "AWS::SageMaker::Model")[1]["Properties"]
    role_id = model["ExecutionRoleArn"]["Fn::GetAtt"][0]
    return role_id, template["Resources"][role_id]


# Resource types whose Ref is a fixed physical name given in the template.
_NAME_PROPERTIES = {"AWS::Logs::LogGroup": "LogGroupName"}


def with_physical_names(template: Template, rendered: str) -> str:
    """``rendered`` (from :func:`render_join`) with every ``${Ref:Id}`` of a resource that has
    a fixed name in the template replaced by that name."""
    for logical_id, resource in template.get("Resources", {}).items():
        name_property = _NAME_PROPERTIES.get(resource["Type"])
        name = resource.get("Properties", {}).get(name_property) if name_property else None
        if isinstance(name, str):
            rendered = rendered.replace(f"${{Ref:{logical_id}}}", name)
    return rendered
