"""Which package of the group is served: the newest approved upload.

Pure. "Newest" is the registration's order of uploads (ADR-0011): eventTime, then bucket,
key, sequencer as a hexadecimal number, versionId, eTag (``order_key`` of the registration
code). The caller computes that key from the upload identity recorded on each package and
passes it as ``upload_order``, so there is one definition of "newer" in the code base and
the served model is the one the plain flow would have served among the approved uploads.
Equal upload orders (one upload registered twice, e.g. a redelivery) are decided by the
higher package version, so the choice never depends on the order of the list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .gate import ApprovalStatus


@dataclass(frozen=True)
class RegisteredPackage:
    """What the choice needs to know of one model package of the group.

    ``version``: ``ModelPackageVersion``. ``status``: its ``ModelApprovalStatus`` (the API's
    string is accepted). ``upload_order``: the ordering key of the upload it registers;
    larger is newer; every package of one call must carry keys of the same shape.
    """

    version: int
    status: ApprovalStatus
    upload_order: tuple[Any, ...]

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "status", ApprovalStatus(self.status))
        except ValueError:
            allowed = ", ".join(status.value for status in ApprovalStatus)
            raise ValueError(
                f"package version {self.version}: status must be one of {allowed}, "
                f"got {self.status!r}"
            ) from None


def newest_approved(packages: Iterable[RegisteredPackage]) -> RegisteredPackage | None:
    """The package to serve: the approved one with the newest upload (then the highest
    version); ``None`` when no package is approved (serve nothing new)."""
    approved = [package for package in packages if package.status == ApprovalStatus.APPROVED]
    return max(approved, key=lambda package: (package.upload_order, package.version), default=None)
