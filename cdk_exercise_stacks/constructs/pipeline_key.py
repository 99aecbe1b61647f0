"""The pipeline's customer-managed KMS keys: rotated, retained, with a derived alias.

A key is retained when its stack is deleted, because the log data it encrypts is retained too.
Its alias ``alias/<name>`` (the name from config/naming.py, prefixed per deployment) tells an
operator, and the AWS tests' teardown, which deployment a key belongs to while the stack
exists; after the stack is gone, the tags CloudFormation put on the key (its stack name) do
(ADR-0068).

No tag is written into the key's template: moto 5.2.5 cannot create a KMS key with ``Tags``
from CloudFormation (its parser expects KMS's ``TagKey``/``TagValue`` spelling), which would
break the local rehearsal (ADR-0065, ADR-0066). So the endpoint stack's ``tags`` argument is
applied to every resource but its key. In AWS the key still gets the tags CloudFormation adds
itself (``aws:cloudformation:stack-name``) and the stack-level tags of ``cdk deploy --tags``.

The key policy is CDK's default (the account may use the key through IAM policies, so the role
CloudFormation deploys with can let SageMaker create its grants) plus whatever the caller adds
for a service principal.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from constructs import Construct

from config.naming import DeploymentNaming

KEY_RESOURCE_TYPE = "AWS::KMS::Key"


def pipeline_key(
    scope: Construct, construct_id: str, *, name: str, description: str, pending_window_days: int
) -> kms.Key:
    """A rotated, retained key with the alias ``alias/<name>``."""
    return kms.Key(
        scope,
        construct_id,
        description=description,
        alias=DeploymentNaming.key_alias(name),
        enable_key_rotation=True,
        removal_policy=RemovalPolicy.RETAIN,
        pending_window=Duration.days(pending_window_days),
    )
