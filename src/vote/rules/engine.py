"""Deciding a motion: aggregated counts in, a ``Decision`` with one ``Check`` per gate out.

``decide`` is for callers that already aggregated (the web app sums in SQL); ``tally`` starts from
units and ballots, groups members with ``group_members`` and then calls ``decide``. Both validate
their input and raise a ``RulesError`` subclass naming the offending field.

Outcome: ``no-quorum`` if any participation gate fails, else ``passed`` iff every approval gate is
met, else ``failed``. A gate whose value is 0/0 is not met (see ``arithmetic.meets``); a total of
zero members is invalid input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from vote.rules.arithmetic import Comparison, Ratio, meets
from vote.rules.errors import DuplicateBallot, InvalidBallot, InvalidCount
from vote.rules.members import Member, UnitRecord, group_members
from vote.rules.presets import AreaTerm, Dimension, GateKind, Preset, Quantity, resolve_rule, validate_matter

Outcome = Literal["passed", "failed", "no-quorum"]
Choice = Literal["yes", "no", "abstain"]
CHOICES: tuple[Choice, ...] = ("yes", "no", "abstain")


@dataclass(frozen=True, slots=True)
class Count:
    """An amount of members in both dimensions: area in 0.01 m² (or shares) and heads."""

    area_centi: int
    heads: int

    def __add__(self, other: Count) -> Count:
        """Component-wise sum."""
        if not isinstance(other, Count):
            return NotImplemented
        return Count(self.area_centi + other.area_centi, self.heads + other.heads)

    def of(self, dimension: Dimension) -> int:
        """The amount in ``dimension`` (``"area"`` or ``"heads"``)."""
        return self.area_centi if dimension == "area" else self.heads


ZERO = Count(0, 0)


@dataclass(frozen=True, slots=True)
class Check:
    """One evaluated gate: ``value = (numerator, denominator)`` compared with ``required``."""

    kind: GateKind
    dimension: Dimension
    numerator: Quantity
    base: Quantity
    value: tuple[int, int]
    required: Ratio
    comparison: Comparison
    met: bool


@dataclass(frozen=True, slots=True)
class Decision:
    """The result of one motion under one rule, with the totals and the reason for every gate."""

    rule: str
    matter: int
    threshold_class: str
    outcome: Outcome
    total: Count
    participated: Count
    yes: Count
    no: Count
    abstain: Count
    checks: tuple[Check, ...]
    area_term: AreaTerm = "area"


def validate_count(name: str, count: object) -> Count:
    """Reject counts that no set of members can produce (each member has ≥ 0.01 m² and one head)."""
    if not isinstance(count, Count):
        raise InvalidCount(name, "must be a Count")
    for dimension in ("area_centi", "heads"):
        value = getattr(count, dimension)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InvalidCount(f"{name}.{dimension}", "must be a non-negative integer")
    if (count.heads == 0) != (count.area_centi == 0) or count.area_centi < count.heads:
        raise InvalidCount(name, "area and heads are inconsistent (every member has positive area)")
    return count


def decide(rule: str | Preset, matter: int, *, total: Count, yes: Count, no: Count, abstain: Count) -> Decision:
    """Decide ``matter`` under ``rule`` from aggregated counts; participants = yes + no + abstain."""
    preset = resolve_rule(rule)
    matter = validate_matter(matter)
    for name, count in (("total", total), ("yes", yes), ("no", no), ("abstain", abstain)):
        validate_count(name, count)
    if total.heads == 0:
        raise InvalidCount("total", "the voting scope must have at least one member")
    participated = yes + no + abstain
    if participated.area_centi > total.area_centi or participated.heads > total.heads:
        raise InvalidCount("participated", "yes + no + abstain exceeds the total")

    quantities: dict[str, Count] = {
        "tot": total, "part": participated, "yes": yes, "no": no, "abstain": abstain, "cast": yes + no,
    }
    checks = []
    for gate in preset.gates_for(matter):
        value = (quantities[gate.numerator].of(gate.dimension), quantities[gate.base].of(gate.dimension))
        checks.append(Check(
            kind=gate.kind, dimension=gate.dimension, numerator=gate.numerator, base=gate.base,
            value=value, required=gate.fraction, comparison=gate.comparison,
            met=meets(*value, gate.fraction, gate.comparison),
        ))
    outcome: Outcome
    if not all(c.met for c in checks if c.kind == "participation"):
        outcome = "no-quorum"
    elif all(c.met for c in checks if c.kind == "approval"):
        outcome = "passed"
    else:
        outcome = "failed"
    return Decision(
        rule=preset.id, matter=matter, threshold_class=preset.class_of(matter), outcome=outcome,
        total=total, participated=participated, yes=yes, no=no, abstain=abstain,
        checks=tuple(checks), area_term=preset.area_term,
    )


def ballot_members(members: Sequence[Member], units: Sequence[object]) -> list[int]:
    """The index in ``members`` of the member each ballot lands on (``units``: each ballot's unit id).

    A ballot may name any unit of its member; an unknown unit or two ballots landing on one member
    raise ``InvalidBallot``/``DuplicateBallot`` on ``ballots[i].unit``.
    """
    member_of = {unit_id: index for index, member in enumerate(members) for unit_id in member.unit_ids}
    voted_by: dict[int, int] = {}  # member index -> ballot index
    landed = []
    for index, unit_id in enumerate(units):
        member = member_of.get(unit_id) if isinstance(unit_id, str) else None
        if member is None:
            raise InvalidBallot(f"ballots[{index}].unit", f"unknown unit {unit_id!r}")
        earlier = voted_by.setdefault(member, index)
        if earlier != index:
            raise DuplicateBallot(
                f"ballots[{index}].unit",
                f"unit {unit_id!r} belongs to a member who already voted in ballots[{earlier}]",
            )
        landed.append(member)
    return landed


def scope_total(members: Sequence[Member]) -> Count:
    """All members in scope: their summed area and their number."""
    return Count(sum(m.area_centi for m in members), len(members))


def tally(rule: str | Preset, matter: int, units: Sequence[UnitRecord],
          ballots: Sequence[tuple[str, Choice]]) -> Decision:
    """Decide ``matter`` from the units in scope and ``(unit_id, choice)`` ballots.

    A ballot may name any unit of its member; two ballots landing on one member are an error.
    """
    preset = resolve_rule(rule)
    matter = validate_matter(matter)
    members = group_members(units)
    for index, ballot in enumerate(ballots):
        if not isinstance(ballot, tuple) or len(ballot) != 2:
            raise InvalidBallot(f"ballots[{index}]", "must be a (unit id, choice) pair")
        if not isinstance(ballot[1], str) or ballot[1] not in CHOICES:
            raise InvalidBallot(f"ballots[{index}].choice", f"must be one of yes, no, abstain; got {ballot[1]!r}")
    landed = ballot_members(members, [unit_id for unit_id, _choice in ballots])
    sums = {choice: [0, 0] for choice in CHOICES}  # choice -> [area_centi, heads]
    for member, (_unit_id, choice) in zip(landed, ballots, strict=True):
        sums[choice][0] += members[member].area_centi
        sums[choice][1] += 1
    yes, no, abstain = (Count(*sums[choice]) for choice in CHOICES)
    return decide(preset, matter, total=scope_total(members), yes=yes, no=no, abstain=abstain)
