"""The one region `make deploy` and `make destroy` use, found the way the CDK CLI finds it.

    region=$(python scripts/deploy_region.py)   # prints the region; says where it came from

Order (AWS CDK v2 Developer Guide, "Configure environments to use with the AWS CDK",
https://docs.aws.amazon.com/cdk/v2/guide/configure-env.html; the CLI reads the environment
before the shared config file): ``AWS_REGION``, then ``AWS_DEFAULT_REGION``, then the
``region`` of the profile in use (``AWS_PROFILE``, else ``default``) in the AWS config file.
boto3 alone reads only the last two, so a shell with only ``AWS_REGION`` set deployed the
stacks in one region and then looked for the model parameter in none (NoRegionError) or
another. The Makefile exports the region found here to both the CDK CLI and boto3.

Unlike the CDK CLI, which falls back to us-east-1, no region is an error: deploying to a
region nobody chose costs money in the wrong place.

Exit codes: 0 the region is on stdout (the source on stderr); 2 no region, or the profile does
not exist (the message says what to set).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

EXIT_OK = 0
EXIT_NO_REGION = 2
ENVIRONMENT_SOURCES = ("AWS_REGION", "AWS_DEFAULT_REGION")
# us-east-1, eu-central-2, us-gov-west-1, cn-north-1, ap-southeast-5 ...
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


class RegionError(Exception):
    """No usable region; the message says what to set."""


@dataclass(frozen=True)
class Region:
    name: str
    source: str


def profile_region(profile: str | None) -> str | None:
    """The ``region`` of ``profile`` (None: the default profile) in the AWS config file."""
    import botocore.exceptions
    import botocore.session

    try:
        session = botocore.session.Session(profile=profile)
        return session.get_scoped_config().get("region")
    except botocore.exceptions.ProfileNotFound as error:
        raise RegionError(f"{error}: set AWS_PROFILE to a configured profile") from None


def resolve_region(
    environ: Mapping[str, str],
    read_profile_region: Callable[[str | None], str | None] = profile_region,
) -> Region:
    """The region the CDK CLI would deploy to, and where it came from."""
    for variable in ENVIRONMENT_SOURCES:
        value = environ.get(variable, "").strip()
        if value:
            return _checked(value, f"environment variable {variable}")
    profile = environ.get("AWS_PROFILE") or None
    value = (read_profile_region(profile) or "").strip()
    if value:
        return _checked(value, f"profile {profile or 'default'} in the AWS config file")
    raise RegionError(
        "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION), or a region in the AWS config "
        f"file for profile {profile or 'default'} (aws configure set region <region>)"
    )


def _checked(value: str, source: str) -> Region:
    if not _REGION.match(value):
        raise RegionError(f"{source} is {value!r}, which is not an AWS region name")
    return Region(value, source)


def main(
    environ: Mapping[str, str] | None = None,
    read_profile_region: Callable[[str | None], str | None] = profile_region,
) -> int:
    try:
        region = resolve_region(os.environ if environ is None else environ, read_profile_region)
    except RegionError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_NO_REGION
    print(f"Deploying to region {region.name} (from {region.source}).", file=sys.stderr)
    print(region.name)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
