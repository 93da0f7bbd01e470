"""The rules a meeting is decided by, frozen when it is published (the notice).

Publishing copies onto the meeting the community's rule preset (with the fingerprint of its
thresholds, ``vote.rules.fingerprint``), whether parking spaces count, and the notice and objection
days; the scope and the register version are frozen there too. From then on everything that decides
or shows how a published meeting is decided (closing, turnout's quorum lines, the voting scope, the
pages, the downloads) reads ``meeting_rules``. A community setting changed later applies to meetings
published later. A draft has no snapshot: it follows the community's current settings, which are
what its publication will freeze.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from vote.db.models import Community, Meeting
from vote.lib.errors import UserError
from vote.lib.i18n import _
from vote.rules import RulesError
from vote.rules.fingerprint import preset_hash


@dataclass(frozen=True)
class MeetingRules:
    """The settings that decide a meeting."""

    rule_preset: str
    rule_hash: str
    parking_counts: bool
    notice_days: int
    objection_days: int

    def record(self) -> dict[str, object]:
        """The snapshot as plain data (for the audit log)."""
        return asdict(self)


def current_rules(community: Community) -> MeetingRules:
    """The community's settings now: what a publication now would freeze."""
    try:
        rule_hash = preset_hash(community.rule_preset)
    except RulesError as error:
        raise UserError(_("This community's rule preset is unknown, so no meeting can be published."), 409) from error
    return MeetingRules(rule_preset=community.rule_preset, rule_hash=rule_hash,
                        parking_counts=community.parking_counts, notice_days=community.notice_days,
                        objection_days=community.objection_days)


def is_frozen(meeting: Meeting) -> bool:
    """True once the meeting was published and carries its snapshot."""
    return meeting.status != "draft" and meeting.rule_preset is not None


def meeting_rules(meeting: Meeting, community: Community) -> MeetingRules:
    """The rules that decide ``meeting``: its snapshot once published, the community's for a draft."""
    if not is_frozen(meeting):
        return current_rules(community)
    return MeetingRules(rule_preset=meeting.rule_preset, rule_hash=meeting.rule_hash,  # type: ignore[arg-type]
                        parking_counts=meeting.parking_counts, notice_days=meeting.notice_days,  # type: ignore[arg-type]
                        objection_days=meeting.objection_days)  # type: ignore[arg-type]


def rule_preset(meeting: Meeting, community: Community) -> str:
    """The preset id that decides ``meeting`` (frozen once published)."""
    return meeting.rule_preset if is_frozen(meeting) else community.rule_preset  # type: ignore[return-value]


def parking_counts(meeting: Meeting, community: Community) -> bool:
    """Whether parking spaces count in ``meeting`` (frozen once published)."""
    return meeting.parking_counts if is_frozen(meeting) else community.parking_counts  # type: ignore[return-value]


def freeze_rules(meeting: Meeting, community: Community) -> MeetingRules:
    """Copy the community's current settings onto the meeting being published; return them."""
    rules = current_rules(community)
    meeting.rule_preset, meeting.rule_hash = rules.rule_preset, rules.rule_hash
    meeting.parking_counts, meeting.notice_days = rules.parking_counts, rules.notice_days
    meeting.objection_days = rules.objection_days
    return rules


def preset_unchanged(rules: MeetingRules) -> bool:
    """True when the preset still has the thresholds it had at notice (its fingerprint is the same)."""
    try:
        return preset_hash(rules.rule_preset) == rules.rule_hash
    except RulesError:
        return False
