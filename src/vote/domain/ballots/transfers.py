"""Title changes during a vote (docs/rules.md, "Record date and title changes").

A meeting votes on the register version of its notice: that version defines the members and the
scope totals, which never change. When the committee confirms a re-import while a meeting is noticed
or open, each member of the meeting's scope is compared, unit by unit (same building, same number),
with the new version, and its title change is written to ``voter_transfer``:

- every unit of the member in the meeting's scope changed hands, all to the same new owners (one
  member of the new version): the right to vote moves to them (``moved``) — to the new member's voter,
  the one they nominate when they are co-owners — unless the member has already voted;
- the member has voted: its ballot stands, nothing moves (``ballot_stands``);
- only some of its units changed hands, or they went to different owners, or a unit is no longer in
  the register: the right stays with the voter at notice and the committee is warned (``kept``).

Every re-import is compared with the frozen version again, so the latest register wins: a row is
rewritten, or withdrawn when the units are back with their owners at notice. Once a member whose
right had moved has voted, its row no longer changes. Each change is in the audit log (no names).
Scope and tally keep reading the frozen version: totals do not move.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Integer, Select, and_, bindparam, delete, exists, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from vote.db.models import (
    Ballot,
    Building,
    Community,
    Meeting,
    Member,
    Motion,
    Person,
    RegisterVersion,
    Unit,
    UnitOwner,
    VoterTransfer,
)
from vote.domain.audit.services import record
from vote.domain.meetings.scope import scoped_units
from vote.lib.i18n import _
from vote.lib.masking import mask_name

logger = logging.getLogger("vote.ballots.transfers")

Place = tuple[int, str]  # (building id, unit number): a unit across register versions


@dataclass(frozen=True)
class _Target:
    """What a member's comparison with the new version decides (None outcome: no title change)."""

    outcome: str | None
    to_member_id: int | None = None


def decide(old_owners: frozenset[int], new_units: list[tuple[int, frozenset[int]] | None], voted: bool) -> _Target:
    """The outcome for one member, from its owners at notice and, per unit in scope, the new version's
    member and owners of that unit (None: the unit is no longer in the register)."""
    changed = [u for u in new_units if u is None or u[1] != old_owners]
    if not changed:
        return _Target(None)
    targets = {u[0] if u is not None else None for u in new_units}
    # The whole member went one way: every unit changed hands, all to one member of the new version.
    whole = len(changed) == len(new_units) and len(targets) == 1 and None not in targets
    single = next(iter(targets)) if whole else None
    if voted:
        return _Target("ballot_stands", single)
    return _Target("moved", single) if single is not None else _Target("kept")


def _labels(rows: Iterable[tuple[int, str, str]]) -> dict[int, list[str]]:
    """Unit labels ``1号楼-101`` per member from (member id, building, number) rows."""
    labels: dict[int, list[str]] = {}
    for member_id, building, number in rows:
        labels.setdefault(member_id, []).append(f"{building}-{number}")
    return labels


async def record_title_changes(db: AsyncSession, community: Community, version: RegisterVersion, *, now: datetime,
                               actor_account_id: int | None) -> int:
    """Compare every meeting in voting with the new register ``version``; write, rewrite or withdraw its
    transfers, each audited. In the caller's write transaction; returns how many rows changed."""
    meetings = list((await db.execute(
        select(Meeting).where(Meeting.community_id == community.id, Meeting.status == "noticed",
                              Meeting.register_version_id.is_not(None), Meeting.register_version_id != version.id,
                              Meeting.closes_at > now)
        .order_by(Meeting.id)
    )).scalars())
    if not meetings:
        return 0
    new_units: dict[Place, int] = {}
    new_owners: dict[Place, set[int]] = {}
    for building_id, number, member_id, person_id in await db.execute(
        select(Unit.building_id, Unit.number, Unit.member_id, UnitOwner.person_id)
        .outerjoin(UnitOwner, UnitOwner.unit_id == Unit.id)
        .where(Unit.register_version_id == version.id, Unit.member_id.is_not(None))
    ):
        new_units[(building_id, number)] = member_id
        owners = new_owners.setdefault((building_id, number), set())
        if person_id is not None:
            owners.add(person_id)
    new_voters = dict((await db.execute(
        select(Member.id, Member.voter_person_id).where(Member.register_version_id == version.id)
    )).tuples().all())
    changes = 0
    for meeting in meetings:
        changes += await _reassess(db, community, meeting, version, new_units, new_owners, new_voters, now=now,
                                   actor_account_id=actor_account_id)
    return changes


async def _reassess(db: AsyncSession, community: Community, meeting: Meeting, version: RegisterVersion,
                    new_units: dict[Place, int], new_owners: dict[Place, set[int]], new_voters: dict[int, int | None],
                    *, now: datetime, actor_account_id: int | None) -> int:
    """One meeting's transfers against the new version."""
    units = scoped_units(meeting, community).subquery()
    frozen: dict[int, dict[int, Place]] = {}
    old_owners: dict[int, set[int]] = {}
    voters: dict[int, int | None] = {}
    for unit_id, member_id, building_id, number, voter, person_id in await db.execute(
        select(units.c.id, units.c.member_id, units.c.building_id, units.c.number, Member.voter_person_id,
               UnitOwner.person_id)
        .join(Member, Member.id == units.c.member_id)
        .outerjoin(UnitOwner, UnitOwner.unit_id == units.c.id)
    ):
        frozen.setdefault(member_id, {})[unit_id] = (building_id, number)
        voters[member_id] = voter
        if person_id is not None:
            old_owners.setdefault(member_id, set()).add(person_id)
    # Casts lock their member row while they re-check the right to vote (``still_votes_for``): locking the
    # frozen members first makes "has voted" and the transfer one decision on PostgreSQL too.
    # (SQLite's import already holds the only write lock.)
    if db.bind.dialect.name == "postgresql":
        await db.execute(select(Member.id).where(Member.register_version_id == meeting.register_version_id)
                         .with_for_update())
    voted = set((await db.execute(
        select(Ballot.member_id).join(Motion, Motion.id == Ballot.motion_id).where(Motion.meeting_id == meeting.id)
        .distinct()
    )).scalars())
    existing = {t.member_id: t for t in (await db.execute(
        select(VoterTransfer).where(VoterTransfer.meeting_id == meeting.id)
    )).scalars()}
    decisions: dict[int, _Target] = {}
    for member_id, places in frozen.items():
        compared = [(new_units[p], frozenset(new_owners[p])) if p in new_units else None for p in places.values()]
        decisions[member_id] = decide(frozenset(old_owners.get(member_id, set())), compared, member_id in voted)
    touched = {m for m, d in decisions.items() if d.outcome is not None} | set(existing)
    if not touched:
        return 0
    labels = _labels((await db.execute(
        select(units.c.member_id, Building.name, units.c.number).join(Building, Building.id == units.c.building_id)
        .where(units.c.member_id.in_(touched)).order_by(Building.position, Building.name, units.c.number)
    )).tuples())
    keys = dict((await db.execute(
        select(Member.id, Member.key).where(Member.id.in_(
            [d.to_member_id for d in decisions.values() if d.to_member_id is not None]
            + [t.to_member_id for t in existing.values() if t.to_member_id is not None]))
    )).tuples().all())
    changes = 0
    for member_id in sorted(touched):
        target, row = decisions.get(member_id, _Target(None)), existing.get(member_id)
        if row is not None and row.outcome == "moved" and member_id in voted:
            continue  # the right had moved and has been used: that ballot stands, the record with it
        to_person = new_voters.get(target.to_member_id) if target.to_member_id is not None else None
        detail = {"member_id": member_id, "units": labels.get(member_id, []), "register_version": version.number,
                  "from_person_id": voters.get(member_id), "to_person_id": to_person}
        if target.outcome is None:
            if row is not None:
                await db.delete(row)
                await _audit(db, community, meeting, "title_change_withdrawn", detail, now, actor_account_id)
                changes += 1
            continue
        same = row is not None and (row.outcome, keys.get(row.to_member_id), row.to_person_id) == (
            target.outcome, keys.get(target.to_member_id), to_person)
        if row is None:
            row = VoterTransfer(meeting_id=meeting.id, member_id=member_id)
            db.add(row)
        row.outcome, row.from_person_id, row.to_member_id, row.to_person_id = (
            target.outcome, voters.get(member_id), target.to_member_id, to_person)
        row.register_version_id = version.id
        if not same:
            row.recorded_at = now
            await _audit(db, community, meeting, f"title_change_{target.outcome}", detail, now, actor_account_id)
            logger.info("meeting %s, member %s: title change %s (register version %s)", meeting.id, member_id,
                        target.outcome, version.number)
            changes += 1
    await db.flush()
    return changes


async def _audit(db: AsyncSession, community: Community, meeting: Meeting, action: str, detail: dict,
                 now: datetime, actor_account_id: int | None) -> None:
    await record(db, at=now, action=action, community_id=community.id, actor_account_id=actor_account_id,
                 object_type="meeting", object_id=meeting.id, detail=detail)


# ----------------------------------------------------------------- eligibility


def votes_for(meeting_id: int | ColumnElement[int], person_id: int | ColumnElement[int]) -> ColumnElement[bool]:
    """True on a frozen ``Member`` row the person votes for in the meeting: its voter at notice unless the
    right moved, else the voter of the new owners' member."""
    moved = (
        select(VoterTransfer.id)
        .where(VoterTransfer.meeting_id == meeting_id, VoterTransfer.member_id == Member.id,
               VoterTransfer.outcome == "moved")
        .exists()
    )
    new_member = aliased(Member)
    moved_to_person = (
        select(VoterTransfer.id)
        .join(new_member, new_member.id == VoterTransfer.to_member_id)
        .where(VoterTransfer.meeting_id == meeting_id, VoterTransfer.member_id == Member.id,
               VoterTransfer.outcome == "moved", new_member.voter_person_id == person_id)
        .exists()
    )
    return or_(and_(Member.voter_person_id == person_id, not_(moved)), moved_to_person)


@functools.lru_cache(maxsize=1)
def _still_votes_for_statement() -> Select:
    """Built once: it runs in every cast's write transaction."""
    meeting_id, person_id = bindparam("meeting_id", type_=Integer()), bindparam("person_id", type_=Integer())
    return (select(Member.id)
            .where(Member.id == bindparam("member_id", type_=Integer()), votes_for(meeting_id, person_id))
            .with_for_update())


async def still_votes_for(db: AsyncSession, meeting_id: int, member_id: int, person_id: int) -> bool:
    """Inside a cast's write transaction: whether the person still votes for the member, with the member's
    row locked (PostgreSQL) so that a title change recorded meanwhile is either seen here or sees the ballot."""
    params = {"meeting_id": meeting_id, "member_id": member_id, "person_id": person_id}
    return (await db.execute(_still_votes_for_statement(), params)).first() is not None


@dataclass(frozen=True)
class PersonTransfer:
    """A title change in a meeting as it concerns one person."""

    member_id: int
    outcome: str
    voter_person_id: int | None  # the new member's voter now (moved / ballot_stands)
    new_owner: bool  # the person owns a unit of the new member


async def transfers_for_person(db: AsyncSession, meeting_id: int, person_id: int) -> dict[int, PersonTransfer]:
    """The meeting's transfers by frozen member id, each with whether the person is among the new owners."""
    new_member = aliased(Member)
    owns = (
        select(UnitOwner.unit_id)
        .join(Unit, Unit.id == UnitOwner.unit_id)
        .where(Unit.member_id == VoterTransfer.to_member_id, UnitOwner.person_id == person_id)
        .exists()
    )
    rows = await db.execute(
        select(VoterTransfer.member_id, VoterTransfer.outcome, new_member.voter_person_id, owns)
        .outerjoin(new_member, new_member.id == VoterTransfer.to_member_id)
        .where(VoterTransfer.meeting_id == meeting_id)
    )
    return {m: PersonTransfer(m, outcome, voter, bool(new_owner)) for m, outcome, voter, new_owner in rows.tuples()}


# ----------------------------------------------------------------- the committee's view


@dataclass(frozen=True)
class TransferLine:
    """One title change as the committee sees it: units, owners (masked), what happened to the vote."""

    meeting_id: int
    meeting_title: str
    units: str
    outcome: str
    from_name: str
    to_name: str | None  # the new owners' voter ("" while not nominated); None: no single new owner
    voted: bool
    recorded_at: datetime

    @property
    def text(self) -> str:
        """The change in one sentence."""
        if self.outcome == "moved" and self.voted:
            return _("Title change: the right to vote of {units} moved to the new owner, who has voted.").format(
                units=self.units)
        if self.outcome == "moved":
            return _("Title change: the right to vote of {units} moved to the new owner (the previous owner had "
                     "not voted).").format(units=self.units)
        if self.outcome == "ballot_stands":
            return _("Title change: {units} had already voted; the ballot cast stands.").format(units=self.units)
        return _("Title change of only part of the units of {units}, or to different owners: the right to vote "
                 "stays with the voter at notice. Please check with the owners.").format(units=self.units)

    @property
    def warning(self) -> bool:
        """True when the committee should look at it (the right did not follow the title)."""
        return self.outcome == "kept"


async def transfer_lines(db: AsyncSession, community: Community, *, meeting_id: int | None = None,
                         in_voting_at: datetime | None = None) -> list[TransferLine]:
    """Title changes of one meeting, or of every meeting still in voting at ``in_voting_at``; names masked."""
    old_person, new_person, new_member = aliased(Person), aliased(Person), aliased(Member)
    query = (
        select(VoterTransfer, Meeting, old_person.name, new_person.name)
        .join(Meeting, Meeting.id == VoterTransfer.meeting_id)
        .outerjoin(old_person, old_person.id == VoterTransfer.from_person_id)
        .outerjoin(new_member, new_member.id == VoterTransfer.to_member_id)
        .outerjoin(new_person, new_person.id == new_member.voter_person_id)
        .where(Meeting.community_id == community.id)
        .order_by(Meeting.id, VoterTransfer.member_id)
    )
    if meeting_id is not None:
        query = query.where(Meeting.id == meeting_id)
    if in_voting_at is not None:
        query = query.where(Meeting.status == "noticed", Meeting.closes_at > in_voting_at)
    rows = (await db.execute(query)).all()
    if not rows:
        return []
    member_ids = [t.member_id for t, *_ in rows]
    meetings = {m.id: m for _t, m, *_ in rows}
    voted = set((await db.execute(
        select(Motion.meeting_id, Ballot.member_id).join(Motion, Motion.id == Ballot.motion_id)
        .where(Ballot.member_id.in_(member_ids), Motion.meeting_id.in_(list(meetings)))
    )).tuples())
    labels: dict[tuple[int, int], str] = {}
    for meeting in meetings.values():  # the units in the meeting's scope, as in the audit log
        units = scoped_units(meeting, community).subquery()
        by_member = _labels((await db.execute(
            select(units.c.member_id, Building.name, units.c.number).join(Building, Building.id == units.c.building_id)
            .where(units.c.member_id.in_(member_ids)).order_by(Building.position, Building.name, units.c.number)
        )).tuples())
        labels.update(((meeting.id, m), "、".join(names)) for m, names in by_member.items())
    return [
        TransferLine(
            meeting_id=meeting.id, meeting_title=meeting.title, units=labels.get((meeting.id, transfer.member_id), ""),
            outcome=transfer.outcome, from_name=mask_name(old_name or ""),
            to_name=None if transfer.to_member_id is None else mask_name(new_name or ""),
            voted=(meeting.id, transfer.member_id) in voted, recorded_at=transfer.recorded_at,
        )
        for transfer, meeting, old_name, new_name in rows
    ]
