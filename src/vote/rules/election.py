"""Deciding an election: K seats among N candidates, each candidate decided by the motion's gates.

docs/rules.md "Elections": an owner selects at most K candidates. For each candidate, the members who
selected them vote yes and the other participants abstain (nobody votes no); a returned ballot with
no selection abstains on every candidate and still counts as participation. Each candidate is then
decided by ``decide`` with the motion's matter, like a question.

Seats: among the candidates who passed, the preset's ``seat_order`` ranks by yes heads, then yes
area (by default). Candidates equal on every key share a rank (1, 2, 2, 4). A group of equal
candidates that straddles seat K elects none of its members: those ranked above it are elected, the
seats left are empty and a by-election (补选) is needed. An election has no passed/failed outcome:
it is ``no-quorum`` when too few members took part, else ``decided`` with k of K seats filled.

    >>> from vote.rules import DEFAULT_PRESET, Count
    >>> result = decide_election(DEFAULT_PRESET, 3, 1, total=Count(30000, 3),
    ...     participated=Count(30000, 3), candidates=[("1", "甲", Count(20000, 2)), ("2", "乙", Count(10000, 1))])
    >>> result.elected, result.seats_filled, result.by_election_needed
    (('1',), 1, False)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from vote.rules.engine import ZERO, Check, Count, Decision, ballot_members, decide, scope_total, validate_count
from vote.rules.errors import InvalidBallot, InvalidCount, InvalidElection
from vote.rules.members import UnitRecord, group_members
from vote.rules.presets import AreaTerm, Preset, resolve_rule, validate_matter

CandidateStatus = Literal["elected", "tied", "runner-up", "failed", "no-quorum"]
ElectionOutcome = Literal["no-quorum", "decided"]
CANDIDATE_STATUSES: tuple[CandidateStatus, ...] = ("elected", "tied", "runner-up", "failed", "no-quorum")


@dataclass(frozen=True, slots=True)
class CandidateResult:
    """One candidate: its decision by the gates, its status and its rank among those who passed."""

    key: str
    label: str
    decision: Decision
    status: CandidateStatus
    rank: int | None
    """1 for the most supported candidate who passed; equal candidates share a rank; None if not passed."""


@dataclass(frozen=True, slots=True)
class ElectionResult:
    """An election decided: participation, every candidate (in the input order) and the seats filled."""

    rule: str
    matter: int
    threshold_class: str
    seats: int
    outcome: ElectionOutcome
    total: Count
    participated: Count
    checks: tuple[Check, ...]
    """The participation checks, the same for every candidate."""
    candidates: tuple[CandidateResult, ...]
    elected: tuple[str, ...]
    """Keys of the elected candidates, by rank (input order among equals)."""
    area_term: AreaTerm = "area"

    @property
    def seats_filled(self) -> int:
        """How many seats went to a candidate (0 to ``seats``)."""
        return len(self.elected)

    @property
    def by_election_needed(self) -> bool:
        """True when seats are left empty (a tie at the last seat, too few passed, or no quorum)."""
        return self.seats_filled < self.seats


def _validate_candidates(candidates: object, shape: str) -> list[tuple[Any, ...]]:
    """Candidates as tuples (``shape`` names their items) with unique non-empty keys and string labels."""
    if isinstance(candidates, (str, bytes)) or not isinstance(candidates, Sequence):
        raise InvalidElection("candidates", f"must be a sequence of ({shape}) tuples")
    if not candidates:
        raise InvalidElection("candidates", "must not be empty")
    seen: dict[str, int] = {}
    for index, candidate in enumerate(candidates):
        path = f"candidates[{index}]"
        if not isinstance(candidate, tuple) or len(candidate) != len(shape.split(", ")):
            raise InvalidElection(path, f"must be a ({shape}) tuple")
        key, label = candidate[0], candidate[1]
        if not isinstance(key, str) or not key:
            raise InvalidElection(f"{path}.id", "must be a non-empty string")
        earlier = seen.setdefault(key, index)
        if earlier != index:
            raise InvalidElection(f"{path}.id", f"duplicate candidate {key!r} (also candidates[{earlier}])")
        if not isinstance(label, str):
            raise InvalidElection(f"{path}.label", "must be a string")
    return list(candidates)


def _validate_support(index: int, yes: object, participated: Count) -> Count:
    """A candidate's yes: a valid count within the participants, leaving a valid count of abstainers."""
    path = f"candidates[{index}].yes"
    yes = validate_count(path, yes)
    if yes.area_centi > participated.area_centi or yes.heads > participated.heads:
        raise InvalidCount(path, "exceeds the members who took part")
    rest = Count(participated.area_centi - yes.area_centi, participated.heads - yes.heads)
    if (rest.heads == 0) != (rest.area_centi == 0) or rest.area_centi < rest.heads:
        raise InvalidCount(path, "inconsistent with participated (every member who did not select the candidate "
                                 "has positive area)")
    return yes


def _validate_seats(seats: object, candidates: int) -> int:
    """An integer from 1 to the number of candidates."""
    if not isinstance(seats, int) or isinstance(seats, bool):
        raise InvalidElection("seats", f"must be an integer, got {seats!r}")
    if not 1 <= seats <= candidates:
        raise InvalidElection("seats", f"must be from 1 to the number of candidates ({candidates}), got {seats}")
    return seats


def seat_key(preset: Preset, yes: Count) -> tuple[int, ...]:
    """The ranking key of a candidate's support: larger is better, compared in ``seat_order``."""
    return tuple(yes.of(dimension) for dimension in preset.seat_order)


def decide_election(rule: str | Preset, matter: int, seats: int, total: Count, participated: Count,
                    candidates: Sequence[tuple[str, str, Count]]) -> ElectionResult:
    """Decide every candidate by the motion's gates and fill at most ``seats`` seats (module docstring).

    ``candidates`` are ``(key, label, yes)`` in ballot order; ``yes`` is the members who selected the
    candidate, ``participated`` the members who returned the election ballot. Raises a ``RulesError``
    naming the field on invalid input.
    """
    preset = resolve_rule(rule)
    matter = validate_matter(matter)
    validate_count("total", total)
    validate_count("participated", participated)
    checked = _validate_candidates(candidates, "key, label, yes")
    seats = _validate_seats(seats, len(checked))
    for index, (_key, _label, yes) in enumerate(checked):
        _validate_support(index, yes, participated)
    turnout = decide(preset, matter, total=total, yes=ZERO, no=ZERO, abstain=participated)

    decisions = []
    for key, label, yes in checked:
        others = Count(participated.area_centi - yes.area_centi, participated.heads - yes.heads)
        decisions.append((key, label, yes, decide(preset, matter, total=total, yes=yes, no=ZERO, abstain=others)))

    passed = [seat_key(preset, yes) for _key, _label, yes, decision in decisions if decision.outcome == "passed"]
    results = []
    for key, label, yes, decision in decisions:
        if decision.outcome != "passed":
            results.append(CandidateResult(key, label, decision, decision.outcome, None))
            continue
        mine = seat_key(preset, yes)
        rank = 1 + sum(1 for other in passed if other > mine)
        last = rank - 1 + sum(1 for other in passed if other == mine)  # the last seat this group reaches
        status: CandidateStatus
        if last <= seats:
            status = "elected"
        elif rank <= seats:
            status = "tied"
        else:
            status = "runner-up"
        results.append(CandidateResult(key, label, decision, status, rank))

    elected = tuple(r.key for r in sorted(results, key=lambda r: r.rank or 0) if r.status == "elected")
    return ElectionResult(
        rule=preset.id, matter=matter, threshold_class=turnout.threshold_class, seats=seats,
        outcome="no-quorum" if turnout.outcome == "no-quorum" else "decided",
        total=total, participated=participated,
        checks=tuple(c for c in turnout.checks if c.kind == "participation"),
        candidates=tuple(results), elected=elected, area_term=preset.area_term,
    )


def tally_election(rule: str | Preset, matter: int, seats: int, candidates: Sequence[tuple[str, str]],
                   units: Sequence[UnitRecord], ballots: Sequence[tuple[str, Sequence[str]]]) -> ElectionResult:
    """Decide an election from the units in scope and ``(unit_id, selected candidate keys)`` ballots.

    ``candidates`` are ``(key, label)`` in ballot order. A ballot selects at most ``seats`` distinct
    known candidates; an empty selection is a returned ballot abstaining on every candidate.
    """
    known = {key for key, _label in _validate_candidates(candidates, "key, label")}
    seats = _validate_seats(seats, len(known))
    members = group_members(units)
    for index, ballot in enumerate(ballots):
        if not isinstance(ballot, tuple) or len(ballot) != 2:
            raise InvalidBallot(f"ballots[{index}]", "must be a (unit id, selected candidates) pair")
        selected = ballot[1]
        if isinstance(selected, (str, bytes)) or not isinstance(selected, Sequence):
            raise InvalidBallot(f"ballots[{index}].selected", "must be a list of candidate ids")
        if len(selected) > seats:
            raise InvalidBallot(f"ballots[{index}].selected", f"selects {len(selected)} candidates for {seats} seats")
        for position, key in enumerate(selected):
            if key not in known:
                raise InvalidBallot(f"ballots[{index}].selected[{position}]", f"unknown candidate {key!r}")
            if key in selected[:position]:
                raise InvalidBallot(f"ballots[{index}].selected[{position}]", f"candidate {key!r} selected twice")
    landed = ballot_members(members, [unit_id for unit_id, _selected in ballots])
    participated = ZERO
    support = {key: ZERO for key in known}
    for member, (_unit_id, selected) in zip(landed, ballots, strict=True):
        share = Count(members[member].area_centi, 1)
        participated += share
        for key in selected:
            support[key] += share
    return decide_election(rule, matter, seats, total=scope_total(members), participated=participated,
                           candidates=[(key, label, support[key]) for key, label in candidates])
