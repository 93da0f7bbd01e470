"""The activation journey in a real browser on a phone: from a letter's code to a logged-in owner,
with the authenticator codes computed by pyotp from the key the page shows."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pyotp
from sqlalchemy import select

from tests.e2e.conftest import LiveServer
from vote.config import Settings
from vote.db.engine import Database
from vote.db.models import Account, Building, Community, Unit
from vote.demo.seed import DEMO_SLUG, demo_rows
from vote.domain.accounts.sessions import AuthContext
from vote.domain.activation.services import LetterService, current_version
from vote.lib.aio import run_sync

BUILDING, NUMBER = "2号楼", "304"
PASSWORD = "my own password 2026"  # noqa: S105


def _owner() -> tuple[str, str]:
    """Name and last 4 ID characters of the demo owner of the unit (the demo register is deterministic)."""
    row = next(r for r in demo_rows() if (r.building, r.number) == (BUILDING, NUMBER))
    owner = row.owners[0]
    return owner.name, owner.id_number[-4:]


async def _letter_url(database_url: str) -> str:
    """Print one letter through the service, as the committee would, on the live server's database."""
    settings = Settings(environment="development", database_url=database_url)
    database = Database.from_settings(settings)
    try:
        async with database.sessionmaker() as db:
            community = (await db.execute(select(Community).where(Community.slug == DEMO_SLUG))).scalar_one()
            committee = (await db.execute(select(Account).where(Account.login == "committee1"))).scalar_one()
            version = await current_version(db, community.id)
            assert version is not None
            member_id = (
                await db.execute(
                    select(Unit.member_id).join(Building, Building.id == Unit.building_id).where(
                        Unit.register_version_id == version.id, Building.name == BUILDING, Unit.number == NUMBER
                    )
                )
            ).scalar_one()
            await db.commit()
            actor = AuthContext(account_id=committee.id, login=committee.login, display_name="", is_operator=False,
                                session_hash="", roles={community.id: frozenset({"committee"})})
            letter = await LetterService(db, settings).generate_for_member(
                community, actor, member_id, datetime.now(UTC), valid_days=""
            )
            return letter.url
    finally:
        await database.dispose()


def _fits_the_phone(page) -> bool:  # noqa: ANN001
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_an_owner_activates_from_the_letter_on_a_phone(live_server: LiveServer, phone) -> None:  # noqa: ANN001
    name, last4 = _owner()
    letter = urlsplit(run_sync(_letter_url(live_server.database_url)))
    code = re.search(r"code=([0-9A-Z-]+)", letter.query).group(1)

    # Scanning the QR code opens the activation page with the code filled in.
    phone.goto(f"{live_server.url}{letter.path}?{letter.query}")
    assert phone.locator("input[name=code]").input_value() == code
    assert _fits_the_phone(phone)
    phone.get_by_role("button", name="下一步").click()

    phone.get_by_role("heading", name="核对身份").wait_for()
    assert f"{BUILDING} {NUMBER}" in phone.locator("main").inner_text()
    phone.get_by_label("您的姓名").fill(name)
    phone.get_by_label("身份证号后四位").fill(last4.lower())
    phone.get_by_role("button", name="下一步").click()

    phone.get_by_role("heading", name="设置登录名和密码").wait_for()
    login = phone.get_by_label("登录名").input_value()
    assert login == "2-304"
    phone.get_by_label("密码（至少 10 个字符）").fill(PASSWORD)
    phone.get_by_label("再次输入密码").fill(PASSWORD)
    phone.get_by_role("button", name="下一步").click()

    phone.get_by_role("heading", name="绑定验证器").wait_for()
    qr = phone.locator("img.qr")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    assert _fits_the_phone(phone)
    key = phone.locator("#totp-key").inner_text().replace(" ", "")
    phone.get_by_label("应用当前显示的 6 位验证码").fill(pyotp.TOTP(key).now())
    phone.get_by_role("button", name="确认并激活").click()

    phone.get_by_role("heading", name="您的账户已激活").wait_for()
    recovery = phone.locator("#recovery-codes li").all_inner_texts()
    assert len(recovery) == 10
    assert _fits_the_phone(phone)
    header = phone.locator("header").inner_text()
    assert name[0] + "*" in header and name not in header  # logged in, shown with a masked name
    phone.get_by_role("button", name=re.compile("我已保存")).click()
    phone.get_by_text("业主", exact=True).first.wait_for()

    # Later, on the same phone: log out, and log in again with the password and a recovery code.
    phone.get_by_role("button", name="退出登录").click()
    phone.goto(f"{live_server.url}/login")
    phone.get_by_label("登录名").fill(login)
    phone.get_by_label("密码").fill(PASSWORD)
    phone.locator("input[name=code]").fill(recovery[0])
    phone.locator("main").get_by_role("button", name="登录").click()
    phone.get_by_role("button", name="退出登录").wait_for()
    assert phone.console_errors == []
