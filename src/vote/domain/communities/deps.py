"""Dependency providers for the communities domain."""

from __future__ import annotations

from litestar.di import NamedDependency

from sqlalchemy.ext.asyncio import AsyncSession

from vote.domain.communities.services import CommunityService


def provide_community_service(db_session: NamedDependency[AsyncSession]) -> CommunityService:
    """A CommunityService bound to this request's session."""
    return CommunityService(db_session)
