"""Every boundary of docs/rules.md, for every preset, every matter and each dimension separately.

The thresholds below are transcribed from docs/rules.md ("The nine matters", "Presets") as plain
if-statements, independently of ``vote.rules.presets``; each gate is tested exactly at its boundary
and one hundredth of a m² (area) or one head either side, with every other gate comfortably met.
"""

from __future__ import annotations

from typing import NamedTuple

import pytest

from vote.rules import PRESETS, Count, UnitRecord, decide, tally

TOTAL = Count(area_centi=120_000, heads=1_200)  # divisible by 2, 3, 4 and 10 in both dimensions
SLACK = Count(area_centi=1_000, heads=1)  # "comfortably met" margin in the other dimension
DIMENSIONS = ("area", "heads")


class SpecGate(NamedTuple):
    """One gate as docs/rules.md words it: numerator ``part`` or ``yes`` over ``base``."""

    kind: str
    dimension: str
    base: str  # "tot" | "part" | "no"
    num: int
    den: int
    comparison: str  # ">=" | ">"


def spec_gates(rule: str, matter: int) -> list[SpecGate]:
    """The gates of ``matter`` under ``rule``, read off docs/rules.md."""
    gates: list[SpecGate] = []
    if rule == "cn-civil-code-2021":
        gates += [SpecGate("participation", d, "tot", 2, 3, ">=") for d in DIMENSIONS]
        if matter in (6, 7, 8):
            gates += [SpecGate("approval", d, "part", 3, 4, ">=") for d in DIMENSIONS]
        else:
            gates += [SpecGate("approval", d, "part", 1, 2, ">") for d in DIMENSIONS]
    elif rule == "cn-property-law-2007":
        gates += [SpecGate("participation", d, "tot", 1, 2, ">") for d in DIMENSIONS]
        if matter in (5, 6, 7):
            gates += [SpecGate("approval", d, "tot", 2, 3, ">=") for d in DIMENSIONS]
        else:
            gates += [SpecGate("approval", d, "tot", 1, 2, ">") for d in DIMENSIONS]
    elif rule == "tw-condominium-act":
        gates += [SpecGate("participation", d, "tot", 2, 3, ">=") for d in DIMENSIONS]
        gates += [SpecGate("approval", d, "part", 3, 4, ">=") for d in DIMENSIONS]
    elif rule == "hk-bmo":
        gates += [SpecGate("participation", "heads", "tot", 1, 10, ">="),
                  SpecGate("approval", "area", "no", 1, 1, ">")]
    elif rule == "de-weg-2020":
        gates += [SpecGate("approval", "heads", "no", 1, 1, ">")]
    else:
        raise AssertionError(f"docs/rules.md has no preset {rule}")
    return gates


def _pair(dimension: str, value: int, other: int) -> Count:
    """A Count with ``value`` in ``dimension`` and ``other`` in the other dimension."""
    return Count(value, other) if dimension == "area" else Count(other, value)


def counts_at(gate: SpecGate, delta: int) -> tuple[Count, Count, Count, tuple[int, int]]:
    """(yes, no, abstain, expected check value) putting ``gate`` at its boundary + ``delta``."""
    x = gate.dimension
    total_x, total_y = TOTAL.of(x), TOTAL.of("heads" if x == "area" else "area")
    slack_y = SLACK.of("heads" if x == "area" else "area")
    if gate.kind == "participation":  # everyone taking part votes yes; the other dimension all take part
        part_x = total_x * gate.num // gate.den + delta
        return _pair(x, part_x, total_y), Count(0, 0), Count(0, 0), (part_x, total_x)
    if gate.base in ("part", "tot"):  # everyone takes part, so part = tot
        yes_x = total_x * gate.num // gate.den + delta
        yes = _pair(x, yes_x, total_y - slack_y)
        no = _pair(x, total_x - yes_x, slack_y)
        return yes, no, Count(0, 0), (yes_x, total_x)
    # rival base: yes against no, the rest abstains
    no_x = total_x * 5 // 12
    yes_x = no_x * gate.num // gate.den + delta
    yes = _pair(x, yes_x, total_y - 2 * slack_y)
    no = _pair(x, no_x, slack_y)
    abstain = _pair(x, total_x - yes_x - no_x, slack_y)
    return yes, no, abstain, (yes_x, no_x)


CASES = [
    pytest.param(rule, matter, gate, delta, id=f"{rule}-m{matter}-{gate.kind}-{gate.dimension}-{delta:+d}")
    for rule in PRESETS
    for matter in range(1, 10)
    for gate in spec_gates(rule, matter)
    for delta in (-1, 0, 1)
]


@pytest.mark.parametrize(("rule", "matter", "gate", "delta"), CASES)
def test_gate_boundary(rule: str, matter: int, gate: SpecGate, delta: int) -> None:
    """Exactly at the fraction: met iff inclusive; one unit below: not met; one unit above: met."""
    yes, no, abstain, value = counts_at(gate, delta)
    decision = decide(rule, matter, total=TOTAL, yes=yes, no=no, abstain=abstain)
    expected = delta >= 0 if gate.comparison == ">=" else delta > 0

    [check] = [c for c in decision.checks if (c.kind, c.dimension) == (gate.kind, gate.dimension)]
    assert (check.base, check.value, tuple(check.required), check.comparison) == (
        gate.base, value, (gate.num, gate.den), gate.comparison)
    assert check.met is expected
    if gate.kind == "participation":
        assert (decision.outcome == "no-quorum") is (not expected)
    else:
        assert decision.outcome == ("passed" if expected else "failed")


@pytest.mark.parametrize("rule", list(PRESETS))
@pytest.mark.parametrize("matter", range(1, 10))
def test_preset_has_exactly_the_rules_md_gates(rule: str, matter: int) -> None:
    """No extra and no missing gate compared with docs/rules.md."""
    decision = decide(rule, matter, total=TOTAL, yes=TOTAL, no=Count(0, 0), abstain=Count(0, 0))
    got = sorted((c.kind, c.dimension, c.base, *c.required, c.comparison) for c in decision.checks)
    assert got == sorted(tuple(g) for g in spec_gates(rule, matter))
    assert decision.outcome == "passed"


def test_de_weg_ignores_area_and_abstentions() -> None:
    """Kopfprinzip: one head more yes than no passes whatever the areas; a tie fails."""
    total = Count(1_000_000, 10)
    passed = decide("de-weg-2020", 1, total=total, yes=Count(2, 2), no=Count(900_000, 1), abstain=Count(9, 7))
    tie = decide("de-weg-2020", 1, total=total, yes=Count(800_000, 1), no=Count(1, 1), abstain=Count(0, 0))
    assert (passed.outcome, tie.outcome) == ("passed", "failed")


def test_hk_bmo_approval_ignores_heads_and_quorum_ignores_shares() -> None:
    """Shares decide approval; heads alone decide the 10% quorum."""
    total = Count(100_000, 100)
    few_heads_many_shares = decide("hk-bmo", 1, total=total, yes=Count(5_000, 1), no=Count(4_999, 9),
                                   abstain=Count(0, 0))
    assert few_heads_many_shares.outcome == "passed"
    many_shares_too_few_heads = decide("hk-bmo", 1, total=total, yes=Count(90_000, 9), no=Count(0, 0),
                                       abstain=Count(0, 0))
    assert many_shares_too_few_heads.outcome == "no-quorum"


def _units(*areas: int) -> list[UnitRecord]:
    """One single-owner unit per area (in 0.01 m²), ids u0, u1, …"""
    return [UnitRecord(f"u{i}", area, frozenset({f"o{i}"})) for i, area in enumerate(areas)]


@pytest.mark.parametrize(
    ("areas", "voters", "outcome"),
    [
        ((10_000, 10_000, 10_000), 2, "passed"),  # 200.00 / 300.00: exactly 2/3 of area and heads
        ((10_000, 10_000, 10_001), 2, "no-quorum"),  # 200.00 / 300.01: 0.01 m² short
        ((10_001, 10_000, 10_000), 2, "passed"),  # 200.01 / 300.01: 0.01 m² over
        ((10_000, 10_000, 10_000, 10_000), 2, "no-quorum"),  # 2 of 4 heads (and area)
    ],
)
def test_participation_from_units(areas: tuple[int, ...], voters: int, outcome: str) -> None:
    """The same boundaries reached through ``tally`` with real units (0.01 m² either side)."""
    ballots = [(f"u{i}", "yes") for i in range(voters)]
    assert tally("cn-civil-code-2021", 1, _units(*areas), ballots).outcome == outcome


@pytest.mark.parametrize(
    ("matter", "yes_area", "outcome"),
    [
        (4, 10_000, "failed"),  # yes 100.00 of 200.00 participating: exactly 1/2 fails
        (4, 10_001, "passed"),  # 100.01 of 200.01
        (6, 15_000, "passed"),  # 150.00 of 200.00: exactly 3/4 passes
        (6, 14_999, "failed"),  # 149.99 of 199.99: 0.01 m² short
    ],
)
def test_approval_by_area_from_units(matter: int, yes_area: int, outcome: str) -> None:
    """Area approval boundaries through ``tally``; heads comfortably pass (3 of 4 say yes)."""
    no_area = 10_000 if matter == 4 else 5_000
    # three yes members hold yes_area between them, one no member, one silent member (heads stay ≥ 2/3)
    areas = (yes_area - 2, 1, 1, no_area, 1)
    units = _units(*areas)
    ballots = [("u0", "yes"), ("u1", "yes"), ("u2", "yes"), ("u3", "no")]
    decision = tally("cn-civil-code-2021", matter, units, ballots)
    assert decision.yes.area_centi == yes_area
    assert decision.outcome == outcome
