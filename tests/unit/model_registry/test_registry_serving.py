"""The served package: the approved one with the newest upload (ADR-0011's order, computed by
the caller), the package version breaking ties."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from registry.gate import ApprovalStatus
from registry.serving import RegisteredPackage, newest_approved

APPROVED = ApprovalStatus.APPROVED
REJECTED = ApprovalStatus.REJECTED
PENDING = ApprovalStatus.PENDING_MANUAL_APPROVAL


def at(second: int, key: str = "models/m.tar.gz", sequencer: int = 0) -> tuple:
    """An upload order shaped like the registration's order_key: eventTime, bucket, key,
    sequencer as a number, versionId, eTag."""
    return (datetime(2026, 11, 27, 0, 0, second, tzinfo=UTC), "bucket", key, sequencer, "", "")


def test_the_newest_approved_upload_is_served_not_the_newest_package():
    packages = [
        RegisteredPackage(1, APPROVED, at(10)),
        RegisteredPackage(2, APPROVED, at(30)),
        # Registered later (a late delivery) but uploaded earlier: not newer.
        RegisteredPackage(3, APPROVED, at(20)),
    ]
    assert newest_approved(packages).version == 2


def test_rejected_and_pending_packages_are_never_served():
    packages = [
        RegisteredPackage(1, APPROVED, at(10)),
        RegisteredPackage(2, REJECTED, at(30)),
        RegisteredPackage(3, PENDING, at(40)),
    ]
    assert newest_approved(packages).version == 1


def test_rejecting_the_served_package_falls_back_to_the_previous_approved_one():
    served = [RegisteredPackage(1, APPROVED, at(10)), RegisteredPackage(2, APPROVED, at(20))]
    after_rejection = [served[0], RegisteredPackage(2, REJECTED, at(20))]
    assert newest_approved(served).version == 2
    assert newest_approved(after_rejection).version == 1


def test_for_one_key_at_the_same_time_the_sequencer_decides():
    packages = [
        RegisteredPackage(1, APPROVED, at(10, sequencer=0x2F)),
        RegisteredPackage(2, APPROVED, at(10, sequencer=0x0A)),
    ]
    assert newest_approved(packages).version == 1


def test_the_same_upload_registered_twice_resolves_to_the_higher_version():
    packages = [RegisteredPackage(7, APPROVED, at(10)), RegisteredPackage(4, APPROVED, at(10))]
    assert newest_approved(packages).version == 7
    assert newest_approved(reversed(packages)).version == 7


@pytest.mark.parametrize("packages", [[], [RegisteredPackage(1, REJECTED, at(1))]])
def test_nothing_is_served_when_nothing_is_approved(packages):
    assert newest_approved(packages) is None


def test_the_apis_status_string_is_accepted():
    package = RegisteredPackage(1, "PendingManualApproval", at(1))
    assert package.status is PENDING


def test_an_unknown_status_is_refused_naming_the_package():
    with pytest.raises(ValueError, match="package version 3: status must be one of Approved"):
        RegisteredPackage(3, "Deleted", at(1))
