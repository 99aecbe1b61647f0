"""Give emulated buckets the properties the synthesized S3 stack template defines.

moto's CloudFormation creates an ``AWS::S3::Bucket`` with its name, encryption and tags only
(no versioning, lifecycle, public access block, ownership controls, logging or notification
configuration) and skips ``AWS::S3::BucketPolicy`` entirely. Without versioning a stored model
has no versionId, which the registration handler records. This module applies each property of
the template through the S3 API, translating the CloudFormation shape to the API shape; a
property it does not know raises instead of being dropped (ADR-0066).

Bucket policies are applied without their conditional Deny statements, which are reported:
moto evaluates a bucket policy's conditions without the request's context, so the TLS-only
statements (``aws:SecureTransport`` false, ``s3:TlsVersion`` below 1.2) would deny every
request, including the HTTPS ones AWS lets through; so would the model bucket's write-once
statement (ADR-0056), which is tested on the template instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from demo.cfn_values import Environment, TemplateValues, bucket_values, resources_of_type


class UnsupportedBucketPropertyError(ValueError):
    """The template sets a bucket property this module cannot apply."""


@dataclass(frozen=True)
class AppliedBucket:
    logical_id: str
    name: str
    properties: tuple[str, ...]
    policy_statements: tuple[dict[str, Any], ...]
    omitted_policy_statements: tuple[dict[str, Any], ...]


def apply_bucket_definitions(
    s3: Any, template: Mapping[str, Any], environment: Environment, *, create: bool
) -> list[AppliedBucket]:
    """Apply every bucket (and bucket policy) of ``template`` to the emulator.

    ``create`` makes the buckets first (in-process test); without it they must exist already
    (created by ``cdk deploy``). Order matters: the access-log bucket's policy must exist before
    the model bucket's logging points at it, as on AWS.
    """
    values = bucket_values(template, environment)
    buckets = resources_of_type(template, "AWS::S3::Bucket")
    policies = _policies_by_bucket(template, values)
    applied: dict[str, list[str]] = {}

    for logical_id, bucket in buckets.items():
        name = values.refs[logical_id]
        properties = values.resolve(bucket.get("Properties", {}))
        unknown = set(properties) - set(_APPLIERS) - {"BucketName", *_DEFERRED}
        if unknown:
            raise UnsupportedBucketPropertyError(
                f"bucket {logical_id} sets {sorted(unknown)}, which the rehearsal cannot apply"
            )
        if create:
            s3.create_bucket(Bucket=name)
        applied[logical_id] = ["BucketName"] if "BucketName" in properties else []
        for property_name, apply in _APPLIERS.items():
            if property_name in properties:
                apply(s3, name, properties[property_name])
                applied[logical_id].append(property_name)

    for logical_id, document in policies.items():
        applicable = [s for s in document["Statement"] if not _is_conditional_deny(s)]
        if applicable:
            s3.put_bucket_policy(
                Bucket=values.refs[logical_id],
                Policy=json.dumps({**document, "Statement": applicable}),
            )

    for property_name in _DEFERRED:
        for logical_id, bucket in buckets.items():
            properties = values.resolve(bucket.get("Properties", {}))
            if property_name in properties:
                _DEFERRED[property_name](s3, values.refs[logical_id], properties[property_name])
                applied[logical_id].append(property_name)

    return [
        AppliedBucket(
            logical_id=logical_id,
            name=values.refs[logical_id],
            properties=tuple(applied[logical_id]),
            policy_statements=tuple(
                s for s in _statements(policies, logical_id) if not _is_conditional_deny(s)
            ),
            omitted_policy_statements=tuple(
                s for s in _statements(policies, logical_id) if _is_conditional_deny(s)
            ),
        )
        for logical_id in buckets
    ]


def _statements(policies: dict[str, dict[str, Any]], logical_id: str) -> list[dict[str, Any]]:
    return policies.get(logical_id, {}).get("Statement", [])


def _is_conditional_deny(statement: Mapping[str, Any]) -> bool:
    return statement.get("Effect") == "Deny" and bool(statement.get("Condition"))


def _policies_by_bucket(
    template: Mapping[str, Any], values: TemplateValues
) -> dict[str, dict[str, Any]]:
    by_name = {name: logical_id for logical_id, name in values.refs.items()}
    policies = {}
    for logical_id, policy in resources_of_type(template, "AWS::S3::BucketPolicy").items():
        properties = values.resolve(policy["Properties"])
        bucket = by_name.get(properties["Bucket"])
        if bucket is None:
            raise UnsupportedBucketPropertyError(
                f"bucket policy {logical_id} is for {properties['Bucket']!r}, not a bucket of "
                "this template"
            )
        policies[bucket] = properties["PolicyDocument"]
    return policies


def _encryption(s3: Any, name: str, value: Mapping[str, Any]) -> None:
    rules = []
    for rule in value["ServerSideEncryptionConfiguration"]:
        api_rule: dict[str, Any] = {
            "ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]
        }
        if "BucketKeyEnabled" in rule:
            api_rule["BucketKeyEnabled"] = rule["BucketKeyEnabled"]
        rules.append(api_rule)
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})


def _versioning(s3: Any, name: str, value: Mapping[str, Any]) -> None:
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": value["Status"]})


def _public_access_block(s3: Any, name: str, value: Mapping[str, Any]) -> None:
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=dict(value))


def _ownership_controls(s3: Any, name: str, value: Mapping[str, Any]) -> None:
    s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls={"Rules": value["Rules"]})


_LIFECYCLE_RULE_KEYS = {
    "Id",
    "Status",
    "Prefix",
    "ExpirationInDays",
    "NoncurrentVersionExpiration",
    "AbortIncompleteMultipartUpload",
}


def _lifecycle(s3: Any, name: str, value: Mapping[str, Any]) -> None:
    rules = []
    for rule in value["Rules"]:
        unknown = set(rule) - _LIFECYCLE_RULE_KEYS
        if unknown:
            raise UnsupportedBucketPropertyError(
                f"lifecycle rule {rule.get('Id')!r} of {name} sets {sorted(unknown)}"
            )
        api_rule: dict[str, Any] = {
            "ID": rule["Id"],
            "Status": rule["Status"],
            "Filter": {"Prefix": rule.get("Prefix", "")},
        }
        if "ExpirationInDays" in rule:
            api_rule["Expiration"] = {"Days": rule["ExpirationInDays"]}
        if "NoncurrentVersionExpiration" in rule:
            api_rule["NoncurrentVersionExpiration"] = {
                "NoncurrentDays": rule["NoncurrentVersionExpiration"]["NoncurrentDays"]
            }
        if "AbortIncompleteMultipartUpload" in rule:
            api_rule["AbortIncompleteMultipartUpload"] = dict(
                rule["AbortIncompleteMultipartUpload"]
            )
        rules.append(api_rule)
    s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})


def _tags(s3: Any, name: str, value: list[Mapping[str, str]]) -> None:
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [dict(tag) for tag in value]})


def _logging(s3: Any, name: str, value: Mapping[str, Any]) -> None:
    enabled = {"TargetBucket": value["DestinationBucketName"]}
    enabled["TargetPrefix"] = value.get("LogFilePrefix", "")
    s3.put_bucket_logging(Bucket=name, BucketLoggingStatus={"LoggingEnabled": enabled})


def _notifications(s3: Any, name: str, value: Mapping[str, Any]) -> None:
    unknown = set(value) - {"LambdaConfigurations"}
    if unknown:
        raise UnsupportedBucketPropertyError(f"notification of {name} sets {sorted(unknown)}")
    configurations = []
    for lambda_configuration in value["LambdaConfigurations"]:
        configuration: dict[str, Any] = {
            "LambdaFunctionArn": lambda_configuration["Function"],
            "Events": [lambda_configuration["Event"]],
        }
        rules = lambda_configuration.get("Filter", {}).get("S3Key", {}).get("Rules")
        if rules:
            configuration["Filter"] = {"Key": {"FilterRules": [dict(rule) for rule in rules]}}
        configurations.append(configuration)
    s3.put_bucket_notification_configuration(
        Bucket=name, NotificationConfiguration={"LambdaFunctionConfigurations": configurations}
    )


Applier = Callable[[Any, str, Any], None]
_APPLIERS: dict[str, Applier] = {
    "BucketEncryption": _encryption,
    "VersioningConfiguration": _versioning,
    "PublicAccessBlockConfiguration": _public_access_block,
    "OwnershipControls": _ownership_controls,
    "LifecycleConfiguration": _lifecycle,
    "Tags": _tags,
}
# Applied after every bucket and policy exists: they point at another bucket or a function.
_DEFERRED: dict[str, Applier] = {
    "LoggingConfiguration": _logging,
    "NotificationConfiguration": _notifications,
}
