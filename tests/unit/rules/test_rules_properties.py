"""Property tests: the engine against an independent brute-force tally, and its invariants.

The oracle below shares no code with ``vote.rules``: it reads areas with ``fractions.Fraction``,
groups members with its own keys (tuples of sorted owners), and states each preset's thresholds as
plain comparisons of fractions transcribed from docs/rules.md.
"""

from __future__ import annotations

import hashlib
import random
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vote.rules import PRESETS, Count, Decision, decide, group_members, member_key, parse_scenario, tally

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RANK = {"no-quorum": 0, "failed": 1, "passed": 2}
OWNER_POOL = ["o-1", "o-2", "o-3", "o-4", "o-5", "张三", "李四", "O-1"]

# --- the independent oracle -------------------------------------------------------------------


def oracle_member(unit: dict[str, Any]) -> tuple[str, ...]:
    """The oracle's member identity: the developer, or the sorted distinct owners."""
    return ("<developer>",) if unit.get("developer") else ("owners", *sorted(set(unit["owners"])))


def oracle(doc: dict[str, Any]) -> dict[str, Any]:
    """Outcome and totals (as Fractions of m² and head counts) by brute force."""
    member_area: dict[tuple[str, ...], Fraction] = {}
    member_of: dict[str, tuple[str, ...]] = {}
    for unit in doc["units"]:
        member = oracle_member(unit)
        member_area[member] = member_area.get(member, Fraction(0)) + Fraction(unit["area"])
        member_of[unit["id"]] = member
    sums = {c: [Fraction(0), 0] for c in ("yes", "no", "abstain")}
    for ballot in doc["ballots"]:
        member = member_of[ballot["unit"]]
        sums[ballot["choice"]][0] += member_area[member]
        sums[ballot["choice"]][1] += 1
    t_a, t_n = sum(member_area.values(), Fraction(0)), len(member_area)
    y_a, y_n = sums["yes"]
    n_a, n_n = sums["no"]
    p_a = y_a + n_a + sums["abstain"][0]
    p_n = y_n + n_n + sums["abstain"][1]
    rule, matter = doc.get("rule", "cn-civil-code-2021"), doc["matter"]

    if rule == "cn-civil-code-2021":
        quorum = p_a / t_a >= Fraction(2, 3) and Fraction(p_n, t_n) >= Fraction(2, 3)
        if not quorum:
            approved = False
        elif matter in (6, 7, 8):
            approved = y_a / p_a >= Fraction(3, 4) and Fraction(y_n, p_n) >= Fraction(3, 4)
        else:
            approved = y_a / p_a > Fraction(1, 2) and Fraction(y_n, p_n) > Fraction(1, 2)
    elif rule == "cn-property-law-2007":
        quorum = p_a / t_a > Fraction(1, 2) and Fraction(p_n, t_n) > Fraction(1, 2)
        if matter in (5, 6, 7):
            approved = y_a / t_a >= Fraction(2, 3) and Fraction(y_n, t_n) >= Fraction(2, 3)
        else:
            approved = y_a / t_a > Fraction(1, 2) and Fraction(y_n, t_n) > Fraction(1, 2)
    elif rule == "tw-condominium-act":
        quorum = p_a / t_a >= Fraction(2, 3) and Fraction(p_n, t_n) >= Fraction(2, 3)
        approved = quorum and y_a / p_a >= Fraction(3, 4) and Fraction(y_n, p_n) >= Fraction(3, 4)
    elif rule == "hk-bmo":
        quorum = Fraction(p_n, t_n) >= Fraction(1, 10)
        approved = y_a > n_a
    elif rule == "de-weg-2020":
        quorum = True
        approved = y_n > n_n
    else:
        raise AssertionError(rule)
    outcome = "no-quorum" if not quorum else "passed" if approved else "failed"
    return {
        "outcome": outcome,
        "total": (t_a, t_n),
        "yes": (y_a, y_n),
        "no": (n_a, n_n),
        "abstain": tuple(sums["abstain"]),
        "participated": (p_a, p_n),
    }


# --- strategies ---------------------------------------------------------------------------------


def area_text(draw: st.DrawFn, centi: int) -> str:
    """A valid spelling of ``centi`` hundredths: "12.30", "12.3" or "12" where exact."""
    whole, frac = divmod(centi, 100)
    spellings = [f"{whole}.{frac:02d}"]
    if frac % 10 == 0:
        spellings.append(f"{whole}.{frac // 10}")
    if frac == 0:
        spellings.append(str(whole))
    return draw(st.sampled_from(spellings))


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A random community (multi-unit owners, co-owners in any order, duplicates, developer units)
    with at most one ballot per member, cast through a random unit of that member."""
    units: list[dict[str, Any]] = []
    for index in range(draw(st.integers(1, 12))):
        unit: dict[str, Any] = {"id": f"{draw(st.sampled_from('ABC'))}-{index}"}
        unit["area"] = area_text(draw, draw(st.integers(1, 30_000)))
        if draw(st.integers(0, 5)) == 0:
            unit["developer"] = True
            if draw(st.booleans()):  # ignored for developer units
                unit["owners"] = draw(st.lists(st.sampled_from(OWNER_POOL), max_size=2))
        else:
            unit["owners"] = draw(st.lists(st.sampled_from(OWNER_POOL[:5]), min_size=1, max_size=4))
            if draw(st.booleans()):
                unit["developer"] = False
        units.append(unit)
    ballots: list[dict[str, str]] = []
    voted: set[tuple[str, ...]] = set()
    for unit in draw(st.permutations(units)):
        choice = draw(st.sampled_from(["yes", "no", "abstain", None, None]))
        member = oracle_member(unit)
        if choice is not None and member not in voted:
            voted.add(member)
            ballots.append({"unit": unit["id"], "choice": choice})
    return {
        "rule": draw(st.sampled_from(sorted(PRESETS))),
        "matter": draw(st.integers(1, 9)),
        "units": units,
        "ballots": ballots,
    }


def engine(doc: dict[str, Any]) -> Decision:
    """The engine's decision for a scenario document."""
    scenario = parse_scenario(doc)
    return tally(scenario.rule, scenario.matter, scenario.units, scenario.ballots)


def as_fractions(count: Count) -> tuple[Fraction, int]:
    """A Count in the oracle's units (m² as a Fraction, heads)."""
    return Fraction(count.area_centi, 100), count.heads


def unvoted_units(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Units whose member has not voted."""
    voted = {oracle_member(u) for u in doc["units"] if u["id"] in {b["unit"] for b in doc["ballots"]}}
    return [u for u in doc["units"] if oracle_member(u) not in voted]


# --- properties ---------------------------------------------------------------------------------


@SETTINGS
@given(scenarios())
def test_engine_agrees_with_brute_force(doc: dict[str, Any]) -> None:
    """Same outcome and same totals as the oracle, for every preset and matter."""
    decision = engine(doc)
    expected = oracle(doc)
    assert decision.outcome == expected["outcome"]
    for name in ("total", "participated", "yes", "no", "abstain"):
        assert as_fractions(getattr(decision, name)) == expected[name], name
    assert decision.outcome == decide(doc["rule"], doc["matter"], total=decision.total, yes=decision.yes,
                                      no=decision.no, abstain=decision.abstain).outcome


@SETTINGS
@given(scenarios(), st.data())
def test_one_more_yes_never_hurts(doc: dict[str, Any], data: st.DataObject) -> None:
    """A yes from a member who had not voted never turns passed into failed/no-quorum (or worse)."""
    candidates = unvoted_units(doc)
    if not candidates:
        return
    unit = data.draw(st.sampled_from(candidates))
    before = engine(doc).outcome
    after = engine({**doc, "ballots": [*doc["ballots"], {"unit": unit["id"], "choice": "yes"}]}).outcome
    assert RANK[after] >= RANK[before]
    if before == "passed":
        assert after == "passed"


@SETTINGS
@given(scenarios(), st.data())
def test_moving_a_no_to_yes_never_hurts(doc: dict[str, Any], data: st.DataObject) -> None:
    """Changing one no into yes never lowers the outcome."""
    nos = [i for i, b in enumerate(doc["ballots"]) if b["choice"] == "no"]
    if not nos:
        return
    index = data.draw(st.sampled_from(nos))
    ballots = [dict(b) for b in doc["ballots"]]
    ballots[index]["choice"] = "yes"
    assert RANK[engine({**doc, "ballots": ballots}).outcome] >= RANK[engine(doc).outcome]


@SETTINGS
@given(scenarios(), st.randoms(use_true_random=False))
def test_order_and_owner_spelling_never_matter(doc: dict[str, Any], rng: random.Random) -> None:
    """Shuffling units, ballots and owner lists, and repeating owners, changes nothing."""
    units = []
    for unit in doc["units"]:
        unit = dict(unit)
        if "owners" in unit and not unit.get("developer"):
            owners = list(unit["owners"]) + rng.sample(unit["owners"], k=rng.randint(0, len(unit["owners"])))
            rng.shuffle(owners)
            unit["owners"] = owners
        units.append(unit)
    rng.shuffle(units)
    ballots = list(doc["ballots"])
    rng.shuffle(ballots)
    shuffled = {**doc, "units": units, "ballots": ballots}
    assert engine(shuffled) == engine(doc)
    assert group_members(parse_scenario(shuffled).units) == group_members(parse_scenario(doc).units)


@SETTINGS
@given(scenarios())
def test_members_match_the_oracle_grouping(doc: dict[str, Any]) -> None:
    """Members = the oracle's groups; keys follow the documented SHA-256 recipe; order is by key."""
    members = group_members(parse_scenario(doc).units)
    expected: dict[tuple[str, ...], set[str]] = {}
    for unit in doc["units"]:
        expected.setdefault(oracle_member(unit), set()).add(unit["id"])
    got = {}
    for member in members:
        identity = ("<developer>",) if member.developer else ("owners", *sorted(member.owners))
        got[identity] = set(member.unit_ids)
        if member.developer:
            assert member.key == "developer"
        else:
            digest = hashlib.sha256("\x1f".join(sorted(member.owners)).encode()).hexdigest()
            assert member.key == "m-" + digest[:16] == member_key(member.owners)
        assert member.area_centi == sum(
            int(Fraction(u["area"]) * 100) for u in doc["units"] if u["id"] in member.unit_ids)
    assert got == expected
    assert [m.key for m in members] == sorted(m.key for m in members)
