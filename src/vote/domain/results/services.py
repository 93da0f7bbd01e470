"""The published result: the public page, the receipt check, the downloads, the inspection of
ballots, the committee's final publication and the audit log pages for observers.

Nothing of a result is visible before the meeting closes. Reading never closes a meeting (no GET
writes): a meeting whose window has ended but that the closing job (``vote.domain.results.closing``)
has not closed yet shows "counting in progress", and its downloads and receipt check are not found
until the close. The final result needs the objection period to be over and the approval of a
majority of the committee, at least two people (``Approval`` rows with subject ``result_final``).

Secrecy and disclosure (docs/secrecy.md):

- Anyone, after the close: per motion the TOTALS only (area and heads for yes / no / abstain /
  participated / scope, blank and spoiled paper ballots within abstain, each candidate's yes), on the
  page and as ``totals.json`` (the totals scenario ``vote tally`` checks gate by gate). No unit, no
  owner key, nothing in casting order; not even which units voted (its complement names who did not).
- Logged-in owners, the committee and the observers of the community, once the FINAL result is
  published and unless the community closed inspection (``Community.ballot_inspection``): each
  member's choice by unit (the owners' right to inspect ballots), on the ballots page and as
  ``result.json`` (the unit scenario), sorted by unit, never by casting time. Everyone else, and
  everyone before the final result: 404.
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
from vote.db.models.ballots import ELECTION
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
from vote.domain.approvals.services import RESULT_FINAL, ApprovalStatus, approval_status, approve, lock_subject
from vote.domain.audit.services import ChainReport, record, verify_chain
from vote.domain.ballots.services import mark_label
from vote.domain.meetings.scope import scoped_units
from vote.domain.meetings.services import local_time
from vote.domain.results.closing import is_due
from vote.lib.errors import UserError
from vote.lib.i18n import _
from vote.lib.masking import mask_name
from vote.ledger import services as ledger
from vote.ledger.leaf import LeafError, leaf_from_dict
from vote.lib.security import keyed_hash
from vote.rules import CHOICES, format_area

FINAL_SUBJECT = RESULT_FINAL
CLOSED_STATUSES = ("preliminary", "final")
OWNER_KEY_PURPOSE = "tally-owner-key"
AUDIT_PAGE_SIZE = 100
PAPER_MARKS = ("blank", "spoiled")
# Who may inspect per-unit choices after the final result (the owners' right to inspect ballots).
INSPECTORS = frozenset({"owner", "committee", "observer"})
# Whether the visitor may see per-unit choices now, and if not, why (the page explains each).
INSPECTION_AVAILABLE = "available"
INSPECTION_AFTER_FINAL = "after-final"
INSPECTION_MEMBERS_ONLY = "members-only"
INSPECTION_CLOSED = "closed"


@dataclass(frozen=True)
class Candidate:
    """One election candidate as stored at the close: label as on the ballot, status and support."""

    option_id: int
    label: str
    status: str
    yes: dict[str, int]
    checks: list[dict[str, Any]]


@dataclass(frozen=True)
class ElectionSummary:
    """Who was elected to how many seats, and whether a by-election is needed (never "passed")."""

    seats: int
    seats_filled: int
    elected: list[str]
    by_election_needed: bool
    candidates: list[Candidate]

    @property
    def vacant(self) -> int:
        """Seats left unfilled."""
        return max(self.seats - self.seats_filled, 0)


@dataclass(frozen=True)
class MotionOutcome:
    """One motion on the result page: its frozen text and the stored result (totals only)."""

    motion: Motion
    title: str
    result: MotionResult | None
    election: ElectionSummary | None = None

    @property
    def tally(self) -> dict[str, Any]:
        """The stored tally record (empty before the close)."""
        return self.result.tally if self.result else {}

    @property
    def paper_marks(self) -> dict[str, dict[str, int]]:
        """Blank and spoiled paper ballots (within abstain), when the tally records them."""
        return {key: self.tally[key] for key in PAPER_MARKS if key in self.tally}


@dataclass(frozen=True)
class ResultPage:
    """Everything the result page shows; ``inspection`` says whether per-unit choices are open to the visitor."""

    meeting: Meeting
    motions: list[MotionOutcome]
    approvals: FinalApprovals | None
    inspection: str = INSPECTION_AFTER_FINAL
    counting: bool = False
    """True when the voting window has ended and the closing job has not decided the meeting yet."""

    @property
    def closed(self) -> bool:
        """True once a result exists (preliminary or final)."""
        return self.meeting.status in CLOSED_STATUSES


@dataclass(frozen=True)
class BallotLine:
    """One returned ballot for inspection: the member's units in scope and the choice (no name, no time)."""

    units: list[str]
    area_centi: int
    choice: str
    candidates: list[str]
    mark_text: str | None = None
    """A blank or spoiled paper ballot in plain words (with the recorded reason), else None."""


@dataclass(frozen=True)
class MotionBallots:
    """The ballots of one motion, sorted by building and unit."""

    motion: Motion
    title: str
    lines: list[BallotLine]


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
class ReceiptCheck:
    """What a receipt code proves: which motion, which choice, when, and whether it counted."""

    motion_position: int
    motion_title: str
    choice: str
    candidates: list[str]
    cast_at: datetime
    counted: bool
    inclusion: ledger.Inclusion | None = None
    """The ballot against the meeting's final signed checkpoint (None: the meeting has none)."""


@dataclass(frozen=True)
class TallyDownload:
    """A ``vote tally`` scenario and its file name."""

    filename: str
    document: dict[str, Any]

    def body(self) -> bytes:
        """The scenario as UTF-8 JSON."""
        return (json.dumps(self.document, ensure_ascii=False, indent=1) + "\n").encode()


# Entries that say which member voted, how (paper) and when: for the committee (canvassing), never for
# observers, who see turnout only (docs/secrecy.md); nor, joined with the ballots, the order of casting.
VOTING_STATUS_ACTIONS = frozenset({"paper_lookup", "paper_entry_recorded", "paper_entry_viewed", "paper_ballot_entered",
                                   "paper_entry_rejected", "title_change_ballot_stands"})
VOTING_STATUS_KEYS = frozenset({"member_id", "units", "unit", "entry_id"})


def without_voting_status(action: str, detail: dict[str, Any]) -> dict[str, Any]:
    """An audit entry's detail as observers see it: which member or unit it was about is left out."""
    if action not in VOTING_STATUS_ACTIONS:
        return detail
    return {key: value for key, value in detail.items() if key not in VOTING_STATUS_KEYS}


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


def inspection_state(community: Community, meeting: Meeting, roles: frozenset[str]) -> str:
    """Whether a visitor with ``roles`` in the community may inspect per-unit choices of ``meeting`` now.

    Closed by the community: never. Before the final result: nobody. After it: the community's owners,
    committee and observers (logged in); anyone else sees the totals only.
    """
    if not community.ballot_inspection:
        return INSPECTION_CLOSED
    if meeting.status != "final":
        return INSPECTION_AFTER_FINAL
    if not roles & INSPECTORS:
        return INSPECTION_MEMBERS_ONLY
    return INSPECTION_AVAILABLE


def election_summary(tally: dict[str, Any]) -> ElectionSummary:
    """An election's stored tally as "elected: …, k of K seats filled" (candidates in ballot order)."""
    candidates = [
        Candidate(option_id=c["option_id"], label=c["label"], status=c["status"], yes=c["yes"], checks=c["checks"])
        for c in sorted(tally["candidates"], key=lambda c: c["position"])
    ]
    elected = [c.label for c in candidates if c.status == "elected"]
    seats = int(tally["seats"])
    # Results stored before the tally carried "by_election_needed": a seat left empty needs one.
    by_election = bool(tally.get("by_election_needed", len(elected) < seats))
    return ElectionSummary(seats=seats, seats_filled=len(elected), elected=elected,
                           by_election_needed=by_election, candidates=candidates)


def count_document(count: dict[str, int]) -> dict[str, Any]:
    """A stored count in the scenario shape: area as a decimal string, heads as an integer."""
    return {"area": format_area(count["area_centi"]), "heads": count["heads"]}


def totals_document(motion: Motion, result: MotionResult, options: list[MotionOption]) -> dict[str, Any]:
    """The totals scenario of a stored result (FORMATS: ``"format": "totals"``), with the published outcome."""
    tally = result.tally
    document: dict[str, Any] = {"format": "totals", "rule": result.rule_preset, "matter": motion.matter,
                                "kind": tally["kind"]}
    if tally.get("rule_hash"):  # the preset's fingerprint frozen at the notice: `vote tally` checks it
        document["rule_hash"] = tally["rule_hash"]
    marks = {key: count_document(tally[key]) for key in PAPER_MARKS if key in tally}
    if tally["kind"] == "election":
        ids = {option.id: str(option.position) for option in options}
        candidates = sorted(tally["candidates"], key=lambda c: c["position"])
        document |= {
            "seats": tally["seats"], "scope": count_document(tally["total"]),
            "participated": count_document(tally["participated"]), **marks,
            "candidates": [{"id": ids[c["option_id"]], "label": c["label"], "yes": count_document(c["yes"])}
                           for c in candidates],
            "outcome": {"elected": [ids[c["option_id"]] for c in candidates if c["status"] == "elected"]},
        }
    else:
        document |= {"scope": count_document(tally["total"]),
                     **{key: count_document(tally[key]) for key in ("participated", "yes", "no", "abstain")},
                     **marks, "outcome": tally["outcome"]}
    return document


class ResultService:
    """Reads and publishes results."""

    def __init__(self, db: AsyncSession, secret_key: str) -> None:
        self.db = db
        self.secret_key = secret_key

    async def _meeting(self, community: Community, meeting_id: int, now: datetime) -> Meeting:
        """A published meeting of ``community`` as stored (404 otherwise); reading never closes it."""
        query = select(Meeting).where(Meeting.id == meeting_id, Meeting.community_id == community.id,
                                      Meeting.status != "draft")
        meeting = (await self.db.execute(query)).scalar_one_or_none()
        if meeting is None:
            raise NotFoundException()
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

    async def page(self, community: Community, meeting_id: int, now: datetime, account_id: int | None,
                   roles: frozenset[str] = frozenset()) -> ResultPage:
        """The result page of a meeting (not closed yet, counting in progress, or the stored result): totals per motion."""
        meeting = await self._meeting(community, meeting_id, now)
        if meeting.status not in CLOSED_STATUSES:
            return ResultPage(meeting=meeting, motions=[], approvals=None, counting=is_due(meeting, now))
        motions = await self._motions(meeting)
        ids = [m.id for m in motions]
        results = {
            r.motion_id: r
            for r in (await self.db.execute(select(MotionResult).where(MotionResult.motion_id.in_(ids)))).scalars()
        }
        texts = await self._texts(ids)
        outcomes = [
            MotionOutcome(
                motion=m, title=texts[m.id].title if m.id in texts else "", result=results.get(m.id),
                election=election_summary(results[m.id].tally) if m.id in results and m.kind == "election" else None,
            )
            for m in motions
        ]
        approvals = await self._approvals(community, meeting, now, account_id)
        return ResultPage(meeting=meeting, motions=outcomes, approvals=approvals,
                          inspection=inspection_state(community, meeting, roles))

    async def _motions(self, meeting: Meeting) -> list[Motion]:
        """The meeting's motions in agenda order."""
        return list(
            (await self.db.execute(select(Motion).where(Motion.meeting_id == meeting.id).order_by(Motion.position)))
            .scalars()
        )

    async def _inspectable_meeting(self, community: Community, meeting_id: int, roles: frozenset[str],
                                   now: datetime) -> Meeting:
        """The meeting if the visitor may inspect its per-unit choices now; 404 otherwise (nothing to reveal)."""
        meeting = await self._meeting(community, meeting_id, now)
        if inspection_state(community, meeting, roles) != INSPECTION_AVAILABLE:
            raise NotFoundException()
        return meeting

    async def ballots(self, community: Community, meeting_id: int, roles: frozenset[str],
                      now: datetime) -> tuple[Meeting, list[MotionBallots]]:
        """Every counted ballot of the meeting with its member's units (inspection after the final result)."""
        meeting = await self._inspectable_meeting(community, meeting_id, roles, now)
        motions = await self._motions(meeting)
        texts = await self._texts([m.id for m in motions])
        return meeting, [
            MotionBallots(motion=m, title=texts[m.id].title if m.id in texts else "",
                          lines=await self._voting_units(meeting, community, m.id))
            for m in motions
        ]

    async def _voting_units(self, meeting: Meeting, community: Community, motion_id: int) -> list[BallotLine]:
        """The counted ballots of one motion, by the member's first unit (building order, then number)."""
        units = scoped_units(meeting, community).subquery()
        rows = (
            await self.db.execute(
                select(Ballot.id, Ballot.choice, Ballot.paper_mark, Ballot.paper_note, Building.name, units.c.number,
                       units.c.area_centi)
                .join(units, units.c.member_id == Ballot.member_id)
                .join(Building, Building.id == units.c.building_id)
                .where(Ballot.motion_id == motion_id)
                .order_by(Building.position, Building.name, units.c.number, units.c.id)
            )
        ).all()
        selections: dict[int, list[str]] = {}
        for ballot_id, label in (
            await self.db.execute(
                select(BallotSelection.ballot_id, MotionOption.label)
                .join(MotionOption, MotionOption.id == BallotSelection.option_id)
                .where(MotionOption.motion_id == motion_id).order_by(MotionOption.position)
            )
        ).all():
            selections.setdefault(ballot_id, []).append(label)
        ballots: dict[int, tuple[str, str | None, list[str], list[int]]] = {}  # in order of each member's first unit
        for ballot_id, choice, mark, note, building, number, area in rows:
            mark_text = mark_label(mark, note) if mark else None
            _choice, _mark, names, areas = ballots.setdefault(ballot_id, (choice, mark_text, [], []))
            names.append(f"{building} {number}")
            areas.append(area)
        return [
            BallotLine(units=names, area_centi=sum(areas), choice=choice, candidates=selections.get(ballot_id, []),
                       mark_text=mark_text)
            for ballot_id, (choice, mark_text, names, areas) in ballots.items()
        ]

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
        leaf = (await ledger.leaves_of(self.db, [ballot.id]))[ballot.id]
        return meeting, ReceiptCheck(
            motion_position=motion.position, motion_title=texts[motion.id].title if motion.id in texts else "",
            choice=ballot.choice, candidates=candidates, cast_at=ballot.cast_at, counted=counted,
            inclusion=await ledger.inclusion(self.db, meeting.id, leaf),
        )

    async def check_leaf(self, community: Community, meeting_id: int, receipt: str,
                         now: datetime) -> ledger.Inclusion | None:
        """A pasted receipt (the leaf dict, with or without its index) against the meeting's final checkpoint.

        404 before the close; a malformed receipt is a clear 400; None when the meeting has no final checkpoint.
        """
        meeting = await self._closed_meeting(community, meeting_id, now)
        try:
            leaf = leaf_from_dict(json.loads(receipt))
        except (ValueError, LeafError) as error:
            raise UserError(_("This is not a ballot record from a receipt: %(problem)s") % {"problem": str(error)},
                            400) from error
        return await ledger.inclusion(self.db, meeting.id, leaf)

    async def _decided_motion(self, meeting: Meeting, motion_id: int) -> tuple[Motion, MotionResult]:
        """A motion of ``meeting`` with its stored result (404 otherwise)."""
        row = (
            await self.db.execute(
                select(Motion, MotionResult).join(MotionResult, MotionResult.motion_id == Motion.id)
                .where(Motion.id == motion_id, Motion.meeting_id == meeting.id)
            )
        ).one_or_none()
        if row is None:
            raise NotFoundException()
        return row[0], row[1]

    async def totals_download(
        self, community: Community, meeting_id: int, motion_id: int, now: datetime
    ) -> TallyDownload:
        """The totals scenario of a decided motion, for anyone: the stored counts, nothing per unit.

        ``vote tally`` checks it gate by gate and compares the published outcome. An election is one
        file with every candidate (ids are the ballot positions) and the seats.
        """
        meeting = await self._closed_meeting(community, meeting_id, now)
        motion, result = await self._decided_motion(meeting, motion_id)
        return TallyDownload(filename=f"totals-{motion.id}.json",
                             document=totals_document(motion, result, await self._options(motion)))

    async def tally_download(
        self, community: Community, meeting_id: int, motion_id: int, roles: frozenset[str], now: datetime
    ) -> TallyDownload:
        """The unit scenario of a decided motion, for inspection after the final result (404 otherwise).

        Units are the counted units of the scope, named ``<building>-<number>``; owners are opaque keys (a
        keyed hash of the person, per meeting); each ballot names the first unit of its member. Units and
        ballots are sorted by unit id, never by casting time. An election has the seats, the candidates
        (ids are the ballot positions) and each ballot's selected candidates ([] = abstain on all).
        """
        meeting = await self._inspectable_meeting(community, meeting_id, roles, now)
        motion, result = await self._decided_motion(meeting, motion_id)
        units, first_unit = await self._scenario_units(meeting, community)
        ballots = (
            await self.db.execute(
                select(Ballot.id, Ballot.member_id, Ballot.choice, Ballot.paper_mark)
                .where(Ballot.motion_id == motion.id)
            )
        ).all()
        options = await self._options(motion)
        candidate_ids = {option.id: str(option.position) for option in options}
        selected: dict[int, list[str]] = {}
        for ballot_id, option_id in (
            await self.db.execute(
                select(BallotSelection.ballot_id, BallotSelection.option_id)
                .join(Ballot, Ballot.id == BallotSelection.ballot_id).where(Ballot.motion_id == motion.id)
            )
        ).all():
            selected.setdefault(ballot_id, []).append(candidate_ids[option_id])
        scenario_ballots: list[dict[str, Any]] = []
        for ballot_id, member_id, choice, mark in ballots:
            if member_id not in first_unit:
                continue  # not a member of this meeting's scope: not counted at the close either
            entry: dict[str, Any] | None = None
            if motion.kind == "election":
                if choice == ELECTION:
                    entry = {"unit": first_unit[member_id], "selected": sorted(selected.get(ballot_id, []), key=int)}
            elif choice in CHOICES:
                entry = {"unit": first_unit[member_id], "choice": choice}
            if entry is not None:
                if mark:  # a blank or spoiled paper ballot: informational, it abstains either way
                    entry["mark"] = mark
                scenario_ballots.append(entry)
        scenario_ballots.sort(key=lambda ballot: ballot["unit"])
        document: dict[str, Any] = {"rule": result.rule_preset, "matter": motion.matter}
        if result.tally.get("rule_hash"):
            document["rule_hash"] = result.tally["rule_hash"]
        if motion.kind == "election":
            document |= {"kind": "election", "seats": result.tally.get("seats", motion.seats),
                         "candidates": [{"id": candidate_ids[o.id], "label": o.label} for o in options]}
        document |= {"units": units, "ballots": scenario_ballots}
        return TallyDownload(filename=f"result-{motion.id}.json", document=document)

    async def _options(self, motion: Motion) -> list[MotionOption]:
        """An election's candidates in ballot order (none for a question)."""
        return list(
            (await self.db.execute(
                select(MotionOption).where(MotionOption.motion_id == motion.id).order_by(MotionOption.position)
            )).scalars()
        )

    async def _scenario_units(
        self, meeting: Meeting, community: Community
    ) -> tuple[list[dict[str, Any]], dict[int, str]]:
        """The scope's units in the tally format sorted by id, and each member's first unit id."""
        units = scoped_units(meeting, community).subquery()
        rows = (
            await self.db.execute(
                select(units.c.id, units.c.member_id, units.c.number, units.c.area_centi, units.c.developer_held,
                       Building.name)
                .join(Building, Building.id == units.c.building_id)
                .order_by(units.c.id)
            )
        ).all()
        owners: dict[int, list[str]] = {}
        for unit_id, person_id in (
            await self.db.execute(
                select(UnitOwner.unit_id, UnitOwner.person_id).where(UnitOwner.unit_id.in_(select(units.c.id)))
            )
        ).all():
            owners.setdefault(unit_id, []).append(owner_key(self.secret_key, meeting.id, person_id))
        listed: list[dict[str, Any]] = []
        labels: set[str] = set()
        member_units: list[tuple[str, int]] = []
        for unit_id, member_id, number, area, developer, building in rows:
            label = f"{building}-{number}"
            if label in labels:  # "A-1" + "2" and "A" + "1-2": keep ids unique whatever the names
                label = f"{label}#{unit_id}"
            labels.add(label)
            entry: dict[str, Any] = {"id": label, "area": format_area(area)}
            if developer:
                entry["developer"] = True
            else:
                entry["owners"] = sorted(owners.get(unit_id, []))
            listed.append(entry)
            member_units.append((label, member_id))
        listed.sort(key=lambda unit: unit["id"])
        first_unit: dict[int, str] = {}
        for label, member_id in sorted(member_units):
            first_unit.setdefault(member_id, label)
        return listed, first_unit

    async def audit_log(
        self, community: Community, meeting_id: int | None, before: int | None, *, committee: bool = True
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
                action=event.action, object_type=event.object_type, object_id=event.object_id,
                detail=event.detail if committee else without_voting_status(event.action, event.detail),
            )
            for event, name, login in rows[:AUDIT_PAGE_SIZE]
        ]
        older = entries[-1].id if len(rows) > AUDIT_PAGE_SIZE else None
        return meeting, AuditLog(entries=entries, chain=await verify_chain(self.db), older_than=older)
