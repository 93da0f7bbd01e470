"""The models and the migrations agree, on SQLite and PostgreSQL, and migrations run both ways."""

from __future__ import annotations

from vote.lib.aio import run_sync

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from vote.config import Settings
from vote.db import migrate
from vote.db.engine import create_engine
from vote.db.models import Base


async def _diff(settings: Settings) -> list:
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:

            def compare(sync_connection):  # noqa: ANN001, ANN202
                context = MigrationContext.configure(
                    sync_connection, opts={"compare_type": True, "compare_server_default": True}
                )
                return compare_metadata(context, Base.metadata)

            return await connection.run_sync(compare)
    finally:
        await engine.dispose()


async def _tables(settings: Settings) -> set[str]:
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


def test_models_match_migrations(settings: Settings) -> None:
    diff = run_sync(_diff(settings))
    assert diff == [], f"models and migrations differ: {diff}"


def test_upgrade_downgrade_upgrade(settings: Settings) -> None:
    tables = run_sync(_tables(settings))
    assert {"ballot", "member", "unit", "audit_event", "motion_revision"} <= tables
    migrate.downgrade(settings, "base")
    assert run_sync(_tables(settings)) <= {"alembic_version"}
    migrate.upgrade(settings)
    assert run_sync(_tables(settings)) == tables
    assert run_sync(_diff(settings)) == []


def test_ballot_choice_constraint_allows_elections_after_upgrade(settings: Settings) -> None:
    async def check() -> list[str]:
        engine = create_engine(settings)
        try:
            async with engine.connect() as connection:
                checks = await connection.run_sync(lambda c: inspect(c).get_check_constraints("ballot"))
        finally:
            await engine.dispose()
        return [c["sqltext"] for c in checks]

    texts = " ".join(run_sync(check()))
    assert "election" in texts
