"""Engine and session factory for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from vote.config import Settings

SQLITE_PRAGMAS = (
    "PRAGMA foreign_keys=ON",
    "PRAGMA journal_mode=WAL",
    # Ballots must survive a power cut: FULL fsyncs the WAL on every commit.
    "PRAGMA synchronous=FULL",
    # Concurrent casts queue for the single writer instead of failing with "database is locked".
    "PRAGMA busy_timeout=10000",
)


WRITE_OPTION = "vote_write"


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control from the driver so that write transactions can BEGIN IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # A write transaction takes the write lock up front (waiting on busy_timeout); a deferred one
    # that reads first and writes later can fail at once with SQLITE_BUSY when another writer won.
    immediate = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_engine(settings: Settings) -> AsyncEngine:
    """Create the async engine; SQLite connections get the pragmas on every connect."""
    # hide_parameters: a logged database error must not carry names or phone numbers.
    kwargs: dict[str, Any] = {"echo": settings.echo_sql, "hide_parameters": True}
    if settings.database_nullpool:
        kwargs["poolclass"] = NullPool
    if settings.is_sqlite:
        path = settings.database_url.split(":///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 10}
    elif not settings.database_nullpool:
        kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
    engine = create_async_engine(settings.database_url, **kwargs)
    if settings.is_sqlite:
        event.listen(engine.sync_engine, "connect", _set_sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


async def begin_write(session: AsyncSession) -> None:
    """Start the session's transaction as a write transaction (``BEGIN IMMEDIATE`` on SQLite).

    Call first thing in a service method that will write. A read transaction already open on the
    session (a guard's lookup) is ended first, since SQLite can only choose IMMEDIATE at BEGIN; an
    already-started write transaction is kept. On PostgreSQL the only effect is that commit.
    """
    if session.in_transaction():
        connection = await session.connection()
        if connection.sync_connection.get_execution_options().get(WRITE_OPTION):
            return
        await session.commit()
    await session.connection(execution_options={WRITE_OPTION: True})


# SQLite has one writer at a time. Writers that find the lock taken wait in SQLite's busy handler,
# which sleeps and retries (1, 2, 5 ... 100 ms): under load the lock sits free while every waiter
# sleeps, and the slowest wait seconds. So in this process, hot write transactions queue here (FIFO,
# woken the moment the lock is free) and only the head of the queue asks SQLite for the lock.
# Other processes (``vote serve --workers``) still meet at SQLite's lock: this only orders, it never
# decides anything.
_write_queues: weakref.WeakKeyDictionary[Engine, weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]]
_write_queues = weakref.WeakKeyDictionary()


def _write_queue(engine: Engine) -> asyncio.Lock:
    """This process's queue of writers for the engine, on the running event loop."""
    by_loop = _write_queues.setdefault(engine, weakref.WeakKeyDictionary())
    loop = asyncio.get_running_loop()
    if loop not in by_loop:
        by_loop[loop] = asyncio.Lock()
    return by_loop[loop]


@asynccontextmanager
async def write_transaction(session: AsyncSession) -> AsyncIterator[None]:
    """A short write transaction: ``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back if the block raises.

    A read transaction still open on the session is ended first, so that nothing is held while
    waiting for the write lock. Keep the block to the writes themselves: every statement and every
    bit of Python inside it holds SQLite's only write lock.
    """
    if session.in_transaction():
        await session.commit()
    engine = session.get_bind()
    if engine.dialect.name == "sqlite":
        async with _write_queue(engine):
            async with _transaction(session):
                yield
    else:
        async with _transaction(session):
            yield


@asynccontextmanager
async def _transaction(session: AsyncSession) -> AsyncIterator[None]:
    await session.connection(execution_options={WRITE_OPTION: True})
    try:
        yield
        await session.commit()
    except BaseException:
        await session.rollback()
        raise


@dataclass
class Database:
    """The engine and its session factory, owned by the app (``app.state.db``)."""

    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        """Build the engine and session factory for these settings."""
        engine = create_engine(settings)
        # The ledger signs with a key sealed under the app secret; every session can reach it (``session.info``).
        return cls(engine=engine, sessionmaker=async_sessionmaker(engine, expire_on_commit=False,
                                                                  info={"secret_key": settings.secret_key}))

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
