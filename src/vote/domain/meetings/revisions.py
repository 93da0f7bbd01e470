"""Revisions of a motion's text: a published text is frozen, a change is a new revision.

Before publication a new revision is simply the next draft. While the meeting is noticed but not yet
open, a new text is a decision of the committee, not of one member: it is *proposed*
(``propose_revision``: an amendment written by the committee, approved by its proposer) and stays
unpublished — owners keep seeing the current text — until a committee majority of at least two
approved it (``vote.domain.approvals``; owners' amendments follow the same path). The approval that
reaches the majority publishes it as the next revision (``revise_motion``), which restarts the notice
clock (docs/rules.md, "Agenda lock"): the voting window moves so that it opens no earlier than a full
notice period from now. Once voting has opened, the text can no longer change.
"""

from __future__ import annotations

import difflib
import re
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vote.db.engine import begin_write
from vote.db.models import Amendment, Community, Meeting, Motion, MotionRevision
from vote.domain.approvals.services import AMENDMENT_ADOPT, ApprovalStatus, approve
from vote.domain.audit.services import record
from vote.domain.meetings.lifecycle import phase
from vote.lib.errors import UserError
from vote.lib.i18n import _

DiffOp = tuple[str, str]

# One CJK character, a run of other non-space characters, or a run of whitespace: Chinese text has
# no spaces between words, so a character is the unit of change there.
_TOKEN = re.compile(r"[\u3000-\u9fff\uf900-\ufaff\uff00-\uffef]|[^\s\u3000-\u9fff\uf900-\ufaff\uff00-\uffef]+|\s+")


async def latest_revision(db: AsyncSession, motion_id: int) -> MotionRevision | None:
    """The newest revision of a motion (its current text)."""
    return (
        await db.execute(
            select(MotionRevision).where(MotionRevision.motion_id == motion_id)
            .order_by(MotionRevision.number.desc()).limit(1)
        )
    ).scalar_one_or_none()


def restart_notice(meeting: Meeting, community: Community, now: datetime) -> timedelta:
    """Restart the notice clock at ``now``: the window opens no earlier than now + notice days.

    The window keeps its length; returns how far it moved (zero if it already opened late enough).
    """
    # The notice period frozen at publication (vote.domain.meetings.snapshot), not today's setting.
    earliest = now + timedelta(days=meeting.notice_days if meeting.notice_days is not None else community.notice_days)
    shift = max(timedelta(0), earliest - meeting.opens_at)
    meeting.noticed_at = now
    meeting.opens_at = meeting.opens_at + shift
    meeting.closes_at = meeting.closes_at + shift
    return shift


async def revise_motion(
    db: AsyncSession,
    *,
    motion_id: int,
    title: str,
    body_md: str,
    actor_account_id: int | None,
    now: datetime,
    approval: ApprovalStatus | None = None,
) -> MotionRevision:
    """Add the motion's next revision; once noticed it is published at once and restarts the notice.

    A noticed motion's text changes only on a committee decision: ``approval`` must be the reached
    approval of the adopted text (``AMENDMENT_ADOPT``). Refused with a ``UserError`` once voting has
    opened. The caller commits.
    """
    if not db.in_transaction():
        await begin_write(db)
    title, body_md = title.strip(), body_md.strip()
    if not title:
        raise UserError(_("A motion needs a title."), 422)
    row = (
        await db.execute(
            select(Motion, Meeting, Community)
            .join(Meeting, Meeting.id == Motion.meeting_id)
            .join(Community, Community.id == Meeting.community_id)
            .where(Motion.id == motion_id)
        )
    ).one_or_none()
    if row is None:
        raise UserError(_("This motion does not exist."), 404)
    motion, meeting, community = row
    current = phase(meeting, now)
    if current not in ("draft", "noticed"):
        raise UserError(_("Voting has opened: the text of this motion can no longer be changed."), 409)
    number = (
        await db.execute(
            select(func.coalesce(func.max(MotionRevision.number), 0)).where(MotionRevision.motion_id == motion.id)
        )
    ).scalar_one() + 1
    published = current == "noticed"
    if published and (approval is None or approval.subject_type != AMENDMENT_ADOPT or not approval.reached):
        raise UserError(_("A new text of a published motion needs the approval of a majority of the committee, and "
                          "at least two members."), 409)
    revision = MotionRevision(
        motion_id=motion.id, number=number, title=title, body_md=body_md, created_at=now,
        created_by_account_id=actor_account_id, published_at=now if published else None,
    )
    db.add(revision)
    if published:
        restart_notice(meeting, community, now)
    await db.flush()
    await record(
        db, at=now, action="motion_revised", community_id=community.id, actor_account_id=actor_account_id,
        object_type="motion", object_id=motion.id,
        detail={
            "meeting_id": meeting.id, "revision": number, "published": published,
            "opens_at": meeting.opens_at.isoformat(), "closes_at": meeting.closes_at.isoformat(),
            "approvers": [a.account_id for a in approval.approvers] if approval else [],
        },
    )
    return revision


async def propose_revision(
    db: AsyncSession,
    community: Community,
    *,
    motion_id: int,
    title: str,
    body_md: str,
    actor_account_id: int,
    now: datetime,
) -> Amendment:
    """A committee member proposes a new text for a noticed motion: nothing is published yet.

    The proposal is an amendment written by the committee, shown with the owners' amendments; the
    proposer's approval is its first one (``vote.domain.approvals``: who puts a decision forward approves
    it). A second member's approval is always needed. Call in a write transaction; the caller commits.
    """
    title, body_md = title.strip(), body_md.strip()
    row = (
        await db.execute(
            select(Motion, Meeting).join(Meeting, Meeting.id == Motion.meeting_id)
            .where(Motion.id == motion_id, Meeting.community_id == community.id)
        )
    ).one_or_none()
    if row is None:
        raise UserError(_("This motion does not exist."), 404)
    motion, meeting = row
    if phase(meeting, now) != "noticed":
        raise UserError(_("Voting has opened: the text of this motion can no longer be changed."), 409)
    current = await latest_revision(db, motion.id)
    assert current is not None
    if title == current.title and body_md == current.body_md.strip():
        raise UserError(_("The proposed text is the same as the current text."), 422)
    proposal = Amendment(
        community_id=community.id, motion_id=motion.id, base_revision_id=current.id, kind="amendment",
        author_account_id=actor_account_id, author_role="committee", author_building=None,
        proposed_title=title if title != current.title else None, proposed_body_md=body_md, comment="",
        status="open", created_at=now,
    )
    db.add(proposal)
    await db.flush()
    await record(
        db, at=now, action="amendment_proposed", community_id=community.id, actor_account_id=actor_account_id,
        object_type="amendment", object_id=proposal.id,
        detail={"motion_id": motion.id, "base_revision": current.number, "by": "committee"},
    )
    await approve(db, community, AMENDMENT_ADOPT, proposal.id, actor_account_id, now)
    return proposal


def _tokens(text: str) -> list[str]:
    """Split text into diff units: CJK characters, words and whitespace runs."""
    return _TOKEN.findall(text)


def revision_diff(old: str, new: str) -> list[DiffOp]:
    """A readable word/character diff of two texts as ("equal"|"insert"|"delete", text) runs.

    A tiny unchanged island between two changes (under three units) is folded into the change, so a
    rewritten phrase reads as one deletion and one insertion rather than confetti.
    """
    a, b = _tokens(old), _tokens(new)
    # Chunks of (changed?, old text tokens, new text tokens).
    chunks: list[tuple[bool, list[str], list[str]]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        chunks.append((tag != "equal", a[i1:i2], b[j1:j2]))
    merged: list[tuple[bool, list[str], list[str]]] = []
    for index, (changed, old_part, new_part) in enumerate(chunks):
        between_changes = 0 < index < len(chunks) - 1 and chunks[index - 1][0] and chunks[index + 1][0]
        if not changed and between_changes and len(old_part) < 3:
            changed = True
        if merged and changed and merged[-1][0]:
            merged[-1] = (True, merged[-1][1] + old_part, merged[-1][2] + new_part)
        else:
            merged.append((changed, list(old_part), list(new_part)))
    ops: list[DiffOp] = []
    for changed, old_part, new_part in merged:
        if not changed:
            ops.append(("equal", "".join(old_part)))
            continue
        if old_part:
            ops.append(("delete", "".join(old_part)))
        if new_part:
            ops.append(("insert", "".join(new_part)))
    return ops
