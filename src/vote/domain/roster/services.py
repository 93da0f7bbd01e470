"""Writing a register version: persons, buildings, units, ownership and voting members.

Every way a register enters the system (the demo seed, CSV/XLSX import) ends here, and members are
grouped by ``vote.rules.group_members``: the same code that decides tallies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vote.db.models import Building, Member, Person, RegisterVersion, Unit, UnitOwner
from vote.domain.audit.services import record
from vote.lib.security import keyed_hash
from vote.rules import UnitRecord, group_members

ID_HASH_PURPOSE = "person-id-number"


@dataclass(frozen=True)
class OwnerRecord:
    """An owner as registered: name, ID number (kept only as keyed hash + last 4), phone."""

    name: str
    id_number: str
    phone: str | None = None


@dataclass(frozen=True)
class RegisterRow:
    """One unit of a register to be written."""

    building: str
    number: str
    kind: str
    area_centi: int
    area_source: str
    owners: tuple[OwnerRecord, ...] = field(default_factory=tuple)
    developer: bool = False


def normalize_id_number(id_number: str) -> str:
    """Upper-case, no spaces: the form that is hashed."""
    return re.sub(r"\s+", "", id_number).upper()


def id_hash(secret_key: str, id_number: str) -> str:
    """The keyed hash used to match a person by ID number without storing it."""
    return keyed_hash(secret_key, ID_HASH_PURPOSE, normalize_id_number(id_number))


class RosterService:
    """Creates register versions."""

    def __init__(self, db: AsyncSession, secret_key: str) -> None:
        self.db = db
        self.secret_key = secret_key

    async def _person(self, community_id: int, owner: OwnerRecord, cache: dict[str, Person]) -> Person:
        digest = id_hash(self.secret_key, owner.id_number)
        if digest in cache:
            return cache[digest]
        person = (
            await self.db.execute(select(Person).where(Person.community_id == community_id, Person.id_hash == digest))
        ).scalar_one_or_none()
        if person is None:
            person = Person(
                community_id=community_id,
                name=owner.name.strip(),
                id_hash=digest,
                id_last4=normalize_id_number(owner.id_number)[-4:],
                phone=owner.phone,
            )
            self.db.add(person)
            await self.db.flush()
        else:
            person.name = owner.name.strip()
            person.phone = owner.phone or person.phone
        cache[digest] = person
        return person

    async def _building(self, community_id: int, name: str, cache: dict[str, Building]) -> Building:
        if name in cache:
            return cache[name]
        building = (
            await self.db.execute(select(Building).where(Building.community_id == community_id, Building.name == name))
        ).scalar_one_or_none()
        if building is None:
            position = (
                await self.db.execute(select(func.count(Building.id)).where(Building.community_id == community_id))
            ).scalar_one()
            building = Building(community_id=community_id, name=name, position=position)
            self.db.add(building)
            await self.db.flush()
        cache[name] = building
        return building

    async def create_version(
        self,
        community_id: int,
        rows: list[RegisterRow],
        *,
        source_name: str,
        now: datetime,
        actor_account_id: int | None,
    ) -> RegisterVersion:
        """Write a new register version from validated rows, in the caller's write transaction."""
        number = (
            await self.db.execute(
                select(func.coalesce(func.max(RegisterVersion.number), 0)).where(
                    RegisterVersion.community_id == community_id
                )
            )
        ).scalar_one() + 1
        version = RegisterVersion(
            community_id=community_id, number=number, source_name=source_name, created_at=now,
            created_by_account_id=actor_account_id,
        )
        self.db.add(version)
        await self.db.flush()
        persons: dict[str, Person] = {}
        buildings: dict[str, Building] = {}
        units: dict[str, tuple[Unit, list[Person]]] = {}
        for row in rows:
            building = await self._building(community_id, row.building, buildings)
            owners = [] if row.developer else [await self._person(community_id, o, persons) for o in row.owners]
            unit = Unit(
                register_version_id=version.id, building_id=building.id, number=row.number, kind=row.kind,
                area_centi=row.area_centi, area_source=row.area_source, developer_held=row.developer,
            )
            self.db.add(unit)
            units[f"{row.building}\x1f{row.number}"] = (unit, owners)
        await self.db.flush()
        self.db.add_all(
            UnitOwner(unit_id=unit.id, person_id=person.id)
            for unit, owners in units.values()
            for person in {p.id: p for p in owners}.values()
        )
        records = [
            UnitRecord(id=label, area_centi=unit.area_centi, owners=frozenset(str(p.id) for p in owners),
                       developer=unit.developer_held)
            for label, (unit, owners) in units.items()
        ]
        for grouped in group_members(records):
            owner_ids = sorted(int(o) for o in grouped.owners)
            member = Member(
                register_version_id=version.id, key=grouped.key, developer=grouped.developer,
                area_centi=grouped.area_centi, voter_person_id=owner_ids[0] if len(owner_ids) == 1 else None,
            )
            self.db.add(member)
            await self.db.flush()
            for label in grouped.unit_ids:
                units[label][0].member_id = member.id
        await self.db.flush()
        await record(
            self.db, at=now, action="register_version_created", community_id=community_id,
            actor_account_id=actor_account_id, object_type="register_version", object_id=version.id,
            detail={"number": number, "units": len(rows), "source": source_name},
        )
        return version
