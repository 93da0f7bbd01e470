"""The whole assembly on phones: the committee drafts and publishes, owners vote, the result is public.

Two committee members draft a meeting with a special matter (6) and an election in the browser,
approve its publication and open voting (the demo tool). Two owners vote on their phones; the other
members' ballots are written to the database first (as paper ballots would be), so that the special
matter reaches its quorum. A second meeting, where only the two owners vote, has no quorum. Then the
voting windows end (moved into the past: the server runs on the real clock) and an anonymous visitor
opens the public result pages.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from tests.e2e.conftest import PHONE, LiveServer
from tests.e2e.test_voting import log_in_phone, open_meeting
from vote.config import Settings
from vote.db.engine import Database, begin_write
from vote.db.models import Account, Ballot, BallotSelection, Meeting, Member, Motion, MotionOption
from vote.demo.seed import DEMO_SLUG
from vote.domain.meetings.schemas import MotionForm
from vote.domain.meetings.services import local_input
from vote.domain.results.closing import ClosingService
from vote.ledger import services as ledger
from vote.lib.aio import run_sync
from vote.lib.clock import Clock

BROWSER_VOTERS = ("owner", "owner2")


def _open_context(browser, live_server: LiveServer, login: str):  # noqa: ANN001, ANN202
    """A phone of its own for one account, logged in."""
    context = browser.new_context(**browser._vote_devices[PHONE], locale="zh-CN")  # noqa: SLF001
    page = context.new_page()
    page.console_errors = []  # type: ignore[attr-defined]
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    log_in_phone(page, live_server, login)
    return context, page


async def _other_members_vote(database_url: str, meeting_id: int) -> int:
    """Every member not voted for by a browser voter returns yes / the first candidate; returns how many."""
    database = Database.from_settings(Settings(database_url=database_url))
    now = Clock().now()
    try:
        async with database.sessionmaker() as db:
            meeting = (await db.execute(select(Meeting).where(Meeting.id == meeting_id))).scalar_one()
            motions = list((await db.execute(select(Motion).where(Motion.meeting_id == meeting_id)
                                             .order_by(Motion.position))).scalars())
            browser_people = select(Account.person_id).where(Account.login.in_(BROWSER_VOTERS))
            members = list((await db.execute(
                select(Member.id).where(Member.register_version_id == meeting.register_version_id,
                                        Member.voter_person_id.is_(None) | Member.voter_person_id.not_in(browser_people))
            )).scalars())
            first_option = {m.id: (await db.execute(select(MotionOption.id).where(MotionOption.motion_id == m.id)
                                                    .order_by(MotionOption.position).limit(1))).scalar()
                            for m in motions}
            await begin_write(db)
            ballot_ids: list[int] = []
            for index, member_id in enumerate(members):
                for motion in motions:
                    ballot = Ballot(motion_id=motion.id, member_id=member_id, channel="paper", cast_at=now,
                                    choice="election" if motion.kind == "election" else "yes",
                                    receipt=f"J{meeting_id:03d}{motion.id:03d}{index:04d}")
                    db.add(ballot)
                    await db.flush()
                    ballot_ids.append(ballot.id)
                    if motion.kind == "election":
                        db.add(BallotSelection(ballot_id=ballot.id, option_id=first_option[motion.id]))
            await db.flush()
            await ledger.append_ballots(db, ballot_ids, now)  # every ballot has its leaf, as the cast path gives it
            await db.commit()
            return len(members)
    finally:
        await database.dispose()


async def _end_voting(database_url: str, meeting_ids: list[int]) -> None:
    """Time passes: the voting windows ended a minute ago, and the closing job ran (as cron would)."""
    database = Database.from_settings(Settings(database_url=database_url))
    now = Clock().now()
    try:
        async with database.sessionmaker() as db:
            await begin_write(db)
            await db.execute(update(Meeting).where(Meeting.id.in_(meeting_ids))
                             .values(opens_at=now - timedelta(days=2), closes_at=now - timedelta(minutes=1)))
            await db.commit()
            # The server's own job may get there first: either way each meeting closes once.
            _closed, failures = await ClosingService(db).close_due(now, trigger="cron")
            assert failures == []
    finally:
        await database.dispose()


def _vote(page, live_server: LiveServer, meeting_id: int, choice: str, candidate: str | None) -> None:  # noqa: ANN001
    """Open the meeting, choose, check, confirm: the owner's three taps."""
    page.goto(f"{live_server.url}/c/{DEMO_SLUG}/meetings/{meeting_id}")
    page.locator("label.option", has_text=choice).first.click()
    if candidate:
        page.locator("label.option", has_text=candidate).click()
    page.get_by_role("button", name="下一步：核对我的选择").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="确认投票").click()
    page.wait_for_load_state()
    assert "您的选票已投出" in page.locator("main").inner_text()


def test_from_the_committee_draft_to_the_public_result(live_server: LiveServer, browser, phone) -> None:  # noqa: ANN001
    # Committee member 1 drafts the meeting and its two motions on a phone.
    log_in_phone(phone, live_server, "committee1")
    phone.goto(f"{live_server.url}/c/{DEMO_SLUG}/meetings/new")
    start = Clock().now() + timedelta(days=16)
    phone.locator("input[name=title]").fill("全流程演示会议")
    phone.locator("input[name=opens_at]").fill(local_input(start))
    phone.locator("input[name=closes_at]").fill(local_input(start + timedelta(days=7)))
    phone.locator(f"form[action='/c/{DEMO_SLUG}/meetings/'] button[type=submit]").click()
    phone.wait_for_load_state()
    found = re.search(r"/meetings/(\d+)(\?|$)", phone.url)
    assert found, phone.url
    meeting_id = int(found.group(1))
    base = f"{live_server.url}/c/{DEMO_SLUG}/meetings/{meeting_id}"

    phone.goto(f"{base}/motions/new")
    phone.locator("input[name=title]").fill("使用维修资金更换电梯")
    phone.locator("textarea[name=body_md]").fill("预算 **80 万元**，由 2 号楼维修资金列支。")
    phone.locator("input[name=matter][value='6']").check()
    phone.locator("form.stack button[type=submit]").click()
    phone.wait_for_load_state()
    phone.goto(f"{base}/motions/new")
    phone.locator("input[name=title]").fill("增补业委会委员")
    phone.locator("input[name=matter][value='3']").check()
    phone.locator("input[name=kind][value='election']").check()
    phone.locator("input[name=seats]").fill("1")
    phone.locator("textarea[name=candidates]").fill("孙丽\n周强")
    phone.locator("form.stack button[type=submit]").click()
    phone.wait_for_load_state()
    assert phone.url.startswith(base)
    page_text = phone.locator("main").inner_text()
    assert "使用维修资金更换电梯" in page_text and "增补业委会委员" in page_text
    phone.locator(f"form[action='/c/{DEMO_SLUG}/meetings/{meeting_id}/approve'] button").click()
    phone.wait_for_load_state()
    phone.get_by_role("button", name="确认批准").click()  # an approval cannot be taken back: confirm it
    phone.wait_for_load_state()

    # Committee member 2 approves on another phone: the notice is published; the demo tool opens voting.
    context2, second = _open_context(browser, live_server, "committee2")
    try:
        second.goto(base)
        second.locator(f"form[action='/c/{DEMO_SLUG}/meetings/{meeting_id}/approve'] button").click()
        second.wait_for_load_state()
        assert "此操作不可撤销" in second.locator("main").inner_text()  # this approval publishes
        second.get_by_role("button", name="确认批准").click()
        second.wait_for_load_state()
        second.locator(f"form[action='/c/{DEMO_SLUG}/meetings/{meeting_id}/demo-open'] button").click()
        second.wait_for_load_state()
        assert second.console_errors == []
    finally:
        context2.close()

    others = run_sync(_other_members_vote(live_server.database_url, meeting_id))
    assert others > 10
    thin_id = run_sync(open_meeting(live_server.database_url, "临时会议：更换垃圾桶",
                                    (MotionForm(title="更换垃圾桶", matter="9"),)))

    # Two owners vote on their phones, in both meetings.
    for login, choice, candidate in (("owner", "同意", "孙丽"), ("owner2", "反对", "周强")):
        context, owner = _open_context(browser, live_server, login)
        try:
            _vote(owner, live_server, meeting_id, choice, candidate)
            _vote(owner, live_server, thin_id, choice, None)
            assert owner.console_errors == []
        finally:
            context.close()

    # The windows end; anyone opens the public result pages.
    run_sync(_end_voting(live_server.database_url, [meeting_id, thin_id]))
    context = browser.new_context(**browser._vote_devices[PHONE], locale="zh-CN")  # noqa: SLF001
    try:
        visitor = context.new_page()
        visitor.goto(f"{base}/result")
        special, election = visitor.locator("section.motion-result").all()
        assert "outcome-passed" in special.locator("p.outcome").get_attribute("class")
        # A special matter: participation and approval, each by area and by heads, all four met.
        assert special.locator("ul.checks li.met").count() == 4
        assert special.locator("ul.checks li.not-met").count() == 0
        assert election.locator("li.candidate-elected").inner_text().startswith("孙丽")
        visitor.goto(f"{live_server.url}/c/{DEMO_SLUG}/meetings/{thin_id}/result")
        thin = visitor.locator("section.motion-result")
        assert "outcome-no-quorum" in thin.locator("p.outcome").get_attribute("class")
        assert thin.locator("tr[data-row=participated] td").nth(1).inner_text().startswith("2")
    finally:
        context.close()
