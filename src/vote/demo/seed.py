"""Seed a demo community: two residential buildings, a shop, parking, a multi-unit owner, a co-owned
unit and developer-held unsold units; plus demo accounts for every role."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vote.config import Settings
from vote.db.engine import Database, begin_write
from vote.db.models import Account, Building, Community, Member, Role, Unit, UnitOwner
from vote.domain.accounts import totp
from vote.domain.accounts.services import AccountService, IpLimiter
from vote.domain.roster.services import OwnerRecord, RegisterRow, RosterService
from vote.lib.clock import Clock
from vote.lib.crypto import SecretBox
from vote.lib.security import hash_password

DEMO_PASSWORD = "vote-demo-2026"  # noqa: S105 - printed on purpose; demo mode is refused in production
DEMO_SLUG = "demo-garden"

FAMILY = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰", "霞"]
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def id_number(rng: random.Random) -> str:
    """A syntactically valid (checksummed) but fictitious 18-character resident ID number."""
    body = f"330106{rng.randint(1940, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return body + ID_CHECK[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def owner(rng: random.Random) -> OwnerRecord:
    """A fictitious owner."""
    return OwnerRecord(
        name=rng.choice(FAMILY) + rng.choice(GIVEN),
        id_number=id_number(rng),
        phone=f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
    )


def demo_rows(seed: int = 2026) -> list[RegisterRow]:
    """60 units: 2 buildings x 6 floors x 4 flats, 2 shops, 10 parking spaces."""
    rng = random.Random(seed)
    rows: list[RegisterRow] = []
    multi_owner = owner(rng)
    co_owners = (owner(rng), owner(rng))
    for building in ("1号楼", "2号楼"):
        for floor in range(1, 7):
            for flat in range(1, 5):
                number = f"{floor}0{flat}"
                area = rng.choice((8950, 9125, 10800, 12000, 13566, 14310))
                developer = building == "2号楼" and floor == 6 and flat >= 2
                if developer:
                    owners: tuple[OwnerRecord, ...] = ()
                elif (building, number) == ("1号楼", "101"):
                    owners = (multi_owner,)
                elif (building, number) == ("1号楼", "102"):
                    owners = co_owners
                else:
                    owners = (owner(rng),)
                rows.append(RegisterRow(building, number, "flat", area, "registry", owners, developer))
    for number in ("S01", "S02"):
        rows.append(RegisterRow("商铺", number, "shop", rng.choice((4500, 6025)), "survey", (owner(rng),)))
    for index in range(1, 11):
        number = f"P-{index:03d}"
        if index == 1:
            owners = (multi_owner,)
        elif index == 2:
            owners = (co_owners[1], co_owners[0])  # the same co-owners, listed the other way round
        elif index >= 8:
            owners = ()
        else:
            owners = (owner(rng),)
        rows.append(RegisterRow("地下车库", number, "parking", 1250, "contract", owners, developer=index >= 8))
    return rows


@dataclass(frozen=True)
class DemoAccount:
    """A demo login, printed by ``vote demo`` and listed on /demo."""

    login: str
    role: str
    description: str
    totp_secret: str


async def _account(
    db: AsyncSession, service: AccountService, clock: Clock, login: str, name: str, *, password_hash: str,
    person_id: int | None = None, operator: bool = False,
) -> tuple[Account, str]:
    account = Account(login=login, display_name=name, person_id=person_id, is_operator=operator,
                      created_at=clock.now(), activated_at=clock.now())
    db.add(account)
    await db.flush()
    secret = totp.new_secret()
    await service.set_credentials(account, DEMO_PASSWORD, secret, password_hash=password_hash)
    return account, secret


async def seed_demo(settings: Settings) -> list[DemoAccount]:
    """Create the demo community and accounts in an empty, migrated database."""
    database = Database.from_settings(settings)
    clock = Clock()
    try:
        # All demo accounts share the printed password: hash it once, before the write transaction.
        password_hash = await hash_password(DEMO_PASSWORD)
        async with database.sessionmaker() as db:
            await begin_write(db)
            now = clock.now()
            community = Community(
                slug=DEMO_SLUG, name="示范花园小区", address="杭州市西湖区示范路 1 号", created_at=now,
                rule_preset="cn-civil-code-2021",
            )
            db.add(community)
            await db.flush()
            version = await RosterService(db, settings.secret_key).create_version(
                community.id, demo_rows(), source_name="demo", now=now, actor_account_id=None
            )
            service = AccountService(db, SecretBox(settings.secret_key, "totp"), IpLimiter())
            owner_person = await _person_of_unit(db, version.id, "101", "1号楼")
            co_person = await _person_of_unit(db, version.id, "102", "1号楼")
            accounts: list[DemoAccount] = []
            specs = [
                ("owner", "owner", "1号楼 101 + 地下车库 P-001 (one member, two units)", owner_person, "owner"),
                ("owner2", "owner", "1号楼 102 co-owner, nominated voter (+ P-002)", co_person, "owner"),
                ("committee1", "committee", "业委会 member", None, "committee"),
                ("committee2", "committee", "业委会 member (second approver)", None, "committee"),
                ("observer", "observer", "居委会 observer (read-only)", None, "observer"),
            ]
            for login, role, description, person_id, role_name in specs:
                account, secret = await _account(db, service, clock, login, login, password_hash=password_hash,
                                                person_id=person_id)
                db.add(Role(account_id=account.id, community_id=community.id, role=role_name, granted_at=now))
                accounts.append(DemoAccount(login, role, description, secret))
            if co_person is not None:
                # The co-owners nominated this one to vote for their shared member.
                member_id = (
                    await db.execute(
                        select(Unit.member_id).join(Building, Building.id == Unit.building_id).where(
                            Unit.register_version_id == version.id, Unit.number == "102", Building.name == "1号楼"
                        )
                    )
                ).scalar_one()
                await db.execute(update(Member).where(Member.id == member_id).values(voter_person_id=co_person))
            _, secret = await _account(db, service, clock, "operator", "operator", password_hash=password_hash,
                                     operator=True)
            accounts.append(DemoAccount("operator", "operator", "platform operator (all communities)", secret))
            await db.commit()
            return accounts
    finally:
        await database.dispose()


async def _person_of_unit(db: AsyncSession, version_id: int, number: str, building: str) -> int | None:
    return (
        await db.execute(
            select(UnitOwner.person_id)
            .join(Unit, Unit.id == UnitOwner.unit_id)
            .join(Building, Building.id == Unit.building_id)
            .where(Unit.register_version_id == version_id, Unit.number == number, Building.name == building)
            .order_by(UnitOwner.person_id)
            .limit(1)
        )
    ).scalar_one_or_none()
