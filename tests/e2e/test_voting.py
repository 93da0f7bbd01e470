"""An owner votes on a phone: log in, then three taps — open the meeting, submit the choices, confirm."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pyotp
from sqlalchemy import select

from tests.e2e.conftest import LiveServer
from vote.config import Settings
from vote.db.engine import Database
from vote.db.models import Account, Ballot, Community
from vote.demo.seed import DEMO_SLUG
from vote.domain.meetings.schemas import MeetingForm, MotionForm
from vote.domain.meetings.services import MeetingService, local_input
from vote.lib.aio import run_sync
from vote.lib.clock import Clock


async def open_meeting(database_url: str, title: str = "手机投票演示会议",
                       motions: tuple[MotionForm, ...] | None = None) -> int:
    """Draft, approve (two committee members) and open a meeting in the live server's database."""
    motions = motions or (
        MotionForm(title="更换小区监控系统", body_md="预算 **12 万元**。", matter="5"),
        MotionForm(title="增补业委会委员", matter="3", kind="election", seats="1", candidates="孙丽\n周强"),
    )
    database = Database.from_settings(Settings(database_url=database_url))
    now = Clock().now()
    try:
        async with database.sessionmaker() as db:
            community = (await db.execute(select(Community).where(Community.slug == DEMO_SLUG))).scalar_one()
            committee = dict((await db.execute(select(Account.login, Account.id)
                                               .where(Account.login.in_(("committee1", "committee2"))))).all())
            service = MeetingService(db)
            start = now + timedelta(days=community.notice_days + 1)
            meeting = await service.create_meeting(
                community, MeetingForm(title=title, opens_at=local_input(start),
                                       closes_at=local_input(start + timedelta(days=community.voting_days_min))),
                committee["committee1"], now)
            for motion in motions:
                await service.add_motion(community, meeting.id, motion, committee["committee1"], now)
            for login in ("committee1", "committee2"):
                await service.approve_publication(community, meeting.id, committee[login], now)
            await service.demo_open_now(community, meeting.id, committee["committee1"], Clock().now())
            return meeting.id
    finally:
        await database.dispose()


async def _ballots(database_url: str, meeting_id: int) -> list[tuple[str, str]]:
    from vote.db.models import Motion

    database = Database.from_settings(Settings(database_url=database_url))
    try:
        async with database.sessionmaker() as db:
            rows = await db.execute(select(Ballot.choice, Ballot.receipt).join(Motion, Motion.id == Ballot.motion_id)
                                    .where(Motion.meeting_id == meeting_id).order_by(Motion.position))
            return [tuple(row) for row in rows.all()]
    finally:
        await database.dispose()


def log_in_phone(phone, live_server: LiveServer, login: str) -> None:  # noqa: ANN001
    """Log in from the community page (the code of the current step; the next one if it was just used)."""
    secret = live_server.accounts[login].totp_secret
    for attempt in range(2):
        phone.goto(f"{live_server.url}/login?next=/c/{DEMO_SLUG}")
        phone.get_by_label("登录名").fill(login)
        phone.get_by_label("密码").fill(live_server.password)
        phone.locator("input[name=code]").fill(pyotp.TOTP(secret).now())
        phone.get_by_role("button", name="登录").last.click()
        phone.wait_for_load_state()
        if f"/c/{DEMO_SLUG}" in phone.url and "/login" not in phone.url:
            return
        time.sleep(30 - time.time() % 30 + 1)  # the code was used by another test: wait for the next one
        if hasattr(phone, "console_errors"):
            phone.console_errors.clear()  # the refused attempt's page came with a 400, as it should
    raise AssertionError("could not log in")


def test_owner_casts_a_ballot_in_three_taps(live_server: LiveServer, phone) -> None:  # noqa: ANN001
    meeting_id = run_sync(open_meeting(live_server.database_url))
    log_in_phone(phone, live_server, "owner")
    taps = 0

    phone.get_by_role("button", name="去投票").click()  # tap 1: open the meeting from the hub
    taps += 1
    phone.wait_for_load_state()
    assert phone.url.endswith(f"/meetings/{meeting_id}")
    assert phone.get_by_role("heading", level=1).inner_text() == "手机投票演示会议"
    assert "1号楼 101" in phone.locator("#ballot").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    choice = phone.locator("label.option", has_text="同意").first
    box = choice.bounding_box()
    assert box is not None and box["height"] >= 44  # a big tap target
    choice.click()
    phone.locator("label.option", has_text="孙丽").click()

    phone.get_by_role("button", name="下一步：核对我的选择").click()  # tap 2: submit the choices
    taps += 1
    phone.wait_for_load_state()
    assert phone.get_by_role("heading", level=1).inner_text() == "请核对您的选择"
    review = phone.locator("ol.review").inner_text()
    assert "同意" in review and "孙丽" in review

    phone.get_by_role("button", name="确认投票").click()  # tap 3: confirm
    taps += 1
    phone.wait_for_load_state()
    assert taps <= 3
    page = phone.locator("main").inner_text()
    assert "已投票" in page and "您的选票已投出" in page
    receipts = re.findall(r"[23456789A-HJKMNP-Z]{10}", " ".join(phone.locator("code.receipt").all_inner_texts()))
    stored = run_sync(_ballots(live_server.database_url, meeting_id))
    assert [choice for choice, _ in stored] == ["yes", "election"]
    assert sorted(receipts) == sorted(receipt for _, receipt in stored)
    assert phone.console_errors == []
