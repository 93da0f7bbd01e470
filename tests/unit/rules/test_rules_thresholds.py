"""Lines shown before a decision, computed in rules/: the quorum line during voting and a proposal's goal."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vote.rules import (
    PRESETS,
    Count,
    Gate,
    InvalidCount,
    InvalidMatter,
    InvalidPreset,
    Ratio,
    UnknownRule,
    decide,
    get_preset,
    proposal_threshold,
    quorum_lines,
)
from vote.rules.arithmetic import meets, smallest_meeting

CIVIL = "cn-civil-code-2021"


def test_quorum_lines_of_the_civil_code() -> None:
    """Two thirds of 900.00 m² and of 9 owners: 600.00 m² and 6 owners; 4 took part with 450.00 m²."""
    lines = quorum_lines(CIVIL, [1, 6], total=Count(90000, 9), participated=Count(45000, 4))
    assert [(line.dimension, line.required, line.comparison, line.met, line.missing) for line in lines] == [
        ("area", Ratio(2, 3), ">=", False, 15000),
        ("heads", Ratio(2, 3), ">=", False, 2),
    ]
    reached = quorum_lines(CIVIL, [1], total=Count(90000, 9), participated=Count(60000, 6))
    assert [(line.met, line.missing) for line in reached] == [(True, 0), (True, 0)]


def test_a_strict_line_needs_one_more_than_the_exact_share() -> None:
    """Property Law 2007: more than half of 8 owners is 5, not 4; of 100.01 m² it is 50.01 m²."""
    lines = quorum_lines("cn-property-law-2007", [4], total=Count(10001, 8), participated=Count(0, 0))
    assert [line.missing for line in lines] == [5001, 5]


def test_lines_are_shown_once_and_only_where_a_rule_has_them() -> None:
    """Equal gates of several motions are one line; a rule without participation gates has none."""
    assert len(quorum_lines(CIVIL, [1, 3, 6, 7, 9], total=Count(100, 1), participated=Count(0, 0))) == 2
    assert quorum_lines("de-weg-2020", [1], total=Count(100, 1), participated=Count(0, 0)) == ()
    assert quorum_lines(CIVIL, [], total=Count(100, 1), participated=Count(0, 0)) == ()
    hk = quorum_lines("hk-bmo", [1], total=Count(1000, 10), participated=Count(0, 0))
    assert [(line.dimension, line.missing) for line in hk] == [("heads", 1)]


def test_a_derived_preset_with_another_line_for_special_matters_shows_both() -> None:
    """Two different participation gates in one dimension are two lines."""
    base = get_preset(CIVIL)
    stricter = Gate("participation", "heads", "part", "tot", Ratio(3, 4), ">=")
    local = replace(base, id="local", gates={**base.gates, "special": base.gates["special"] + (stricter,)})
    lines = quorum_lines(local, [1, 6], total=Count(800, 8), participated=Count(500, 5))
    assert [(line.dimension, line.required, line.missing) for line in lines] == [
        ("area", Ratio(2, 3), 34), ("heads", Ratio(2, 3), 1), ("heads", Ratio(3, 4), 1),
    ]


@pytest.mark.parametrize(("call", "error"), [
    (lambda: quorum_lines("nope", [1], Count(100, 1), Count(0, 0)), UnknownRule),
    (lambda: quorum_lines(CIVIL, [10], Count(100, 1), Count(0, 0)), InvalidMatter),
    (lambda: quorum_lines(CIVIL, [1], Count(100, 1), Count(200, 2)), InvalidCount),
    (lambda: quorum_lines(CIVIL, [1], Count(100, 1), Count(-1, 0)), InvalidCount),
])
def test_invalid_quorum_input(call: object, error: type) -> None:
    """Unknown rules, matters and impossible counts are errors."""
    with pytest.raises(error):
        call()  # type: ignore[operator]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(PRESETS)), st.integers(1, 9), st.integers(1, 50), st.integers(0, 50),
       st.integers(0, 500))
def test_the_missing_amount_is_exactly_what_meets_the_gate(rule: str, matter: int, heads: int, took_part: int,
                                                           extra_area: int) -> None:
    """Adding ``missing`` meets the line; one less does not; and met agrees with the engine's own check."""
    took_part = min(took_part, heads)
    total = Count(100 * heads + extra_area, heads)
    participated = Count(100 * took_part, took_part)
    decision = decide(rule, matter, total=total, yes=Count(0, 0), no=Count(0, 0), abstain=participated)
    engine = {(c.dimension, c.required, c.comparison): c.met for c in decision.checks if c.kind == "participation"}
    for line in quorum_lines(rule, [matter], total, participated):
        assert engine[(line.dimension, line.required, line.comparison)] == line.met
        base, have = total.of(line.dimension), participated.of(line.dimension)
        assert line.met == (line.missing == 0)
        assert meets(have + line.missing, base, line.required, line.comparison)
        if line.missing:
            assert not meets(have + line.missing - 1, base, line.required, line.comparison)


def test_smallest_meeting_with_nothing_to_meet() -> None:
    """A zero base: nothing can be added (0/0 never meets)."""
    assert smallest_meeting(0, Ratio(2, 3), ">=") == 0
    assert smallest_meeting(3, Ratio(2, 3), ">=") == 2
    assert smallest_meeting(3, Ratio(2, 3), ">") == 3


def test_proposal_threshold_and_or() -> None:
    """20% of 10 owners and of 1000.00 m²: both needed in mode and, either in mode or; "以上" includes the number."""
    total = Count(100_000, 10)
    exactly = proposal_threshold(20, "and", support=Count(20_000, 2), total=total)
    assert (exactly.heads_met, exactly.area_met, exactly.met) == (True, True, True)
    short_area = proposal_threshold(20, "and", support=Count(19_999, 2), total=total)
    assert (short_area.heads_met, short_area.area_met, short_area.met) == (True, False, False)
    assert proposal_threshold(20, "or", support=Count(19_999, 2), total=total).met
    assert not proposal_threshold(20, "or", support=Count(19_999, 1), total=total).met
    assert not proposal_threshold(20, "or", support=Count(0, 0), total=Count(0, 0)).met
    seven = proposal_threshold(20, "and", support=Count(0, 0), total=Count(99_999, 7))
    assert (seven.heads_needed, seven.area_needed) == (2, 20_000)


@pytest.mark.parametrize(("pct", "mode", "support", "field"), [
    (0, "and", Count(0, 0), "threshold_pct"),
    (101, "and", Count(0, 0), "threshold_pct"),
    (True, "and", Count(0, 0), "threshold_pct"),
    (20, "xor", Count(0, 0), "mode"),
    (20, "and", Count(200_000, 2), "support"),
])
def test_invalid_proposal_thresholds(pct: int, mode: str, support: Count, field: str) -> None:
    """The percentage, the mode and the support are checked."""
    with pytest.raises((InvalidPreset, InvalidCount)) as raised:
        proposal_threshold(pct, mode, support=support, total=Count(100_000, 10))
    assert raised.value.field == field


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 100), st.integers(1, 60), st.integers(0, 60), st.integers(0, 10_000))
def test_needed_support_meets_the_threshold(pct: int, heads_total: int, heads: int, area_extra: int) -> None:
    """The needed heads and area reach the threshold, one less does not; met per dimension matches."""
    heads = min(heads, heads_total)
    total = Count(100 * heads_total + area_extra, heads_total)
    result = proposal_threshold(pct, "and", support=Count(100 * heads, heads), total=total)
    assert result.heads_met == (heads >= result.heads_needed)
    assert result.area_met == (100 * heads >= result.area_needed)
    assert 100 * result.heads_needed >= pct * heads_total > 100 * (result.heads_needed - 1)
    assert 100 * result.area_needed >= pct * total.area_centi > 100 * (result.area_needed - 1)
