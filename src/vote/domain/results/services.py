"""The published result: the public page, the receipt check, the ``vote tally`` download, the
committee's final publication and the audit log pages for observers.

Nothing of a result is visible before the meeting closes; every read first closes a meeting whose
window has ended (``ClosingService.close_if_due``), so the first visitor after the end sees the
preliminary result. The final result needs the objection period to be over and the approval of a
majority of the committee, at least two people (``Approval`` rows with subject ``result_final``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar.exceptions import NotFoundException
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vote.db.engine import begin_write
from vote.db.models import (
    Account,
    AuditEvent,
    Ballot,
    BallotSelection,
    Building,
    Community,
    Meeting,
    Motion,
    MotionOption,
    MotionResult,
    MotionRevision,
    UnitOwner,
)
from vote.domain.audit.services import ChainReport, record, verify_chain
from vote.domain.meetings.scope import scoped_units
from vote.domain.approvals.services import RESULT_FINAL, ApprovalStatus, approval_status, approve, lock_subject
from vote.domain.meetings.services import local_time
from vote.domain.results.closing import ClosingService
from vote.lib.errors import UserError
from vote.lib.i18n import _
from vote.lib.masking import mask_name
from vote.lib.security import keyed_hash
from vote.rules import CHOICES, format_area

FINAL_SUBJECT = RESULT_FINAL
CLOSED_STATUSES = ("preliminary", "final")
OWNER_KEY_PURPOSE = "tally-owner-key"
UNIT_KEY_PURPOSE = "tally-unit-key"
AUDIT_PAGE_SIZE = 100


@dataclass(frozen=True)
class VotingUnit:
    """A unit whose member returned a ballot: shown by number and area, never with a name."""

    building: str
    number: str
    area_centi: int


@dataclass(frozen=True)
class MotionOutcome:
    """One motion on the result page: its frozen text and the stored result."""

    motion: Motion
    title: str
    result: MotionResult | None
    voting_units: list[VotingUnit]

    @property
    def tally(self) -> dict[str, Any]:
        """The stored tally record (empty before the close)."""
        return self.result.tally if self.result else {}


@dataclass(frozen=True)
class FinalApprovals:
    """Where the committee stands on publishing the final result, as seen by one visitor."""

    status: ApprovalStatus
    account_id: int | None
    objection_over: bool

    @property
    def mine(self) -> bool:
        """The visitor has approved."""
        return self.status.approved_by(self.account_id)

    @property
    def can_approve(self) -> bool:
        """The visitor is a committee member who may approve now."""
        return self.objection_over and self.status.can_approve(self.account_id)


@dataclass(frozen=True)
class ResultPage:
    """Everything the public result page shows."""

    meeting: Meeting
    motions: list[MotionOutcome]
    approvals: FinalApprovals | None

    @property
    def closed(self) -> bool:
        """True once a result exists (preliminary or final)."""
        return self.meeting.status in CLOSED_STATUSES


@dataclass(frozen=True)
class ReceiptCheck:
    """What a receipt code proves: which motion, which choice, when, and whether it counted."""

    motion_position: int
    motion_title: str
    choice: str
    candidates: list[str]
    cast_at: datetime
    counted: bool


@dataclass(frozen=True)
class TallyDownload:
    """A ``vote tally`` scenario and its file name."""

    filename: str
    document: dict[str, Any]

    def body(self) -> bytes:
        """The scenario as UTF-8 JSON."""
        return (json.dumps(self.document, ensure_ascii=False, indent=1) + "\n").encode()


@dataclass(frozen=True)
class AuditEntry:
    """One audit log entry as shown to observers (the actor's name masked)."""

    id: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class AuditLog:
    """A page of audit entries, newest first, with the verification of the whole chain."""

    entries: list[AuditEntry]
    chain: ChainReport
    older_than: int | None


def owner_key(secret_key: str, meeting_id: int, person_id: int) -> str:
    """An opaque owner key for the download: stable within one meeting, unlinkable across meetings."""
    return "o-" + keyed_hash(secret_key, OWNER_KEY_PURPOSE, f"{meeting_id}:{person_id}")[:20]


def unit_key(secret_key: str, meeting_id: int, unit_id: int) -> str:
    """An opaque unit id for the download when the community does not disclose which units voted."""
    return "u-" + keyed_hash(secret_key, UNIT_KEY_PURPOSE, f"{meeting_id}:{unit_id}")[:16]


class ResultService:
    """Reads and publishes results."""

    def __init__(self, db: AsyncSession, secret_key: str) -> None:
        self.db = db
        self.secret_key = secret_key

    async def _meeting(self, community: Community, meeting_id: int, now: datetime) -> Meeting:
        """A published meeting of ``community``, closed first if its window has ended (404 otherwise)."""
        query = select(Meeting).where(Meeting.id == meeting_id, Meeting.community_id == community.id,
                                      Meeting.status != "draft")
        meeting = (await self.db.execute(query)).scalar_one_or_none()
        if meeting is None:
            raise NotFoundException()
        if await ClosingService(self.db).close_if_due(meeting, now, trigger="page"):
            meeting = (await self.db.execute(query.execution_options(populate_existing=True))).scalar_one()
        return meeting

    async def _closed_meeting(self, community: Community, meeting_id: int, now: datetime) -> Meeting:
        """Like ``_meeting`` but 404 until the meeting has a result."""
        meeting = await self._meeting(community, meeting_id, now)
        if meeting.status not in CLOSED_STATUSES:
            raise NotFoundException()
        return meeting

    async def _texts(self, motion_ids: list[int]) -> dict[int, MotionRevision]:
        """Each motion's published text: its newest published revision (else its newest revision)."""
        revisions = (
            await self.db.execute(
                select(MotionRevision).where(MotionRevision.motion_id.in_(motion_ids))
                .order_by(MotionRevision.motion_id, MotionRevision.number)
            )
        ).scalars().all()
        texts: dict[int, MotionRevision] = {}
        for revision in revisions:
            current = texts.get(revision.motion_id)
            if current is None or revision.published_at is not None or current.published_at is None:
                texts[revision.motion_id] = revision
        return texts

    async def page(self, community: Community, meeting_id: int, now: datetime, account_id: int | None) -> ResultPage:
        """The result page of a meeting (closing it first when its window has ended)."""
        meeting = await self._meeting(community, meeting_id, now)
        if meeting.status not in CLOSED_STATUSES:
            return ResultPage(meeting=meeting, motions=[], approvals=None)
        motions = (
            await self.db.execute(select(Motion).where(Motion.meeting_id == meeting.id).order_by(Motion.position))
        ).scalars().all()
        ids = [m.id for m in motions]
        results = {
            r.motion_id: r
            for r in (await self.db.execute(select(MotionResult).where(MotionResult.motion_id.in_(ids)))).scalars()
        }
        texts = await self._texts(ids)
        units = await self._voting_units(meeting, community, ids) if community.disclose_voting_units else {}
        outcomes = [
            MotionOutcome(
                motion=m, title=texts[m.id].title if m.id in texts else "", result=results.get(m.id),
                voting_units=units.get(m.id, []),
            )
            for m in motions
        ]
        approvals = await self._approvals(community, meeting, now, account_id)
        return ResultPage(meeting=meeting, motions=outcomes, approvals=approvals)

    async def _voting_units(
        self, meeting: Meeting, community: Community, motion_ids: list[int]
    ) -> dict[int, list[VotingUnit]]:
        """Per motion, the in-scope units of the members who returned a ballot (one query)."""
        units = scoped_units(meeting, community).subquery()
        rows = (
            await self.db.execute(
                select(Ballot.motion_id, Building.name, units.c.number, units.c.area_centi)
                .join(units, units.c.member_id == Ballot.member_id)
                .join(Building, Building.id == units.c.building_id)
                .where(Ballot.motion_id.in_(motion_ids))
                .order_by(Ballot.motion_id, Building.position, Building.name, units.c.number)
            )
        ).all()
        listed: dict[int, list[VotingUnit]] = {}
        for motion_id, building, number, area in rows:
            listed.setdefault(motion_id, []).append(VotingUnit(building, number, area))
        return listed

    async def _approvals(self, community: Community, meeting: Meeting, now: datetime,
                         account_id: int | None) -> FinalApprovals:
        """Where the committee (``vote.domain.approvals``) stands on the final result."""
        return FinalApprovals(
            status=await approval_status(self.db, community, FINAL_SUBJECT, meeting.id), account_id=account_id,
            objection_over=meeting.objection_until is not None and now >= meeting.objection_until,
        )

    async def final_approvals(self, community: Community, meeting_id: int, now: datetime,
                              account_id: int | None) -> tuple[Meeting, FinalApprovals]:
        """The meeting and where the committee stands on its final result (for the confirmation page)."""
        meeting = await self._closed_meeting(community, meeting_id, now)
        return meeting, await self._approvals(community, meeting, now, account_id)

    async def approve_final(self, community: Community, meeting_id: int, account_id: int, now: datetime) -> bool:
        """A committee member approves the final result; True when this approval published it.

        Refused during the objection period, before the close and after the final publication. The
        first approval puts the result forward; a committee majority, at least two people, publishes it.
        """
        await begin_write(self.db)
        meeting = await lock_subject(self.db, community.id, FINAL_SUBJECT, meeting_id)
        assert isinstance(meeting, Meeting)
        if meeting.status == "draft":
            raise NotFoundException()
        if meeting.status == "final":
            raise UserError(_("The final result has already been published."), 409)
        if meeting.status != "preliminary" or meeting.objection_until is None:
            raise UserError(_("There is no preliminary result yet: voting has not closed."), 409)
        if now < meeting.objection_until:
            raise UserError(
                _("The objection period runs until %(time)s. The final result can be published only after it ends.")
                % {"time": local_time(meeting.objection_until)},
                409,
            )
        decision = await approve(self.db, community, FINAL_SUBJECT, meeting.id, account_id, now)
        if decision.reached:
            meeting.status = "final"
            meeting.final_at = now
            await record(self.db, at=now, action="result_published_final", community_id=community.id,
                         actor_account_id=account_id, object_type="meeting", object_id=meeting.id,
                         detail={"approvals": decision.status.given, "committee": decision.status.committee_size,
                                 "approvers": [a.account_id for a in decision.status.approvers]})
        await self.db.commit()
        return decision.reached

    async def check_receipt(
        self, community: Community, meeting_id: int, code: str, now: datetime
    ) -> tuple[Meeting, ReceiptCheck | None]:
        """The meeting, and the ballot with this receipt code in it (None: no such ballot); 404 before the close."""
        meeting = await self._closed_meeting(community, meeting_id, now)
        code = "".join(code.split()).replace("-", "").upper()  # receipts are upper-case letters and digits
        if not code:
            return meeting, None
        row = (
            await self.db.execute(
                select(Ballot, Motion).join(Motion, Motion.id == Ballot.motion_id)
                .where(Ballot.receipt == code, Motion.meeting_id == meeting.id)
            )
        ).one_or_none()
        if row is None:
            return meeting, None
        ballot, motion = row
        units = scoped_units(meeting, community).subquery()
        counted = (
            await self.db.execute(select(func.count()).select_from(units).where(units.c.member_id == ballot.member_id))
        ).scalar_one() > 0
        candidates = list(
            (
                await self.db.execute(
                    select(MotionOption.label).join(BallotSelection, BallotSelection.option_id == MotionOption.id)
                    .where(BallotSelection.ballot_id == ballot.id).order_by(MotionOption.position)
                )
            ).scalars()
        )
        texts = await self._texts([motion.id])
        return meeting, ReceiptCheck(
            motion_position=motion.position, motion_title=texts[motion.id].title if motion.id in texts else "",
            choice=ballot.choice, candidates=candidates, cast_at=ballot.cast_at, counted=counted,
        )

    async def tally_download(
        self, community: Community, meeting_id: int, motion_id: int, option_id: int | None, now: datetime
    ) -> TallyDownload:
        """The ``vote tally`` scenario of a decided motion (of one candidate, for an election).

        Units are the counted units of the scope, named ``<building>-<number>`` (opaque keys instead when
        the community does not disclose which units voted); owners are opaque keys (a keyed hash of the
        person, per meeting); each ballot names the first unit of its member. An
        election candidate's scenario has ``yes`` for the members who selected the candidate and
        ``abstain`` for the other members who returned the election ballot.
        """
        meeting = await self._closed_meeting(community, meeting_id, now)
        row = (
            await self.db.execute(
                select(Motion, MotionResult).join(MotionResult, MotionResult.motion_id == Motion.id)
                .where(Motion.id == motion_id, Motion.meeting_id == meeting.id)
            )
        ).one_or_none()
        if row is None:
            raise NotFoundException()
        motion, result = row
        option: MotionOption | None = None
        if motion.kind == "election":
            option = (
                await self.db.execute(
                    select(MotionOption).where(MotionOption.id == option_id, MotionOption.motion_id == motion.id)
                )
            ).scalar_one_or_none()
            if option is None:
                raise NotFoundException()
        elif option_id is not None:
            raise NotFoundException()
        units, first_unit = await self._scenario_units(meeting, community)
        ballots = (
            await self.db.execute(
                select(Ballot.id, Ballot.member_id, Ballot.choice)
                .where(Ballot.motion_id == motion.id).order_by(Ballot.id)
            )
        ).all()
        selected: set[int] = set()
        if option is not None:
            selected = set(
                (await self.db.execute(select(BallotSelection.ballot_id).where(BallotSelection.option_id == option.id)))
                .scalars()
            )
        scenario_ballots = []
        for ballot_id, member_id, choice in ballots:
            if member_id not in first_unit:
                continue  # not a member of this meeting's scope: not counted at the close either
            if option is not None:
                if choice == "election":
                    scenario_ballots.append({"unit": first_unit[member_id],
                                             "choice": "yes" if ballot_id in selected else "abstain"})
            elif choice in CHOICES:
                scenario_ballots.append({"unit": first_unit[member_id], "choice": choice})
        document = {"rule": result.rule_preset, "matter": motion.matter, "units": units, "ballots": scenario_ballots}
        name = f"result-{motion.id}.json" if option is None else f"result-{motion.id}-candidate-{option.position}.json"
        return TallyDownload(filename=name, document=document)

    async def _scenario_units(
        self, meeting: Meeting, community: Community
    ) -> tuple[list[dict[str, Any]], dict[int, str]]:
        """The scope's units in the tally format, and each member's first unit id."""
        units = scoped_units(meeting, community).subquery()
        rows = (
            await self.db.execute(
                select(units.c.id, units.c.member_id, units.c.number, units.c.area_centi, units.c.developer_held,
                       Building.name)
                .join(Building, Building.id == units.c.building_id)
                .order_by(Building.position, Building.name, units.c.number, units.c.id)
            )
        ).all()
        owners: dict[int, list[str]] = {}
        for unit_id, person_id in (
            await self.db.execute(
                select(UnitOwner.unit_id, UnitOwner.person_id).where(UnitOwner.unit_id.in_(select(units.c.id)))
                .order_by(UnitOwner.unit_id, UnitOwner.person_id)
            )
        ).all():
            owners.setdefault(unit_id, []).append(owner_key(self.secret_key, meeting.id, person_id))
        listed: list[dict[str, Any]] = []
        labels: set[str] = set()
        first_unit: dict[int, str] = {}
        for unit_id, member_id, number, area, developer, building in rows:
            if community.disclose_voting_units:
                label = f"{building}-{number}"
                if label in labels:  # "A-1" + "2" and "A" + "1-2": keep ids unique whatever the names
                    label = f"{label}#{unit_id}"
            else:
                label = unit_key(self.secret_key, meeting.id, unit_id)
            labels.add(label)
            entry: dict[str, Any] = {"id": label, "area": format_area(area)}
            if developer:
                entry["developer"] = True
            else:
                entry["owners"] = owners.get(unit_id, [])
            listed.append(entry)
            first_unit.setdefault(member_id, label)
        return listed, first_unit

    async def audit_log(
        self, community: Community, meeting_id: int | None, before: int | None
    ) -> tuple[Meeting | None, AuditLog]:
        """A page of the community's audit entries (only the meeting's, when given), newest first."""
        query = select(AuditEvent, Account.display_name, Account.login).outerjoin(
            Account, Account.id == AuditEvent.actor_account_id
        ).where(AuditEvent.community_id == community.id)
        meeting: Meeting | None = None
        if meeting_id is not None:
            meeting = (
                await self.db.execute(
                    select(Meeting).where(Meeting.id == meeting_id, Meeting.community_id == community.id)
                )
            ).scalar_one_or_none()
            if meeting is None:
                raise NotFoundException()
            motion_ids = [str(i) for i in (await self.db.execute(
                select(Motion.id).where(Motion.meeting_id == meeting.id))).scalars()]
            query = query.where(
                ((AuditEvent.object_type == "meeting") & (AuditEvent.object_id == str(meeting.id)))
                | ((AuditEvent.object_type == "motion") & AuditEvent.object_id.in_(motion_ids))
            )
        if before is not None:
            query = query.where(AuditEvent.id < before)
        rows = (await self.db.execute(query.order_by(AuditEvent.id.desc()).limit(AUDIT_PAGE_SIZE + 1))).all()
        entries = [
            AuditEntry(
                id=event.id, at=event.at, actor=mask_name(name or login) if (name or login) else "",
                action=event.action, object_type=event.object_type, object_id=event.object_id, detail=event.detail,
            )
            for event, name, login in rows[:AUDIT_PAGE_SIZE]
        ]
        older = entries[-1].id if len(rows) > AUDIT_PAGE_SIZE else None
        return meeting, AuditLog(entries=entries, chain=await verify_chain(self.db), older_than=older)
