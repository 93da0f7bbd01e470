"""Writing the owner register: register versions, and the import workflow (upload, preview, confirm).

Every way a register enters the system (the demo seed, CSV/XLSX import) ends in
``RosterService.create_version``, and members are grouped by ``vote.rules.group_members`` (through
``group_rows``): the same code that decides tallies. A version is never changed once written; a
re-import creates a new one, so a meeting keeps the version it was noticed with.

ID numbers are reduced to a keyed hash + last 4 characters before anything is stored, including the
payload of an import waiting for confirmation.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from litestar.exceptions import NotFoundException
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vote.db.engine import begin_write
from vote.db.models import (
    Building,
    Community,
    Meeting,
    Member,
    Person,
    RegisterImport,
    RegisterVersion,
    Unit,
    UnitOwner,
)
from vote.domain.audit.services import record
from vote.domain.ballots.transfers import record_title_changes
from vote.domain.communities.services import CommunityService
from vote.domain.roster.importer import ImportIssue, parse_register
from vote.domain.roster.preview import build_summary
from vote.domain.roster.queries import RegisterQueries
from vote.domain.roster.records import (
    AREA_SOURCES,
    ID_HASH_PURPOSE,
    UNIT_KINDS,
    OwnerRecord,
    RegisterRow,
    group_rows,
    id_hash,
    normalize_id_number,
)
from vote.lib.errors import UserError
from vote.lib.i18n import _

__all__ = [
    "AREA_SOURCES", "ID_HASH_PURPOSE", "UNIT_KINDS", "OwnerRecord", "RegisterRow", "RosterService", "StagedImport",
    "group_rows", "id_hash", "normalize_id_number",
]

_LOOKUP_CHUNK = 500  # bound the size of IN (...) lists
logger = logging.getLogger("vote.roster")


def _chunks(items: Sequence[Any], size: int = _LOOKUP_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


@dataclass(frozen=True)
class StagedImport:
    """The result of an upload: the pending import's id, or the problems found in the file."""

    import_id: int | None
    issues: list[ImportIssue]


class RosterService:
    """Creates register versions and runs the import workflow (stage, confirm, discard)."""

    def __init__(self, db: AsyncSession, secret_key: str) -> None:
        self.db = db
        self.secret_key = secret_key

    async def _begin_write(self) -> None:
        await begin_write(self.db)

    async def _person_ids(self, community_id: int, rows: Sequence[RegisterRow]) -> dict[str, int]:
        """Every owner of ``rows`` as a person id (found by ID hash, else created), keyed by ID hash.

        A known person takes the name and, when given, the phone of the new register.
        """
        owners: dict[str, OwnerRecord] = {}
        for row in rows:
            for owner in row.owners:
                known_owner = owners.get(owner.id_digest)
                if known_owner is None:
                    owners[owner.id_digest] = owner
                elif owner.phone and not known_owner.phone:
                    owners[owner.id_digest] = replace(known_owner, phone=owner.phone)
        known: dict[str, tuple[int, str, str | None]] = {}
        for chunk in _chunks(list(owners)):
            found = await self.db.execute(
                select(Person.id_hash, Person.id, Person.name, Person.phone)
                .where(Person.community_id == community_id, Person.id_hash.in_(chunk))
            )
            known.update((digest, (person_id, name, phone)) for digest, person_id, name, phone in found.tuples())
        changed = [
            {"id": known[digest][0], "name": owner.name, "phone": owner.phone or known[digest][2]}
            for digest, owner in owners.items()
            if digest in known and (owner.name, owner.phone or known[digest][2]) != known[digest][1:]
        ]
        if changed:
            await self.db.execute(update(Person), changed)
        new = [digest for digest in owners if digest not in known]
        if new:
            await self.db.execute(insert(Person), [
                {"community_id": community_id, "name": owners[d].name, "id_hash": d, "id_last4": owners[d].id_last4,
                 "phone": owners[d].phone}
                for d in new
            ])
        ids = {digest: values[0] for digest, values in known.items()}
        for chunk in _chunks(new):
            found = await self.db.execute(
                select(Person.id_hash, Person.id).where(Person.community_id == community_id, Person.id_hash.in_(chunk))
            )
            ids.update(found.tuples().all())
        return ids

    async def _buildings(self, community_id: int, rows: Sequence[RegisterRow]) -> dict[str, Building]:
        """The community's buildings by name, creating those the rows name for the first time."""
        buildings = {
            b.name: b for b in (await self.db.execute(select(Building).where(Building.community_id == community_id))).scalars()
        }
        position = len(buildings)
        for row in rows:
            if row.building not in buildings:
                buildings[row.building] = Building(community_id=community_id, name=row.building, position=position)
                self.db.add(buildings[row.building])
                position += 1
        await self.db.flush()
        return buildings

    async def _nominated_voters(self, current: RegisterVersion | None) -> dict[str, int]:
        """Member key -> nominated voter in the current version, to carry nominations over."""
        if current is None:
            return {}
        return dict(
            (await self.db.execute(
                select(Member.key, Member.voter_person_id).where(
                    Member.register_version_id == current.id, Member.voter_person_id.is_not(None)
                )
            )).tuples().all()
        )

    async def create_version(
        self,
        community_id: int,
        rows: list[RegisterRow],
        *,
        source_name: str,
        now: datetime,
        actor_account_id: int | None,
    ) -> RegisterVersion:
        """Write a new register version from validated rows, in the caller's write transaction.

        Rows may carry clear or already hashed ID numbers. Statements are batched (a handful of
        round trips whatever the size), so thousands of units take well under a second or two.
        A co-owned member keeps the voter its co-owners nominated in the previous version.
        """
        rows = [row.hashed(self.secret_key) for row in rows]
        grouped = group_rows(rows)
        current = await CommunityService(self.db).current_register(community_id)
        previous_voters = await self._nominated_voters(current)
        version = RegisterVersion(
            community_id=community_id, number=(current.number if current else 0) + 1, source_name=source_name,
            created_at=now, created_by_account_id=actor_account_id,
        )
        self.db.add(version)
        await self.db.flush()
        persons = await self._person_ids(community_id, rows)
        buildings = await self._buildings(community_id, rows)
        # Core executemany inserts, then one query back for the ids: the ORM would insert row by row.
        members: list[dict[str, Any]] = []
        member_of_unit: dict[str, str] = {}
        parking_area = {row.label: row.area_centi for row in rows if row.kind == "parking"}
        for group in grouped:
            owner_ids = {persons[digest] for digest in group.owners}
            voter = previous_voters.get(group.key)
            if voter not in owner_ids:
                voter = next(iter(owner_ids)) if len(owner_ids) == 1 else None
            members.append({"register_version_id": version.id, "key": group.key, "developer": group.developer,
                            "area_centi": group.area_centi, "voter_person_id": voter,
                            "parking_area_centi": sum(parking_area.get(label, 0) for label in group.unit_ids)})
            member_of_unit.update((label, group.key) for label in group.unit_ids)
        await self.db.execute(insert(Member), members)
        member_ids = dict(
            (await self.db.execute(
                select(Member.key, Member.id).where(Member.register_version_id == version.id)
            )).tuples().all()
        )
        await self.db.execute(insert(Unit), [
            {"register_version_id": version.id, "building_id": buildings[row.building].id, "number": row.number,
             "kind": row.kind, "area_centi": row.area_centi, "area_source": row.area_source,
             "developer_held": row.developer, "member_id": member_ids[member_of_unit[row.label]]}
            for row in rows
        ])
        unit_ids = {
            (building_id, number): unit_id
            for unit_id, building_id, number in (
                await self.db.execute(
                    select(Unit.id, Unit.building_id, Unit.number).where(Unit.register_version_id == version.id)
                )
            ).tuples()
        }
        ownership = [
            {"unit_id": unit_ids[(buildings[row.building].id, row.number)], "person_id": person_id}
            for row in rows
            for person_id in sorted({persons[o.id_digest] for o in row.owners})
        ]
        if ownership:
            await self.db.execute(insert(UnitOwner), ownership)
        await record(
            self.db, at=now, action="register_version_created", community_id=community_id,
            actor_account_id=actor_account_id, object_type="register_version", object_id=version.id,
            detail={"number": version.number, "units": len(rows), "members": len(members), "source": source_name},
        )
        return version

    async def stage_import(
        self, community: Community, source_name: str, content: bytes, *, actor_account_id: int, now: datetime
    ) -> StagedImport:
        """Parse and check an uploaded register; store it as a pending import with its preview.

        Nothing is written when any row is bad: the problems come back, all of them at once. A new
        upload replaces any import still waiting for confirmation.
        """
        parsed = parse_register(source_name, content)
        if parsed.issues:
            return StagedImport(None, parsed.issues)
        rows = [row.hashed(self.secret_key) for row in parsed.rows]
        community_id, parking_counts = community.id, community.parking_counts
        await self._begin_write()
        base = await CommunityService(self.db).current_register(community_id)
        old_rows = await RegisterQueries(self.db).load_rows(base.id) if base else []
        summary = build_summary(rows, old_rows, base.number if base else None, parking_counts)
        await self.db.execute(
            update(RegisterImport)
            .where(RegisterImport.community_id == community_id, RegisterImport.status == "pending")
            .values(status="discarded", decided_at=now)
        )
        staged = RegisterImport(
            community_id=community_id, source_name=source_name[:255], status="pending",
            payload={"rows": [row.to_json() for row in rows]}, summary=summary, created_at=now,
            created_by_account_id=actor_account_id,
        )
        self.db.add(staged)
        await self.db.flush()
        await record(
            self.db, at=now, action="register_import_staged", community_id=community_id,
            actor_account_id=actor_account_id, object_type="register_import", object_id=staged.id,
            detail={"units": summary["figures"]["units"], "members": summary["figures"]["members"],
                    "source": staged.source_name, "base_version": summary["base_version"]},
        )
        await self.db.commit()
        logger.info("register import %s staged for community %s: %s units", staged.id, community_id, len(rows))
        return StagedImport(staged.id, [])

    async def _pending(self, community_id: int, import_id: int) -> RegisterImport:
        """A pending import of this community, locked for the decision (409 when already decided)."""
        staged = (
            await self.db.execute(
                select(RegisterImport)
                .where(RegisterImport.id == import_id, RegisterImport.community_id == community_id)
                .with_for_update()
            )
        ).scalar_one_or_none()
        if staged is None:
            raise NotFoundException()
        if staged.status != "pending":
            raise UserError(_("This import has already been confirmed or discarded."), 409)
        return staged

    async def confirm_import(
        self, community: Community, import_id: int, *, actor_account_id: int, now: datetime
    ) -> RegisterVersion:
        """Turn a pending import into the next register version, in one transaction; meetings in voting
        get their title changes (``vote.domain.ballots.transfers``)."""
        community_id = community.id
        await self._begin_write()
        staged = await self._pending(community_id, import_id)
        current = await CommunityService(self.db).current_register(community_id)
        if (current.number if current else None) != staged.summary.get("base_version"):
            raise UserError(_("The register has changed since this preview was made. Please upload the file again."), 409)
        if staged.created_by_account_id == actor_account_id and await self._meetings_in_voting(community_id, now):
            raise UserError(_("A meeting of this community is in its notice or voting period: a new register can move "
                              "owners' right to vote, so a second committee member must confirm this import."), 409)
        rows = [RegisterRow.from_json(item) for item in staged.payload["rows"]]
        version = await self.create_version(
            community_id, rows, source_name=staged.source_name, now=now, actor_account_id=actor_account_id
        )
        staged.status, staged.decided_at, staged.register_version_id = "confirmed", now, version.id
        # A meeting in voting keeps its frozen version; a title change since its notice moves the vote.
        await record_title_changes(self.db, community, version, now=now, actor_account_id=actor_account_id)
        await record(
            self.db, at=now, action="register_import_confirmed", community_id=community_id,
            actor_account_id=actor_account_id, object_type="register_import", object_id=staged.id,
            detail={"register_version": version.number, "units": len(rows)},
        )
        await self.db.commit()
        logger.info("register import %s confirmed as version %s of community %s", staged.id, version.number,
                    community_id)
        return version

    async def _meetings_in_voting(self, community_id: int, now: datetime) -> bool:
        """True while a published meeting of the community has not closed (its voters can change)."""
        return (await self.db.execute(
            select(Meeting.id).where(Meeting.community_id == community_id, Meeting.status.in_(("noticed", "open")),
                                     Meeting.closes_at > now).limit(1)
        )).first() is not None

    async def discard_import(self, community: Community, import_id: int, *, actor_account_id: int, now: datetime) -> None:
        """Drop a pending import; the current register stays as it is."""
        community_id = community.id
        await self._begin_write()
        staged = await self._pending(community_id, import_id)
        staged.status, staged.decided_at = "discarded", now
        await record(
            self.db, at=now, action="register_import_discarded", community_id=community_id,
            actor_account_id=actor_account_id, object_type="register_import", object_id=staged.id, detail={},
        )
        await self.db.commit()
