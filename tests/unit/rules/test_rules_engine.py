"""decide() and tally(): counts validation, zero denominators, ballots mapped to members."""

from __future__ import annotations

import pytest

from vote.rules import (
    Count,
    DuplicateBallot,
    InvalidBallot,
    InvalidCount,
    RulesError,
    UnitRecord,
    decide,
    get_preset,
    tally,
)

NONE = Count(0, 0)


def test_count_adds_componentwise() -> None:
    """Count + Count."""
    assert Count(100, 1) + Count(250, 2) == Count(350, 3)


def test_decide_reports_one_check_per_gate_in_order() -> None:
    """Participation first, then approval; area then heads; values are integer pairs."""
    decision = decide("cn-civil-code-2021", 6, total=Count(31700, 3), yes=Count(10200, 1), no=NONE,
                      abstain=Count(12000, 1))
    assert decision.outcome == "failed"
    assert decision.participated == Count(22200, 2)
    assert decision.threshold_class == "special"
    assert [(c.kind, c.dimension, c.value, tuple(c.required), c.comparison, c.met) for c in decision.checks] == [
        ("participation", "area", (22200, 31700), (2, 3), ">=", True),
        ("participation", "heads", (2, 3), (2, 3), ">=", True),
        ("approval", "area", (10200, 22200), (3, 4), ">=", False),
        ("approval", "heads", (1, 2), (3, 4), ">=", False),
    ]


def test_decide_accepts_a_preset_object() -> None:
    """rule may be a Preset as well as an id."""
    preset = get_preset("tw-condominium-act")
    assert decide(preset, 1, total=Count(400, 4), yes=Count(300, 3), no=NONE, abstain=NONE).outcome == "passed"


@pytest.mark.parametrize("rule", ["cn-civil-code-2021", "cn-property-law-2007", "tw-condominium-act", "hk-bmo"])
def test_nobody_voting_is_no_quorum(rule: str) -> None:
    """Zero participants: participation fails; approval over participants is 0/0 and not met."""
    decision = decide(rule, 6, total=Count(500, 5), yes=NONE, no=NONE, abstain=NONE)
    assert decision.outcome == "no-quorum"
    assert not any(c.met for c in decision.checks if c.base in ("part", "no"))


def test_nobody_voting_fails_without_a_quorum_rule() -> None:
    """de-weg has no participation gate: 0 yes vs 0 no is a tie, and a tie fails."""
    assert decide("de-weg-2020", 1, total=Count(500, 5), yes=NONE, no=NONE, abstain=NONE).outcome == "failed"


def test_yes_against_no_noes_passes() -> None:
    """x/0 with x > 0 (yes shares against zero no shares) meets ``yes > no``."""
    decision = decide("hk-bmo", 1, total=Count(1000, 10), yes=Count(100, 1), no=NONE, abstain=NONE)
    assert decision.outcome == "passed"
    assert decision.checks[-1].value == (100, 0)


@pytest.mark.parametrize(
    ("counts", "field"),
    [
        ({"total": NONE}, "total"),
        ({"total": Count(-1, 1)}, "total.area_centi"),
        ({"yes": Count(100, True)}, "yes.heads"),  # type: ignore[arg-type]
        ({"no": Count(0, 1)}, "no"),  # one head with no area cannot exist
        ({"abstain": Count(5, 6)}, "abstain"),  # six members with 0.05 m²
        ({"yes": (100, 1)}, "yes"),
        ({"yes": Count(900, 2), "no": Count(200, 1)}, "participated"),
        ({"yes": Count(500, 4), "no": Count(100, 2)}, "participated"),
    ],
)
def test_impossible_counts_are_rejected(counts: dict, field: str) -> None:
    """Counts no community can produce raise InvalidCount naming the field."""
    args = {"total": Count(1000, 5), "yes": NONE, "no": NONE, "abstain": NONE, **counts}
    with pytest.raises(InvalidCount) as raised:
        decide("cn-civil-code-2021", 1, **args)
    assert raised.value.field == field


UNITS = [
    UnitRecord("a", 10000, frozenset({"o1"})),
    UnitRecord("b", 5000, frozenset({"o1"})),
    UnitRecord("c", 8000, frozenset({"o2", "o3"})),
    UnitRecord("d", 7000, frozenset(), developer=True),
    UnitRecord("e", 7000, frozenset(), developer=True),
]


def test_tally_counts_a_member_once_with_all_its_area() -> None:
    """A ballot through any unit of a member carries the member's whole area and one head."""
    decision = tally("cn-civil-code-2021", 1, UNITS, [("b", "yes"), ("e", "no"), ("c", "yes")])
    assert decision.total == Count(37000, 3)
    assert decision.yes == Count(23000, 2)
    assert decision.no == Count(14000, 1)
    assert decision.outcome == "passed"


@pytest.mark.parametrize(
    ("ballots", "error", "field"),
    [
        ([("a", "yes"), ("b", "no")], DuplicateBallot, "ballots[1].unit"),  # same owner
        ([("d", "yes"), ("e", "yes")], DuplicateBallot, "ballots[1].unit"),  # both developer units
        ([("c", "yes"), ("c", "yes")], DuplicateBallot, "ballots[1].unit"),  # the same unit twice
        ([("zz", "yes")], InvalidBallot, "ballots[0].unit"),
        ([(5, "yes")], InvalidBallot, "ballots[0].unit"),
        ([("a", "Yes")], InvalidBallot, "ballots[0].choice"),
        ([("a", ["yes"])], InvalidBallot, "ballots[0].choice"),
        ([("a",)], InvalidBallot, "ballots[0]"),
        (["a"], InvalidBallot, "ballots[0]"),
    ],
)
def test_tally_rejects_invalid_ballots(ballots: list, error: type[RulesError], field: str) -> None:
    """Unknown units, invalid choices and a second ballot for one member are errors."""
    with pytest.raises(error) as raised:
        tally("cn-civil-code-2021", 1, UNITS, ballots)
    assert raised.value.field == field
