"""The serving image: ``repository:tag`` in the regional DLC registry, or a full ECR URI.

For ``repository:tag`` the registry account is looked up at deploy time in a CfnMapping keyed
by region (ADR-0033), so the template stays region-agnostic and synthesis needs no AWS call.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from aws_cdk import (
    Annotations,
    ArnFormat,
    Aws,
    CfnMapping,
    CfnRule,
    CfnRuleAssertion,
    Fn,
    Stack,
    region_info,
)
from constructs import Construct

_SEGMENT = r"[a-z0-9]+(?:[._-][a-z0-9]+)*"
# Any ECR repository in a full URI; a bare name for the DLC registry, whose repositories have
# no path (so "docker.io/library/x:1" is rejected rather than looked up in the DLC registry).
_REPOSITORY = rf"{_SEGMENT}(?:/{_SEGMENT})*"
_REFERENCE = r":[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64}"
_REGISTRY = (
    r"(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)"
    r"\.(?P<domain>amazonaws\.com(?:\.cn)?)"
)
_FULL_URI = re.compile(rf"^{_REGISTRY}/(?P<repository>{_REPOSITORY})(?P<reference>{_REFERENCE})$")
_REPOSITORY_AND_REFERENCE = re.compile(rf"^(?P<repository>{_SEGMENT})(?P<reference>{_REFERENCE})$")
_GPU_INSTANCE_FAMILY = re.compile(r"^ml\.[gp]\d")
ECR_PULL_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)


@dataclass(frozen=True)
class ImageReference:
    """A parsed ``mode_image``; ``account``/``region`` are None for the regional DLC form."""

    repository: str
    reference: str  # ":tag" or "@sha256:..."
    account: str | None = None
    region: str | None = None
    domain: str | None = None


def parse_image_reference(mode_image: str) -> ImageReference:
    """Parse ``repository:tag`` / ``repository@sha256:...`` or a full ECR image URI."""
    if not isinstance(mode_image, str):
        raise TypeError(f"mode_image must be a string, got {type(mode_image).__name__}")
    full = _FULL_URI.match(mode_image)
    if full:
        return ImageReference(**full.groupdict())
    short = _REPOSITORY_AND_REFERENCE.match(mode_image)
    if short:
        return ImageReference(**short.groupdict())
    raise ValueError(
        f"mode_image {mode_image!r} must be 'repository:tag' (a repository of the regional "
        "Deep Learning Containers registry), 'repository@sha256:<digest>', or a full ECR URI "
        "'<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>'; the tag or digest is "
        "required so that a deployment always serves the same image"
    )


def has_gpu(instance_type: str) -> bool:
    """Whether a SageMaker instance type (``ml.g*``, ``ml.p*``) has a GPU."""
    return bool(_GPU_INSTANCE_FAMILY.match(instance_type))


def is_gpu_build(reference: ImageReference) -> bool:
    """Whether the image's tag names a GPU build (the DLC tag form ``...-gpu-...``)."""
    return "-gpu-" in reference.reference


@dataclass(frozen=True)
class DlcRegistry:
    """Where the AWS Deep Learning Containers registry is; the stack fills it from config.

    :param default_account: the registry account of every region not in ``accounts``.
    :param accounts: region -> registry account, where it is not the default.
    :param partitions: the partitions whose every region CDK knows gets an entry.
    """

    default_account: str
    accounts: Mapping[str, str]
    partitions: Collection[str]


def dlc_registry_accounts(registry: DlcRegistry) -> dict[str, str]:
    """Registry account of every known region in the registry's partitions."""
    regions = {
        region.name
        for region in region_info.RegionInfo.regions
        if region.partition in registry.partitions
    } | set(registry.accounts)
    return {
        region: registry.accounts.get(region, registry.default_account)
        for region in sorted(regions)
    }


class ModelImage(Construct):
    """Resolves ``mode_image`` to ``image_uri`` and the ECR ``repository_arn`` to pull from; a
    ``repository:tag`` is looked up in ``dlc_registry`` for the deploy region."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        mode_image: str,
        instance_type: str,
        dlc_registry: DlcRegistry,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.reference = parse_image_reference(mode_image)
        self._warn_on_processor_mismatch(instance_type)

        if self.reference.account is None:
            mapping = CfnMapping(
                self,
                "DlcRegistryAccount",
                mapping={
                    region: {"account": acct}
                    for region, acct in dlc_registry_accounts(dlc_registry).items()
                },
            )
            account = mapping.find_in_map(Aws.REGION, "account")
            region, domain = Aws.REGION, Aws.URL_SUFFIX
        else:
            account, region, domain = (
                self.reference.account,
                self.reference.region,
                self.reference.domain,
            )
            # SageMaker pulls images from the endpoint's own region only: fail the deploy early
            # and clearly instead of at CreateModel.
            CfnRule(
                self,
                "ImageInDeployRegion",
                assertions=[
                    CfnRuleAssertion(
                        assert_=Fn.condition_equals(Aws.REGION, region),
                        assert_description=(
                            f"mode_image is in {region}; SageMaker needs the image in the "
                            "region of the endpoint"
                        ),
                    )
                ],
            )

        self.image_uri = (
            f"{account}.dkr.ecr.{region}.{domain}/{self.reference.repository}"
            f"{self.reference.reference}"
        )
        self.repository_arn = stack.format_arn(
            service="ecr",
            account=account,
            region=region,
            resource="repository",
            resource_name=self.reference.repository,
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )

    def _warn_on_processor_mismatch(self, instance_type: str) -> None:
        gpu_instance = has_gpu(instance_type)
        tag = self.reference.reference
        if gpu_instance and "-cpu-" in tag:
            message = f"CPU image on GPU instance {instance_type}: the GPU is paid for but unused"
        elif not gpu_instance and is_gpu_build(self.reference):
            message = f"GPU image on {instance_type}, which has no GPU: the container cannot start"
        else:
            return
        Annotations.of(self).add_warning_v2("model-image:processor-mismatch", message)
