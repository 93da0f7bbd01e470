"""Closing is a job, not a side effect: the scheduler in the server and cron close due meetings,
exactly once however many closers race, and reading a result page never writes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update

from tests.conftest import BASE_URL
from tests.support.factories import (
    MotionSpec,
    create_community,
    create_published_meeting,
    create_register,
    db_session,
    member_ids,
    past_window,
    record_ballot,
    stored_results,
    unit_row,
)
from vote.app import create_app
from vote.db.models import AuditEvent, Meeting, MotionResult
from vote.domain.results.closing import ClosingService


async def _due_meetings(app: Litestar, count: int = 2) -> list:
    """``count`` meetings whose window ended a minute ago, two motions each, with ballots."""
    community_id = await create_community(app, slug="garden")
    version_id = await create_register(app, community_id, [unit_row("1号楼", f"10{i}", 10000, f"业主{i}")
                                                           for i in range(1, 4)])
    members = await member_ids(app, version_id)
    meetings = []
    for n in range(count):
        meeting = await create_published_meeting(app, community_id, version_id,
                                                 [MotionSpec(matter=4), MotionSpec(matter=6)],
                                                 title=f"第 {n + 1} 次会议", **past_window(app))
        for i in range(1, 4):
            await record_ballot(app, meeting.motion_ids[0], members[f"1号楼/10{i}"], "yes")
        meetings.append(meeting)
    return meetings


async def _writes(app: Litestar) -> tuple:
    """What a close would change: the meetings' states, the results and the audit log."""
    async with db_session(app) as db:
        meetings = (await db.execute(select(Meeting.id, Meeting.status, Meeting.preliminary_at,
                                            Meeting.objection_until).order_by(Meeting.id))).all()
        results = (await db.execute(select(func.count()).select_from(MotionResult))).scalar_one()
        audit = (await db.execute(select(func.count(), func.max(AuditEvent.id)))).one()
    return tuple(meetings), results, tuple(audit)


async def _closed_entries(app: Litestar) -> list[dict]:
    async with db_session(app) as db:
        return list((await db.execute(select(AuditEvent.detail).where(AuditEvent.action == "meeting_closed")
                                      .order_by(AuditEvent.id))).scalars())


async def test_closers_racing_on_separate_connections_close_each_meeting_once(app: Litestar) -> None:
    meetings = await _due_meetings(app)
    now = app.state.clock.now()

    async def closer(trigger: str) -> list[int]:
        # Each closer has its own engine and connections, like another server process or cron.
        async with db_session(app) as db:
            closed, failures = await ClosingService(db).close_due(now, trigger=trigger)
        assert failures == []
        return [meeting.meeting_id for meeting in closed]

    outcomes = await asyncio.gather(closer("scheduler"), closer("cron"), closer("scheduler"))
    closed = sorted(m for outcome in outcomes for m in outcome)
    assert closed == sorted(m.meeting_id for m in meetings)  # each meeting closed by exactly one closer
    assert len(await _closed_entries(app)) == len(meetings)
    for meeting in meetings:
        results = await stored_results(app, meeting.meeting_id)
        assert sorted(results) == sorted(meeting.motion_ids)
    async with db_session(app) as db:
        assert (await db.execute(select(func.count()).select_from(MotionResult))).scalar_one() == 4
        statuses = set((await db.execute(select(Meeting.status))).scalars())
    assert statuses == {"preliminary"}
    # Another round finds nothing to do.
    assert await closer("cron") == []


async def test_an_anonymous_visit_to_a_due_meeting_writes_nothing(app: Litestar, client: AsyncTestClient) -> None:
    (meeting,) = await _due_meetings(app, count=1)
    receipt = await record_ballot(app, meeting.motion_ids[1], (await _any_member(app)), "no")
    before = await _writes(app)
    base = f"/c/garden/meetings/{meeting.meeting_id}"

    page = await client.get(f"{base}/result")
    assert page.status_code == 200 and 'data-state="counting"' in page.text and "正在计票" in page.text
    assert (await client.get(f"{base}/motions/{meeting.motion_ids[0]}/result.json")).status_code == 404
    assert (await client.get(f"{base}/result/receipt", params={"code": receipt})).status_code == 404
    assert (await client.get(f"/c/garden/meetings/{meeting.meeting_id}")).status_code == 200
    assert await _writes(app) == before

    async with db_session(app) as db:
        assert await ClosingService(db).close_due(app.state.clock.now(), trigger="cron")
    assert 'data-state="preliminary"' in (await client.get(f"{base}/result")).text


async def _any_member(app: Litestar) -> int:
    from vote.db.models import Member

    async with db_session(app) as db:
        return (await db.execute(select(Member.id).order_by(Member.id).limit(1))).scalar_one()


async def test_the_scheduler_inside_the_server_closes_a_due_meeting(app: Litestar) -> None:
    meetings = await _due_meetings(app, count=1)
    assert app.state.settings.close_due_interval_seconds == 0  # off in tests unless a test turns it on
    server = create_app(app.state.settings.with_(close_due_interval_seconds=1))
    try:
        async with AsyncTestClient(app=server, base_url=BASE_URL) as client:  # runs the start-up hooks
            for _ in range(100):
                if await _closed_entries(app):
                    break
                await asyncio.sleep(0.1)
            page = await client.get(f"/c/garden/meetings/{meetings[0].meeting_id}/result")
            assert 'data-state="preliminary"' in page.text
    finally:
        await server.state.db.dispose()
    (entry,) = await _closed_entries(app)
    assert entry["trigger"] == "scheduler"
    assert sorted(await stored_results(app, meetings[0].meeting_id)) == sorted(meetings[0].motion_ids)
    assert server.state.closing._task is None  # stopped with the server  # noqa: SLF001


async def test_a_meeting_not_yet_due_is_left_alone_by_the_job(app: Litestar) -> None:
    community_id = await create_community(app, slug="garden")
    version_id = await create_register(app, community_id, [unit_row("1号楼", "101", 10000, "业主")])
    now = app.state.clock.now()
    meeting = await create_published_meeting(app, community_id, version_id, [MotionSpec()],
                                             opens_at=now - timedelta(days=1), closes_at=now + timedelta(minutes=5))
    async with db_session(app) as db:
        assert await ClosingService(db).close_due(now, trigger="scheduler") == ([], [])
    assert await stored_results(app, meeting.meeting_id) == {}


async def test_a_preset_whose_thresholds_changed_since_the_notice_does_not_decide(app: Litestar) -> None:
    (meeting,) = await _due_meetings(app, count=1)
    async with db_session(app) as db:
        await db.execute(update(Meeting).where(Meeting.id == meeting.meeting_id).values(rule_hash="0" * 64))
        await db.commit()
    async with db_session(app) as db:
        closed, failures = await ClosingService(db).close_due(app.state.clock.now(), trigger="cron")
    assert closed == [] and len(failures) == 1 and f"meeting {meeting.meeting_id}" in failures[0]
    assert await stored_results(app, meeting.meeting_id) == {}
    assert await _closed_entries(app) == []
    async with db_session(app) as db:
        assert (await db.execute(select(Meeting.status).where(Meeting.id == meeting.meeting_id))).scalar_one() == "noticed"
