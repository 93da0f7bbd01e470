"""Casting ballots (online and paper) and live turnout.

One ballot per member and motion is the database's ``UNIQUE(motion_id, member_id)``: every channel
inserts through ``_insert_form``, one ``INSERT ... SELECT`` for all motions of the form that also
re-checks the voting window in SQL, so a ballot can only land while the meeting is open, whatever the
page showed. All motions of one form go in one transaction (all or nothing), kept as short as the
inserts themselves: on SQLite it holds the only write lock. A retried form (same idempotency key) gets
the same receipts back; a second form for a member who already voted gets the existing receipts and a
clear message. Turnout is one aggregate query and never looks at a choice.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Insert, Integer, String, bindparam, case, func, insert, or_, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vote.db.engine import write_transaction
from vote.db.models import (
    Ballot,
    BallotSelection,
    Building,
    Community,
    Meeting,
    Member,
    Motion,
    MotionOption,
    Unit,
    UnitOwner,
)
from vote.db.models.ballots import CHOICES, ELECTION
from vote.domain.accounts.sessions import AuthContext
from vote.domain.audit.services import record
from vote.domain.ballots.schemas import BallotInput, new_idempotency_key
from vote.domain.ballots.transfers import transfers_for_person, votes_for
from vote.domain.meetings.lifecycle import phase
from vote.domain.meetings.scope import scoped_members, scoped_units
from vote.domain.meetings.services import MeetingService, MeetingView, MotionView
from vote.domain.meetings.snapshot import rule_preset
from vote.lib.errors import UserError
from vote.lib.i18n import _
from vote.rules import PRESETS, Count, QuorumLine, quorum_lines

RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed back safely
RECEIPT_LENGTH = 10
CAST_ATTEMPTS = 3

Answer = str | tuple[int, ...]  # "yes"/"no"/"abstain", or the chosen candidate ids of an election
CastStatus = Literal["cast", "replayed"]  # new ballots, or the same ballots again (a retried form)


def new_receipt() -> str:
    """A random, unguessable receipt code (10 characters, about 50 bits)."""
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))


def already_voted() -> str:
    """The message for a member whose ballot is already in."""
    return _("A ballot has already been cast on this motion for your voting unit.")


def choice_label(choice: str) -> str:
    """A question ballot's choice in plain words."""
    return {"yes": _("Yes, I agree"), "no": _("No, I disagree"), "abstain": _("I abstain")}[choice]


@dataclass(frozen=True)
class AgendaItem:
    """What checking an answer needs of a motion: its kind, its seats, its candidates in ballot order."""

    motion_id: int
    kind: str
    seats: int | None
    option_ids: tuple[int, ...]


def check_answers(agenda: Sequence[AgendaItem], ballot: BallotInput) -> tuple[dict[int, Answer], dict[int, str]]:
    """The form's answer to each motion, and a problem per motion that has none or a wrong one."""
    answers: dict[int, Answer] = {}
    errors: dict[int, str] = {}
    for item in agenda:
        values = [v for v in ballot.values(item.motion_id) if v]
        if item.kind == "question":
            if len(values) == 1 and values[0] in CHOICES:
                answers[item.motion_id] = values[0]
            else:
                errors[item.motion_id] = _("Choose yes, no or abstain.")
            continue
        options = {str(o) for o in item.option_ids}
        if any(v not in options for v in values) or len(set(values)) != len(values):
            errors[item.motion_id] = _("Choose among the listed candidates.")
        elif len(values) > (item.seats or 1):
            errors[item.motion_id] = _("Choose at most {seats} candidates.").format(seats=item.seats)
        else:
            answers[item.motion_id] = tuple(o for o in item.option_ids if str(o) in values)
    return answers, errors


@dataclass(frozen=True)
class CastBallot:
    """A ballot as its voter sees it: the motion, what was chosen, the receipt."""

    motion: MotionView
    ballot: Ballot
    answer_text: str


@dataclass(frozen=True)
class VoterMember:
    """A member the person votes for in this meeting, its units in scope, and its ballots so far."""

    member_id: int
    units: list[str]
    ballots: list[CastBallot]

    @property
    def has_voted(self) -> bool:
        """True once any ballot of this member is in (a form is all or nothing)."""
        return bool(self.ballots)


@dataclass(frozen=True)
class VoterStatus:
    """The visitor as a voter: members they vote for, and units whose voter is not (yet) them."""

    members: list[VoterMember]
    unnominated_units: list[str]
    other_voter_units: list[str]
    moved_away_units: list[str] = field(default_factory=list)  # sold during the vote: the new owner votes
    ballot_stands_units: list[str] = field(default_factory=list)  # bought during the vote, the seller had voted

    @property
    def next_member(self) -> VoterMember | None:
        """The first member still to vote."""
        return next((m for m in self.members if not m.has_voted), None)


@dataclass(frozen=True)
class BallotPage:
    """The meeting as a voter sees it."""

    view: MeetingView
    voter: VoterStatus | None
    idempotency_key: str

    @property
    def can_vote(self) -> bool:
        """True when the window is open and the visitor still has a member to vote for."""
        return self.view.phase == "open" and self.voter is not None and self.voter.next_member is not None

    @property
    def form_member(self) -> VoterMember | None:
        """The member the ballot form is for, while the visitor can vote."""
        return self.voter.next_member if self.can_vote and self.voter else None

    @property
    def voted_members(self) -> list[VoterMember]:
        """The visitor's members whose ballots are in."""
        return [m for m in self.voter.members if m.has_voted] if self.voter else []


@dataclass(frozen=True)
class PaperPage:
    """The committee's paper-ballot screen: the unit searched for and its member, if found."""

    page: BallotPage
    buildings: list[Building]
    member: VoterMember | None
    building_id: int | None
    number: str

    @property
    def form_member(self) -> VoterMember | None:
        """The member whose paper ballot can be entered now (found, not yet voted, window open)."""
        if self.member is None or self.member.has_voted or self.page.view.phase != "open":
            return None
        return self.member


@dataclass(frozen=True)
class ReviewLine:
    """One motion on the confirmation step, with the choice in plain words."""

    motion: MotionView
    answer_text: str


@dataclass(frozen=True)
class Review:
    """The confirmation step: the choices repeated in plain words, ready to cast."""

    view: MeetingView
    member: VoterMember
    lines: list[ReviewLine]
    answers: dict[int, Answer]
    idempotency_key: str


@dataclass(frozen=True)
class CastResult:
    """A stored form: new ballots or the same ballots again (retry), with the member's receipts."""

    status: CastStatus
    view: MeetingView
    member: VoterMember


class AlreadyVoted(Exception):
    """The member's ballots were already in (another form, a co-owner): shown with their receipts."""

    def __init__(self, view: MeetingView, member: VoterMember) -> None:
        super().__init__("already voted")
        self.view, self.member = view, member


class InvalidBallot(Exception):
    """The ballot form is incomplete or wrong; it is shown again with the choices kept."""

    def __init__(self, page: BallotPage, member: VoterMember, errors: dict[int, str], ballot: BallotInput) -> None:
        super().__init__("invalid ballot")
        self.page, self.member, self.errors, self.ballot = page, member, errors, ballot


@dataclass(frozen=True)
class Turnout:
    """Participation so far, by area and by heads, against the quorum line; no choice is revealed."""

    view: MeetingView
    total: Count
    participated: Count
    lines: list[QuorumLine]
    at: datetime


@functools.lru_cache(maxsize=32)
def _ballot_insert_statement(rows: int) -> Insert:
    """``INSERT ... SELECT`` of ``rows`` ballots ``WHERE`` the meeting's window is open: checked by the
    database in the same statement. Built once per agenda length (building it costs like running it)."""
    now = bindparam("now", type_=Ballot.cast_at.type)
    window_open = (
        select(Meeting.id)
        .where(Meeting.id == bindparam("meeting_id", type_=Integer()), Meeting.status == "noticed",
               Meeting.opens_at <= now, Meeting.closes_at > now)
        .exists()
    )
    selects = [
        select(
            bindparam(f"motion_{index}", type_=Integer()), bindparam("member_id", type_=Integer()),
            bindparam(f"choice_{index}", type_=String()), bindparam("channel", type_=String()), now,
            bindparam("actor", type_=Integer()), bindparam(f"receipt_{index}", type_=String()),
            bindparam(f"key_{index}", type_=String()),
        ).where(window_open)
        for index in range(rows)
    ]
    table = Ballot.__table__  # a Core insert: with an ORM entity, a parameter dict would mean a bulk insert
    return (
        insert(table)
        .from_select(
            ["motion_id", "member_id", "choice", "channel", "cast_at", "cast_by_account_id", "receipt",
             "idempotency_key"],
            selects[0] if rows == 1 else union_all(*selects),
        )
        .returning(table.c.motion_id, table.c.id)
    )


class BallotService:
    """Voting: what the voter sees, the confirmation step, casting (online and paper), turnout."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db
        self.meetings = MeetingService(db)

    # ----------------------------------------------------------------- the voter's view

    async def page(self, community: Community, meeting_id: int, auth: AuthContext | None, now: datetime) -> BallotPage:
        """The meeting page's read model; with the visitor's voting status when they own units here."""
        drafts = auth is not None and auth.has_role(community.id, "committee")
        view = await self.meetings.view(community, meeting_id, now, drafts=drafts)
        voter = None
        if auth is not None and auth.person_id is not None and view.meeting.register_version_id is not None:
            voter = await self._voter_status(community, view, auth.person_id)
        return BallotPage(view=view, voter=voter, idempotency_key=new_idempotency_key())

    async def current_meeting(self, community: Community, auth: AuthContext | None, now: datetime) -> Meeting | None:
        """The meeting a "vote now" link should open: the open one the visitor still has to vote in that
        closes soonest; else the only open or the only upcoming meeting; else None (show the list)."""
        summaries = await self.meetings.list_meetings(community, include_drafts=False, now=now)
        open_now = sorted((s.meeting for s in summaries if s.phase == "open"), key=lambda m: m.closes_at)
        if auth is not None and auth.person_id is not None:
            for meeting in open_now:
                view = await self.meetings.view(community, meeting.id, now, drafts=False)
                voter = await self._voter_status(community, view, auth.person_id)
                if voter.next_member is not None:
                    return meeting
        if len(open_now) == 1:
            return open_now[0]
        upcoming = [s.meeting for s in summaries if s.phase == "noticed"]
        return upcoming[0] if not open_now and len(upcoming) == 1 else None

    async def review(self, community: Community, meeting_id: int, auth: AuthContext, ballot: BallotInput,
                     now: datetime) -> Review:
        """Check an owner's form and repeat the choices in plain words (nothing is stored yet)."""
        page = await self.page(community, meeting_id, auth, now)
        member = self._online_member(page, ballot)
        if member.has_voted:
            raise UserError(already_voted(), 409)
        return self._review(page, member, ballot)

    async def cast(self, community: Community, meeting_id: int, auth: AuthContext, ballot: BallotInput,
                   now: datetime) -> CastStatus:
        """Cast an owner's confirmed ballot for every motion of the meeting.

        The usual cast reads twice (the meeting; its agenda with the visitor's right to vote for the
        member) and writes once. Anything else goes through the whole ballot page, which refuses (not
        open, not their unit, a wrong form) exactly as the confirmation step does.
        """
        meeting = await self.meetings.meeting(community, meeting_id)
        agenda = None
        if phase(meeting, now) == "open" and ballot.member_id is not None and auth.person_id is not None:
            agenda = await self._agenda_for_voter(community, meeting, ballot.member_id, auth.person_id)
        answers, errors = check_answers(agenda or [], ballot)
        if not agenda or errors:
            page = await self.page(community, meeting_id, auth, now)
            review = self._review(page, self._online_member(page, ballot), ballot)
            return (await self.store(community, review, channel="online", actor_account_id=auth.account_id,
                                     now=now)).status
        status = await self._insert_form(community, meeting.id, ballot.member_id, answers, ballot.idempotency_key,
                                         channel="online", actor_account_id=auth.account_id, now=now)
        if status == "already":
            view = await self.meetings.view(community, meeting_id, now, drafts=False)
            raise AlreadyVoted(view, (await self._members(community, view, [ballot.member_id]))[0])
        return status

    # ----------------------------------------------------------------- paper ballots

    async def paper_page(self, community: Community, meeting_id: int, building_id: int | None, number: str,
                         now: datetime) -> PaperPage:
        """The paper-ballot screen; with the member owning the unit searched for, if it is in scope."""
        page = BallotPage(view=await self.meetings.view(community, meeting_id, now, drafts=False), voter=None,
                          idempotency_key=new_idempotency_key())
        buildings = await self.meetings.buildings(community)
        member = None
        if building_id is not None and number.strip() and page.view.meeting.register_version_id is not None:
            units = scoped_units(page.view.meeting, community).subquery()
            member_id = (
                await self.db.execute(
                    select(units.c.member_id).where(units.c.building_id == building_id,
                                                    units.c.number == number.strip())
                )
            ).scalar_one_or_none()
            if member_id is not None:
                member = (await self._members(community, page.view, [member_id]))[0]
        return PaperPage(page=page, buildings=buildings, member=member, building_id=building_id,
                         number=number.strip())

    async def owner_form(self, community: Community, meeting_id: int, auth: AuthContext, ballot: BallotInput,
                         now: datetime) -> tuple[BallotPage, VoterMember]:
        """The owner's ballot form again, with the choices kept ("go back and change")."""
        page = await self.page(community, meeting_id, auth, now)
        return page, self._online_member(page, ballot)

    async def paper_form(self, community: Community, meeting_id: int, ballot: BallotInput,
                         now: datetime) -> tuple[BallotPage, VoterMember]:
        """A paper ballot's form again, with the choices kept."""
        return await self._paper(community, meeting_id, ballot, now)

    async def paper_review(self, community: Community, meeting_id: int, ballot: BallotInput,
                           now: datetime) -> Review:
        """Check a paper ballot typed in by the committee and repeat it for confirmation."""
        page, member = await self._paper(community, meeting_id, ballot, now)
        if member.has_voted:
            raise UserError(already_voted(), 409)
        return self._review(page, member, ballot)

    async def cast_paper(self, community: Community, meeting_id: int, actor_account_id: int, ballot: BallotInput,
                         now: datetime) -> CastResult:
        """Enter a member's paper ballot (channel ``paper``, cast by the committee account), audited."""
        page, member = await self._paper(community, meeting_id, ballot, now)
        review = self._review(page, member, ballot)
        return await self.store(community, review, channel="paper", actor_account_id=actor_account_id, now=now)

    # ----------------------------------------------------------------- turnout

    async def turnout(self, community: Community, meeting_id: int, now: datetime) -> Turnout:
        """Participation by area and heads in one aggregate query, against the preset's quorum line."""
        view = await self.meetings.view(community, meeting_id, now, drafts=False)
        meeting = view.meeting
        if meeting.register_version_id is None:
            raise UserError(_("Turnout is shown once the meeting has been published."), 409)
        scoped = scoped_members(meeting, community).subquery()
        voted = (
            select(Ballot.member_id.label("member_id"))
            .join(Motion, Motion.id == Ballot.motion_id)
            .where(Motion.meeting_id == meeting.id)
            .distinct()
            .subquery()
        )
        heads, area, part_heads, part_area = (
            await self.db.execute(
                select(
                    func.count(scoped.c.member_id),
                    func.coalesce(func.sum(scoped.c.area_centi), 0),
                    func.count(voted.c.member_id),
                    func.coalesce(func.sum(case((voted.c.member_id.is_not(None), scoped.c.area_centi), else_=0)), 0),
                ).select_from(scoped.outerjoin(voted, voted.c.member_id == scoped.c.member_id))
            )
        ).one()
        total, participated = Count(int(area), int(heads)), Count(int(part_area), int(part_heads))
        return Turnout(view=view, total=total, participated=participated,
                       lines=self._quorum_lines(community, view, total, participated), at=now)

    @staticmethod
    def _quorum_lines(community: Community, view: MeetingView, total: Count, participated: Count) -> list[QuorumLine]:
        """The participation gates of the meeting's motions against the turnout, as ``vote.rules`` computes them."""
        rule = rule_preset(view.meeting, community)
        if rule not in PRESETS:
            return []
        return list(quorum_lines(rule, [m.motion.matter for m in view.motions], total, participated))

    # ----------------------------------------------------------------- internals

    def _online_member(self, page: BallotPage, ballot: BallotInput) -> VoterMember:
        if page.view.phase != "open":
            raise UserError(_("Voting is not open for this meeting."), 409)
        if page.voter is None or not page.voter.members:
            raise UserError(_("You are not the registered voter of any unit in this meeting. If you own a unit "
                              "here, please contact the owners' committee."), 403)
        for member in page.voter.members:
            if member.member_id == ballot.member_id:
                return member
        if ballot.member_id is None and page.voter.next_member is not None:
            return page.voter.next_member
        raise UserError(_("You do not vote for this unit."), 403)

    async def _paper(self, community: Community, meeting_id: int, ballot: BallotInput,
                     now: datetime) -> tuple[BallotPage, VoterMember]:
        page = BallotPage(view=await self.meetings.view(community, meeting_id, now, drafts=False), voter=None,
                          idempotency_key=ballot.idempotency_key)
        if page.view.phase != "open":
            raise UserError(_("Voting is not open for this meeting."), 409)
        if ballot.member_id is None:
            raise UserError(_("Choose the unit whose paper ballot you are entering."), 400)
        members = await self._members(community, page.view, [ballot.member_id])
        if not members:
            raise UserError(_("This unit is not in the meeting's scope."), 404)
        return page, members[0]

    def _review(self, page: BallotPage, member: VoterMember, ballot: BallotInput) -> Review:
        agenda = [AgendaItem(v.motion.id, v.motion.kind, v.motion.seats, tuple(o.id for o in v.options))
                  for v in page.view.motions]
        answers, errors = check_answers(agenda, ballot)
        if errors:
            raise InvalidBallot(page, member, errors, ballot)
        lines: list[ReviewLine] = []
        for view in page.view.motions:
            answer = answers[view.motion.id]
            if isinstance(answer, str):
                lines.append(ReviewLine(view, choice_label(answer)))
                continue
            labels = {o.id: o.label for o in view.options}
            text = ("、".join(labels[o] for o in answer) if answer
                    else _("No candidate chosen (abstaining on every candidate)"))
            lines.append(ReviewLine(view, text))
        return Review(view=page.view, member=member, lines=lines, answers=answers,
                      idempotency_key=ballot.idempotency_key)

    async def store(self, community: Community, review: Review, *, channel: str, actor_account_id: int,
                    now: datetime) -> CastResult:
        """Insert a confirmed ballot's rows in one write transaction; the database decides window and duplicates."""
        member_id = review.member.member_id
        status = await self._insert_form(community, review.view.meeting.id, member_id, review.answers,
                                         review.idempotency_key, channel=channel, actor_account_id=actor_account_id,
                                         now=now)
        member = (await self._members(community, review.view, [member_id]))[0]
        if status == "already":
            raise AlreadyVoted(review.view, member)
        return CastResult(status=status, view=review.view, member=member)

    async def _insert_form(self, community: Community, meeting_id: int, member_id: int, answers: dict[int, Answer],
                           idempotency_key: str, *, channel: str, actor_account_id: int,
                           now: datetime) -> Literal["cast", "replayed", "already"]:
        """One form's ballots, all or nothing, in one short write transaction; "already" when the member had voted."""
        keys = {motion_id: f"{idempotency_key}:{member_id}:{motion_id}" for motion_id in answers}
        # What was read so far is a snapshot: detached, a rollback below cannot expire it under the caller.
        self.db.expunge_all()
        for _attempt in range(CAST_ATTEMPTS):
            statement, params = self._ballot_insert(meeting_id, member_id, answers, keys, channel, actor_account_id,
                                                    now)
            try:
                async with write_transaction(self.db):
                    landed = dict((await self.db.execute(statement, params)).tuples().all())
                    if len(landed) != len(answers):
                        raise UserError(_("Voting is not open for this meeting."), 409)
                    selections = [{"ballot_id": landed[motion_id], "option_id": option_id}
                                  for motion_id, answer in answers.items() if not isinstance(answer, str)
                                  for option_id in answer]
                    if selections:
                        await self.db.execute(insert(BallotSelection), selections)
                    if channel != "online":
                        await record(
                            self.db, at=now, action="paper_ballot_entered", community_id=community.id,
                            actor_account_id=actor_account_id, object_type="meeting", object_id=meeting_id,
                            detail={"member_id": member_id, "motions": len(answers), "channel": channel},
                        )
                return "cast"
            except IntegrityError:
                if len(await self._ballots_by_key(list(keys.values()))) == len(keys):
                    return "replayed"
                if await self._ballots_of(meeting_id, [member_id]):
                    return "already"
                # Neither: a receipt collided; draw new ones.
        raise UserError(_("The ballot could not be stored. Please try again."), 503)

    @staticmethod
    def _ballot_insert(meeting_id: int, member_id: int, answers: dict[int, Answer], keys: dict[int, str],
                       channel: str, actor_account_id: int, now: datetime) -> tuple[Insert, dict[str, Any]]:
        """The form's ``INSERT ... SELECT`` and its parameters: one row per motion, in agenda order."""
        params: dict[str, Any] = {"meeting_id": meeting_id, "member_id": member_id, "channel": channel, "now": now,
                                  "actor": actor_account_id}
        for index, (motion_id, answer) in enumerate(answers.items()):
            params.update({f"motion_{index}": motion_id, f"choice_{index}": answer if isinstance(answer, str)
                           else ELECTION, f"receipt_{index}": new_receipt(), f"key_{index}": keys[motion_id]})
        return _ballot_insert_statement(len(answers)), params

    async def _agenda_for_voter(self, community: Community, meeting: Meeting, member_id: int,
                                person_id: int) -> list[AgendaItem] | None:
        """The agenda to check a form against, if the person votes for this member in the meeting's scope on
        its frozen register (its voter at notice, or the new owners' after a title change); None if not.
        One query."""
        voter = (
            scoped_units(meeting, community)
            .join(Member, Member.id == Unit.member_id)
            .where(Unit.member_id == member_id, votes_for(meeting.id, person_id))
            .exists()
        )
        rows = (
            await self.db.execute(
                select(Motion.id, Motion.kind, Motion.seats, MotionOption.id, voter)
                .outerjoin(MotionOption, MotionOption.motion_id == Motion.id)
                .where(Motion.meeting_id == meeting.id)
                .order_by(Motion.position, MotionOption.position)
            )
        ).tuples().all()
        if not rows or not rows[0][4]:
            return None
        agenda: dict[int, AgendaItem] = {}
        for motion_id, kind, seats, option_id, _voter in rows:
            item = agenda.get(motion_id) or AgendaItem(motion_id, kind, seats, ())
            agenda[motion_id] = item if option_id is None else AgendaItem(
                motion_id, kind, seats, (*item.option_ids, option_id))
        return list(agenda.values())

    async def _ballots_by_key(self, keys: list[str]) -> list[Ballot]:
        return list((await self.db.execute(select(Ballot).where(Ballot.idempotency_key.in_(keys)))).scalars())

    async def _ballots_of(self, meeting_id: int, member_ids: list[int]) -> list[Ballot]:
        return list(
            (
                await self.db.execute(
                    select(Ballot).join(Motion, Motion.id == Ballot.motion_id)
                    .where(Motion.meeting_id == meeting_id, Ballot.member_id.in_(member_ids))
                )
            ).scalars()
        )

    async def _voter_status(self, community: Community, view: MeetingView, person_id: int) -> VoterStatus:
        """The person's members in the meeting: voter at notice, owner, or new owner after a title change."""
        units = scoped_units(view.meeting, community).subquery()
        owned = select(UnitOwner.unit_id).where(UnitOwner.person_id == person_id)
        transfers = await transfers_for_person(self.db, view.meeting.id, person_id)
        new_owned = [m for m, t in transfers.items() if t.new_owner or t.voter_person_id == person_id]
        rows = (
            await self.db.execute(
                select(units.c.member_id, Member.voter_person_id, units.c.id.in_(owned))
                .join(Member, Member.id == units.c.member_id)
                .where(or_(Member.voter_person_id == person_id, units.c.id.in_(owned),
                           units.c.member_id.in_(new_owned)))
                .distinct()
            )
        ).all()
        at_notice = {m for m, voter, owns in rows if owns or voter == person_id}
        mine, unnominated, others, moved_away, stands = set(), set(), set(), set(), set()
        for member_id, voter, _owns in rows:
            transfer = transfers.get(member_id)
            if transfer is not None and transfer.outcome == "moved":
                voter = transfer.voter_person_id
                if voter != person_id and not transfer.new_owner:
                    moved_away.add(member_id)
                    continue
            elif transfer is not None and transfer.outcome == "ballot_stands" and member_id not in at_notice:
                stands.add(member_id)
                continue
            elif member_id not in at_notice:
                continue  # a new owner of units whose title change does not move the vote
            (mine if voter == person_id else unnominated if voter is None else others).add(member_id)
        labels = await self._unit_labels(community, view, sorted(unnominated | others | moved_away | stands))
        return VoterStatus(
            members=await self._members(community, view, sorted(mine)),
            unnominated_units=[label for m in sorted(unnominated) for label in labels.get(m, [])],
            other_voter_units=[label for m in sorted(others) for label in labels.get(m, [])],
            moved_away_units=[label for m in sorted(moved_away) for label in labels.get(m, [])],
            ballot_stands_units=[label for m in sorted(stands) for label in labels.get(m, [])],
        )

    async def _unit_labels(self, community: Community, view: MeetingView, member_ids: list[int]) -> dict[int, list[str]]:
        if not member_ids:
            return {}
        units = scoped_units(view.meeting, community).subquery()
        labels: dict[int, list[str]] = {}
        for member_id, building, number in await self.db.execute(
            select(units.c.member_id, Building.name, units.c.number)
            .join(Building, Building.id == units.c.building_id)
            .where(units.c.member_id.in_(member_ids))
            .order_by(Building.position, Building.name, units.c.number)
        ):
            labels.setdefault(member_id, []).append(f"{building} {number}")
        return labels

    async def _members(self, community: Community, view: MeetingView, member_ids: list[int]) -> list[VoterMember]:
        """Members in scope with their unit labels and their ballots on this meeting, in agenda order."""
        labels = await self._unit_labels(community, view, member_ids)
        ballots: dict[int, list[Ballot]] = {}
        for ballot in await self._ballots_of(view.meeting.id, [m for m in member_ids if m in labels]):
            ballots.setdefault(ballot.member_id, []).append(ballot)
        ballot_ids = [b.id for bs in ballots.values() for b in bs if b.choice == ELECTION]
        chosen: dict[int, set[int]] = {}
        if ballot_ids:
            for ballot_id, option_id in await self.db.execute(
                select(BallotSelection.ballot_id, BallotSelection.option_id)
                .where(BallotSelection.ballot_id.in_(ballot_ids))
            ):
                chosen.setdefault(ballot_id, set()).add(option_id)
        result = []
        for member_id in member_ids:
            if member_id not in labels:
                continue
            by_motion = {b.motion_id: b for b in ballots.get(member_id, [])}
            cast = []
            for motion in view.motions:
                ballot = by_motion.get(motion.motion.id)
                if ballot is None:
                    continue
                if ballot.choice == ELECTION:
                    names = [o.label for o in motion.options if o.id in chosen.get(ballot.id, set())]
                    text = "、".join(names) if names else _("No candidate chosen (abstaining on every candidate)")
                else:
                    text = choice_label(ballot.choice)
                cast.append(CastBallot(motion=motion, ballot=ballot, answer_text=text))
            result.append(VoterMember(member_id=member_id, units=labels[member_id], ballots=cast))
        return result
