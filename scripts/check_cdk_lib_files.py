"""Exit 1 unless the installed ``aws_cdk/cloud_assembly_schema/__init__.py`` is aws-cdk-lib's.

aws-cdk-lib and the aws-cdk-cloud-assembly-schema package it depends on both install that file;
the installer's order decides which copy stays. aws-cdk-lib's copy registers the jsii types the
CDK app receives from its kernel (``aws-cdk-lib.cloud_assembly_schema.MetadataEntry`` ...); the
other copy registers ``@aws-cdk/cloud-assembly-schema.*`` instead, and reading a stack's
synthesis messages then fails with ``ValueError: Unknown interface``. Nothing is imported (an
import of aws_cdk would start the jsii kernel): the file is found and read as text.
"""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

EXPECTED_TYPE = 'jsii_type="aws-cdk-lib.cloud_assembly_schema.MetadataEntry"'


def schema_module_path(site_packages: Path) -> Path:
    return site_packages / "aws_cdk" / "cloud_assembly_schema" / "__init__.py"


def is_aws_cdk_lib_copy(path: Path) -> bool:
    return path.is_file() and EXPECTED_TYPE in path.read_text(encoding="utf-8")


def main() -> int:
    path = schema_module_path(Path(sysconfig.get_paths()["purelib"]))
    if is_aws_cdk_lib_copy(path):
        return 0
    print(
        f"{path} is not aws-cdk-lib's copy (no {EXPECTED_TYPE}): "
        "aws-cdk-cloud-assembly-schema's copy was installed over it",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
