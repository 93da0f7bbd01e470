"""Helpers for the activation tests: a community with a register, committee members, letters, and the
owner's journey driven through the real pages."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyotp
import pytest
from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from tests.support.factories import Credentials, create_account, create_community, create_register, db_session
from tests.support.http import post_form
from vote.db.models import Building, Community, Unit
from vote.domain.accounts import totp
from vote.domain.accounts.sessions import AuthContext
from vote.domain.activation.services import LetterService

TOKEN = re.compile(r'name="token" value="([^"]+)"')
TOTP_KEY = re.compile(r'id="totp-key">([^<]+)<')
LETTER_CODE = re.compile(r'class="activation-code">([0-9A-Z-]+)<')
OWNER_PASSWORD = "a long enough password"  # noqa: S105

# Owners of ``simple_rows``: 王i owns 1号楼 10i alone; 李甲 and 李乙 co-own 1号楼 201; 301 is the developer's.
WANG1 = ("王1", "001X")
LI_JIA = ("李甲", "9991")
LI_YI = ("李乙", "9992")


@dataclass
class Garden:
    """A community with a register and two committee members."""

    community_id: int
    version_id: int
    committee1: Credentials
    committee2: Credentials


@pytest.fixture
async def garden(app: Litestar) -> Garden:
    """The standard test community ``garden`` with its register and two committee members."""
    community_id = await create_community(app)
    version_id = await create_register(app, community_id)
    committee1 = await create_account(app, "committee1", community_id=community_id, roles=("committee",))
    committee2 = await create_account(app, "committee2", community_id=community_id, roles=("committee",))
    return Garden(community_id, version_id, committee1, committee2)


async def member_of_unit(app: Litestar, version_id: int, number: str) -> int:
    """The member id of 1号楼 ``number`` in a register version."""
    async with db_session(app) as db:
        return (
            await db.execute(
                select(Unit.member_id).join(Building, Building.id == Unit.building_id).where(
                    Unit.register_version_id == version_id, Unit.number == number, Building.name == "1号楼"
                )
            )
        ).scalar_one()


async def issue_letter(app: Litestar, garden: Garden, number: str, valid_days: str = "") -> str:
    """A fresh letter for the member owning 1号楼 ``number``, through the service; returns its code."""
    member_id = await member_of_unit(app, garden.version_id, number)
    async with db_session(app) as db:
        community = await db.get(Community, garden.community_id)
        await db.commit()  # ends the read; the service starts its own write transaction
        actor = AuthContext(account_id=garden.committee1.account_id, login="committee1", display_name="",
                            is_operator=False, session_hash="")
        letter = await LetterService(db, app.state.settings).generate_for_member(
            community, actor, member_id, app.state.clock.now(), valid_days=valid_days
        )
    return letter.code


async def login(client: AsyncTestClient, creds: Credentials, offset_steps: int = 0) -> None:
    """Log a test account in (asserting success)."""
    response = await post_form(client, "/login", {"login": creds.login, "password": creds.password,
                                                  "code": creds.code(offset_steps), "next": "/"},
                               follow_redirects=False)
    assert response.status_code == 303, response.text


def token_of(response: Response) -> str:
    """The sealed journey state in a step page."""
    match = TOKEN.search(response.text)
    assert match, response.text
    return match.group(1)


def totp_code(response: Response) -> str:
    """The current code of the authenticator key shown on the enrolment page (as an app would compute it)."""
    match = TOTP_KEY.search(response.text)
    assert match, response.text
    return pyotp.TOTP(match.group(1).replace(" ", "")).now()


@dataclass
class Journey:
    """Drives the activation pages like a browser without JavaScript."""

    client: AsyncTestClient

    async def code(self, code: str) -> Response:
        """Step 1."""
        return await post_form(self.client, "/activate", {"code": code})

    async def identity(self, code: str, name: str, last4: str) -> Response:
        """Steps 1-2."""
        step1 = await self.code(code)
        assert step1.status_code == 200, step1.text
        return await post_form(self.client, "/activate/identity",
                               {"token": token_of(step1), "name": name, "id_last4": last4})

    async def credentials(self, code: str, name: str, last4: str, login: str) -> Response:
        """Steps 1-3."""
        step2 = await self.identity(code, name, last4)
        assert step2.status_code == 200 and "/activate/credentials" in step2.text, step2.text
        return await post_form(self.client, "/activate/credentials", {
            "token": token_of(step2), "login": login, "password": OWNER_PASSWORD, "password_again": OWNER_PASSWORD,
        })

    async def complete(self, code: str, name: str, last4: str, login: str) -> Response:
        """Steps 1-4: the done page with the recovery codes (or the error)."""
        step3 = await self.credentials(code, name, last4, login)
        assert step3.status_code == 200 and "/activate/totp" in step3.text, step3.text
        return await post_form(self.client, "/activate/totp", {"token": token_of(step3), "code": totp_code(step3)})


def recovery_codes(response: Response) -> list[str]:
    """The recovery codes listed on the done page."""
    block = response.text.split('id="recovery-codes"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r"<li>([a-z0-9-]+)</li>", block)


def current_step() -> int:
    """The current TOTP time step."""
    import time

    return int(time.time()) // totp.STEP_SECONDS
