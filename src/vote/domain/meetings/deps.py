"""Dependency providers for the meetings area."""

from __future__ import annotations

from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from vote.domain.meetings.services import MeetingService


def provide_meeting_service(db_session: NamedDependency[AsyncSession]) -> MeetingService:
    """A MeetingService bound to this request's session."""
    return MeetingService(db_session)
