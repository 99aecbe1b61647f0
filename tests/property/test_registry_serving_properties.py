"""The served-package choice (lambda/registry/serving.py) is the newest approved upload for any
order, duplication and mix of statuses of the group's packages."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from registry.gate import ApprovalStatus
from registry.serving import RegisteredPackage, newest_approved

# Upload orders shaped like the registration's order_key, with few distinct values so that
# ties (same time, same key) are common.
upload_orders = st.tuples(
    st.integers(0, 5),  # eventTime
    st.sampled_from(["bucket"]),
    st.sampled_from(["models/a.tar.gz", "models/b.tar.gz"]),
    st.integers(-1, 3),  # sequencer as a number, -1 when absent
    st.sampled_from(["", "v1"]),
    st.sampled_from(["", "e1"]),
)


@st.composite
def groups(draw: st.DrawFn) -> list[RegisteredPackage]:
    """A group's packages: distinct versions, any statuses and upload orders."""
    versions = draw(st.lists(st.integers(1, 10_000), unique=True, max_size=12))
    return [
        RegisteredPackage(version, draw(st.sampled_from(list(ApprovalStatus))), draw(upload_orders))
        for version in versions
    ]


@given(packages=groups(), data=st.data())
def test_the_choice_is_the_newest_approved_whatever_the_order_of_the_list(packages, data):
    shuffled = data.draw(st.permutations(packages))
    duplicated = shuffled + data.draw(st.lists(st.sampled_from(packages))) if packages else []

    chosen = newest_approved(duplicated)

    approved = [p for p in packages if p.status == ApprovalStatus.APPROVED]
    if not approved:
        assert chosen is None
        return
    assert chosen in approved
    for other in approved:
        # Nothing approved is newer: a later upload, or the same upload with a higher version.
        assert other.upload_order < chosen.upload_order or (
            other.upload_order == chosen.upload_order and other.version <= chosen.version
        )
    assert newest_approved(packages) == chosen


@given(packages=groups(), data=st.data())
def test_changing_a_non_approved_package_never_changes_the_choice(packages, data):
    before = newest_approved(packages)
    changed = [
        RegisteredPackage(
            p.version,
            p.status
            if p.status == ApprovalStatus.APPROVED
            else data.draw(
                st.sampled_from([ApprovalStatus.REJECTED, ApprovalStatus.PENDING_MANUAL_APPROVAL])
            ),
            p.upload_order if p.status == ApprovalStatus.APPROVED else data.draw(upload_orders),
        )
        for p in packages
    ]
    assert newest_approved(changed) == before
