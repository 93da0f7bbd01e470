"""The decision engine: who counts as a member, and whether a motion passed (RULES.md).

Pure Python and exact integer arithmetic; no I/O, no ORM. The web app, the ``vote tally`` command and
any verifier call these same functions, so there is one implementation of the rules.

    >>> from vote.rules import DEFAULT_PRESET, Count, decide
    >>> decide(DEFAULT_PRESET, 6, total=Count(31700, 3), yes=Count(10200, 1),
    ...        no=Count(0, 0), abstain=Count(12000, 1)).outcome
    'failed'
"""

from vote.rules.arithmetic import Ratio, format_area, format_percent, parse_area
from vote.rules.committee import committee_approves, committee_majority
from vote.rules.engine import CHOICES, Check, Choice, Count, Decision, Outcome, decide, tally
from vote.rules.errors import (
    DuplicateBallot,
    InvalidBallot,
    InvalidCount,
    InvalidMatter,
    InvalidPreset,
    InvalidScenario,
    InvalidUnit,
    RulesError,
    UnknownRule,
    UnsupportedLocale,
)
from vote.rules.i18n import (
    LOCALES,
    class_label,
    describe,
    describe_check,
    matter_label,
    outcome_label,
    threshold_summary,
)
from vote.rules.members import DEVELOPER_KEY, Member, UnitRecord, group_members, member_key
from vote.rules.presets import DEFAULT_PRESET, MATTERS, PRESETS, Gate, Preset, get_preset, resolve_rule
from vote.rules.scenario import Scenario, decision_to_dict, load_scenario, parse_scenario

__all__ = [
    "CHOICES", "DEFAULT_PRESET", "DEVELOPER_KEY", "LOCALES", "MATTERS", "PRESETS",
    "Check", "Choice", "Count", "Decision", "DuplicateBallot", "Gate", "InvalidBallot", "InvalidCount",
    "InvalidMatter", "InvalidPreset", "InvalidScenario", "InvalidUnit", "Member", "Outcome", "Preset",
    "Ratio", "RulesError", "Scenario", "UnitRecord", "UnknownRule", "UnsupportedLocale",
    "class_label", "decide", "decision_to_dict", "describe", "describe_check", "format_area",
    "format_percent", "get_preset", "group_members", "load_scenario", "matter_label", "member_key",
    "outcome_label", "parse_area", "parse_scenario", "resolve_rule", "tally", "threshold_summary",
]
__all__ += ["committee_approves", "committee_majority"]
