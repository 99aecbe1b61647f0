"""cdk-nag for the pipeline: the four stock packs plus the project's own, as CDK Aspects.

``apply_compliance_packs(app)`` is the one call the app makes (ADR 0040). Every pack reports
to the cloud assembly's output directory (``<Pack>--<stack>-NagReport.csv``);
:class:`~policies.nag.strict.StrictNagAspect` turns their warnings and rule crashes into errors
so that ``cdk synth`` fails on any unacknowledged finding (ADR 0041).
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from cdk_nag import (
    AwsSolutionsChecks,
    HIPAASecurityChecks,
    INagLogger,
    NagPack,
    NIST80053R5Checks,
    ServerlessChecks,
)
from constructs import IConstruct

from .base import ProjectNagPack, ProjectPacks
from .iam import LeastPrivilegeChecks
from .lambda_function import LambdaResilienceChecks
from .s3 import S3BaselineChecks
from .sagemaker import SageMakerServingChecks
from .strict import StrictNagAspect

STOCK_PACKS = (AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, ServerlessChecks)
CUSTOM_PACKS = (
    S3BaselineChecks,
    LeastPrivilegeChecks,
    LambdaResilienceChecks,
    SageMakerServingChecks,
)
# Stock packs' names: the prefix of their rule ids ("HIPAA.Security-LambdaDLQ").
AWS_SOLUTIONS_PACK = "AwsSolutions"
HIPAA_PACK = "HIPAA.Security"
NIST_PACK = "NIST.800.53.R5"
SERVERLESS_PACK = "Serverless"
PACK_NAMES = (
    AWS_SOLUTIONS_PACK,
    HIPAA_PACK,
    NIST_PACK,
    SERVERLESS_PACK,
    *(pack.PACK_NAME for pack in CUSTOM_PACKS),
)


def compliance_packs(
    *,
    reports: bool = True,
    verbose: bool = True,
    additional_loggers: Sequence[INagLogger] = (),
) -> list[NagPack]:
    """One instance of every pack with the given options."""
    options = {
        "reports": reports,
        "verbose": verbose,
        "additional_loggers": list(additional_loggers),
    }
    return [pack(**options) for pack in (*STOCK_PACKS, *CUSTOM_PACKS)]


def apply_compliance_packs(
    scope: IConstruct,
    *,
    reports: bool = True,
    verbose: bool = True,
    additional_loggers: Sequence[INagLogger] = (),
) -> list[NagPack]:
    """Add every compliance pack to ``scope`` (the app, or one stack) as an Aspect (the
    project's packs together, through one :class:`ProjectPacks`), and the strict aspect after
    them.

    Call it once, after the stacks are built and acknowledged; synthesis then evaluates every
    rule. Returns the packs.
    """
    packs = compliance_packs(
        reports=reports, verbose=verbose, additional_loggers=additional_loggers
    )
    aspects = cdk.Aspects.of(scope)
    for pack in packs:
        if not isinstance(pack, ProjectNagPack):
            aspects.add(pack)
    # The project's packs through one Aspect: one call per construct instead of four.
    aspects.add(ProjectPacks(pack for pack in packs if isinstance(pack, ProjectNagPack)))
    # After the packs on every node: READONLY runs after the packs' default priority.
    aspects.add(StrictNagAspect(PACK_NAMES), priority=cdk.AspectPriority.READONLY)
    return packs


__all__ = [
    "CUSTOM_PACKS",
    "PACK_NAMES",
    "STOCK_PACKS",
    "LambdaResilienceChecks",
    "LeastPrivilegeChecks",
    "ProjectPacks",
    "S3BaselineChecks",
    "SageMakerServingChecks",
    "StrictNagAspect",
    "apply_compliance_packs",
    "compliance_packs",
]
