"""Shared fixtures: a fresh database per test on SQLite and on PostgreSQL, the app, an HTTP client.

Every integration test that takes ``settings`` (or ``app``/``client``) runs twice: once on SQLite,
once on a real PostgreSQL server started from the machine's binaries. Set VOTE_REQUIRE_POSTGRES=1
(``.ci/run`` does) to turn a missing PostgreSQL into an error instead of a skip.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from vote.app import create_app
from vote.config import Settings
from vote.db import migrate
from vote.devtools.postgres import PostgresUnavailable, TemporaryPostgres
from vote.lib.aio import run_sync

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
BASE_URL = "https://testserver.local"
_counter = itertools.count()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the PostgreSQL variants, and run the browser tests last.

    Playwright's sync API keeps an event loop running in the main thread for the rest of the
    session once the browser has started, which async tests cannot share.
    """
    items.sort(key=lambda item: "/e2e/" in str(item.fspath))
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("db_backend") == "postgres":
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[TemporaryPostgres | None]:
    """One PostgreSQL server for the whole test session (None when unavailable and not required)."""
    try:
        server = TemporaryPostgres().start()
    except PostgresUnavailable as exc:
        if os.environ.get("VOTE_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required but unavailable: {exc}")
        yield None
        return
    yield server
    server.stop()


async def _pg_exec(server: TemporaryPostgres, sql: str) -> None:
    conn = await asyncpg.connect(server.url().replace("+asyncpg", ""))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate.upgrade(Settings(environment="test", secret_key=TEST_SECRET, database_url=f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def pg_template(pg_server: TemporaryPostgres | None) -> str | None:
    """A migrated PostgreSQL template database that each test clones."""
    if pg_server is None:
        return None
    run_sync(_pg_exec(pg_server, "CREATE DATABASE vote_template"))
    migrate.upgrade(Settings(environment="test", secret_key=TEST_SECRET, database_url=pg_server.url("vote_template")))
    return "vote_template"


@pytest.fixture(params=["sqlite", "postgres"])
def db_backend(request: pytest.FixtureRequest) -> str:
    """Which database this test runs on."""
    return request.param


@pytest.fixture
def database_url(
    db_backend: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> str:
    """A fresh, migrated database for this test."""
    if db_backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "test.db"
        shutil.copyfile(template, path)
        return f"sqlite+aiosqlite:///{path}"
    server: TemporaryPostgres | None = request.getfixturevalue("pg_server")
    if server is None:
        pytest.skip("PostgreSQL binaries not available")
    template = request.getfixturevalue("pg_template")
    name = f"test_{os.getpid()}_{next(_counter)}"
    run_sync(_pg_exec(server, f"CREATE DATABASE {name} TEMPLATE {template}"))
    return server.url(name)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Test settings: HTTPS-only cookies (the client uses an https:// base URL)."""
    return Settings(
        environment="test",
        secret_key=TEST_SECRET,
        database_url=database_url,
        data_dir=tmp_path,
        secure_cookies=True,
        database_nullpool=True,
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Litestar]:
    """The real app on this test's database."""
    application = create_app(settings)
    yield application
    await application.state.db.dispose()


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient]:
    """An HTTP client talking to the app through the full ASGI stack."""
    async with AsyncTestClient(app=app, base_url=BASE_URL) as test_client:
        yield test_client
