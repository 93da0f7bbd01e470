"""Dependency providers for the ballots area."""

from __future__ import annotations

from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from vote.domain.ballots.services import BallotService


def provide_ballot_service(db_session: NamedDependency[AsyncSession]) -> BallotService:
    """A BallotService bound to this request's session."""
    return BallotService(db_session)
