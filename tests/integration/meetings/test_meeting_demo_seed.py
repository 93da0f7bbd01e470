"""The demo meetings seed: a published notice with three motions, and a committee draft."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from vote.config import Settings
from vote.db.engine import Database
from vote.db.models import Meeting, Motion
from vote.demo.meetings import seed_demo_meetings
from vote.demo.seed import seed_demo


async def test_demo_meetings_are_seeded_through_the_services(settings: Settings) -> None:
    await seed_demo(settings)
    await seed_demo_meetings(settings)
    database = Database.from_settings(settings)
    try:
        async with database.sessionmaker() as db:
            meetings = {m.status: m for m in (await db.execute(select(Meeting))).scalars()}
            counts = dict((await db.execute(select(Motion.meeting_id, func.count()).group_by(Motion.meeting_id))).all())
    finally:
        await database.dispose()
    assert set(meetings) == {"noticed", "draft"}
    noticed = meetings["noticed"]
    assert noticed.register_version_id is not None and counts[noticed.id] == 3
    assert noticed.opens_at - noticed.noticed_at >= timedelta(days=15)
