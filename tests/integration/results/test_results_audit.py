"""The audit log pages: observers and the committee read them, with the hash chain verified."""

from __future__ import annotations

from datetime import timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from tests.support.factories import (
    MotionSpec,
    close_due_meetings,
    create_account,
    create_community,
    create_published_meeting,
    create_register,
    db_session,
    unit_row,
)
from vote.db.models import AuditEvent


async def _community_with_closed_meeting(app: Litestar, client: AsyncTestClient) -> tuple[int, int]:
    community_id = await create_community(app, slug="garden")
    version_id = await create_register(app, community_id, [unit_row("1号楼", "101", 10000, "甲")])
    now = app.state.clock.now()
    meeting = await create_published_meeting(app, community_id, version_id, [MotionSpec()],
                                             opens_at=now - timedelta(days=3), closes_at=now - timedelta(minutes=1))
    assert await close_due_meetings(app) == [meeting.meeting_id]
    return community_id, meeting.meeting_id


async def test_observer_and_committee_read_the_audit_log_with_the_chain_verified(
    app: Litestar, client: AsyncTestClient, login
) -> None:  # noqa: ANN001
    community_id, meeting_id = await _community_with_closed_meeting(app, client)
    observer = await login(await create_account(app, "jwh", community_id=community_id, roles=("observer",)))
    committee = await login(await create_account(app, "c1", community_id=community_id, roles=("committee",)))

    hub = (await observer.get("/c/garden")).text
    assert 'href="/c/garden/audit"' in hub
    log = await observer.get("/c/garden/audit")
    assert log.status_code == 200
    assert 'data-chain="intact"' in log.text and "哈希链校验通过" in log.text
    assert 'data-action="meeting_closed"' in log.text and 'data-action="register_version_created"' in log.text
    assert "表决结束并完成计票" in log.text
    meeting_log = await committee.get(f"/c/garden/meetings/{meeting_id}/audit")
    assert meeting_log.status_code == 200
    assert 'data-action="meeting_closed"' in meeting_log.text
    assert 'data-action="register_version_created"' not in meeting_log.text  # only this meeting's entries

    async with db_session(app) as db:
        event = (await db.execute(select(AuditEvent).where(AuditEvent.action == "meeting_closed"))).scalar_one()
        event.detail = {**event.detail, "trigger": "forged"}
        await db.commit()
    tampered = await observer.get("/c/garden/audit")
    assert 'data-chain="broken"' in tampered.text and "日志已被篡改" in tampered.text


async def test_owners_and_visitors_cannot_read_the_audit_log(app: Litestar, client: AsyncTestClient, login) -> None:  # noqa: ANN001
    community_id, meeting_id = await _community_with_closed_meeting(app, client)
    owner = await login(await create_account(app, "owner", community_id=community_id, roles=("owner",)))
    elsewhere = await create_community(app, slug="elsewhere")
    foreign_observer = await login(await create_account(app, "jwh2", community_id=elsewhere, roles=("observer",)))
    for url in ("/c/garden/audit", f"/c/garden/meetings/{meeting_id}/audit"):
        assert (await owner.get(url)).status_code == 403
        assert (await foreign_observer.get(url)).status_code == 403
        anonymous = await client.get(url, follow_redirects=False)
        assert anonymous.status_code in (302, 303) and anonymous.headers["location"].startswith("/login")
    assert 'href="/c/garden/audit"' not in (await owner.get("/c/garden")).text
    assert (await foreign_observer.get(f"/c/elsewhere/meetings/{meeting_id}/audit")).status_code == 404
