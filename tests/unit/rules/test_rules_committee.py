"""The committee's own majority (``vote.rules.committee``): more than half, never fewer than two people."""

from __future__ import annotations

import pytest

from vote.rules import committee_approves, committee_majority


@pytest.mark.parametrize(("size", "needed"), [(0, 2), (1, 2), (2, 2), (3, 2), (4, 3), (5, 3), (6, 4), (7, 4), (9, 5)])
def test_majority_of_the_committee_and_at_least_two(size: int, needed: int) -> None:
    assert committee_majority(size) == needed


def test_approvals_carry_the_decision_at_the_majority_only() -> None:
    assert not committee_approves(approvals=1, committee_size=1)  # one person alone never decides
    assert not committee_approves(approvals=1, committee_size=3)
    assert committee_approves(approvals=2, committee_size=3)
    assert not committee_approves(approvals=2, committee_size=4)  # exactly half is not a majority
    assert committee_approves(approvals=3, committee_size=4)


def test_a_negative_size_is_refused() -> None:
    with pytest.raises(ValueError):
        committee_majority(-1)
