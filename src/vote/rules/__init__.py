"""The decision engine: who counts as a member, whether a motion passed, who is elected (docs/rules.md).

Also the lines shown before a decision (quorum during voting, an owners' proposal's goal): nothing
outside this package compares areas or heads with a threshold.

Pure Python and exact integer arithmetic; no I/O, no ORM. The web app, the ``vote tally`` command and
any verifier call these same functions, so there is one implementation of the rules.

    >>> from vote.rules import DEFAULT_PRESET, Count, decide
    >>> decide(DEFAULT_PRESET, 6, total=Count(31700, 3), yes=Count(10200, 1),
    ...        no=Count(0, 0), abstain=Count(12000, 1)).outcome
    'failed'
"""

from vote.rules.arithmetic import Ratio, format_area, format_percent, parse_area
from vote.rules.election import (
    CANDIDATE_STATUSES,
    CandidateResult,
    CandidateStatus,
    ElectionOutcome,
    ElectionResult,
    decide_election,
    tally_election,
)
from vote.rules.committee import committee_approves, committee_majority
from vote.rules.engine import CHOICES, Check, Choice, Count, Decision, Outcome, decide, tally
from vote.rules.errors import (
    DuplicateBallot,
    InvalidBallot,
    InvalidCount,
    InvalidElection,
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
    election_summary,
    matter_label,
    outcome_label,
    seat_rule_summary,
    status_label,
    threshold_summary,
)
from vote.rules.members import DEVELOPER_KEY, Member, UnitRecord, group_members, member_key
from vote.rules.presets import DEFAULT_PRESET, MATTERS, PRESETS, Gate, Preset, get_preset, resolve_rule
from vote.rules.scenario import (
    ElectionScenario,
    Scenario,
    TotalsScenario,
    checks_to_list,
    decision_to_dict,
    election_to_dict,
    evaluate,
    load_scenario,
    parse_scenario,
)
from vote.rules.thresholds import PROPOSAL_MODES, ProposalThreshold, QuorumLine, proposal_threshold, quorum_lines

__all__ = [
    "CANDIDATE_STATUSES", "CHOICES", "DEFAULT_PRESET", "DEVELOPER_KEY", "LOCALES", "MATTERS", "PRESETS",
    "PROPOSAL_MODES", "CandidateResult", "CandidateStatus", "Check", "Choice", "Count", "Decision",
    "DuplicateBallot", "ElectionOutcome", "ElectionResult", "ElectionScenario", "Gate", "InvalidBallot",
    "InvalidCount", "InvalidElection", "InvalidMatter", "InvalidPreset", "InvalidScenario", "InvalidUnit",
    "Member", "Outcome", "Preset", "ProposalThreshold", "QuorumLine", "Ratio", "RulesError", "Scenario",
    "TotalsScenario", "UnitRecord", "UnknownRule", "UnsupportedLocale",
    "checks_to_list", "class_label", "decide", "decide_election", "decision_to_dict", "describe", "describe_check",
    "election_summary", "election_to_dict", "evaluate", "format_area", "format_percent", "get_preset", "group_members",
    "load_scenario", "matter_label", "member_key", "outcome_label", "parse_area", "parse_scenario",
    "proposal_threshold", "quorum_lines", "resolve_rule", "seat_rule_summary", "status_label", "tally",
    "tally_election", "threshold_summary",
]
__all__ += ["committee_approves", "committee_majority"]
