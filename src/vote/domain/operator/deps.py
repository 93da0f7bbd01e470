"""Dependency providers for the operator pages."""

from __future__ import annotations

from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from vote.domain.operator.services import CommunityAdminService


def provide_community_admin(db_session: NamedDependency[AsyncSession]) -> CommunityAdminService:
    """A CommunityAdminService on this request's session."""
    return CommunityAdminService(db_session)
