"""The title-change rule for one member (``vote.domain.ballots.transfers.decide``), case by case."""

from __future__ import annotations

import pytest

from vote.domain.ballots.transfers import decide

SELLER, BUYER, OTHER = frozenset({1}), frozenset({2}), frozenset({3})
NEW, NEW_OTHER = 10, 11


@pytest.mark.parametrize(("new_units", "voted", "outcome", "to_member"), [
    ([(NEW, SELLER)], False, None, None),  # nothing changed hands
    ([(NEW, BUYER)], False, "moved", NEW),
    ([(NEW, BUYER)], True, "ballot_stands", NEW),
    ([(NEW, BUYER), (NEW, BUYER)], False, "moved", NEW),  # every unit to the same new owners
    ([(NEW, BUYER), (NEW_OTHER, SELLER)], False, "kept", None),  # only part of the units sold
    ([(NEW, BUYER), (NEW_OTHER, OTHER)], False, "kept", None),  # sold to different owners
    ([(NEW, BUYER), (NEW_OTHER, OTHER)], True, "ballot_stands", None),
    ([(NEW, BUYER), None], False, "kept", None),  # a unit left the register
    ([None], False, "kept", None),
])
def test_the_right_moves_only_with_the_whole_member(new_units: list, voted: bool, outcome: str | None,
                                                    to_member: int | None) -> None:
    target = decide(SELLER, new_units, voted)
    assert (target.outcome, target.to_member_id) == (outcome, to_member)
