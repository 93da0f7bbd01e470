"""Elections in rules/: every candidate decided by the gates, seats by yes heads then area, ties at the last seat.

Worked cases first, then properties over random electorates (hypothesis): at most K seats, nobody
elected who failed a gate, no tied candidate elected across the last seat, ranking monotone in
support, and the order in which candidates are listed changes nothing.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vote.rules import (
    PRESETS,
    Count,
    DuplicateBallot,
    ElectionResult,
    InvalidBallot,
    InvalidCount,
    InvalidElection,
    InvalidPreset,
    UnitRecord,
    UnknownRule,
    decide_election,
    get_preset,
    tally_election,
)
from vote.rules.election import seat_key

CIVIL = "cn-civil-code-2021"
ALL = Count(60000, 6)


def statuses(result: ElectionResult) -> dict[str, str]:
    """Candidate key -> status."""
    return {c.key: c.status for c in result.candidates}


def test_seats_go_by_heads_before_area() -> None:
    """More owners beat more area: 1 has 4 owners and 400 m², 2 has 5 owners and 300 m²; one seat goes to 2."""
    result = decide_election(CIVIL, 3, 1, total=Count(60000, 6), participated=Count(60000, 6), candidates=[
        ("1", "甲", Count(40000, 4)), ("2", "乙", Count(35000, 5)),
    ])
    assert statuses(result) == {"1": "runner-up", "2": "elected"}
    assert [c.rank for c in result.candidates] == [2, 1]
    assert (result.elected, result.seats_filled, result.by_election_needed) == (("2",), 1, False)
    assert result.outcome == "decided"


def test_seat_order_is_a_preset_parameter() -> None:
    """A preset that ranks by area first gives the same seat to the other candidate."""
    by_area = replace(get_preset(CIVIL), id="cn-civil-code-2021+area-first", seat_order=("area", "heads"))
    result = decide_election(by_area, 3, 1, total=Count(60000, 6), participated=Count(60000, 6), candidates=[
        ("1", "甲", Count(40000, 4)), ("2", "乙", Count(35000, 5)),
    ])
    assert result.elected == ("1",)
    assert all(preset.seat_order == ("heads", "area") for preset in PRESETS.values())


@pytest.mark.parametrize("order", [(), ("heads", "heads"), ("area", "owners"), ["heads", "area"]])
def test_a_seat_order_must_name_distinct_dimensions(order: object) -> None:
    """An empty, repeated or unknown ranking key is a malformed preset."""
    with pytest.raises(InvalidPreset) as error:
        replace(get_preset(CIVIL), id="x", seat_order=order)
    assert error.value.field == "preset.seat_order"


def test_a_tie_at_the_last_seat_elects_none_of_the_tied() -> None:
    """2 seats: 1 is first; 2 and 3 are equal on heads and area across seat 2: one seat filled, by-election."""
    result = decide_election(CIVIL, 3, 2, total=ALL, participated=ALL, candidates=[
        ("1", "甲", Count(50000, 5)), ("2", "乙", Count(40000, 4)), ("3", "丙", Count(40000, 4)),
    ])
    assert statuses(result) == {"1": "elected", "2": "tied", "3": "tied"}
    assert [c.rank for c in result.candidates] == [1, 2, 2]
    assert (result.elected, result.seats_filled, result.by_election_needed) == (("1",), 1, True)
    assert result.outcome == "decided"


def test_a_tie_within_the_seats_elects_all_of_them() -> None:
    """Equal candidates who all fit in the seats are all elected; three equal for two seats, none is."""
    result = decide_election(CIVIL, 3, 2, total=ALL, participated=ALL, candidates=[
        ("1", "甲", Count(40000, 4)), ("2", "乙", Count(40000, 4)), ("3", "丙", Count(40000, 4)),
        ("4", "丁", Count(35000, 4)),
    ])
    assert statuses(result) == {"1": "tied", "2": "tied", "3": "tied", "4": "runner-up"}
    assert [c.rank for c in result.candidates] == [1, 1, 1, 4]
    assert (result.seats_filled, result.by_election_needed) == (0, True)
    fits = decide_election(CIVIL, 3, 2, total=ALL, participated=ALL, candidates=[
        ("1", "甲", Count(40000, 4)), ("2", "乙", Count(40000, 4)), ("3", "丙", Count(35000, 4)),
    ])
    assert statuses(fits) == {"1": "elected", "2": "elected", "3": "runner-up"}
    assert set(fits.elected) == {"1", "2"} and not fits.by_election_needed


def test_a_candidate_who_fails_the_gate_gets_no_seat_even_if_seats_are_left() -> None:
    """Half the participants is not more than half: failed, and the seat stays empty."""
    result = decide_election(CIVIL, 3, 2, total=ALL, participated=ALL, candidates=[
        ("1", "甲", Count(40000, 4)), ("2", "乙", Count(30000, 3)),
    ])
    assert statuses(result) == {"1": "elected", "2": "failed"}
    assert result.candidates[1].rank is None
    assert result.candidates[1].decision.abstain == Count(30000, 3)
    assert (result.seats_filled, result.by_election_needed) == (1, True)


def test_too_few_taking_part_is_no_quorum_for_every_candidate() -> None:
    """Participation below 2/3: the election is no-quorum, nobody elected, only participation checks at the top."""
    result = decide_election(CIVIL, 3, 1, total=ALL, participated=Count(30000, 3), candidates=[
        ("1", "甲", Count(30000, 3)),
    ])
    assert result.outcome == "no-quorum"
    assert statuses(result) == {"1": "no-quorum"}
    assert (result.elected, result.seats_filled, result.by_election_needed) == ((), 0, True)
    assert {check.kind for check in result.checks} == {"participation"}
    assert not all(check.met for check in result.checks)


def test_an_empty_ballot_abstains_on_every_candidate_and_counts_as_participation() -> None:
    """Unit form: one member returns an empty ballot; they took part and abstain on each candidate."""
    units = [UnitRecord(f"u{i}", 10000, frozenset({f"o{i}"})) for i in range(3)]
    result = tally_election(CIVIL, 3, 1, [("1", "甲"), ("2", "乙")], units,
                            [("u0", ("1",)), ("u1", ("1",)), ("u2", ())])
    assert result.participated == Count(30000, 3)
    assert result.candidates[0].decision.abstain == Count(10000, 1)
    assert result.candidates[1].decision.abstain == Count(30000, 3)
    assert result.elected == ("1",)


def test_one_member_with_several_units_is_one_head() -> None:
    """A flat and a parking space of one owner: one head with both areas, one ballot."""
    units = [UnitRecord("1-101", 9000, frozenset({"o1"})), UnitRecord("P-1", 1000, frozenset({"o1"})),
             UnitRecord("1-102", 10000, frozenset({"o2"}))]
    result = tally_election(CIVIL, 3, 1, [("1", "甲")], units, [("P-1", ("1",)), ("1-102", ("1",))])
    assert result.total == Count(20000, 2)
    assert result.candidates[0].decision.yes == Count(20000, 2)
    with pytest.raises(DuplicateBallot) as error:
        tally_election(CIVIL, 3, 1, [("1", "甲")], units, [("P-1", ("1",)), ("1-101", ())])
    assert error.value.field == "ballots[1].unit"


UNITS = [UnitRecord(f"u{i}", 10000, frozenset({f"o{i}"})) for i in range(3)]


@pytest.mark.parametrize(("seats", "candidates", "ballots", "error", "field"), [
    (1, [("1", "甲")], [("u0", ("9",))], InvalidBallot, "ballots[0].selected[0]"),
    (1, [("1", "甲"), ("2", "乙")], [("u0", ("1", "2"))], InvalidBallot, "ballots[0].selected"),
    (2, [("1", "甲"), ("2", "乙")], [("u0", ("1", "1"))], InvalidBallot, "ballots[0].selected[1]"),
    (0, [("1", "甲")], [], InvalidElection, "seats"),
    (2, [("1", "甲")], [], InvalidElection, "seats"),
    (True, [("1", "甲")], [], InvalidElection, "seats"),
    (1, [], [], InvalidElection, "candidates"),
    (1, [("1", "甲"), ("1", "乙")], [], InvalidElection, "candidates[1].id"),
    (1, [("", "甲")], [], InvalidElection, "candidates[0].id"),
    (1, [("1", "甲")], [("u9", ())], InvalidBallot, "ballots[0].unit"),
    (1, [("1", "甲")], [("u0", "1")], InvalidBallot, "ballots[0].selected"),
])
def test_invalid_elections_name_the_field(seats: int, candidates: list[tuple[str, str]],
                                          ballots: list[tuple[str, tuple[str, ...]]], error: type, field: str) -> None:
    """Unknown or duplicate candidates, too many selected, seats out of range: an error naming the field."""
    with pytest.raises(error) as raised:
        tally_election(CIVIL, 3, seats, candidates, UNITS, ballots)
    assert raised.value.field == field


@pytest.mark.parametrize(("participated", "yes", "field"), [
    (Count(30000, 3), Count(40000, 3), "candidates[0].yes"),
    (Count(30000, 3), Count(30000, 4), "candidates[0].yes"),
    (Count(30000, 3), Count(29999, 3), "candidates[0].yes"),  # the others would have area but no head
    (Count(70000, 7), Count(0, 0), "participated"),  # more than the scope
    (Count(30000, 3), Count(5, 0), "candidates[0].yes"),
])
def test_inconsistent_counts_are_refused(participated: Count, yes: Count, field: str) -> None:
    """Counts no set of members can produce are an error, never a decision."""
    with pytest.raises(InvalidCount) as raised:
        decide_election(CIVIL, 3, 1, total=ALL, participated=participated, candidates=[("1", "甲", yes)])
    assert raised.value.field == field


def test_unknown_rule() -> None:
    """An unknown preset id is named."""
    with pytest.raises(UnknownRule):
        decide_election("nope", 3, 1, total=ALL, participated=ALL, candidates=[("1", "甲", ALL)])


# ------------------------------------------------------------------ properties over random electorates

@st.composite
def electorates(draw: st.DrawFn) -> tuple[str, int, int, Count, Count, list[tuple[str, str, Count]]]:
    """A rule, matter, seats and the counts of a random electorate, built member by member (so consistent).

    Few distinct areas and candidates, so ties on both keys are frequent.
    """
    rule = draw(st.sampled_from(sorted(PRESETS)))
    matter = draw(st.integers(1, 9))
    n = draw(st.integers(1, 6))
    seats = draw(st.integers(1, n))
    keys = [str(k) for k in range(1, n + 1)]
    members = draw(st.lists(st.tuples(
        st.sampled_from([100, 200, 300]),
        st.booleans() | st.just(True),
        st.lists(st.sampled_from(keys), unique=True, max_size=seats),
    ), min_size=1, max_size=10))
    total = Count(sum(area for area, _voted, _sel in members), len(members))
    participated = Count(0, 0)
    yes = {key: Count(0, 0) for key in keys}
    for area, voted, selected in members:
        if voted:
            participated += Count(area, 1)
            for key in selected:
                yes[key] += Count(area, 1)
    return rule, matter, seats, total, participated, [(key, f"c{key}", yes[key]) for key in keys]


def assert_invariants(result: ElectionResult) -> None:
    """The properties every election result must have."""
    preset = get_preset(result.rule)
    assert 0 <= result.seats_filled <= result.seats
    assert result.by_election_needed == (result.seats_filled < result.seats)
    assert result.elected == tuple(c.key for c in sorted(result.candidates, key=lambda c: c.rank or 0)
                                   if c.status == "elected")
    passed = [c for c in result.candidates if c.decision.outcome == "passed"]
    for candidate in result.candidates:
        # Nobody elected (or ranked) who failed a gate.
        assert (candidate.rank is None) == (candidate.decision.outcome != "passed")
        if candidate.decision.outcome != "passed":
            assert candidate.status == candidate.decision.outcome
    if result.outcome == "no-quorum":
        assert not result.elected and all(c.status == "no-quorum" for c in result.candidates)
    for a in passed:
        ka = seat_key(preset, a.decision.yes)
        group = [b for b in passed if seat_key(preset, b.decision.yes) == ka]
        # Equal candidates share a rank and a status; a group straddling seat K is not elected.
        assert {b.rank for b in group} == {a.rank} and {b.status for b in group} == {a.status}
        assert a.rank is not None
        last = a.rank + len(group) - 1
        if a.rank <= result.seats < last:
            assert a.status == "tied"
        for b in passed:
            kb = seat_key(preset, b.decision.yes)
            if ka > kb:  # ranking is monotone in support
                assert a.rank < b.rank
                if b.status == "elected":
                    assert a.status == "elected"
    # A seat is left empty only when too few passed or a tie straddles the last seat.
    if result.seats_filled < result.seats and result.outcome == "decided":
        assert len(passed) < result.seats or any(c.status == "tied" for c in passed)


@settings(max_examples=400, deadline=None)
@given(electorates())
def test_election_invariants(electorate: tuple[str, int, int, Count, Count, list[tuple[str, str, Count]]]) -> None:
    """At most K seats, nobody who failed a gate, no tie across the last seat elected, ranking monotone."""
    rule, matter, seats, total, participated, candidates = electorate
    assert_invariants(decide_election(rule, matter, seats, total=total, participated=participated,
                                      candidates=candidates))


@settings(max_examples=300, deadline=None)
@given(electorates(), st.randoms(use_true_random=False))
def test_the_order_of_candidates_changes_nothing(
    electorate: tuple[str, int, int, Count, Count, list[tuple[str, str, Count]]], rng: object,
) -> None:
    """Listing the candidates in another order elects the same people with the same statuses and ranks."""
    rule, matter, seats, total, participated, candidates = electorate
    shuffled = list(candidates)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    first = decide_election(rule, matter, seats, total=total, participated=participated, candidates=candidates)
    second = decide_election(rule, matter, seats, total=total, participated=participated, candidates=shuffled)
    assert set(first.elected) == set(second.elected)
    assert {(c.key, c.status, c.rank) for c in first.candidates} == {(c.key, c.status, c.rank) for c in second.candidates}
    assert [c.key for c in second.candidates] == [key for key, _label, _yes in shuffled]  # output in input order
