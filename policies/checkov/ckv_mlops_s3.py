"""CKV_MLOPS_6 and 10: S3, mirroring the MlopsS3 cdk-nag pack (policies/rules/s3.py).

Stock checkov covers versioning (CKV_AWS_21), encryption on (CKV_AWS_19) and the four public
access blocks (CKV_AWS_53-56). Added here: the SSE algorithm (AES256), and versioning with a
lifecycle rule for the whole bucket that expires noncurrent versions. CKV_MLOPS_5 and the graph
check CKV2_MLOPS_1 (TLS-only bucket policy) are retired with the cdk-nag rule they mirrored,
which repeated the stock S3BucketSSLRequestsOnly (ADR 0042).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

from policies.rules import s3
from policies.rules.cfn import plain


class BucketDefaultEncryptionAlgorithm(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name=f"Ensure S3 default encryption uses {', '.join(s3.SSE_ALGORITHMS)}",
            id="CKV_MLOPS_6",
            categories=(CheckCategories.ENCRYPTION,),
            supported_resources=("AWS::S3::Bucket",),
        )

    def scan_resource_conf(self, conf):
        self.details = s3.encryption_problems(plain(conf.get("Properties") or {}))
        return CheckResult.FAILED if self.details else CheckResult.PASSED


class BucketVersionsExpire(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure S3 versioning is enabled and noncurrent versions expire",
            id="CKV_MLOPS_10",
            categories=(CheckCategories.BACKUP_AND_RECOVERY,),
            supported_resources=("AWS::S3::Bucket",),
        )

    def scan_resource_conf(self, conf):
        self.details = s3.versioning_problems(plain(conf.get("Properties") or {}))
        return CheckResult.FAILED if self.details else CheckResult.PASSED


checks = (BucketDefaultEncryptionAlgorithm(), BucketVersionsExpire())
