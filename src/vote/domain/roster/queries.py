"""Read models of the owner register: versions, members with their units and owners, the CSV export.

Everything is loaded through the community id, so another community's ids are simply not found.
Names and phones come back in clear for the committee's verification screen (member detail);
every other page masks them in the template, and the export masks them here.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from litestar.exceptions import NotFoundException
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from vote.db.models import Account, Building, Member, Person, RegisterImport, RegisterVersion, Unit, UnitOwner
from vote.domain.roster.preview import figures
from vote.domain.roster.records import OwnerRecord, RegisterRow, group_rows, kind_labels, source_labels
from vote.lib.i18n import _
from vote.lib.masking import mask_id_last4, mask_name, mask_phone
from vote.rules import format_area

PAGE_SIZE = 50


@dataclass(frozen=True)
class VersionLine:
    """A register version with its size."""

    id: int
    number: int
    created_at: datetime
    source_name: str
    units: int
    members: int


@dataclass(frozen=True)
class RegisterOverview:
    """The current version's figures, the version history and the imports awaiting confirmation."""

    current: VersionLine | None
    figures: dict | None
    versions: list[VersionLine]
    pending: list[RegisterImport]


@dataclass(frozen=True)
class OwnerLine:
    """An owner of a member's units. ``name`` and ``phone`` are clear: mask them except on verification screens."""

    person_id: int
    name: str
    phone: str | None
    id_masked: str
    is_voter: bool


@dataclass(frozen=True)
class UnitLine:
    """One unit of a member."""

    id: int
    building: str
    number: str
    kind: str
    area_centi: int
    area_source: str
    developer: bool


@dataclass(frozen=True)
class MemberLine:
    """A voting member: its units, owners, why those units form one member, and its voter's status.

    ``reason``: developer | single | co_owners | multi_unit | multi_unit_co_owners.
    ``voter_status``: developer | none (no nominated voter) | nominated (no account yet) | activated.
    """

    id: int
    key: str
    developer: bool
    area_centi: int
    units: list[UnitLine]
    owners: list[OwnerLine]
    reason: str
    voter_status: str

    @property
    def heads(self) -> int:
        """A member is always one head (docs/rules.md, "Counting members")."""
        return 1


@dataclass(frozen=True)
class MembersPage:
    """One page of a version's members."""

    version: VersionLine | None
    members: list[MemberLine]
    page: int
    pages: int
    total: int
    query: str


@dataclass(frozen=True)
class MemberDetail:
    """A member and the version it belongs to."""

    member: MemberLine
    version: VersionLine
    is_current: bool


@dataclass(frozen=True)
class ExportFile:
    """A file to download."""

    filename: str
    content: bytes


def _reason(developer: bool, units: int, owners: int) -> str:
    if developer:
        return "developer"
    if units == 1:
        return "single" if owners == 1 else "co_owners"
    return "multi_unit" if owners == 1 else "multi_unit_co_owners"


def _csv_cell(value: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection) in text that came from an uploaded file."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


class RegisterQueries:
    """Named queries over register versions, members, units and owners."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def load_rows(self, version_id: int) -> list[RegisterRow]:
        """A stored version as hashed rows (in import order), for previews, diffs and figures."""
        units = (
            await self.db.execute(
                select(Unit.id, Building.name, Unit.number, Unit.kind, Unit.area_centi, Unit.area_source,
                       Unit.developer_held)
                .join(Building, Building.id == Unit.building_id)
                .where(Unit.register_version_id == version_id)
                .order_by(Unit.id)
            )
        ).all()
        owners: dict[int, list[OwnerRecord]] = {}
        for unit_id, name, digest, last4, phone in (
            await self.db.execute(
                select(UnitOwner.unit_id, Person.name, Person.id_hash, Person.id_last4, Person.phone)
                .join(Person, Person.id == UnitOwner.person_id)
                .join(Unit, Unit.id == UnitOwner.unit_id)
                .where(Unit.register_version_id == version_id)
                .order_by(UnitOwner.unit_id, Person.id)
            )
        ).all():
            owners.setdefault(unit_id, []).append(OwnerRecord(name=name, phone=phone, id_digest=digest, id_last4=last4))
        return [
            RegisterRow(building, number, kind, area, source, tuple(owners.get(unit_id, ())), developer)
            for unit_id, building, number, kind, area, source, developer in units
        ]

    async def versions(self, community_id: int) -> list[VersionLine]:
        """Every register version of the community, newest first, with unit and member counts."""
        units = (
            select(func.count(Unit.id)).where(Unit.register_version_id == RegisterVersion.id).scalar_subquery()
        )
        members = (
            select(func.count(Member.id)).where(Member.register_version_id == RegisterVersion.id).scalar_subquery()
        )
        rows = (
            await self.db.execute(
                select(RegisterVersion, units, members)
                .where(RegisterVersion.community_id == community_id)
                .order_by(RegisterVersion.number.desc())
            )
        ).all()
        return [VersionLine(v.id, v.number, v.created_at, v.source_name, n_units, n_members)
                for v, n_units, n_members in rows]

    async def _version(self, community_id: int, number: int | None) -> VersionLine | None:
        """Version ``number`` of the community, or the current one when ``number`` is None."""
        versions = await self.versions(community_id)
        if number is None:
            return versions[0] if versions else None
        return next((v for v in versions if v.number == number), None)

    async def overview(self, community_id: int, parking_counts: bool) -> RegisterOverview:
        """The register page: current figures, history, pending imports."""
        versions = await self.versions(community_id)
        current = versions[0] if versions else None
        current_figures = None
        if current is not None:
            rows = await self.load_rows(current.id)
            current_figures = figures(rows, group_rows(rows), parking_counts)
        pending = list(
            (
                await self.db.execute(
                    select(RegisterImport)
                    .options(defer(RegisterImport.payload), defer(RegisterImport.summary))
                    .where(RegisterImport.community_id == community_id, RegisterImport.status == "pending")
                    .order_by(RegisterImport.id.desc())
                )
            ).scalars()
        )
        return RegisterOverview(current, current_figures, versions, pending)

    async def staged_import(self, community_id: int, import_id: int) -> RegisterImport:
        """An import of this community (any status) with its preview; 404 for anything else."""
        staged = (
            await self.db.execute(
                select(RegisterImport)
                .options(defer(RegisterImport.payload))
                .where(RegisterImport.id == import_id, RegisterImport.community_id == community_id)
            )
        ).scalar_one_or_none()
        if staged is None:
            raise NotFoundException()
        return staged

    async def _member_lines(self, members: list[Member]) -> list[MemberLine]:
        """Units, owners and voter status for ``members``, in three queries whatever their number."""
        ids = [m.id for m in members]
        if not ids:
            return []
        units: dict[int, list[UnitLine]] = {}
        for unit, building in (
            await self.db.execute(
                select(Unit, Building.name).join(Building, Building.id == Unit.building_id)
                .where(Unit.member_id.in_(ids)).order_by(Unit.id)
            )
        ).tuples():
            units.setdefault(unit.member_id, []).append(UnitLine(
                unit.id, building, unit.number, unit.kind, unit.area_centi, unit.area_source, unit.developer_held))
        owner_rows = (
            await self.db.execute(
                select(Unit.member_id, Person)
                .join(UnitOwner, UnitOwner.unit_id == Unit.id)
                .join(Person, Person.id == UnitOwner.person_id)
                .where(Unit.member_id.in_(ids))
                .order_by(Unit.id, Person.id)
            )
        ).tuples().all()
        voters = {m.voter_person_id for m in members if m.voter_person_id is not None}
        activated = set(
            (
                await self.db.execute(
                    select(Account.person_id).where(
                        Account.person_id.in_(voters), Account.activated_at.is_not(None), Account.is_active
                    )
                )
            ).scalars()
        ) if voters else set()
        owners: dict[int, dict[int, OwnerLine]] = {}
        by_id = {m.id: m for m in members}
        for member_id, person in owner_rows:
            owners.setdefault(member_id, {}).setdefault(person.id, OwnerLine(
                person.id, person.name, person.phone, mask_id_last4(person.id_last4),
                person.id == by_id[member_id].voter_person_id))
        lines = []
        for member in members:
            member_owners = list(owners.get(member.id, {}).values())
            member_units = units.get(member.id, [])
            if member.developer:
                status = "developer"
            elif member.voter_person_id is None:
                status = "none"
            else:
                status = "activated" if member.voter_person_id in activated else "nominated"
            lines.append(MemberLine(
                member.id, member.key, member.developer, member.area_centi, member_units, member_owners,
                _reason(member.developer, len(member_units), len(member_owners)), status))
        return lines

    async def members_page(self, community_id: int, version_number: int | None, page: int, query: str) -> MembersPage:
        """Members of a version (the current one by default) in import order, ``PAGE_SIZE`` a page.

        ``query`` keeps the members with a unit whose number or building contains it.
        """
        version = await self._version(community_id, version_number)
        query = query.strip()[:64]
        if version is None:
            if version_number is not None:
                raise NotFoundException()
            return MembersPage(None, [], 1, 1, 0, query)
        condition = [Member.register_version_id == version.id]
        if query:
            matching = (
                select(Unit.member_id).join(Building, Building.id == Unit.building_id)
                .where(Unit.register_version_id == version.id,
                       or_(Unit.number.contains(query, autoescape=True), Building.name.contains(query, autoescape=True)))
            )
            condition.append(Member.id.in_(matching))
        total = (await self.db.execute(select(func.count(Member.id)).where(*condition))).scalar_one()
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(1, page), pages)
        # A join and GROUP BY, not a correlated subquery: one pass over the units whatever the plan.
        members = list(
            (
                await self.db.execute(
                    select(Member).join(Unit, Unit.member_id == Member.id).where(*condition)
                    .group_by(Member.id).order_by(func.min(Unit.id), Member.id)
                    .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
                )
            ).scalars()
        )
        return MembersPage(version, await self._member_lines(members), page, pages, total, query)

    async def member_detail(self, community_id: int, member_id: int) -> MemberDetail:
        """One member of any version of this community (404 otherwise)."""
        member = (
            await self.db.execute(
                select(Member).join(RegisterVersion, RegisterVersion.id == Member.register_version_id)
                .where(Member.id == member_id, RegisterVersion.community_id == community_id)
            )
        ).scalar_one_or_none()
        if member is None:
            raise NotFoundException()
        versions = await self.versions(community_id)
        version = next(v for v in versions if v.id == member.register_version_id)
        (line,) = await self._member_lines([member])
        return MemberDetail(line, version, version.id == versions[0].id)

    async def export_csv(self, community_id: int, slug: str) -> ExportFile:
        """The current register as CSV for spreadsheets: names and phones masked, no ID numbers."""
        version = await self._version(community_id, None)
        if version is None:
            raise NotFoundException()
        kinds, sources = kind_labels(), source_labels()
        owners_of_unit: dict[int, list[Person]] = {}
        for unit_id, person in (
            await self.db.execute(
                select(UnitOwner.unit_id, Person).join(Person, Person.id == UnitOwner.person_id)
                .join(Unit, Unit.id == UnitOwner.unit_id)
                .where(Unit.register_version_id == version.id).order_by(UnitOwner.unit_id, Person.id)
            )
        ).tuples():
            owners_of_unit.setdefault(unit_id, []).append(person)
        units = (
            await self.db.execute(
                select(Unit, Building.name, Member.key)
                .join(Building, Building.id == Unit.building_id)
                .join(Member, Member.id == Unit.member_id)
                .where(Unit.register_version_id == version.id)
                .order_by(Unit.id)
            )
        ).tuples()
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([_("Building"), _("Unit number"), _("Unit type"), _("Area"), _("Area source"),
                         _("Developer-held"), _("Member"), _("Owner names"), _("Phones"), _("Owner ID numbers")])
        for unit, building, member_key in units:
            owners = owners_of_unit.get(unit.id, [])
            writer.writerow([
                _csv_cell(building), _csv_cell(unit.number), kinds[unit.kind], format_area(unit.area_centi),
                sources[unit.area_source], _("yes") if unit.developer_held else _("no"), member_key,
                "、".join(mask_name(p.name) for p in owners),
                "、".join(mask_phone(p.phone) for p in owners) if any(p.phone for p in owners) else "",
                "、".join(mask_id_last4(p.id_last4) for p in owners),
            ])
        filename = f"register-{slug}-v{version.number}.csv"
        # The BOM makes Excel open the file as UTF-8 instead of the system's legacy code page.
        return ExportFile(filename, ("\ufeff" + buffer.getvalue()).encode("utf-8"))
