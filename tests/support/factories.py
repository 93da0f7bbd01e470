"""Seed data through the real services, with credentials the tests know."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timedelta

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
from vote.lib.security import PASSWORD_HASHER

PASSWORD = "correct horse battery staple"  # noqa: S105


@lru_cache(maxsize=1)
def password_hash() -> str:
    """One real Argon2id hash of PASSWORD for every test account (logins still verify it for real)."""
    return PASSWORD_HASHER.hash(PASSWORD)


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
        codes = await service.set_credentials(account, PASSWORD, secret, password_hash=password_hash())
        for role in roles:
            assert community_id is not None
            db.add(Role(account_id=account.id, community_id=community_id, role=role, granted_at=now))
        await db.commit()
        return Credentials(account.id, login, PASSWORD, secret, codes)


async def account_by_login(app: Litestar, login: str) -> Account:
    """Reload an account row."""
    async with db_session(app) as db:
        return (await db.execute(select(Account).where(Account.login == login))).scalar_one()


@dataclass(frozen=True)
class MotionSpec:
    """A motion for ``create_published_meeting``: its matter, kind, and an election's seats and candidates."""

    title: str = "议案"
    matter: int = 1
    kind: str = "question"
    seats: int | None = None
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class PublishedMeeting:
    """Ids of a meeting written by ``create_published_meeting``."""

    meeting_id: int
    motion_ids: list[int]
    option_ids: dict[int, list[int]]


async def create_published_meeting(
    app: Litestar,
    community_id: int,
    register_version_id: int,
    motions: list[MotionSpec],
    *,
    title: str = "2026 年第一次业主大会会议",
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    scope: dict | None = None,
) -> PublishedMeeting:
    """A published (noticed) meeting with frozen motion texts, written straight to the tables.

    By default its voting window is open now (opened a day ago, closes in a day). Its rules are frozen
    from the community's current settings, as publication does.
    """
    from vote.db.models import Meeting, Motion, MotionOption, MotionRevision
    from vote.domain.meetings.snapshot import freeze_rules

    now = app.state.clock.now()
    opens_at = opens_at or now - timedelta(days=1)
    closes_at = closes_at or now + timedelta(days=1)
    noticed_at = opens_at - timedelta(days=15)
    async with db_session(app) as db:
        await begin_write(db)
        meeting = Meeting(community_id=community_id, register_version_id=register_version_id, title=title,
                          scope=scope, status="noticed", noticed_at=noticed_at, opens_at=opens_at,
                          closes_at=closes_at, created_at=noticed_at)
        freeze_rules(meeting, (await db.execute(select(Community).where(Community.id == community_id))).scalar_one())
        db.add(meeting)
        await db.flush()
        motion_ids: list[int] = []
        option_ids: dict[int, list[int]] = {}
        for position, spec in enumerate(motions, start=1):
            motion = Motion(meeting_id=meeting.id, position=position, kind=spec.kind, matter=spec.matter,
                            seats=spec.seats)
            db.add(motion)
            await db.flush()
            db.add(MotionRevision(motion_id=motion.id, number=1, title=spec.title, body_md="", created_at=noticed_at,
                                  published_at=noticed_at))
            options = [MotionOption(motion_id=motion.id, position=i, label=label)
                       for i, label in enumerate(spec.candidates, start=1)]
            db.add_all(options)
            await db.flush()
            motion_ids.append(motion.id)
            option_ids[motion.id] = [o.id for o in options]
        await db.commit()
        return PublishedMeeting(meeting.id, motion_ids, option_ids)


async def member_ids(app: Litestar, register_version_id: int) -> dict[str, int]:
    """The voting member of every unit of a register version, keyed ``"<building>/<number>"``."""
    from vote.db.models import Building, Unit

    async with db_session(app) as db:
        rows = await db.execute(
            select(Building.name, Unit.number, Unit.member_id).join(Building, Building.id == Unit.building_id)
            .where(Unit.register_version_id == register_version_id)
        )
        return {f"{building}/{number}": member_id for building, number, member_id in rows.all()}


async def record_ballot(
    app: Litestar, motion_id: int, member_id: int, choice: str = "yes", *, options: tuple[int, ...] = (),
    receipt: str | None = None,
) -> str:
    """A cast ballot written straight to the table (an election ballot when ``options`` are given).

    Returns its receipt code.
    """
    import secrets

    from vote.db.models import Ballot, BallotSelection
    from vote.ledger import services as ledger

    receipt = receipt or secrets.token_hex(6).upper()
    async with db_session(app) as db:
        await begin_write(db)
        ballot = Ballot(motion_id=motion_id, member_id=member_id, choice="election" if options else choice,
                        channel="online", cast_at=app.state.clock.now(), receipt=receipt)
        db.add(ballot)
        await db.flush()
        db.add_all(BallotSelection(ballot_id=ballot.id, option_id=option_id) for option_id in options)
        await db.flush()
        await ledger.append_ballots(db, [ballot.id], app.state.clock.now())  # every ballot has its leaf
        await db.commit()
    return receipt


def unit_row(building: str, number: str, area_centi: int, *owners: str, kind: str = "flat") -> RegisterRow:
    """A register row from short specs: owners by name (ID and phone derived from the name); none = developer."""
    import hashlib

    records = tuple(
        OwnerRecord(name, "110101" + str(int(hashlib.sha256(name.encode()).hexdigest(), 16))[:11] + "X",
                    "139" + str(int(hashlib.sha256(name.encode()).hexdigest(), 16))[-8:])
        for name in owners
    )
    return RegisterRow(building, number, kind, area_centi, "registry", records, developer=not owners)


@dataclass(frozen=True)
class VotingWorld:
    """A community with a register (``simple_rows``), a committee, an observer and owner accounts."""

    community_id: int
    slug: str
    register_version_id: int
    committee: list[Credentials]
    observer: Credentials
    owner: Credentials
    owner2: Credentials
    co_owner: Credentials


async def person_id_by_name(app: Litestar, community_id: int, name: str) -> int:
    """The id of a registered person of a community, by name."""
    from vote.db.models import Person

    async with db_session(app) as db:
        return (
            await db.execute(select(Person.id).where(Person.community_id == community_id, Person.name == name))
        ).scalar_one()


async def create_voting_world(app: Litestar, *, slug: str = "garden", committee_size: int = 3,
                              **community_fields: object) -> VotingWorld:
    """``simple_rows`` register; owner = 王1 (1号楼 101), owner2 = 王2 (102), co_owner = 李甲 (201, no voter yet)."""
    community_id = await create_community(app, slug=slug, **community_fields)
    version_id = await create_register(app, community_id)
    committee = [
        await create_account(app, f"{slug}-committee{i}", community_id=community_id, roles=("committee",))
        for i in range(1, committee_size + 1)
    ]
    observer = await create_account(app, f"{slug}-observer", community_id=community_id, roles=("observer",))
    owners = [
        await create_account(app, f"{slug}-{login}", community_id=community_id, roles=("owner",),
                             person_id=await person_id_by_name(app, community_id, name))
        for login, name in (("owner", "王1"), ("owner2", "王2"), ("coowner", "李甲"))
    ]
    return VotingWorld(community_id, slug, version_id, committee, observer, *owners)


async def log_in(client: object, creds: Credentials, *, at: datetime | None = None, code: str | None = None) -> None:
    """Log ``client`` in as ``creds``: TOTP at ``at`` (the app clock's time; default now) or the given code."""
    from tests.support.http import post_form

    if code is None:
        code = pyotp.TOTP(creds.secret).at(at) if at is not None else creds.code()
    response = await post_form(client, "/login",  # type: ignore[arg-type]
                               {"login": creds.login, "password": creds.password, "code": code, "next": "/"},
                               follow_redirects=False)
    assert response.status_code == 303, f"login of {creds.login} failed: {response.status_code}"


async def create_discussed_motion(
    app: Litestar, community_id: int, register_version_id: int, *, title: str = "更换小区大门", body_md: str = "",
    status: str = "noticed", opens_in: timedelta = timedelta(days=10),
) -> int:
    """A one-motion meeting whose voting opens in ``opens_in`` (negative: already open), with a body; its motion id.

    ``status="draft"`` leaves the meeting and its text unpublished.
    """
    from sqlalchemy import update

    from vote.db.models import Meeting, MotionRevision

    now = app.state.clock.now()
    meeting = await create_published_meeting(app, community_id, register_version_id, [MotionSpec(title=title)],
                                             opens_at=now + opens_in, closes_at=now + opens_in + timedelta(days=7))
    motion_id = meeting.motion_ids[0]
    async with db_session(app) as db:
        await begin_write(db)
        await db.execute(update(MotionRevision).where(MotionRevision.motion_id == motion_id).values(body_md=body_md))
        if status == "draft":
            await db.execute(update(Meeting).where(Meeting.id == meeting.meeting_id)
                             .values(status="draft", noticed_at=None, rule_preset=None, rule_hash=None,
                                     parking_counts=None, notice_days=None, objection_days=None))
            await db.execute(update(MotionRevision).where(MotionRevision.motion_id == motion_id)
                             .values(published_at=None))
        await db.commit()
    return motion_id


def past_window(app: Litestar) -> dict[str, datetime]:
    """A voting window that ended a minute ago (for ``create_published_meeting``)."""
    now = app.state.clock.now()
    return {"opens_at": now - timedelta(days=7), "closes_at": now - timedelta(minutes=1)}


async def stored_results(app: Litestar, meeting_id: int) -> dict[int, object]:
    """The stored ``MotionResult`` of each motion of a meeting, by motion id."""
    from vote.db.models import Motion, MotionResult

    async with db_session(app) as db:
        rows = await db.execute(
            select(MotionResult).join(Motion, Motion.id == MotionResult.motion_id).where(Motion.meeting_id == meeting_id)
        )
        return {r.motion_id: r for r in rows.scalars()}


async def close_due_meetings(app: Litestar, *, trigger: str = "test") -> list[int]:
    """Run the closing job once, as the scheduler and ``vote meetings close-due`` do; the closed meeting ids."""
    from vote.domain.results.closing import ClosingService

    async with db_session(app) as db:
        closed, failures = await ClosingService(db).close_due(app.state.clock.now(), trigger=trigger)
    assert failures == [], failures
    return [meeting.meeting_id for meeting in closed]


async def close_meeting(app: Litestar, meeting_id: int) -> None:
    """Close a meeting whose window has ended (the preliminary result), as the closing job does."""
    from vote.domain.results.closing import ClosingService

    async with db_session(app) as db:
        assert await ClosingService(db).close(meeting_id, app.state.clock.now(), trigger="test") is not None


async def mark_final(app: Litestar, meeting_id: int) -> None:
    """Move a closed meeting to its final result, as if the committee had approved it."""
    from sqlalchemy import update

    from vote.db.models import Meeting

    async with db_session(app) as db:
        await begin_write(db)
        await db.execute(update(Meeting).where(Meeting.id == meeting_id, Meeting.status == "preliminary")
                         .values(status="final", final_at=app.state.clock.now()))
        await db.commit()
