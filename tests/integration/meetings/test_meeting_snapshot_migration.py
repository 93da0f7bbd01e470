"""The migration that adds the meeting's rules snapshot fills it for meetings published before it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from litestar import Litestar
from sqlalchemy import select, update

from tests.support.factories import (
    MotionSpec,
    close_due_meetings,
    create_community,
    create_discussed_motion,
    create_published_meeting,
    create_register,
    db_session,
    past_window,
    stored_results,
    unit_row,
)
from vote.db import migrate
from vote.db.models import Community, Meeting, Motion
from vote.rules.fingerprint import preset_hash

SNAPSHOT = (Meeting.rule_preset, Meeting.rule_hash, Meeting.parking_counts, Meeting.notice_days,
            Meeting.objection_days)


async def test_published_meetings_get_the_rules_that_decided_them(app: Litestar) -> None:
    community_id = await create_community(app, slug="garden", parking_counts=True)
    version_id = await create_register(app, community_id, [unit_row("1号楼", "101", 10000, "甲"),
                                                           unit_row("车库", "P-1", 1250, "乙", kind="parking")])
    closed = await create_published_meeting(app, community_id, version_id, [MotionSpec()], **past_window(app))
    assert await close_due_meetings(app) == [closed.meeting_id]
    now = app.state.clock.now()
    running = await create_published_meeting(app, community_id, version_id, [MotionSpec()],
                                             opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=8))
    draft_motion = await create_discussed_motion(app, community_id, version_id, status="draft")
    async with db_session(app) as db:
        draft_id = (await db.execute(select(Motion.meeting_id).where(Motion.id == draft_motion))).scalar_one()
        # The community's settings changed after both were published.
        await db.execute(update(Community).where(Community.id == community_id).values(
            rule_preset="de-weg-2020", parking_counts=False, notice_days=12, objection_days=9))
        await db.commit()

    settings = app.state.settings
    await asyncio.to_thread(migrate.downgrade, settings, "f1a2b3c4d5e6-1")
    await asyncio.to_thread(migrate.upgrade, settings)

    async with db_session(app) as db:
        rows = {meeting_id: tuple(rest) for meeting_id, *rest in
                (await db.execute(select(Meeting.id, *SNAPSHOT))).all()}
    # A closed meeting keeps the rule and parking setting its stored results were decided by.
    assert rows[closed.meeting_id] == ("cn-civil-code-2021", preset_hash("cn-civil-code-2021"), True, 12, 9)
    # A meeting still to be decided takes the community's settings: the best record there is.
    assert rows[running.meeting_id] == ("de-weg-2020", preset_hash("de-weg-2020"), False, 12, 9)
    assert rows[draft_id] == (None, None, None, None, None)
    # SQLite copies the meeting table: nothing that refers to it was lost on the way.
    async with db_session(app) as db:
        assert len((await db.execute(select(Motion.id))).all()) == 3
    assert list(await stored_results(app, closed.meeting_id)) == closed.motion_ids
