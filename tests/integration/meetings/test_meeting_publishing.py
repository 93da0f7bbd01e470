"""Publishing: the committee-majority approval, the notice period, the frozen agenda, revisions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from tests.conftest import BASE_URL
from tests.integration.meetings.conftest import Login
from tests.support.factories import VotingWorld, create_register, create_voting_world, db_session, log_in, simple_rows
from tests.support.http import post_form
from vote.app import create_app
from vote.db.models import Approval, AuditEvent, Meeting, MotionRevision
from vote.domain.meetings.revisions import revise_motion
from vote.domain.meetings.schemas import MeetingForm, MotionForm
from vote.domain.meetings.services import LOCAL_TZ, MeetingService, local_input
from vote.domain.meetings.snapshot import freeze_rules
from vote.lib.errors import UserError


async def service_draft(app: Litestar, world: VotingWorld, *, start_days: int = 20, days: int = 7) -> tuple[int, int]:
    """A draft with one motion, written through the service; returns (meeting id, motion id)."""
    now = app.state.clock.now()
    start = now + timedelta(days=start_days)
    async with db_session(app) as db:
        service = MeetingService(db)
        community = await _community(db, world)
        meeting = await service.create_meeting(
            community, MeetingForm(title="年度会议", opens_at=local_input(start),
                                   closes_at=local_input(start + timedelta(days=days))),
            world.committee[0].account_id, now)
        motion = await service.add_motion(community, meeting.id, MotionForm(title="续聘物业", body_md="第一行\n\n原文", matter="4"),
                                          world.committee[0].account_id, now)
        return meeting.id, motion.id


async def _community(db, world: VotingWorld):  # noqa: ANN001, ANN202
    from vote.db.models import Community

    return (await db.execute(select(Community).where(Community.id == world.community_id))).scalar_one()


async def _meeting(app: Litestar, meeting_id: int) -> Meeting:
    async with db_session(app) as db:
        return (await db.execute(select(Meeting).where(Meeting.id == meeting_id))).scalar_one()


async def _approve(client: AsyncTestClient, meeting_id: int):  # noqa: ANN202
    """Approve publication as the confirmation page does (``confirm=yes``)."""
    return await post_form(client, f"/c/garden/meetings/{meeting_id}/approve", {"confirm": "yes"},
                           follow_redirects=False)


async def test_approving_asks_for_confirmation_first(app: Litestar, world: VotingWorld, login: Login) -> None:
    meeting_id, _ = await service_draft(app, world)
    first = await login(world.committee[0])
    confirm = await post_form(first, f"/c/garden/meetings/{meeting_id}/approve", follow_redirects=False)
    assert confirm.status_code == 200 and "确认批准" in confirm.text and 'name="confirm" value="yes"' in confirm.text
    async with db_session(app) as db:
        assert (await db.execute(select(Approval))).first() is None
    await _approve(first, meeting_id)
    second = await login(world.committee[1])
    confirm = await post_form(second, f"/c/garden/meetings/{meeting_id}/approve", follow_redirects=False)
    # The second approval publishes: the page says so, and who approved before (masked).
    assert "此操作不可撤销" in confirm.text and "已批准：g*" in confirm.text
    assert (await _meeting(app, meeting_id)).status == "draft"


async def test_majority_of_three_needs_two_and_one_person_counts_once(app: Litestar, world: VotingWorld,
                                                                     login: Login) -> None:
    meeting_id, _ = await service_draft(app, world)
    first = await login(world.committee[0])
    response = await _approve(first, meeting_id)
    assert response.status_code == 303 and "done=approved" in response.headers["location"]
    assert (await _meeting(app, meeting_id)).status == "draft"
    again = await _approve(first, meeting_id)
    assert "done=already_approved" in again.headers["location"]
    assert (await _meeting(app, meeting_id)).status == "draft"
    page = await first.get(f"/c/garden/meetings/{meeting_id}")
    assert "目前已批准：1" in page.text and "已批准：g*" in page.text and f"{meeting_id}/approve" not in page.text
    second = await login(world.committee[1])
    assert f"{meeting_id}/approve" in (await second.get(f"/c/garden/meetings/{meeting_id}")).text  # others get the button
    response = await _approve(second, meeting_id)
    assert "done=published" in response.headers["location"]
    meeting = await _meeting(app, meeting_id)
    assert meeting.status == "noticed" and meeting.noticed_at is not None
    assert meeting.register_version_id == world.register_version_id
    async with db_session(app) as db:
        revisions = list((await db.execute(select(MotionRevision))).scalars())
        actions = [e.action for e in (await db.execute(select(AuditEvent).order_by(AuditEvent.id))).scalars()]
    assert all(r.published_at is not None for r in revisions)
    assert actions.count("meeting_publish_approved") == 2 and actions[-1] == "meeting_noticed"


async def test_majority_of_four_needs_three(app: Litestar, login: Login) -> None:
    world = await create_voting_world(app, committee_size=4)
    meeting_id, _ = await service_draft(app, world)
    for creds in world.committee[:2]:
        await _approve(await login(creds), meeting_id)
    assert (await _meeting(app, meeting_id)).status == "draft"
    await _approve(await login(world.committee[2]), meeting_id)
    assert (await _meeting(app, meeting_id)).status == "noticed"


async def test_a_single_committee_member_cannot_publish(app: Litestar, login: Login) -> None:
    world = await create_voting_world(app, committee_size=1)
    meeting_id, _ = await service_draft(app, world)
    response = await _approve(await login(world.committee[0]), meeting_id)
    assert response.status_code == 409 and "两名" in response.text
    assert (await _meeting(app, meeting_id)).status == "draft"
    async with db_session(app) as db:
        assert (await db.execute(select(Approval))).first() is None


async def test_notice_period_is_enforced_with_the_earliest_date(app: Litestar, world: VotingWorld,
                                                                login: Login) -> None:
    meeting_id, _ = await service_draft(app, world, start_days=10)  # notice period is 15 days
    first = await login(world.committee[0])
    response = await _approve(first, meeting_id)
    assert response.status_code == 409
    earliest = (app.state.clock.now() + timedelta(days=15)).astimezone(LOCAL_TZ).strftime("%Y-%m-%d")
    assert "15" in response.text and earliest in response.text
    async with db_session(app) as db:
        assert (await db.execute(select(Approval))).first() is None
    assert (await _meeting(app, meeting_id)).status == "draft"


async def test_a_changed_draft_needs_its_approvals_again(app: Litestar, world: VotingWorld, login: Login) -> None:
    meeting_id, _ = await service_draft(app, world)
    first, second = await login(world.committee[0]), await login(world.committee[1])
    await _approve(first, meeting_id)
    await post_form(second, f"/c/garden/meetings/{meeting_id}/motions",
                    {"title": "新增议案", "matter": "1", "kind": "question"}, follow_redirects=False)
    await _approve(second, meeting_id)
    assert (await _meeting(app, meeting_id)).status == "draft"  # the first approval was for the old draft
    await _approve(first, meeting_id)
    assert (await _meeting(app, meeting_id)).status == "noticed"


async def test_published_agenda_is_frozen_and_a_revision_restarts_the_notice(app: Litestar, world: VotingWorld,
                                                                            login: Login) -> None:
    meeting_id, motion_id = await service_draft(app, world, start_days=16)
    first, second = await login(world.committee[0]), await login(world.committee[1])
    await _approve(first, meeting_id)
    await _approve(second, meeting_id)
    before = await _meeting(app, meeting_id)
    base = f"/c/garden/meetings/{meeting_id}"
    for url, form in ((f"{base}/motions", {"title": "x", "matter": "1", "kind": "question"}),
                      (f"{base}/motions/{motion_id}/move", {"direction": "up"}),
                      (f"{base}/motions/{motion_id}/remove", {}),
                      (f"{base}/edit", {"title": "x", "scope": "all", "opens_at": local_input(before.opens_at),
                                        "closes_at": local_input(before.closes_at)})):
        response = await post_form(first, url, form, follow_redirects=False)
        assert response.status_code == 409, url
    form_page = await first.get(f"{base}/motions/{motion_id}/edit")
    assert "提交新文本，待业委会批准" in form_page.text and 'name="matter"' not in form_page.text
    app.state.clock.advance(timedelta(days=3))
    first, second = await login(world.committee[0]), await login(world.committee[1])
    owner = await login(world.owner)
    # One member proposes a new text: nothing is published, owners still read the current text.
    response = await post_form(first, f"{base}/motions/{motion_id}/edit",
                               {"title": "续聘物业", "body_md": "第一行\n\n修改后的文字"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/c/garden/motions/{motion_id}/amendments#amendment-1"
    assert (await _meeting(app, meeting_id)).noticed_at == before.noticed_at
    owner_page = await owner.get(base)
    assert "修改后的文字" not in owner_page.text and "原文" in owner_page.text
    async with db_session(app) as db:
        assert len(list((await db.execute(select(MotionRevision))).scalars())) == 1
    assert "待业委会批准的新文本：1" in (await first.get(base)).text
    proposal = await first.get(f"/c/garden/motions/{motion_id}/amendments")
    assert "目前已批准：1" in proposal.text and "您已批准采纳此文本" in proposal.text
    assert "/amendments/1/adopt" not in proposal.text  # the proposer cannot approve a second time
    assert (await post_form(first, "/c/garden/amendments/1/adopt", {"confirm": "yes"})).status_code == 200
    assert (await _meeting(app, meeting_id)).noticed_at == before.noticed_at
    # A second member approves: the approval that reaches the majority publishes the revision.
    assert "/amendments/1/adopt" in (await second.get(f"/c/garden/motions/{motion_id}/amendments")).text
    response = await post_form(second, "/c/garden/amendments/1/adopt", {"confirm": "yes"}, follow_redirects=False)
    assert response.status_code == 303
    after = await _meeting(app, meeting_id)
    now = app.state.clock.now()
    assert after.noticed_at > before.noticed_at
    assert after.opens_at >= now + timedelta(days=15) - timedelta(minutes=1)
    assert after.closes_at - after.opens_at == before.closes_at - before.opens_at
    page = await owner.get(base)
    assert "第 2 版，公告期重新计算" in page.text and "修改后的文字" in page.text
    history = await first.get(f"{base}/motions/{motion_id}")
    assert "<del>原文</del>" in history.text and "<ins>修改后的文字</ins>" in history.text


async def test_revise_motion_api(app: Litestar, world: VotingWorld) -> None:
    meeting_id, motion_id = await service_draft(app, world, start_days=16)
    now = app.state.clock.now()
    async with db_session(app) as db:
        revision = await revise_motion(db, motion_id=motion_id, title="修正案", body_md="正文",
                                       actor_account_id=None, now=now)
        await db.commit()
        assert revision.number == 2 and revision.published_at is None  # a draft: not published yet
    assert (await _meeting(app, meeting_id)).noticed_at is None
    async with db_session(app) as db:
        meeting = (await db.execute(select(Meeting).where(Meeting.id == meeting_id))).scalar_one()
        freeze_rules(meeting, await _community(db, world))  # as publication does
        meeting.status, meeting.noticed_at, meeting.register_version_id = "noticed", now, world.register_version_id
        await db.commit()
    later = now + timedelta(days=2)
    async with db_session(app) as db:
        # A noticed motion's text changes only on a committee decision: not through this function alone.
        with pytest.raises(UserError):
            await revise_motion(db, motion_id=motion_id, title="修正案二", body_md="正文二",
                                actor_account_id=world.committee[0].account_id, now=later)
        await db.rollback()
    meeting = await _meeting(app, meeting_id)
    assert meeting.noticed_at == now
    async with db_session(app) as db:
        with pytest.raises(UserError):
            await revise_motion(db, motion_id=motion_id, title="太晚", body_md="", actor_account_id=None,
                                now=meeting.opens_at)
        await db.rollback()


async def test_observer_sees_the_notice(app: Litestar, world: VotingWorld, login: Login) -> None:
    meeting_id, _ = await service_draft(app, world)
    observer = await login(world.observer)
    assert "年度会议" not in (await observer.get("/c/garden/meetings/")).text
    await _approve(await login(world.committee[0]), meeting_id)
    await _approve(await login(world.committee[1]), meeting_id)
    listing = await observer.get("/c/garden/meetings/")
    assert "年度会议" in listing.text and "已公告" in listing.text
    page = await observer.get(f"/c/garden/meetings/{meeting_id}")
    assert page.status_code == 200 and "续聘物业" in page.text and "公告时间" in page.text
    hub = await observer.get("/c/garden")
    assert "/c/garden/meetings/" in hub.text
    async with db_session(app) as db:
        noticed = (await db.execute(select(AuditEvent).where(AuditEvent.action == "meeting_noticed"))).scalar_one()
    assert noticed.object_id == str(meeting_id) and noticed.community_id == world.community_id


async def test_publishing_needs_a_register(app: Litestar, login: Login) -> None:
    world = await create_voting_world(app)
    meeting_id, _ = await service_draft(app, world)
    await create_register(app, world.community_id, simple_rows(2))  # a newer version: the one frozen
    await _approve(await login(world.committee[0]), meeting_id)
    await _approve(await login(world.committee[1]), meeting_id)
    meeting = await _meeting(app, meeting_id)
    assert meeting.register_version_id != world.register_version_id


async def test_demo_open_exists_only_in_demo_mode(app: Litestar, world: VotingWorld, login: Login) -> None:
    meeting_id, _ = await service_draft(app, world)
    await _approve(await login(world.committee[0]), meeting_id)
    committee = await login(world.committee[1])
    await _approve(committee, meeting_id)
    page = await committee.get(f"/c/garden/meetings/{meeting_id}")
    assert "演示：立即开始投票" not in page.text
    response = await post_form(committee, f"/c/garden/meetings/{meeting_id}/demo-open", follow_redirects=False)
    assert response.status_code == 404
    demo_app = create_app(app.state.settings.with_(demo_mode=True))
    try:
        async with AsyncTestClient(app=demo_app, base_url=BASE_URL) as client:
            await log_in(client, world.committee[2])
            page = await client.get(f"/c/garden/meetings/{meeting_id}")
            assert "演示：立即开始投票" in page.text
            response = await post_form(client, f"/c/garden/meetings/{meeting_id}/demo-open")
            assert response.status_code == 200 and "投票进行中" in response.text
    finally:
        await demo_app.state.db.dispose()
    meeting = await _meeting(app, meeting_id)
    assert meeting.opens_at <= app.state.clock.now() < meeting.closes_at
