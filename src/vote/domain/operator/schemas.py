"""Form bodies of the operator pages. Numbers arrive as text so that bad input is re-shown as typed."""

from __future__ import annotations

from dataclasses import dataclass

from vote.rules import DEFAULT_PRESET


@dataclass
class CommunityForm:
    """A community's identity and adopted rules; the defaults are the model's (and docs/rules.md's)."""

    slug: str = ""
    name: str = ""
    address: str = ""
    rule_preset: str = DEFAULT_PRESET
    notice_days: str = "15"
    objection_days: str = "7"
    voting_days_min: str = "5"
    voting_days_max: str = "60"
    parking_counts: str = "yes"
    ballot_inspection: str = "yes"
    proposal_threshold_pct: str = "20"
    proposal_mode: str = "and"


@dataclass
class RoleForm:
    """Grant a role in a community to an existing account."""

    login: str = ""
    role: str = ""
