"""Seed data through the real services, with credentials the tests know."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pyotp
from litestar import Litestar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vote.db.engine import Database, begin_write
from vote.db.models import Account, Community, Role
from vote.domain.accounts import totp
from vote.domain.accounts.services import AccountService, IpLimiter
from vote.domain.roster.services import OwnerRecord, RegisterRow, RosterService
from vote.lib.crypto import SecretBox

PASSWORD = "correct horse battery staple"  # noqa: S105


@asynccontextmanager
async def db_session(app: Litestar) -> AsyncIterator[AsyncSession]:
    """A session on the app's database through a separate engine.

    The test client runs the app on its own event loop in another thread; sharing the app's pool
    from the test's loop would hand connections across loops, so test code never uses app.state.db.
    """
    database = Database.from_settings(app.state.settings)
    try:
        async with database.sessionmaker() as session:
            yield session
    finally:
        await database.dispose()


@dataclass
class Credentials:
    """A test account's login, password, TOTP secret and recovery codes."""

    account_id: int
    login: str
    password: str
    secret: str
    recovery_codes: list[str]

    def code(self, offset_steps: int = 0) -> str:
        """The TOTP code of the current step (or a neighbouring one)."""
        import time

        step = int(time.time()) // totp.STEP_SECONDS + offset_steps
        return pyotp.TOTP(self.secret).at(step * totp.STEP_SECONDS)


async def create_community(app: Litestar, slug: str = "garden", name: str = "测试小区", **fields: object) -> int:
    """A community with no register yet; returns its id."""
    async with db_session(app) as db:
        await begin_write(db)
        community = Community(slug=slug, name=name, address="测试路 1 号", created_at=app.state.clock.now(), **fields)
        db.add(community)
        await db.commit()
        return community.id


def simple_rows(n_flats: int = 6) -> list[RegisterRow]:
    """A small register: flats with one owner each, one co-owned flat, one developer flat."""
    rows = [
        RegisterRow("1号楼", f"10{i}", "flat", 10000 + i * 100, "registry",
                    (OwnerRecord(f"王{i}", f"11010119900101{i:03d}X", f"1380000{i:04d}"),))
        for i in range(1, n_flats + 1)
    ]
    rows.append(RegisterRow("1号楼", "201", "flat", 12000, "registry",
                            (OwnerRecord("李甲", "110101199001019991"), OwnerRecord("李乙", "110101199001019992"))))
    rows.append(RegisterRow("1号楼", "301", "flat", 9000, "registry", (), developer=True))
    return rows


async def create_register(app: Litestar, community_id: int, rows: list[RegisterRow] | None = None) -> int:
    """Write a register version through the roster service; returns its id."""
    async with db_session(app) as db:
        await begin_write(db)
        version = await RosterService(db, app.state.settings.secret_key).create_version(
            community_id, rows or simple_rows(), source_name="test", now=app.state.clock.now(), actor_account_id=None
        )
        await db.commit()
        return version.id


async def create_account(
    app: Litestar,
    login: str,
    *,
    community_id: int | None = None,
    roles: tuple[str, ...] = (),
    operator: bool = False,
    person_id: int | None = None,
) -> Credentials:
    """An activated account with password + TOTP and the given roles in one community."""
    async with db_session(app) as db:
        await begin_write(db)
        now = app.state.clock.now()
        account = Account(login=login, display_name=login, is_operator=operator, person_id=person_id,
                          created_at=now, activated_at=now)
        db.add(account)
        await db.flush()
        secret = totp.new_secret()
        service = AccountService(db, SecretBox(app.state.settings.secret_key, "totp"), IpLimiter())
        codes = await service.set_credentials(account, PASSWORD, secret)
        for role in roles:
            assert community_id is not None
            db.add(Role(account_id=account.id, community_id=community_id, role=role, granted_at=now))
        await db.commit()
        return Credentials(account.id, login, PASSWORD, secret, codes)


async def account_by_login(app: Litestar, login: str) -> Account:
    """Reload an account row."""
    async with db_session(app) as db:
        return (await db.execute(select(Account).where(Account.login == login))).scalar_one()
