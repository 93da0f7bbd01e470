"""Object-level access: load a community by slug and check the visitor's role in it (no IDOR).

Every handler under ``/c/{slug}/...`` resolves the community with ``community_for`` first and then
loads objects *through* that community id, so an id from another community is simply not found.
"""

from __future__ import annotations

from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from vote.db.models import Community
from vote.domain.accounts.sessions import AuthContext

_BY_SLUG = select(Community).where(Community.slug == bindparam("slug"))  # built once: it runs on most requests


async def community_for(db: AsyncSession, slug: str, auth: AuthContext | None, *roles: str) -> Community:
    """The community at ``slug`` if ``auth`` holds one of ``roles`` there (no roles: anyone).

    Unknown slug: 404. Anonymous: 401 (the login page). Wrong role: 403.
    """
    community = (await db.execute(_BY_SLUG, {"slug": slug})).scalar_one_or_none()
    if community is None:
        raise NotFoundException()
    if not roles:
        return community
    if auth is None:
        raise NotAuthorizedException()
    if not auth.has_role(community.id, *roles):
        raise PermissionDeniedException()
    return community
