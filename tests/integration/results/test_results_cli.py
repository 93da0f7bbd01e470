"""``vote meetings close-due``: the cron job that closes every meeting whose window has ended."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from litestar import Litestar
from sqlalchemy import select

from tests.conftest import TEST_SECRET
from tests.support.factories import (
    MotionSpec,
    create_community,
    create_published_meeting,
    create_register,
    db_session,
    member_ids,
    record_ballot,
    unit_row,
)
from vote.__main__ import main
from vote.db.models import Meeting


async def test_close_due_closes_ended_meetings_once_and_leaves_open_ones(
    app: Litestar, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    community_id = await create_community(app, slug="garden")
    version_id = await create_register(app, community_id, [unit_row("1号楼", f"10{i}", 10000, f"业主{i}")
                                                           for i in range(1, 4)])
    members = await member_ids(app, version_id)
    now = app.state.clock.now()
    ended = await create_published_meeting(app, community_id, version_id, [MotionSpec("更换物业", matter=4)],
                                           opens_at=now - timedelta(days=5), closes_at=now - timedelta(minutes=5))
    running = await create_published_meeting(app, community_id, version_id, [MotionSpec(matter=1)])
    for i in range(1, 4):
        await record_ballot(app, ended.motion_ids[0], members[f"1号楼/10{i}"], "yes")
    for name, value in {"VOTE_DATABASE_URL": app.state.settings.database_url, "VOTE_SECRET_KEY": TEST_SECRET,
                        "VOTE_ENV": "test", "VOTE_DATA_DIR": str(tmp_path)}.items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()

    assert await asyncio.to_thread(main, ["meetings", "close-due"]) == 0
    out = capsys.readouterr().out
    assert f"closed meeting {ended.meeting_id}" in out and f"motion {ended.motion_ids[0]}: passed" in out
    assert f"closed meeting {running.meeting_id}" not in out
    async with db_session(app) as db:
        statuses = dict((await db.execute(select(Meeting.id, Meeting.status))).all())
    assert statuses == {ended.meeting_id: "preliminary", running.meeting_id: "noticed"}

    assert await asyncio.to_thread(main, ["meetings", "close-due"]) == 0
    assert "no meeting is due to close" in capsys.readouterr().out
