"""The final result through the committee-approvals module: the same committee as everywhere (its
active members), and simultaneous approvals (on SQLite and PostgreSQL) that publish it exactly once."""

from __future__ import annotations

from datetime import timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from tests.integration.meetings.test_meeting_approvals import deactivate
from tests.integration.results.test_results_publication import _approve, _approvals, _closed_meeting, _status
from tests.support.factories import create_account, db_session
from tests.support.http import post_at_once
from vote.db.models import AuditEvent


async def test_simultaneous_approvals_publish_the_final_result_once(app: Litestar, client: AsyncTestClient,
                                                                   login) -> None:  # noqa: ANN001
    community_id, meeting_id = await _closed_meeting(app, client)
    members = [await create_account(app, f"c{i}", community_id=community_id, roles=("committee",)) for i in range(5)]
    app.state.clock.advance(timedelta(days=5, minutes=1))
    clients = [await login(m) for m in members]
    codes = await post_at_once(clients, f"/c/garden/meetings/{meeting_id}/result/approve", {"confirm": "yes"})
    assert await _status(app, meeting_id) == "final"
    async with db_session(app) as db:
        published = (await db.execute(select(func.count()).select_from(AuditEvent)
                                      .where(AuditEvent.action == "result_published_final"))).scalar_one()
    assert published == 1
    assert await _approvals(app, meeting_id) == 3  # a majority of five; the later two found it final
    assert codes == [303, 303, 303, 409, 409], codes


async def test_a_switched_off_member_is_not_in_the_committee(app: Litestar, client: AsyncTestClient,
                                                             login) -> None:  # noqa: ANN001
    community_id, meeting_id = await _closed_meeting(app, client)
    members = [await create_account(app, f"c{i}", community_id=community_id, roles=("committee",)) for i in range(4)]
    app.state.clock.advance(timedelta(days=5, minutes=1))
    first, second = await login(members[0]), await login(members[1])
    await _approve(await login(members[3]), meeting_id)
    # Four members need three; once the fourth is switched off, three members need two, and
    # the approval the fourth gave no longer counts.
    assert "已同意：1 人，需 3 人" in (await first.get(f"/c/garden/meetings/{meeting_id}/result")).text
    await deactivate(app, members[3].account_id)
    page = await first.get(f"/c/garden/meetings/{meeting_id}/result")
    assert "已同意：0 人，需 2 人（业主委员会 3 名委员的过半数" in page.text
    await _approve(first, meeting_id)
    assert await _status(app, meeting_id) == "preliminary"
    await _approve(second, meeting_id)
    assert await _status(app, meeting_id) == "final"
