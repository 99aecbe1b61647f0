"""``MlopsS3``: every bucket keeps replaced objects for a bounded time and encrypts with SSE-S3.

How the rules relate to the stock packs (ADR 0042):

- ``MlopsS3-Versioning`` is stricter than HIPAA.Security/NIST.800.53.R5
  ``-S3BucketVersioningEnabled``, which fails only a missing or ``Suspended`` configuration:
  it also requires the status to be literally ``Enabled`` (not a deploy-time value) and an
  enabled lifecycle rule for the whole bucket that expires noncurrent versions
  (``NoncurrentVersionExpiration``). Versioning alone keeps every overwritten model forever;
  the model bucket keeps replaced models for a bounded time (``ExpireReplacedModels``), the
  access-log bucket its replaced log objects
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-s3-bucket-noncurrentversionexpiration.html).
- ``MlopsS3-DefaultEncryption`` answers HIPAA.Security/NIST.800.53.R5
  ``-S3DefaultEncryptionKMS``, which the project acknowledges for every bucket (the brief
  requires SSE-S3; ADR 0043): it requires default encryption to be configured with exactly
  AES256, so the acknowledged rule is replaced by a check, not by nothing. No stock rule checks
  the algorithm of a bucket's default encryption otherwise.
"""

from __future__ import annotations

from cdk_nag import NagRuleCompliance

from policies.rules import s3 as s3_rules

from .base import ProjectNagPack, ResourceView, Rule, compliant_if

BUCKET = frozenset({"AWS::S3::Bucket"})


def _versioning(resource: ResourceView) -> NagRuleCompliance:
    return compliant_if(not s3_rules.versioning_problems(resource.properties))


def _default_encryption(resource: ResourceView) -> NagRuleCompliance:
    return compliant_if(not s3_rules.encryption_problems(resource.properties))


class S3BaselineChecks(ProjectNagPack):
    """Versioning with expiring noncurrent versions, and SSE-S3 default encryption."""

    PACK_NAME = "MlopsS3"

    def build_rules(self) -> tuple[Rule, ...]:
        return (
            Rule(
                suffix="Versioning",
                info="The S3 bucket does not have versioning enabled with a lifecycle rule for "
                "the whole bucket that expires noncurrent versions.",
                explanation=(
                    "A model upload overwrites a key; without versioning the model that was "
                    "serving is lost and cannot be rolled back or audited. Without a "
                    "NoncurrentVersionExpiration every replaced object is kept, and paid for, "
                    "forever."
                ),
                resource_types=BUCKET,
                check=_versioning,
            ),
            Rule(
                suffix="DefaultEncryption",
                info="The S3 bucket's default encryption is missing or not one of "
                f"{s3_rules.SSE_ALGORITHMS}.",
                explanation=(
                    "Objects must be encrypted at rest by default, with the algorithm the "
                    "project decided (ADR 0043); a bucket without default encryption relies on "
                    "every writer remembering to ask."
                ),
                resource_types=BUCKET,
                check=_default_encryption,
            ),
        )
