"""Committee approvals: two people, and a majority of the committee, for every decision of the committee.

Publishing a meeting's notice, publishing a new text of a noticed motion, adopting an owner's amendment
once the notice is out, and publishing the final result change what owners see or decide. Each is a
decision of the owners' committee, taken by this module's one rule:

- **The committee** is the accounts that are active and hold the committee role in the community
  (``committee_members``; the one definition, used for the size and for counting approvals alike).
- **The majority** is ``vote.rules.committee_majority(size)``: more than half, never fewer than two.
- **An approval** is one ``Approval`` row per member and subject (a unique constraint): a member counts
  once however often they click, and only while they are on the committee (an approval by someone who
  left or was deactivated no longer counts).
- **Who approves first**: the member who puts a decision forward approves it by doing so — the first
  "approve publication" on a draft, proposing a new text for a noticed motion (``propose_revision``
  in ``meetings.revisions``), the first "adopt" of an amendment, the first approval of the final result.
  The proposer is never enough alone: a second, different member must always approve.
- **Concurrency**: ``approve`` locks the subject's rows first (``SELECT … FOR UPDATE`` on PostgreSQL;
  on SQLite the ``BEGIN IMMEDIATE`` of ``begin_write`` serialises writers already), then inserts the
  approval, then counts. Simultaneous approvals are counted one after the other, so exactly one of
  them sees the majority, and its caller performs the act in the same transaction.
- **A changed subject needs its approvals again**: approvals were given to the subject as it was;
  ``withdraw`` removes them when it changes (a draft edited, the text under an amendment replaced).

Every approval, every withdrawal and (by the callers) every act is in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vote.db.models import Account, Amendment, Approval, Community, Meeting, Motion, Role
from vote.domain.audit.services import record
from vote.lib.errors import UserError
from vote.lib.i18n import _
from vote.lib.masking import mask_name
from vote.rules import committee_approves, committee_majority

MEETING_PUBLISH = "meeting_publish"
"""Publishing a draft meeting: the notice (subject: the meeting)."""
RESULT_FINAL = "result_final"
"""Publishing the final result after the objection period (subject: the meeting)."""
AMENDMENT_ADOPT = "amendment_adopt"
"""Adopting a proposed text as a noticed motion's next revision (subject: the amendment)."""
SUBJECT_TYPES = (MEETING_PUBLISH, RESULT_FINAL, AMENDMENT_ADOPT)

# Where the audit log files each subject's approvals (the meeting's audit page shows meetings and motions).
_OBJECT_TYPES = {MEETING_PUBLISH: "meeting", RESULT_FINAL: "meeting", AMENDMENT_ADOPT: "amendment"}


def committee_members(community_id: int) -> Select[tuple[int]]:
    """The committee of a community: ids of the active accounts holding its committee role."""
    return (
        select(Role.account_id)
        .join(Account, Account.id == Role.account_id)
        .where(Role.community_id == community_id, Role.role == "committee", Account.is_active.is_(True))
    )


async def committee_member_ids(db: AsyncSession, community_id: int) -> list[int]:
    """The committee's account ids (``committee_members``), in id order."""
    return sorted((await db.execute(committee_members(community_id))).scalars())


async def committee_size(db: AsyncSession, community_id: int) -> int:
    """How many members the committee has (``committee_members``)."""
    return (
        await db.execute(select(func.count()).select_from(committee_members(community_id).subquery()))
    ).scalar_one()


@dataclass(frozen=True)
class Approver:
    """A member who approved, shown with a masked name."""

    account_id: int
    name: str
    at: datetime


@dataclass(frozen=True)
class ApprovalStatus:
    """Where the committee stands on one decision: its members, the approvals needed and given."""

    subject_type: str
    subject_id: int
    members: frozenset[int]
    approvers: tuple[Approver, ...]

    @property
    def committee_size(self) -> int:
        """How many members the committee has."""
        return len(self.members)

    @property
    def needed(self) -> int:
        """Approvals the decision needs (``committee_majority``)."""
        return committee_majority(self.committee_size)

    @property
    def given(self) -> int:
        """Approvals by current committee members."""
        return len(self.approvers)

    @property
    def reached(self) -> bool:
        """The committee's majority has approved."""
        return committee_approves(approvals=self.given, committee_size=self.committee_size)

    @property
    def possible(self) -> bool:
        """The committee has at least two members, so the decision can be taken at all."""
        return self.committee_size >= 2

    @property
    def names(self) -> str:
        """The approvers' masked names, for a sentence."""
        return "、".join(a.name for a in self.approvers)

    def approved_by(self, account_id: int | None) -> bool:
        """This account has approved."""
        return any(a.account_id == account_id for a in self.approvers)

    def can_approve(self, account_id: int | None) -> bool:
        """This committee member may press the button: not approved yet, or the majority is there already.

        The majority can be there with the act not done when the committee shrank after the approvals
        (a member switched off lowers the majority): then any member, an approver too, carries it out.
        """
        return account_id in self.members and self.possible and (not self.approved_by(account_id) or self.reached)

    def decisive_for(self, account_id: int | None) -> bool:
        """This account's approval would carry the decision (and perform the act at once)."""
        if not self.can_approve(account_id):
            return False
        given = self.given if self.approved_by(account_id) else self.given + 1
        return committee_approves(approvals=given, committee_size=self.committee_size)


@dataclass(frozen=True)
class Decision:
    """What an approval achieved: the status after it, and whether it added a new approval."""

    status: ApprovalStatus
    added: bool

    @property
    def reached(self) -> bool:
        """The majority is reached: the caller performs the act now, in this transaction."""
        return self.status.reached


async def lock_subject(db: AsyncSession, community_id: int, subject_type: str, subject_id: int) -> Meeting | Amendment:
    """Lock the subject's rows for the rest of the transaction and return the subject (404 if not here).

    The meeting is always locked first (for an amendment: the meeting of its motion, whose notice a
    new text restarts), so every decision on one meeting is taken one at a time and in one lock order.
    Rows are re-read (``populate_existing``): after waiting for the lock, we see the committed state.
    """
    if subject_type in (MEETING_PUBLISH, RESULT_FINAL):
        meeting = (
            await db.execute(
                select(Meeting).where(Meeting.id == subject_id, Meeting.community_id == community_id)
                .with_for_update().execution_options(populate_existing=True)
            )
        ).scalar_one_or_none()
        if meeting is None:
            raise UserError(_("This meeting does not exist."), 404)
        return meeting
    if subject_type == AMENDMENT_ADOPT:
        meeting_id = (
            await db.execute(
                select(Motion.meeting_id).join(Amendment, Amendment.motion_id == Motion.id)
                .where(Amendment.id == subject_id, Amendment.community_id == community_id)
            )
        ).scalar_one_or_none()
        if meeting_id is None:
            raise UserError(_("This amendment does not exist."), 404)
        await db.execute(
            select(Meeting).where(Meeting.id == meeting_id).with_for_update().execution_options(populate_existing=True)
        )
        return (
            await db.execute(
                select(Amendment).where(Amendment.id == subject_id)
                .with_for_update().execution_options(populate_existing=True)
            )
        ).scalar_one()
    raise ValueError(f"unknown approval subject {subject_type!r}")


async def approval_status(db: AsyncSession, community: Community, subject_type: str,
                          subject_id: int) -> ApprovalStatus:
    """The committee's size, the approvals needed and those given by current members (oldest first)."""
    members = frozenset(await committee_member_ids(db, community.id))
    rows = (
        await db.execute(
            select(Approval.account_id, Approval.created_at, Account.display_name, Account.login)
            .join(Account, Account.id == Approval.account_id)
            .where(Approval.community_id == community.id, Approval.subject_type == subject_type,
                   Approval.subject_id == subject_id)
            .order_by(Approval.created_at, Approval.id)
        )
    ).all()
    approvers = tuple(
        Approver(account_id=account_id, name=mask_name(name or login), at=at)
        for account_id, at, name, login in rows if account_id in members
    )
    return ApprovalStatus(subject_type=subject_type, subject_id=subject_id, members=members, approvers=approvers)


async def approve(db: AsyncSession, community: Community, subject_type: str, subject_id: int, account_id: int,
                  now: datetime) -> Decision:
    """Record ``account_id``'s approval of the subject; ``reached`` tells the caller to perform the act.

    Call inside a write transaction (``begin_write``), after checking under ``lock_subject`` that the
    act is still to be done; the caller performs the act and commits. Approving twice counts once.
    """
    await lock_subject(db, community.id, subject_type, subject_id)
    status = await approval_status(db, community, subject_type, subject_id)
    if account_id not in status.members:
        raise UserError(_("Only a member of the owners' committee can approve."), 403)
    if not status.possible:
        raise UserError(_("This decision needs the approval of at least two committee members, and this community "
                          "has fewer than two."), 409)
    if status.approved_by(account_id):
        return Decision(status=status, added=False)
    db.add(Approval(community_id=community.id, subject_type=subject_type, subject_id=subject_id,
                    account_id=account_id, created_at=now))
    await db.flush()
    status = await approval_status(db, community, subject_type, subject_id)
    await record(
        db, at=now, action=f"{subject_type}_approved", community_id=community.id, actor_account_id=account_id,
        object_type=_OBJECT_TYPES[subject_type], object_id=subject_id,
        detail={"approvals": status.given, "needed": status.needed, "committee": status.committee_size,
                "approvers": [a.account_id for a in status.approvers]},
    )
    return Decision(status=status, added=True)


async def withdraw(db: AsyncSession, community_id: int, subject_type: str, subject_ids: list[int], *,
                   reason: str, now: datetime, actor_account_id: int | None) -> int:
    """Withdraw the approvals given to subjects that changed; each withdrawal is in the audit log.

    Returns how many approvals were withdrawn. ``reason`` says in the log what changed.
    """
    if not subject_ids:
        return 0
    rows = (
        await db.execute(
            select(Approval.subject_id, Approval.account_id).where(
                Approval.community_id == community_id, Approval.subject_type == subject_type,
                Approval.subject_id.in_(subject_ids))
            .order_by(Approval.subject_id, Approval.id)
        )
    ).all()
    if not rows:
        return 0
    await db.execute(
        delete(Approval).where(Approval.community_id == community_id, Approval.subject_type == subject_type,
                               Approval.subject_id.in_(subject_ids))
    )
    withdrawn: dict[int, list[int]] = {}
    for subject_id, account_id in rows:
        withdrawn.setdefault(subject_id, []).append(account_id)
    for subject_id, accounts in withdrawn.items():
        await record(
            db, at=now, action=f"{subject_type}_approvals_withdrawn", community_id=community_id,
            actor_account_id=actor_account_id, object_type=_OBJECT_TYPES[subject_type], object_id=subject_id,
            detail={"approvers": accounts, "reason": reason},
        )
    return len(rows)
