"""Deliberation on a phone: discuss a motion (with an inline htmx reply), propose an amendment, two
committee members adopt it (each confirms), and the new revision shows its diff. Injected scripts in posts and in the motion
body never run, and the page reports no CSP violation or console error."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pyotp
from sqlalchemy import select

from tests.e2e.conftest import LiveServer
from vote.config import Settings
from vote.db.engine import Database, begin_write
from vote.db.models import Account, Community, Meeting, Motion, MotionRevision, Role, Unit, UnitOwner
from vote.demo.seed import DEMO_PASSWORD
from vote.domain.accounts import totp
from vote.domain.accounts.services import AccountService, IpLimiter
from vote.domain.meetings.snapshot import freeze_rules
from vote.domain.roster.services import OwnerRecord, RegisterRow, RosterService
from vote.lib.aio import run_sync
from vote.lib.clock import Clock
from vote.lib.crypto import SecretBox

SLUG = "e2e-deliberation"
MOTION_BODY = "更换 2 号楼电梯，预算 **30 万元**。\n\n<script>window.__pwned = 'motion'</script>"
INJECTION = "<script>window.__pwned = 'post'</script><img src=x onerror=\"window.__pwned = 'img'\"> **要加装监控吗？**"


@dataclass(frozen=True)
class Stage:
    """What the test seeded in the live server's database."""

    motion_id: int
    owner_login: str
    owner_secret: str
    committee_login: str
    committee_secret: str
    second_login: str
    second_secret: str


async def _seed(server: LiveServer) -> Stage:
    """A community of its own (others' tests count the demo committee), a motion in its notice period,
    an owner of 2号楼 301 and two committee members with known TOTP keys."""
    settings = Settings(environment="development", database_url=server.database_url, demo_mode=True)
    database = Database.from_settings(settings)
    now = Clock().now()
    rows = [RegisterRow("2号楼", f"{floor}01", "flat", 9000 + floor * 100, "registry",
                        (OwnerRecord(f"赵{floor}", f"33010619800101{floor:03d}X", f"1390000{floor:04d}"),))
            for floor in range(1, 6)]
    try:
        async with database.sessionmaker() as db:
            await begin_write(db)
            community = Community(slug=SLUG, name="讨论测试小区", address="测试路 2 号", created_at=now)
            db.add(community)
            await db.flush()
            version = await RosterService(db, settings.secret_key).create_version(
                community.id, rows, source_name="e2e", now=now, actor_account_id=None
            )
            person_id = (
                await db.execute(
                    select(UnitOwner.person_id).join(Unit, Unit.id == UnitOwner.unit_id)
                    .where(Unit.register_version_id == version.id, Unit.number == "301")
                )
            ).scalar_one()
            meeting = Meeting(community_id=community.id, register_version_id=version.id, title="电梯更新会议",
                              status="noticed", noticed_at=now, opens_at=now + timedelta(days=16),
                              closes_at=now + timedelta(days=23), created_at=now)
            freeze_rules(meeting, community)
            db.add(meeting)
            await db.flush()
            motion = Motion(meeting_id=meeting.id, position=1, matter=5)
            db.add(motion)
            await db.flush()
            db.add(MotionRevision(motion_id=motion.id, number=1, title="更换 2 号楼电梯", body_md=MOTION_BODY,
                                  created_at=now, published_at=now))
            service = AccountService(db, SecretBox(settings.secret_key, "totp"), IpLimiter())
            secrets: dict[str, str] = {}
            for login, role, person in (("e2e-delib-owner", "owner", person_id),
                                        ("e2e-delib-committee", "committee", None),
                                        ("e2e-delib-committee2", "committee", None)):
                account = Account(login=login, display_name=login, person_id=person, created_at=now,
                                  activated_at=now)
                db.add(account)
                await db.flush()
                secrets[login] = totp.new_secret()
                await service.set_credentials(account, DEMO_PASSWORD, secrets[login])
                db.add(Role(account_id=account.id, community_id=community.id, role=role, granted_at=now))
            await db.commit()
            return Stage(motion.id, "e2e-delib-owner", secrets["e2e-delib-owner"], "e2e-delib-committee",
                         secrets["e2e-delib-committee"], "e2e-delib-committee2", secrets["e2e-delib-committee2"])
    finally:
        await database.dispose()


def _log_in(phone, server: LiveServer, login: str, secret: str, next_path: str) -> None:  # noqa: ANN001
    """Log in through the form and land on ``next_path``."""
    phone.goto(f"{server.url}/login?next={next_path}")
    phone.get_by_label("登录名").fill(login)
    phone.get_by_label("密码").fill(server.password)
    phone.locator("input[name=code]").fill(pyotp.TOTP(secret).now())
    phone.get_by_role("button", name="登录").last.click()
    phone.wait_for_url(re.compile(re.escape(next_path)))


def test_discuss_amend_adopt_with_diff_and_injection_stays_inert(live_server: LiveServer, phone) -> None:  # noqa: ANN001
    stage = run_sync(_seed(live_server))
    discussion = f"/c/{SLUG}/motions/{stage.motion_id}/discussion"
    amendments = f"/c/{SLUG}/motions/{stage.motion_id}/amendments"

    # The owner discusses: the motion's injected script is shown as text and never runs.
    _log_in(phone, live_server, stage.owner_login, stage.owner_secret, discussion)
    phone.get_by_text("阅读全文").click()
    assert phone.locator(".motion-body strong").inner_text() == "30 万元"
    assert "<script>" in phone.locator(".motion-body").inner_text()
    phone.get_by_label("您的意见或问题").fill(INJECTION)
    phone.get_by_role("button", name="发表", exact=True).click()
    phone.wait_for_load_state()
    post = phone.locator("article.post").first
    assert post.locator("strong").first.inner_text() == "2号楼 业主"
    assert post.locator(".post-body strong").inner_text() == "要加装监控吗？"
    assert "<img src=x" in post.locator(".post-body").inner_text()
    assert phone.locator(".post-body img, .post-body script").count() == 0
    assert phone.evaluate("window.__pwned") is None

    # An inline reply with htmx: the thread is updated in place, without leaving the page.
    url_before = phone.url
    phone.get_by_text("回复", exact=True).first.click()
    phone.get_by_label("您的回复").fill("我也想知道。")
    phone.get_by_role("button", name="发表回复").click()
    phone.locator(".reply-list").get_by_text("我也想知道。").wait_for()
    assert phone.url == url_before
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # fits the phone

    # The owner proposes an amendment: a lower budget.
    phone.goto(live_server.url + amendments)
    body = phone.get_by_label("新文本（修改建议）：在现行文本上修改")
    body.fill(body.input_value().replace("30 万元", "25 万元"))
    phone.get_by_label("您的说明（修改建议）或反对意见").fill("报价可以更低。")
    phone.get_by_role("button", name="提交业委会").click()
    phone.wait_for_load_state()
    phone.get_by_text("待业委会处理").wait_for()
    assert phone.evaluate("window.__pwned") is None
    assert phone.console_errors == []

    # The committee adopts it: two members, each confirming; then revision 2, with the change shown
    # against revision 1.
    for login, secret in ((stage.committee_login, stage.committee_secret), (stage.second_login, stage.second_secret)):
        phone.context.clear_cookies()
        _log_in(phone, live_server, login, secret, amendments)
        phone.get_by_role("button", name="采纳为新的修订版本").click()
        phone.wait_for_load_state()
        phone.get_by_role("button", name="确认批准").click()
        phone.wait_for_load_state()
    phone.get_by_text("业委会已采纳该修改建议，形成第 2 版。").wait_for()
    phone.get_by_role("link", name="查看全部修订及改动").click()
    phone.wait_for_load_state()
    assert "30" in phone.locator(".diff del").first.inner_text()
    assert "25" in phone.locator(".diff ins").first.inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert phone.evaluate("window.__pwned") is None
    assert phone.console_errors == []
