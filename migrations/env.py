"""Alembic environment: runs migrations on the async engine built from the app's settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from vote.config import Settings
from vote.db.engine import create_engine
from vote.db.models import Base
from vote.lib.aio import run_sync

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=True,
    )


def _run_sync(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


def _sqlite_pragma(connection: Connection, pragma: str) -> list:
    """Run a PRAGMA on the driver connection, outside SQLAlchemy's transaction; its rows."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(pragma)
        return list(cursor.fetchall())
    finally:
        cursor.close()


async def _run_async(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # A batch migration copies a table, drops the original and renames the copy. With foreign keys
                # on, dropping a table that rows refer to cascades deletes or fails; SQLite ignores this pragma
                # inside a transaction, so it is set before the migration's transaction begins.
                await connection.run_sync(_sqlite_pragma, "PRAGMA foreign_keys=OFF")
            await connection.run_sync(_run_sync)
            if sqlite:
                broken = await connection.run_sync(_sqlite_pragma, "PRAGMA foreign_key_check")
                if broken:
                    await connection.rollback()
                    raise RuntimeError(f"the migration left rows with broken foreign keys: {broken[:5]}")
            await connection.commit()
            if sqlite:
                await connection.run_sync(_sqlite_pragma, "PRAGMA foreign_keys=ON")
    finally:
        await engine.dispose()


def run_offline() -> None:
    """Emit SQL to stdout instead of running it (``--sql``)."""
    settings: Settings = config.attributes["settings"]
    context.configure(
        url=settings.database_url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=settings.is_sqlite,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run against the database; reuse a connection handed in by the caller when there is one."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_sync(connection)
        return
    run_sync(_run_async(config.attributes["settings"]))


if context.is_offline_mode():
    run_offline()
else:
    run_online()
