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

The key policy replaces CDK's default (``kms:*`` for the account) with two statements that
delegate to the account's IAM policies only what the pipeline's principals do with a key
(ADR-0049, amended 2026-11-27): administer it (the AWS KMS guide's key-administrator actions,
which keep it manageable: ``kms:PutKeyPolicy`` among them) and use it for encryption. Service
principals (CloudWatch Logs, CloudWatch alarms) get statements of their own from the caller.
In a key policy, ``Resource: "*"`` means this key (AWS KMS Developer Guide, "Elements in a key
policy").
"""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from config.naming import DeploymentNaming

KEY_RESOURCE_TYPE = "AWS::KMS::Key"
# In a key policy "*" is the key the policy is attached to, never another resource.
THIS_KEY = "*"
# The key-administrator actions of the AWS KMS Developer Guide ("Creating a key policy",
# example key policy, "Allow access for Key Administrators"). kms:Put* keeps PutKeyPolicy with
# the account: the policy can always be changed again, and CreateKey's lockout safety check
# (the caller must be able to call PutKeyPolicy afterwards) passes. kms:Create* includes
# CreateGrant, which the principals that attach the key to SageMaker volumes need
# (ADR-0052's rollout service role, the CDK execution role).
KEY_ADMINISTRATION_ACTIONS = (
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
)
# The guide's "Allow use of the key" actions for a symmetric encryption key.
KEY_USE_ACTIONS = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
)
ADMINISTRATION_SID = "KeyAdministrationThroughIamPolicies"
USE_SID = "KeyUseThroughIamPolicies"
# What CloudWatch Logs does with the key of an encrypted log group (CloudWatch Logs User Guide,
# "Encrypt log data in CloudWatch Logs using AWS KMS").
LOGS_KEY_ACTIONS = (
    "kms:Encrypt*",
    "kms:Decrypt*",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:Describe*",
)


def logs_service_principal() -> iam.ServicePrincipal:
    """CloudWatch Logs' regional service principal, ``logs.<region>.<URL suffix>``.

    The URL suffix is ``amazonaws.com`` in most partitions but ``amazonaws.com.cn`` in China:
    a principal typed as ``logs.<region>.amazonaws.com`` would name no service there, and the
    log group could not use its key.
    """
    return iam.ServicePrincipal(f"logs.{Aws.REGION}.{Aws.URL_SUFFIX}")


def account_key_statements() -> list[iam.PolicyStatement]:
    """What the key policy lets the account's IAM policies delegate: administration and use.

    The account principal (``arn:<partition>:iam::<account>:root``) grants nothing by itself;
    an IAM policy of the account must also allow the action (AWS KMS Developer Guide,
    "Elements in a key policy", Principal).
    """
    account = iam.AccountRootPrincipal()
    return [
        iam.PolicyStatement(
            sid=ADMINISTRATION_SID,
            principals=[account],
            actions=list(KEY_ADMINISTRATION_ACTIONS),
            resources=[THIS_KEY],
        ),
        iam.PolicyStatement(
            sid=USE_SID,
            principals=[account],
            actions=list(KEY_USE_ACTIONS),
            resources=[THIS_KEY],
        ),
    ]


def pipeline_key(
    scope: Construct, construct_id: str, *, name: str, description: str, pending_window_days: int
) -> kms.Key:
    """A rotated, retained key with the alias ``alias/<name>`` and the account statements.

    Passing ``policy`` replaces CDK's default key policy (the ``kms:*`` statement); statements
    added later with ``add_to_resource_policy`` are appended.
    """
    return kms.Key(
        scope,
        construct_id,
        description=description,
        alias=DeploymentNaming.key_alias(name),
        enable_key_rotation=True,
        removal_policy=RemovalPolicy.RETAIN,
        pending_window=Duration.days(pending_window_days),
        policy=iam.PolicyDocument(statements=account_key_statements()),
    )
