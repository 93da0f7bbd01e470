"""Dependency providers for the roster domain."""

from __future__ import annotations

from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from vote.config import Settings
from vote.domain.roster.queries import RegisterQueries
from vote.domain.roster.services import RosterService


def provide_roster_service(db_session: NamedDependency[AsyncSession], settings: NamedDependency[Settings]) -> RosterService:
    """A RosterService bound to this request's session and the deployment's ID-hash key."""
    return RosterService(db_session, settings.secret_key)


def provide_register_queries(db_session: NamedDependency[AsyncSession]) -> RegisterQueries:
    """The register's read models on this request's session."""
    return RegisterQueries(db_session)
