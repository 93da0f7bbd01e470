"""Thresholds shown before a decision: the quorum line during voting, and an owners' proposal's goal.

Both answer "is the line met, and how much is still missing?" in exact integers, with the same
``meets`` as the engine: the committee's turnout page and the proposal page never compare areas or
heads themselves.

- ``quorum_lines``: every distinct participation gate of the motions of a meeting, against the
  members who have taken part so far (docs/rules.md: participation counts abstentions).
- ``proposal_threshold``: an owners' proposal (业主提议, 指导规则 Art. 21) is met when its supporters
  hold at least ``threshold_pct``% of the heads and of the area in scope (mode ``and``), or of either
  (mode ``or``); "以上" includes the number, so the comparison is ``≥``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from vote.rules.arithmetic import Comparison, Ratio, meets, smallest_meeting
from vote.rules.engine import Count, validate_count
from vote.rules.errors import InvalidCount, InvalidPreset
from vote.rules.presets import Dimension, Preset, resolve_rule, validate_matter

ProposalMode = Literal["and", "or"]
PROPOSAL_MODES: tuple[ProposalMode, ...] = ("and", "or")


@dataclass(frozen=True, slots=True)
class QuorumLine:
    """One participation gate against the turnout so far: met, and how much is missing (0 if met)."""

    dimension: Dimension
    required: Ratio
    comparison: Comparison
    met: bool
    missing: int
    """Area in 0.01 m² (or shares) or heads still needed to meet the gate."""


def quorum_lines(rule: str | Preset, matters: Iterable[int], total: Count,
                 participated: Count) -> tuple[QuorumLine, ...]:
    """The distinct participation gates of ``matters`` under ``rule``, in motion and gate order.

    Gates equal in dimension, fraction and comparison are shown once. A rule without participation
    gates (one person, one vote with no quorum) gives no line.
    """
    preset = resolve_rule(rule)
    validate_count("total", total)
    validate_count("participated", participated)
    if participated.area_centi > total.area_centi or participated.heads > total.heads:
        raise InvalidCount("participated", "exceeds the total")
    lines: dict[tuple[Dimension, Ratio, Comparison], QuorumLine] = {}
    for matter in matters:
        for gate in preset.gates_for(validate_matter(matter)):
            key = (gate.dimension, gate.fraction, gate.comparison)
            if gate.kind != "participation" or key in lines:
                continue
            have, base = participated.of(gate.dimension), total.of(gate.dimension)
            lines[key] = QuorumLine(
                dimension=gate.dimension, required=gate.fraction, comparison=gate.comparison,
                met=meets(have, base, gate.fraction, gate.comparison),
                missing=max(0, smallest_meeting(base, gate.fraction, gate.comparison) - have),
            )
    return tuple(lines.values())


@dataclass(frozen=True, slots=True)
class ProposalThreshold:
    """An owners' proposal's support against its threshold, per dimension and overall."""

    heads_met: bool
    area_met: bool
    met: bool
    heads_needed: int
    """The smallest number of members that reaches the threshold."""
    area_needed: int
    """The smallest area (0.01 m²) that reaches the threshold."""


def proposal_threshold(threshold_pct: int, mode: str, support: Count, total: Count) -> ProposalThreshold:
    """Whether ``support`` reaches ``threshold_pct``% of ``total`` in both dimensions (``and``) or either (``or``)."""
    if not isinstance(threshold_pct, int) or isinstance(threshold_pct, bool) or not 1 <= threshold_pct <= 100:
        raise InvalidPreset("threshold_pct", f"must be an integer from 1 to 100, got {threshold_pct!r}")
    if mode not in PROPOSAL_MODES:
        raise InvalidPreset("mode", f"must be 'and' or 'or', got {mode!r}")
    validate_count("total", total)
    validate_count("support", support)
    if support.area_centi > total.area_centi or support.heads > total.heads:
        raise InvalidCount("support", "exceeds the total")
    required = Ratio(threshold_pct, 100)
    heads_met = meets(support.heads, total.heads, required, ">=")
    area_met = meets(support.area_centi, total.area_centi, required, ">=")
    return ProposalThreshold(
        heads_met=heads_met, area_met=area_met,
        met=(heads_met or area_met) if mode == "or" else (heads_met and area_met),
        heads_needed=smallest_meeting(total.heads, required, ">="),
        area_needed=smallest_meeting(total.area_centi, required, ">="),
    )
