"""Casting ballots (online and paper) and live turnout.

One ballot per member and motion is the database's ``UNIQUE(motion_id, member_id)``: every channel
inserts through ``_insert_form``, one ``INSERT ... SELECT`` for all motions of the form that also
re-checks the voting window in SQL, so a ballot can only land while the meeting is open, whatever the
page showed. All motions of one form go in one transaction (all or nothing), kept as short as the
inserts themselves: on SQLite it holds the only write lock. A retried form (same idempotency key) gets
the same receipts back; a second form for a member who already voted gets the existing receipts and a
clear message. Turnout is one aggregate query and never looks at a choice.

A paper ballot takes two committee members: one types it in (a pending ``PaperBallotEntry``), a
second one confirms it, and only then its ballots go through ``_insert_form``, in the transaction that
marks the entry confirmed. The committee's lookup of a unit says whether and how its member voted,
never a choice or a receipt, and is written to the audit log.
"""

from __future__ import annotations

import functools
import json
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Insert, Integer, String, bindparam, case, func, insert, or_, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vote.db.engine import write_transaction
from vote.db.models import (
    Account,
    Ballot,
    BallotSelection,
    Building,
    Community,
    LedgerLeaf,
    Meeting,
    Member,
    Motion,
    MotionOption,
    PaperBallotEntry,
    Unit,
    UnitOwner,
)
from vote.db.models.ballots import CHOICES, ELECTION, PAPER_MARKS
from vote.domain.accounts.sessions import AuthContext
from vote.domain.activation.codes import qr_data_uri
from vote.domain.audit.services import record
from vote.domain.ballots.schemas import BallotInput, new_idempotency_key
from vote.domain.ballots.transfers import still_votes_for, transfers_for_person, votes_for
from vote.domain.meetings.lifecycle import phase
from vote.domain.meetings.scope import scoped_members, scoped_units
from vote.domain.meetings.services import MeetingService, MeetingView, MotionView
from vote.domain.meetings.snapshot import rule_preset
from vote.ledger import services as ledger
from vote.ledger.leaf import leaf_to_dict
from vote.lib.errors import UserError
from vote.lib.i18n import _
from vote.rules import PRESETS, Count, QuorumLine, quorum_lines

RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed back safely
RECEIPT_LENGTH = 10
CAST_ATTEMPTS = 3

Answer = str | tuple[int, ...]  # "yes"/"no"/"abstain", or the chosen candidate ids of an election
PaperMark = tuple[str, str | None]  # a paper ballot's "blank"/"spoiled" mark and, when spoiled, the reason
PAPER_NOTE_LENGTH = 200
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


def check_marks(agenda: Sequence[AgendaItem], ballot: BallotInput) -> tuple[dict[int, PaperMark], dict[int, str]]:
    """A paper form's blank/spoiled marks per motion, and a problem per motion whose mark is wrong.

    A marked motion has no choice; a spoiled one needs its reason.
    """
    marks: dict[int, PaperMark] = {}
    errors: dict[int, str] = {}
    for item in agenda:
        mark, note = ballot.mark(item.motion_id), ballot.note(item.motion_id)
        if not mark:
            continue
        if mark not in PAPER_MARKS:
            errors[item.motion_id] = _("Mark the ballot as blank or spoiled, or leave it unmarked.")
        elif any(ballot.values(item.motion_id)):
            errors[item.motion_id] = _("A blank or spoiled ballot has no choice: clear the choice or the mark.")
        elif mark == "spoiled" and not note:
            errors[item.motion_id] = _("Give the reason why this ballot is spoiled.")
        elif len(note) > PAPER_NOTE_LENGTH:
            errors[item.motion_id] = _("The reason is too long (200 characters at most).")
        else:
            marks[item.motion_id] = (mark, note if mark == "spoiled" else None)
    return marks, errors


def mark_label(mark: str, note: str | None) -> str:
    """A blank or spoiled paper ballot in plain words."""
    if mark == "blank":
        return _("Blank ballot (counted as abstaining)")
    return _("Spoiled ballot: {reason} (counted as abstaining)").format(reason=note)


def spoiled_reasons() -> list[str]:
    """The usual reasons a paper ballot is spoiled, offered when typing one in (others may be typed)."""
    return [_("Several choices ticked"), _("Altered or illegible"), _("Not signed"),
            _("Not the ballot paper issued for this meeting")]


def entry_pending() -> str:
    """The message for a member whose paper ballot is already waiting for confirmation."""
    return _("A paper ballot of this unit is already waiting for a second committee member to confirm it.")


def entry_decided() -> str:
    """The message for an entry that is no longer pending."""
    return _("This paper ballot entry has already been confirmed or rejected.")


def paper_member_voted() -> str:
    """The message (and the rejection reason) for a paper ballot of a member who has voted already."""
    return _("This unit's member has already voted; a ballot already cast stands.")


def _entry_answers(review: Review) -> dict[str, Any]:
    """A reviewed paper ballot as stored in its pending entry."""
    stored: dict[str, Any] = {}
    for motion_id, answer in review.answers.items():
        mark, note = review.marks.get(motion_id, (None, None))
        stored[str(motion_id)] = {"choice": answer if isinstance(answer, str) else ELECTION,
                                  "options": [] if isinstance(answer, str) else list(answer),
                                  "mark": mark, "note": note}
    return stored


def _entry_input(entry: PaperBallotEntry) -> BallotInput:
    """A stored entry as the form it came from, to be checked against the agenda again."""
    answers: dict[str, list[str]] = {}
    marks: dict[int, str] = {}
    notes: dict[int, str] = {}
    for motion_id, stored in entry.answers.items():
        if stored.get("mark"):
            marks[int(motion_id)] = stored["mark"]
            if stored.get("note"):
                notes[int(motion_id)] = stored["note"]
        elif stored["choice"] == ELECTION:
            answers[f"m{motion_id}"] = [str(option) for option in stored["options"]]
        else:
            answers[f"m{motion_id}"] = [stored["choice"]]
    return BallotInput(member_id=entry.member_id, idempotency_key=entry.idempotency_key, answers=answers,
                       marks=marks, notes=notes)


@dataclass(frozen=True)
class CastBallot:
    """A ballot as its voter sees it: the motion, what was chosen, the receipt, and its ledger leaf (the
    leaf dict with its ``index`` in the meeting's log: what the owner needs to recompute and check it)."""

    motion: MotionView
    ballot: Ballot
    answer_text: str
    leaf: dict[str, Any] | None = None

    @property
    def receipt_json(self) -> str:
        """The leaf as compact JSON: the receipt text and the QR code's content."""
        return json.dumps(self.leaf, sort_keys=True, separators=(",", ":")) if self.leaf else ""

    @property
    def receipt_qr(self) -> str:
        """The receipt as a QR code (an SVG ``data:`` URI, drawn on the server)."""
        return qr_data_uri(self.receipt_json) if self.leaf else ""


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
class VoteStatus:
    """That a member has voted, how and when; never what."""

    channel: str
    at: datetime

    @property
    def channel_label(self) -> str:
        """The channel in plain words."""
        return {"online": _("online"), "paper": _("on a paper ballot"), "proxy": _("by proxy")}[self.channel]


@dataclass(frozen=True)
class PendingEntry:
    """A paper ballot entry waiting for a second committee member (its answers are not shown here)."""

    entry_id: int
    member_id: int
    units: list[str]
    entered_by: str
    entered_at: datetime
    can_decide: bool  # the viewer is not the clerk who entered it


@dataclass(frozen=True)
class PaperUnit:
    """A member as the committee's paper screen sees it: units, whether (and how) it voted, its pending entry."""

    member_id: int
    units: list[str]
    voted: VoteStatus | None
    pending: PendingEntry | None


@dataclass(frozen=True)
class PaperPage:
    """The committee's paper-ballot screen: the unit searched for, and the entries waiting for confirmation."""

    view: MeetingView
    buildings: list[Building]
    found: PaperUnit | None
    building_id: int | None
    number: str
    pending: list[PendingEntry]
    idempotency_key: str

    @property
    def form_member(self) -> PaperUnit | None:
        """The member whose paper ballot can be typed in now (found, not voted, none pending, window open)."""
        found = self.found
        if found is None or found.voted is not None or found.pending is not None or self.view.phase != "open":
            return None
        return found


@dataclass(frozen=True)
class PaperConfirmation:
    """A pending entry on the second committee member's screen: the answers in words, who typed them, when."""

    entry_id: int
    review: Review
    entered_by: str
    entered_at: datetime


@dataclass(frozen=True)
class ReviewLine:
    """One motion on the confirmation step, with the choice in plain words."""

    motion: MotionView
    answer_text: str


@dataclass(frozen=True)
class Review:
    """The confirmation step: the choices repeated in plain words, ready to cast."""

    view: MeetingView
    member: VoterMember | PaperUnit
    lines: list[ReviewLine]
    answers: dict[int, Answer]
    idempotency_key: str
    marks: dict[int, PaperMark] = field(default_factory=dict)  # paper ballots: motion id -> (mark, reason)


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

    def __init__(self, page: BallotPage, member: VoterMember | PaperUnit, errors: dict[int, str],
                 ballot: BallotInput) -> None:
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
            bindparam(f"key_{index}", type_=String()), bindparam(f"mark_{index}", type_=String()),
            bindparam(f"note_{index}", type_=String()), bindparam(f"nonce_{index}", type_=String()),
        ).where(window_open)
        for index in range(rows)
    ]
    table = Ballot.__table__  # a Core insert: with an ORM entity, a parameter dict would mean a bulk insert
    return (
        insert(table)
        .from_select(
            ["motion_id", "member_id", "choice", "channel", "cast_at", "cast_by_account_id", "receipt",
             "idempotency_key", "paper_mark", "paper_note", "nonce"],
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
                                     now=now, voter_person_id=auth.person_id)).status
        status = await self._insert_form(community, meeting.id, ballot.member_id, answers, ballot.idempotency_key,
                                         channel="online", actor_account_id=auth.account_id, now=now,
                                         voter_person_id=auth.person_id)
        if status == "already":
            view = await self.meetings.view(community, meeting_id, now, drafts=False)
            raise AlreadyVoted(view, (await self._members(community, view, [ballot.member_id]))[0])
        return status

    async def owner_form(self, community: Community, meeting_id: int, auth: AuthContext, ballot: BallotInput,
                         now: datetime) -> tuple[BallotPage, VoterMember]:
        """The owner's ballot form again, with the choices kept ("go back and change")."""
        page = await self.page(community, meeting_id, auth, now)
        return page, self._online_member(page, ballot)

    # ----------------------------------------------------------------- paper ballots
    #
    # A paper ballot takes two committee members: one types it in (a pending PaperBallotEntry, not yet a
    # ballot), a different one checks it against the paper and confirms it (its Ballot rows are inserted
    # in the same transaction that marks the entry confirmed) or rejects it with a reason. The lookup of
    # a unit says only whether and how its member has voted, never a choice or a receipt, and is logged.

    async def paper_page(self, community: Community, meeting_id: int, auth: AuthContext, building_id: int | None,
                         number: str, now: datetime) -> PaperPage:
        """The paper-ballot screen: the unit searched for (its voting status only) and the entries to confirm.

        Every lookup that finds a unit is written to the audit log.
        """
        view = await self.meetings.view(community, meeting_id, now, drafts=False)
        buildings = await self.meetings.buildings(community)
        found = None
        if building_id is not None and number.strip() and view.meeting.register_version_id is not None:
            units = scoped_units(view.meeting, community).subquery()
            member_id = (
                await self.db.execute(
                    select(units.c.member_id).where(units.c.building_id == building_id,
                                                    units.c.number == number.strip())
                )
            ).scalar_one_or_none()
            if member_id is not None:
                found = await self._paper_unit(community, view, member_id, auth)
                await self._log_lookup(community, view.meeting.id, auth, member_id, found.units, now)
        return PaperPage(view=view, buildings=buildings, found=found, building_id=building_id, number=number.strip(),
                         pending=await self._pending_entries(community, view, auth),
                         idempotency_key=new_idempotency_key())

    async def paper_form(self, community: Community, meeting_id: int, auth: AuthContext, ballot: BallotInput,
                         now: datetime) -> tuple[BallotPage, PaperUnit]:
        """A paper ballot's form again, with the answers kept ("go back and change")."""
        return await self._paper(community, meeting_id, auth, ballot, now)

    async def paper_review(self, community: Community, meeting_id: int, auth: AuthContext, ballot: BallotInput,
                           now: datetime) -> Review:
        """Check a paper ballot typed in by a committee member and repeat it before it is recorded."""
        page, unit = await self._paper(community, meeting_id, auth, ballot, now)
        return self._review(page, unit, ballot, paper=True)

    async def enter_paper(self, community: Community, meeting_id: int, auth: AuthContext, ballot: BallotInput,
                          now: datetime) -> None:
        """Record a typed-in paper ballot as a pending entry for a second committee member to confirm.

        The same form sent twice (same key, same clerk) records one entry; a second entry for a member
        whose entry is pending is refused by the database (partial unique index).
        """
        if await self._entered_already(ballot, auth):
            return
        # A pending entry is left to the unique index: the same form sent twice at once must find its twin.
        page, unit = await self._paper(community, meeting_id, auth, ballot, now, pending_ok=True)
        review = self._review(page, unit, ballot, paper=True)
        entry = PaperBallotEntry(meeting_id=page.view.meeting.id, member_id=unit.member_id,
                                 answers=_entry_answers(review), idempotency_key=ballot.idempotency_key,
                                 entered_by_account_id=auth.account_id, entered_at=now, status="pending")
        self.db.expunge_all()
        try:
            async with write_transaction(self.db):
                self.db.add(entry)
                await self.db.flush()
                await record(
                    self.db, at=now, action="paper_entry_recorded", community_id=community.id,
                    actor_account_id=auth.account_id, object_type="meeting", object_id=page.view.meeting.id,
                    detail={"entry_id": entry.id, "member_id": unit.member_id, "units": unit.units},
                )
        except IntegrityError:
            if not await self._entered_already(ballot, auth):
                raise UserError(entry_pending(), 409) from None

    async def _entered_already(self, ballot: BallotInput, auth: AuthContext) -> bool:
        """True when this very form (its key) was recorded already by this clerk for this member."""
        return (
            await self.db.execute(
                select(PaperBallotEntry.id).where(PaperBallotEntry.idempotency_key == ballot.idempotency_key,
                                                  PaperBallotEntry.member_id == ballot.member_id,
                                                  PaperBallotEntry.entered_by_account_id == auth.account_id)
            )
        ).scalar_one_or_none() is not None

    async def paper_entry(self, community: Community, meeting_id: int, entry_id: int, auth: AuthContext,
                          now: datetime) -> PaperConfirmation:
        """The confirmation screen of a pending entry, for a committee member other than its clerk (logged)."""
        view, entry = await self._pending_entry(community, meeting_id, entry_id, auth, now)
        unit = await self._paper_unit(community, view, entry.member_id, auth)
        review = self._entry_review(view, unit, entry)
        clerk = (await self.db.execute(select(Account.display_name).where(Account.id == entry.entered_by_account_id))
                 ).scalar_one()
        async with write_transaction(self.db):
            await record(
                self.db, at=now, action="paper_entry_viewed", community_id=community.id,
                actor_account_id=auth.account_id, object_type="meeting", object_id=view.meeting.id,
                detail={"entry_id": entry.id, "member_id": entry.member_id},
            )
        return PaperConfirmation(entry_id=entry.id, review=review, entered_by=clerk, entered_at=entry.entered_at)

    async def confirm_paper(self, community: Community, meeting_id: int, entry_id: int, auth: AuthContext,
                            now: datetime) -> PaperUnit:
        """A second committee member confirms a pending entry: its ballots are cast, once.

        The entry is marked confirmed in the transaction that inserts the ballots (through ``_insert_form``,
        which checks the voting window in SQL); two confirmations at once insert them once, the other
        finds the entry decided. If the member voted meanwhile (online), their ballot stands and the
        entry is rejected with that reason.
        """
        view, entry = await self._pending_entry(community, meeting_id, entry_id, auth, now)
        unit = await self._paper_unit(community, view, entry.member_id, auth)
        review = self._entry_review(view, unit, entry)
        entry_id, member_id, clerk_id = entry.id, entry.member_id, entry.entered_by_account_id

        async def claim() -> None:
            claimed = await self.db.execute(
                update(PaperBallotEntry)
                .where(PaperBallotEntry.id == entry_id, PaperBallotEntry.status == "pending",
                       PaperBallotEntry.entered_by_account_id != auth.account_id)
                .values(status="confirmed", decided_by_account_id=auth.account_id, decided_at=now)
            )
            if claimed.rowcount != 1:
                raise UserError(entry_decided(), 409)

        status = await self._insert_form(
            community, view.meeting.id, member_id, review.answers, entry.idempotency_key, channel="paper",
            actor_account_id=auth.account_id, now=now, marks=review.marks, claim=claim,
            audit_detail={"entry_id": entry_id, "entered_by_account_id": clerk_id,
                          "confirmed_by_account_id": auth.account_id},
        )
        if status == "already":
            await self._reject(community, view.meeting.id, entry_id, member_id, auth.account_id,
                               paper_member_voted(), now, automatic=True)
            raise UserError(_("This member has already voted, so the paper ballot was not counted; its entry has "
                              "been rejected with that reason."), 409)
        return unit

    async def reject_paper(self, community: Community, meeting_id: int, entry_id: int, auth: AuthContext,
                           reason: str, now: datetime) -> PaperUnit:
        """A second committee member rejects a pending entry, with a reason (logged); nothing is cast."""
        view, entry = await self._pending_entry(community, meeting_id, entry_id, auth, now)
        reason = reason.strip()
        if not reason:
            raise UserError(_("Give the reason for rejecting this paper ballot entry."), 400)
        if len(reason) > 500:
            raise UserError(_("The reason is too long (500 characters at most)."), 400)
        unit = await self._paper_unit(community, view, entry.member_id, auth)
        if not await self._reject(community, view.meeting.id, entry.id, entry.member_id, auth.account_id, reason,
                                  now, automatic=False):
            raise UserError(entry_decided(), 409)
        return unit

    async def _reject(self, community: Community, meeting_id: int, entry_id: int, member_id: int,
                      actor_account_id: int, reason: str, now: datetime, *, automatic: bool) -> bool:
        """Mark a pending entry rejected, audited; False if it was no longer pending."""
        async with write_transaction(self.db):
            rejected = await self.db.execute(
                update(PaperBallotEntry)
                .where(PaperBallotEntry.id == entry_id, PaperBallotEntry.status == "pending",
                       PaperBallotEntry.entered_by_account_id != actor_account_id)
                .values(status="rejected", decided_by_account_id=actor_account_id, decided_at=now, reason=reason)
            )
            if rejected.rowcount != 1:
                return False
            await record(
                self.db, at=now, action="paper_entry_rejected", community_id=community.id,
                actor_account_id=actor_account_id, object_type="meeting", object_id=meeting_id,
                detail={"entry_id": entry_id, "member_id": member_id, "reason": reason, "automatic": automatic},
            )
        return True

    async def _pending_entry(self, community: Community, meeting_id: int, entry_id: int, auth: AuthContext,
                             now: datetime) -> tuple[MeetingView, PaperBallotEntry]:
        """A pending entry of this meeting that ``auth`` may decide (not their own)."""
        view = await self.meetings.view(community, meeting_id, now, drafts=False)
        entry = (
            await self.db.execute(
                select(PaperBallotEntry).where(PaperBallotEntry.id == entry_id,
                                               PaperBallotEntry.meeting_id == view.meeting.id)
            )
        ).scalar_one_or_none()
        if entry is None:
            raise UserError(_("This paper ballot entry does not exist."), 404)
        if entry.status != "pending":
            raise UserError(entry_decided(), 409)
        if entry.entered_by_account_id == auth.account_id:
            raise UserError(_("You entered this paper ballot yourself: a second committee member must confirm "
                              "or reject it."), 403)
        return view, entry

    def _entry_review(self, view: MeetingView, unit: PaperUnit, entry: PaperBallotEntry) -> Review:
        """A stored entry's answers, checked again against the agenda and put in words."""
        try:
            return self._review(BallotPage(view=view, voter=None, idempotency_key=entry.idempotency_key), unit,
                                _entry_input(entry), paper=True)
        except InvalidBallot:
            raise UserError(_("This paper ballot entry no longer matches the meeting's motions: reject it and "
                              "enter the ballot again."), 409) from None

    async def _paper_unit(self, community: Community, view: MeetingView, member_id: int,
                          auth: AuthContext) -> PaperUnit:
        """A member as the paper screen shows it: its units, whether and how it voted, its pending entry."""
        labels = await self._unit_labels(community, view, [member_id])
        voted = (
            await self.db.execute(
                select(Ballot.channel, func.min(Ballot.cast_at)).join(Motion, Motion.id == Ballot.motion_id)
                .where(Motion.meeting_id == view.meeting.id, Ballot.member_id == member_id)
                .group_by(Ballot.channel)
            )
        ).first()
        pending = await self._pending_entries(community, view, auth, member_id=member_id)
        return PaperUnit(member_id=member_id, units=labels.get(member_id, []),
                         voted=VoteStatus(voted[0], voted[1]) if voted else None,
                         pending=pending[0] if pending else None)

    async def _pending_entries(self, community: Community, view: MeetingView, auth: AuthContext, *,
                               member_id: int | None = None) -> list[PendingEntry]:
        """The meeting's entries waiting for a second committee member, oldest first (never their answers)."""
        query = (
            select(PaperBallotEntry.id, PaperBallotEntry.member_id, PaperBallotEntry.entered_by_account_id,
                   Account.display_name, PaperBallotEntry.entered_at)
            .join(Account, Account.id == PaperBallotEntry.entered_by_account_id)
            .where(PaperBallotEntry.meeting_id == view.meeting.id, PaperBallotEntry.status == "pending")
            .order_by(PaperBallotEntry.entered_at, PaperBallotEntry.id)
        )
        if member_id is not None:
            query = query.where(PaperBallotEntry.member_id == member_id)
        rows = (await self.db.execute(query)).all()
        labels = await self._unit_labels(community, view, sorted({row[1] for row in rows}))
        return [PendingEntry(entry_id=entry_id, member_id=member, units=labels.get(member, []), entered_by=name,
                             entered_at=at, can_decide=clerk != auth.account_id)
                for entry_id, member, clerk, name, at in rows]

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

    async def _paper(self, community: Community, meeting_id: int, auth: AuthContext, ballot: BallotInput,
                     now: datetime, *, pending_ok: bool = False) -> tuple[BallotPage, PaperUnit]:
        """The meeting and the member whose paper ballot is typed in: voting open, in scope, not voted,
        no entry of theirs waiting."""
        page = BallotPage(view=await self.meetings.view(community, meeting_id, now, drafts=False), voter=None,
                          idempotency_key=ballot.idempotency_key)
        if page.view.phase != "open":
            raise UserError(_("Voting is not open for this meeting."), 409)
        if ballot.member_id is None:
            raise UserError(_("Choose the unit whose paper ballot you are entering."), 400)
        unit = await self._paper_unit(community, page.view, ballot.member_id, auth)
        if not unit.units:
            raise UserError(_("This unit is not in the meeting's scope."), 404)
        # Whatever the answer, it tells the clerk whether the member has voted: every such lookup is logged.
        await self._log_lookup(community, page.view.meeting.id, auth, ballot.member_id, unit.units, now)
        if unit.voted is not None:
            raise UserError(paper_member_voted(), 409)
        if unit.pending is not None and not pending_ok:
            raise UserError(entry_pending(), 409)
        return page, unit

    async def _log_lookup(self, community: Community, meeting_id: int, auth: AuthContext, member_id: int,
                          units: list[str], now: datetime) -> None:
        """Audit one look at a member's voting status on the paper-ballot screens (no choice is in it)."""
        async with write_transaction(self.db):
            await record(
                self.db, at=now, action="paper_lookup", community_id=community.id,
                actor_account_id=auth.account_id, object_type="meeting", object_id=meeting_id,
                detail={"member_id": member_id, "units": units},
            )

    def _review(self, page: BallotPage, member: VoterMember | PaperUnit, ballot: BallotInput, *,
                paper: bool = False) -> Review:
        """Check a form against the agenda and put each answer in words; a paper form may mark motions
        blank or spoiled (stored as abstaining, with the mark)."""
        agenda = [AgendaItem(v.motion.id, v.motion.kind, v.motion.seats, tuple(o.id for o in v.options))
                  for v in page.view.motions]
        answers, errors = check_answers(agenda, ballot)
        marks: dict[int, PaperMark] = {}
        if paper:
            marks, mark_errors = check_marks(agenda, ballot)
            for item in agenda:
                if item.motion_id in marks or item.motion_id in mark_errors:
                    errors.pop(item.motion_id, None)
                if item.motion_id in marks:
                    answers[item.motion_id] = "abstain" if item.kind == "question" else ()
            errors.update(mark_errors)
        if errors:
            raise InvalidBallot(page, member, errors, ballot)
        answers = {item.motion_id: answers[item.motion_id] for item in agenda}
        lines: list[ReviewLine] = []
        for view in page.view.motions:
            answer = answers[view.motion.id]
            if view.motion.id in marks:
                lines.append(ReviewLine(view, mark_label(*marks[view.motion.id])))
                continue
            if isinstance(answer, str):
                lines.append(ReviewLine(view, choice_label(answer)))
                continue
            labels = {o.id: o.label for o in view.options}
            text = ("、".join(labels[o] for o in answer) if answer
                    else _("No candidate chosen (abstaining on every candidate)"))
            lines.append(ReviewLine(view, text))
        return Review(view=page.view, member=member, lines=lines, answers=answers,
                      idempotency_key=ballot.idempotency_key, marks=marks)

    async def store(self, community: Community, review: Review, *, channel: str, actor_account_id: int,
                    now: datetime, voter_person_id: int | None = None) -> CastResult:
        """Insert a confirmed ballot's rows in one write transaction; the database decides window and duplicates."""
        member_id = review.member.member_id
        status = await self._insert_form(community, review.view.meeting.id, member_id, review.answers,
                                         review.idempotency_key, channel=channel, actor_account_id=actor_account_id,
                                         now=now, voter_person_id=voter_person_id)
        member = (await self._members(community, review.view, [member_id]))[0]
        if status == "already":
            raise AlreadyVoted(review.view, member)
        return CastResult(status=status, view=review.view, member=member)

    async def _insert_form(self, community: Community, meeting_id: int, member_id: int, answers: dict[int, Answer],
                           idempotency_key: str, *, channel: str, actor_account_id: int, now: datetime,
                           marks: dict[int, PaperMark] | None = None,
                           claim: Callable[[], Awaitable[None]] | None = None,
                           audit_detail: dict[str, Any] | None = None,
                           voter_person_id: int | None = None) -> Literal["cast", "replayed", "already"]:
        """One form's ballots, all or nothing, in one short write transaction; "already" when the member had voted.

        ``claim`` runs first in that transaction (a paper entry marks itself confirmed there, and raises
        to refuse); ``marks`` are the blank/spoiled marks of a paper ballot's motions. An owner's own
        ballot (``voter_person_id``) re-checks in the transaction that the right to vote has not moved
        to a new owner since the page was read (a title change during the vote).
        """
        keys = {motion_id: f"{idempotency_key}:{member_id}:{motion_id}" for motion_id in answers}
        # What was read so far is a snapshot: detached, a rollback below cannot expire it under the caller.
        self.db.expunge_all()
        positions = await ledger.option_positions(
            self.db, [option for answer in answers.values() if not isinstance(answer, str) for option in answer])
        for _attempt in range(CAST_ATTEMPTS):
            statement, params = self._ballot_insert(meeting_id, member_id, answers, keys, channel, actor_account_id,
                                                    now, marks or {})
            try:
                async with write_transaction(self.db):
                    if claim is not None:
                        await claim()
                    if voter_person_id is not None and not await still_votes_for(self.db, meeting_id, member_id,
                                                                                 voter_person_id):
                        raise UserError(_("You no longer vote for this unit: its title changed during the vote and "
                                          "the right to vote moved to the new owner."), 409)
                    landed = dict((await self.db.execute(statement, params)).tuples().all())
                    if len(landed) != len(answers):
                        raise UserError(_("Voting is not open for this meeting."), 409)
                    selections = [{"ballot_id": landed[motion_id], "option_id": option_id}
                                  for motion_id, answer in answers.items() if not isinstance(answer, str)
                                  for option_id in answer]
                    if selections:
                        await self.db.execute(insert(BallotSelection), selections)
                    await ledger.append(self.db, meeting_id, self._leaves(meeting_id, member_id, answers, params,
                                                                         landed, positions), now)
                    if channel != "online":
                        await record(
                            self.db, at=now, action="paper_ballot_entered", community_id=community.id,
                            actor_account_id=actor_account_id, object_type="meeting", object_id=meeting_id,
                            detail={"member_id": member_id, "motions": len(answers), "channel": channel,
                                    **(audit_detail or {})},
                        )
                return "cast"
            except IntegrityError:
                if len(await self._ballots_by_key(list(keys.values()))) == len(keys):
                    return "replayed"
                if await self._ballots_of(meeting_id, [member_id]):
                    return "already"
                # Neither: a receipt collided; draw new ones.
        raise UserError(_("The ballot could not be stored. Please try again."), 503)

    def _leaves(self, meeting_id: int, member_id: int, answers: dict[int, Answer], params: dict[str, Any],
                landed: dict[int, int], positions: dict[int, int]) -> list[tuple[int, str]]:
        """The form's ledger leaves (ballot id, leaf hash) in agenda order, from what the insert was given."""
        secret_key = ledger.secret_of(self.db)
        leaves = []
        for index, (motion_id, answer) in enumerate(answers.items()):
            choice = params[f"choice_{index}"]
            selected = () if isinstance(answer, str) else (positions[option] for option in answer)
            leaf = ledger.ballot_leaf(secret_key, meeting_id, motion_id, member_id, choice, selected,
                                      params[f"mark_{index}"], params[f"nonce_{index}"])
            leaves.append((landed[motion_id], ledger.leaf_hash_hex(leaf)))
        return leaves

    @staticmethod
    def _ballot_insert(meeting_id: int, member_id: int, answers: dict[int, Answer], keys: dict[int, str],
                       channel: str, actor_account_id: int, now: datetime,
                       marks: dict[int, PaperMark]) -> tuple[Insert, dict[str, Any]]:
        """The form's ``INSERT ... SELECT`` and its parameters: one row per motion, in agenda order."""
        params: dict[str, Any] = {"meeting_id": meeting_id, "member_id": member_id, "channel": channel, "now": now,
                                  "actor": actor_account_id}
        for index, (motion_id, answer) in enumerate(answers.items()):
            params.update({f"motion_{index}": motion_id, f"choice_{index}": answer if isinstance(answer, str)
                           else ELECTION, f"receipt_{index}": new_receipt(), f"key_{index}": keys[motion_id]})
            mark, note = marks.get(motion_id, (None, None))
            params.update({f"mark_{index}": mark, f"note_{index}": note, f"nonce_{index}": ledger.new_nonce()})
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

    async def _receipt_leaves(self, view: MeetingView, ballots: list[Ballot],
                              chosen: dict[int, set[int]]) -> dict[int, dict[str, Any]]:
        """Each ballot's leaf dict with its index in the meeting's log (the receipt that proves)."""
        if not ballots:
            return {}
        indexes = dict((await self.db.execute(
            select(LedgerLeaf.ballot_id, LedgerLeaf.position).where(LedgerLeaf.ballot_id.in_([b.id for b in ballots]))
        )).tuples().all())
        positions = {o.id: o.position for motion in view.motions for o in motion.options}
        secret_key = ledger.secret_of(self.db)
        leaves: dict[int, dict[str, Any]] = {}
        for ballot in ballots:
            if ballot.id not in indexes:
                continue
            leaf = ledger.ballot_leaf(secret_key, view.meeting.id, ballot.motion_id, ballot.member_id, ballot.choice,
                                      (positions[o] for o in chosen.get(ballot.id, ())), ballot.paper_mark,
                                      ballot.nonce)
            leaves[ballot.id] = {**leaf_to_dict(leaf), "index": indexes[ballot.id]}
        return leaves

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
        leaves = await self._receipt_leaves(view, [b for bs in ballots.values() for b in bs], chosen)
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
                if ballot.paper_mark is not None:
                    text = mark_label(ballot.paper_mark, ballot.paper_note)
                elif ballot.choice == ELECTION:
                    names = [o.label for o in motion.options if o.id in chosen.get(ballot.id, set())]
                    text = "、".join(names) if names else _("No candidate chosen (abstaining on every candidate)")
                else:
                    text = choice_label(ballot.choice)
                cast.append(CastBallot(motion=motion, ballot=ballot, answer_text=text, leaf=leaves.get(ballot.id)))
            result.append(VoterMember(member_id=member_id, units=labels[member_id], ballots=cast))
        return result
