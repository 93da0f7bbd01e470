"""Owners' proposals (业主提议): calling an extraordinary meeting, or putting a matter on the agenda.

When owners holding the threshold share of area and of heads (20% each by default; AND or OR per
community, 指导规则 Art. 21) support a proposal, the committee must call a meeting. Support is
counted per voting member of the register version frozen when the proposal opened, exactly, in
integers. Supports can be withdrawn while the threshold is not reached; once it is, the request has
been made and the record is closed. The committee is then notified and the proposal shows the date
by which the meeting is due: the day the threshold was met plus ``MEETING_DUE_DAYS`` (15 by default,
the notice period of 物业管理条例 Art. 14 and 指导规则 Art. 23; local rules may differ).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from litestar.exceptions import NotAuthorizedException
from markupsafe import Markup
from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vote.db.models import Community, Member, Proposal, ProposalSupport, Unit, UnitOwner
from vote.domain.accounts.sessions import AuthContext
from vote.domain.audit.services import record
from vote.domain.deliberation.markdown import render_post
from vote.domain.deliberation.services import (
    building_of,
    clean_text,
    committee_account_ids,
    current_register_id,
    writing,
)
from vote.domain.meetings.services import MAX_TITLE
from vote.domain.notifications.services import notify
from vote.lib.errors import UserError
from vote.lib.i18n import _
from vote.rules import Count, ProposalThreshold, proposal_threshold

MEETING_DUE_DAYS = 15
MAX_PROPOSAL_CHARS = 5000
PROPOSAL_KINDS = ("extraordinary_meeting", "agenda_item")


def kind_label(kind: str) -> str:
    """The translated name of a proposal kind."""
    return {
        "extraordinary_meeting": _("Call an extraordinary meeting"),
        "agenda_item": _("Put a matter on the agenda"),
    }.get(kind, kind)


@dataclass(frozen=True)
class Progress:
    """Support by heads and by area against the threshold, all in integers (area in 0.01 m²).

    Whether the threshold is met, and what it takes, is decided by ``vote.rules.proposal_threshold``.
    """

    heads: int
    heads_total: int
    area_centi: int
    area_total: int
    threshold_pct: int
    mode: str

    @property
    def threshold(self) -> ProposalThreshold:
        """The support against the threshold, as the rules decide it."""
        return proposal_threshold(self.threshold_pct, self.mode, support=Count(self.area_centi, self.heads),
                                total=Count(self.area_total, self.heads_total))

    @property
    def heads_met(self) -> bool:
        """The supporters' heads reach the threshold share of all heads."""
        return self.threshold.heads_met

    @property
    def area_met(self) -> bool:
        """The supporters' area reaches the threshold share of all area."""
        return self.threshold.area_met

    @property
    def met(self) -> bool:
        """Both dimensions (mode ``and``) or either (mode ``or``)."""
        return self.threshold.met

    @property
    def heads_needed(self) -> int:
        """How many members the threshold takes."""
        return self.threshold.heads_needed

    @property
    def area_needed(self) -> int:
        """How much area (0.01 m²) the threshold takes."""
        return self.threshold.area_needed


@dataclass(frozen=True)
class ProposalView:
    """A proposal with its progress and what the visitor may do."""

    proposal: Proposal
    progress: Progress
    supports: bool
    can_support: bool

    @property
    def body_html(self) -> Markup:
        """The proposal's text, rendered like a post."""
        return render_post(self.proposal.body_md)

    @property
    def can_withdraw(self) -> bool:
        """Support may be withdrawn until the threshold is reached."""
        return self.supports and self.proposal.status == "open"


class ProposalService:
    """Opening, supporting and withdrawing support for owners' proposals of one community."""

    def __init__(self, db: AsyncSession, meeting_due_days: int = MEETING_DUE_DAYS) -> None:
        self.db = db
        self.meeting_due_days = meeting_due_days

    async def for_community(self, community: Community, auth: AuthContext | None) -> list[ProposalView]:
        """The community's proposals, newest first, each with its progress."""
        proposals = (
            await self.db.execute(
                select(Proposal).where(Proposal.community_id == community.id).order_by(Proposal.id.desc())
            )
        ).scalars()
        return [await self._view(community, p, auth) for p in proposals]

    async def detail(self, community: Community, proposal_id: int, auth: AuthContext | None) -> ProposalView:
        """One proposal of this community."""
        return await self._view(community, await self._proposal(community, proposal_id), auth)

    async def can_open(self, community: Community, auth: AuthContext | None) -> bool:
        """True when the visitor is a verified owner with a counted member in the current register."""
        if auth is None or auth.person_id is None or not auth.has_role(community.id, "owner"):
            return False
        version_id = await current_register_id(self.db, community.id)
        return version_id is not None and bool(await self._members_of(community, auth, version_id))

    async def open(self, community: Community, auth: AuthContext | None, *, kind: str, title: str, body: str,
                   now: datetime) -> Proposal:
        """Open a proposal; its author's member supports it from the start."""
        if auth is None:
            raise NotAuthorizedException()
        async with writing(self.db):
            if not auth.has_role(community.id, "owner") or auth.person_id is None:
                raise UserError(_("Only verified owners can open a proposal."), 403)
            version_id = await current_register_id(self.db, community.id)
            members = await self._members_of(community, auth, version_id) if version_id else []
            if version_id is None or not members:
                raise UserError(_("Only owners listed in the current register can open a proposal."), 403)
            if kind not in PROPOSAL_KINDS:
                raise UserError(_("Please choose what the proposal asks for."), 422)
            title = clean_text(title, limit=MAX_TITLE, empty=_("Please give the proposal a title."),
                               too_long=_("The title is too long (at most 200 characters)."))
            body = clean_text(body, limit=MAX_PROPOSAL_CHARS, empty=_("Please explain the proposal."),
                              too_long=_("The text is too long."))
            proposal = Proposal(
                community_id=community.id, register_version_id=version_id, kind=kind, title=title, body_md=body,
                author_account_id=auth.account_id,
                author_building=await building_of(self.db, auth.person_id, version_id),
                threshold_pct=community.proposal_threshold_pct, mode=community.proposal_mode, status="open",
                created_at=now,
            )
            self.db.add(proposal)
            await self.db.flush()
            self.db.add_all(ProposalSupport(proposal_id=proposal.id, member_id=m, account_id=auth.account_id,
                                            created_at=now) for m in members)
            await self.db.flush()
            await record(
                self.db, at=now, action="proposal_opened", community_id=community.id,
                actor_account_id=auth.account_id, object_type="proposal", object_id=proposal.id,
                detail={"kind": kind, "threshold_pct": proposal.threshold_pct, "mode": proposal.mode},
            )
            await self._check_threshold(community, proposal, now)
        return proposal

    async def support(self, community: Community, proposal_id: int, auth: AuthContext | None,
                      now: datetime) -> Proposal:
        """Add the visitor's member(s) to the supporters; may reach the threshold."""
        if auth is None:
            raise NotAuthorizedException()
        async with writing(self.db):
            proposal = await self._proposal(community, proposal_id)
            if proposal.status != "open":
                raise UserError(_("This proposal has already reached its threshold."), 409)
            members = await self._members_of(community, auth, proposal.register_version_id)
            if not members:
                raise UserError(_("Only owners listed in the proposal's register can support it."), 403)
            already = set(
                (
                    await self.db.execute(
                        select(ProposalSupport.member_id).where(
                            ProposalSupport.proposal_id == proposal.id, ProposalSupport.member_id.in_(members)
                        )
                    )
                ).scalars()
            )
            added = [m for m in members if m not in already]
            if not added:
                raise UserError(_("Your household already supports this proposal."), 409)
            try:
                async with self.db.begin_nested():
                    self.db.add_all(ProposalSupport(proposal_id=proposal.id, member_id=m, account_id=auth.account_id,
                                                    created_at=now) for m in added)
            except IntegrityError as exc:  # a co-owner's support landed in between: one per member
                raise UserError(_("Your household already supports this proposal."), 409) from exc
            await record(
                self.db, at=now, action="proposal_supported", community_id=community.id,
                actor_account_id=auth.account_id, object_type="proposal", object_id=proposal.id,
                detail={"members": len(added)},
            )
            await self._check_threshold(community, proposal, now)
        return proposal

    async def withdraw(self, community: Community, proposal_id: int, auth: AuthContext | None,
                       now: datetime) -> Proposal:
        """Withdraw the visitor's support while the threshold is not yet reached."""
        if auth is None:
            raise NotAuthorizedException()
        async with writing(self.db):
            proposal = await self._proposal(community, proposal_id)
            if proposal.status != "open":
                raise UserError(_("The threshold was reached: the request has been made and support can no "
                                  "longer be withdrawn."), 409)
            members = await self._members_of(community, auth, proposal.register_version_id)
            result = await self.db.execute(
                delete(ProposalSupport).where(
                    ProposalSupport.proposal_id == proposal.id, ProposalSupport.member_id.in_(members or [-1])
                )
            )
            if not result.rowcount:
                raise UserError(_("You do not support this proposal."), 409)
            await record(
                self.db, at=now, action="proposal_support_withdrawn", community_id=community.id,
                actor_account_id=auth.account_id, object_type="proposal", object_id=proposal.id,
                detail={"members": result.rowcount},
            )
        return proposal

    async def progress(self, community: Community, proposal: Proposal) -> Progress:
        """The proposal's support against its threshold, over the members of its register version."""
        counted = self._counted_members(community, proposal.register_version_id)
        heads_total, area_total = (
            await self.db.execute(select(func.count(), func.coalesce(func.sum(counted.c.area), 0)).select_from(counted))
        ).one()
        heads, area = (
            await self.db.execute(
                select(func.count(), func.coalesce(func.sum(counted.c.area), 0))
                .select_from(counted)
                .join(ProposalSupport, ProposalSupport.member_id == counted.c.member_id)
                .where(ProposalSupport.proposal_id == proposal.id)
            )
        ).one()
        return Progress(heads=heads, heads_total=heads_total, area_centi=int(area), area_total=int(area_total),
                        threshold_pct=proposal.threshold_pct, mode=proposal.mode)

    @staticmethod
    def _counted_members(community: Community, version_id: int):  # noqa: ANN205 - a SQLAlchemy subquery
        """Members of the version with the area that counts (parking only where the community counts it)."""
        query = select(Unit.member_id.label("member_id"), func.sum(Unit.area_centi).label("area")).where(
            Unit.register_version_id == version_id, Unit.member_id.is_not(None)
        )
        if not community.parking_counts:
            query = query.where(Unit.kind != "parking")
        return query.group_by(Unit.member_id).subquery()

    async def _members_of(self, community: Community, auth: AuthContext, version_id: int) -> list[int]:
        """The counted members the person acts for: where they are the nominated voter, or any owner if none is."""
        if auth.person_id is None or not auth.has_role(community.id, "owner"):
            return []
        counted = self._counted_members(community, version_id)
        return list(
            (
                await self.db.execute(
                    select(Member.id).distinct()
                    .join(counted, counted.c.member_id == Member.id)
                    .join(Unit, Unit.member_id == Member.id)
                    .join(UnitOwner, UnitOwner.unit_id == Unit.id)
                    .where(
                        Member.register_version_id == version_id,
                        UnitOwner.person_id == auth.person_id,
                        or_(Member.voter_person_id == auth.person_id, Member.voter_person_id.is_(None)),
                    )
                    .order_by(Member.id)
                )
            ).scalars()
        )

    async def _proposal(self, community: Community, proposal_id: int) -> Proposal:
        proposal = (
            await self.db.execute(
                select(Proposal).where(Proposal.id == proposal_id, Proposal.community_id == community.id)
            )
        ).scalar_one_or_none()
        if proposal is None:
            raise UserError(_("This proposal does not exist."), 404)
        return proposal

    async def _view(self, community: Community, proposal: Proposal, auth: AuthContext | None) -> ProposalView:
        members = await self._members_of(community, auth, proposal.register_version_id) if auth else []
        supported = set(
            (
                await self.db.execute(
                    select(ProposalSupport.member_id).where(
                        ProposalSupport.proposal_id == proposal.id, ProposalSupport.member_id.in_(members or [-1])
                    )
                )
            ).scalars()
        )
        return ProposalView(
            proposal=proposal,
            progress=await self.progress(community, proposal),
            supports=bool(supported),
            can_support=proposal.status == "open" and any(m not in supported for m in members),
        )

    async def _check_threshold(self, community: Community, proposal: Proposal, now: datetime) -> None:
        """Close the proposal as met when its support reaches the threshold; notify the committee."""
        progress = await self.progress(community, proposal)
        if proposal.status != "open" or not progress.met:
            return
        proposal.status, proposal.met_at = "met", now
        proposal.meeting_due_at = now + timedelta(days=self.meeting_due_days)
        await self.db.flush()
        await record(
            self.db, at=now, action="proposal_threshold_met", community_id=community.id, object_type="proposal",
            object_id=proposal.id,
            detail={"heads": progress.heads, "heads_total": progress.heads_total, "area_centi": progress.area_centi,
                    "area_total": progress.area_total, "threshold_pct": progress.threshold_pct,
                    "mode": progress.mode, "meeting_due_at": proposal.meeting_due_at.isoformat()},
        )
        recipients = set(await committee_account_ids(self.db, community.id)) | {proposal.author_account_id}
        await notify(
            self.db, account_ids=recipients, kind="proposal_threshold", now=now, community_id=community.id,
            payload={"title": proposal.title, "event": "proposal_threshold",
                     "url": f"/c/{community.slug}/proposals/{proposal.id}"},
        )
