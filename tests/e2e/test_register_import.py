"""The committee imports a register on a phone: every problem listed, then a preview with the diff
against the demo register, discarded so the live register stays as it was. No script error."""

from __future__ import annotations

import re

import pyotp
from sqlalchemy import delete, func, select

from tests.e2e.conftest import LiveServer
from tests.integration.roster.register_files import csv_bytes, good_rows
from vote.config import Settings
from vote.db.engine import Database, begin_write
from vote.db.models import Account, Community, RegisterVersion, Role
from vote.demo.seed import DEMO_PASSWORD, DEMO_SLUG
from vote.domain.accounts import totp
from vote.domain.accounts.services import AccountService, IpLimiter
from vote.lib.aio import run_sync
from vote.lib.clock import Clock
from vote.lib.crypto import SecretBox

LOGIN = "e2e-roster-committee"


async def _committee_member(server: LiveServer) -> tuple[str, int]:
    """A committee member of the demo community with a known TOTP key; and the register's version count."""
    settings = Settings(environment="development", database_url=server.database_url, demo_mode=True)
    database = Database.from_settings(settings)
    now = Clock().now()
    try:
        async with database.sessionmaker() as db:
            await begin_write(db)
            community = (await db.execute(select(Community).where(Community.slug == DEMO_SLUG))).scalar_one()
            account = Account(login=LOGIN, display_name=LOGIN, created_at=now, activated_at=now)
            db.add(account)
            await db.flush()
            secret = totp.new_secret()
            await AccountService(db, SecretBox(settings.secret_key, "totp"), IpLimiter()).set_credentials(
                account, DEMO_PASSWORD, secret)
            db.add(Role(account_id=account.id, community_id=community.id, role="committee", granted_at=now))
            await db.commit()
        return secret, await _versions(server)
    finally:
        await database.dispose()


async def _step_down(server: LiveServer) -> None:
    """Remove the test's committee role again: other tests count the demo committee's members."""
    database = Database.from_settings(Settings(environment="development", database_url=server.database_url))
    try:
        async with database.sessionmaker() as db:
            await begin_write(db)
            account_id = (await db.execute(select(Account.id).where(Account.login == LOGIN))).scalar_one()
            await db.execute(delete(Role).where(Role.account_id == account_id))
            await db.commit()
    finally:
        await database.dispose()


async def _versions(server: LiveServer) -> int:
    """How many register versions the live database holds."""
    database = Database.from_settings(Settings(environment="development", database_url=server.database_url))
    try:
        async with database.sessionmaker() as db:
            return (await db.execute(select(func.count(RegisterVersion.id)))).scalar_one()
    finally:
        await database.dispose()


def test_committee_previews_and_discards_an_import_on_a_phone(live_server: LiveServer, phone, tmp_path) -> None:  # noqa: ANN001
    secret, versions_before = run_sync(_committee_member(live_server))
    try:
        register = f"/c/{DEMO_SLUG}/register"
        phone.goto(f"{live_server.url}/login?next={register}")
        phone.get_by_label("登录名").fill(LOGIN)
        phone.get_by_label("密码").fill(live_server.password)
        phone.locator("input[name=code]").fill(pyotp.TOTP(secret).now())
        phone.get_by_role("button", name="登录").last.click()
        phone.wait_for_url(re.compile(re.escape(register)))
        assert "当前名册：第 1 版" in phone.content()

        bad = good_rows()
        bad[0][3] = "0"
        bad[2][2] = "别墅"
        (tmp_path / "bad.csv").write_bytes(csv_bytes(bad))
        phone.get_by_role("button", name="导入名册文件").click()
        phone.get_by_label("名册文件（CSV 或 Excel .xlsx）").set_input_files(str(tmp_path / "bad.csv"))
        phone.get_by_role("button", name="检查文件并预览").click()
        problems = phone.locator("#import-problems")
        problems.wait_for()
        assert "第 2 行「面积」：必须大于 0" in problems.inner_text()
        assert "第 4 行「类型」：未知的房屋类型“别墅”" in problems.inner_text()

        (tmp_path / "good.csv").write_bytes(csv_bytes(good_rows()))
        phone.get_by_label("名册文件（CSV 或 Excel .xlsx）").set_input_files(str(tmp_path / "good.csv"))
        phone.get_by_role("button", name="检查文件并预览").click()
        phone.wait_for_url(re.compile(r"/register/imports/\d+$"))
        diff = phone.locator("#diff").inner_text()
        assert "与第 1 版相比的变动" in diff and "删除房屋：53 套" in diff and "变更房屋：" in diff
        assert "王伟" not in phone.content()  # owners by masked names only
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= phone.viewport_size["width"] + 1  # the preview fits the phone

        phone.get_by_role("button", name="放弃").click()
        phone.wait_for_url(re.compile(re.escape(register) + "$"))
        assert "有一次导入等待确认" not in phone.content()
        assert run_sync(_versions(live_server)) == versions_before
        # The page with the problems is answered 422 on purpose; the browser logs that status, nothing else.
        assert [e for e in phone.console_errors if "status of 422" not in e] == []
    finally:
        run_sync(_step_down(live_server))
