"""The committee's own majority: how many committee members must approve a decision of the committee.

Publishing a notice, publishing a revised text, adopting an amendment and publishing the final result
are decisions of the owners' committee (业委会), not of one member: they need a majority of the
committee's members and never fewer than two people, so that nobody can act alone.

    >>> committee_majority(3), committee_majority(4), committee_majority(1)
    (2, 3, 2)
    >>> committee_approves(approvals=2, committee_size=3)
    True
"""

from __future__ import annotations


def committee_majority(size: int) -> int:
    """Approvals a committee decision needs: more than half of the ``size`` members, and at least two."""
    if size < 0:
        raise ValueError("a committee cannot have a negative size")
    return max(2, size // 2 + 1)


def committee_approves(*, approvals: int, committee_size: int) -> bool:
    """True when ``approvals`` distinct members of a committee of ``committee_size`` carry a decision."""
    return approvals >= committee_majority(committee_size)
