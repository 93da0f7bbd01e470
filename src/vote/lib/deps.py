"""App-wide dependency providers: the database session, settings and the clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

from litestar import Request
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from vote.config import Settings
from vote.lib.clock import Clock


async def provide_db_session(state: State) -> AsyncIterator[AsyncSession]:
    """One session per request; services commit, anything left open is rolled back."""
    async with state.db.sessionmaker() as session:
        try:
            yield session
        finally:
            if session.in_transaction():
                await session.rollback()


def provide_settings(request: Request) -> Settings:
    """The app's settings."""
    return request.app.state.settings


def provide_clock(request: Request) -> Clock:
    """The app's clock."""
    return request.app.state.clock
