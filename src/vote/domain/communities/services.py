"""Read models of a community for its public page and for the dashboards."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vote.db.models import Building, Community, Member, RegisterVersion, Unit


@dataclass(frozen=True)
class RegisterSummary:
    """Totals of a register version: what the quorum and approval gates are measured against."""

    version: int
    units: int
    members: int
    area_centi: int
    buildings: int


class CommunityService:
    """Queries about communities."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def list_public(self) -> list[Community]:
        """All communities, by name."""
        return list((await self.db.execute(select(Community).order_by(Community.name))).scalars())

    async def by_slug(self, slug: str) -> Community | None:
        """One community by its URL slug."""
        return (await self.db.execute(select(Community).where(Community.slug == slug))).scalar_one_or_none()

    async def current_register(self, community_id: int) -> RegisterVersion | None:
        """The newest confirmed register version."""
        return (
            await self.db.execute(
                select(RegisterVersion)
                .where(RegisterVersion.community_id == community_id)
                .order_by(RegisterVersion.number.desc())
                .limit(1)
            )
        ).scalar_one_or_none()

    async def register_summary(self, version: RegisterVersion) -> RegisterSummary:
        """Units, members (heads), total area and buildings of a register version."""
        units = (
            await self.db.execute(
                select(func.count(Unit.id), func.count(func.distinct(Unit.building_id))).where(
                    Unit.register_version_id == version.id
                )
            )
        ).one()
        members = (
            await self.db.execute(
                select(func.count(Member.id), func.coalesce(func.sum(Member.area_centi), 0)).where(
                    Member.register_version_id == version.id
                )
            )
        ).one()
        return RegisterSummary(
            version=version.number, units=units[0], buildings=units[1], members=members[0], area_centi=int(members[1])
        )

    async def buildings(self, community_id: int) -> list[Building]:
        """The community's buildings in display order."""
        return list(
            (
                await self.db.execute(
                    select(Building).where(Building.community_id == community_id).order_by(Building.position, Building.name)
                )
            ).scalars()
        )
