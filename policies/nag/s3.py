"""``MlopsS3``: the baseline every bucket of the pipeline meets."""

from __future__ import annotations

from collections.abc import Iterable

from cdk_nag import NagRuleCompliance

from policies.rules import s3 as s3_rules

from .base import ProjectNagPack, ResourceView, Rule, compliant_if

BUCKET = frozenset({"AWS::S3::Bucket"})


def _versioning(resource: ResourceView) -> NagRuleCompliance:
    return compliant_if(s3_rules.versioning_enabled(resource.properties))


class S3BaselineChecks(ProjectNagPack):
    """Versioning and default encryption (SSE-S3).

    ``allowed_sse_algorithms``: the default-encryption algorithms accepted; AES256 (SSE-S3)
    only by default, as the brief requires for the model bucket and as the project decided for
    every bucket (ADR 0043).
    """

    PACK_NAME = "MlopsS3"

    def __init__(
        self,
        *,
        allowed_sse_algorithms: Iterable[str] = s3_rules.DEFAULT_SSE_ALGORITHMS,
        **props,
    ) -> None:
        self.allowed_sse_algorithms = tuple(allowed_sse_algorithms)
        super().__init__(**props)

    def build_rules(self) -> tuple[Rule, ...]:
        allowed = self.allowed_sse_algorithms

        def default_encryption(resource: ResourceView) -> NagRuleCompliance:
            return compliant_if(not s3_rules.encryption_problems(resource.properties, allowed))

        return (
            Rule(
                suffix="Versioning",
                info="The S3 bucket does not have versioning enabled.",
                explanation=(
                    "A model upload overwrites a key; without versioning the model that was "
                    "serving is lost and cannot be rolled back or audited."
                ),
                resource_types=BUCKET,
                check=_versioning,
            ),
            Rule(
                suffix="DefaultEncryption",
                info=f"The S3 bucket's default encryption is missing or not one of {allowed}.",
                explanation=(
                    "Objects must be encrypted at rest by default, with the algorithm the "
                    "project decided (ADR 0043); a bucket without default encryption relies on "
                    "every writer remembering to ask."
                ),
                resource_types=BUCKET,
                check=default_encryption,
            ),
        )
