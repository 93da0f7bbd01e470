"""The published result on a phone: the announcement, the receipt check in place, and the print view."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import select, update

from tests.e2e.conftest import LiveServer
from tests.support.factories import (
    MotionSpec,
    close_due_meetings,
    create_published_meeting,
    db_session,
    record_ballot,
)
from vote.config import Settings
from vote.db.models import Community, Meeting, Member, RegisterVersion
from vote.demo.seed import DEMO_SLUG
from vote.lib.aio import run_sync
from vote.lib.clock import Clock


async def _closed_meeting(live_server: LiveServer) -> tuple[int, str]:
    """A meeting of the demo community whose window ended a minute ago; every member voted, two said no."""
    live = SimpleNamespace(state=SimpleNamespace(settings=Settings(database_url=live_server.database_url),
                                                 clock=Clock()))
    async with db_session(live) as db:  # type: ignore[arg-type]
        community = (await db.execute(select(Community).where(Community.slug == DEMO_SLUG))).scalar_one()
        version = (await db.execute(select(RegisterVersion.id).where(RegisterVersion.community_id == community.id)
                                    .order_by(RegisterVersion.number.desc()).limit(1))).scalar_one()
        members = (await db.execute(select(Member.id).where(Member.register_version_id == version)
                                    .order_by(Member.id))).scalars().all()
    now = live.state.clock.now()
    meeting = await create_published_meeting(
        live, community.id, version, [MotionSpec("结果页演示：更换小区门禁系统", matter=5)],  # type: ignore[arg-type]
        title="结果页演示会议", opens_at=now - timedelta(days=7), closes_at=now + timedelta(hours=1),
    )
    receipts = [await record_ballot(live, meeting.motion_ids[0], member, "no" if i < 2 else "yes")  # type: ignore[arg-type]
                for i, member in enumerate(members)]
    async with db_session(live) as db:  # type: ignore[arg-type]  # the window ends once everyone has voted
        await db.execute(update(Meeting).where(Meeting.id == meeting.meeting_id)
                         .values(closes_at=now - timedelta(minutes=1)))
        await db.commit()
    await close_due_meetings(live)  # type: ignore[arg-type]  # as the server's job or cron would
    return meeting.meeting_id, receipts[-1]


def test_the_result_announcement_on_a_phone(live_server: LiveServer, phone) -> None:  # noqa: ANN001
    meeting_id, receipt = run_sync(_closed_meeting(live_server))
    url = f"{live_server.url}/c/{DEMO_SLUG}/meetings/{meeting_id}/result"
    phone.goto(url)
    assert phone.get_by_role("heading", level=1).inner_text() == "结果页演示会议"
    assert phone.locator(".outcome strong").inner_text() == "通过"
    assert phone.locator("[data-state=preliminary]").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    phone.get_by_label("回执码").fill(receipt)
    phone.get_by_role("button", name="查验").click()
    phone.locator("[data-receipt=found]").wait_for()
    assert "您的表决票已计入结果" in phone.locator("#receipt-answer").inner_text()
    assert phone.url == url  # answered in place by htmx

    phone.emulate_media(media="print")
    assert phone.locator(".site-header").is_hidden()
    assert phone.locator("#receipt-check").is_hidden()
    assert phone.locator(".motion-result").is_visible()
    assert phone.console_errors == []
