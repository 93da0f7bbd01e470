"""Publishing the final result: after the objection period, with two committee members' approval."""

from __future__ import annotations

from datetime import timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from tests.support.factories import (
    MotionSpec,
    close_due_meetings,
    create_account,
    create_community,
    create_published_meeting,
    create_register,
    db_session,
    member_ids,
    record_ballot,
    unit_row,
)
from tests.support.http import post_form
from vote.db.models import Approval, AuditEvent, Meeting


async def _closed_meeting(app: Litestar, client: AsyncTestClient) -> tuple[int, int]:
    """A community with a meeting that closed a minute ago (closed by the closing job)."""
    community_id = await create_community(app, slug="garden", objection_days=5)
    version_id = await create_register(app, community_id, [unit_row("1号楼", f"10{i}", 10000, f"业主{i}")
                                                           for i in range(1, 4)])
    members = await member_ids(app, version_id)
    now = app.state.clock.now()
    meeting = await create_published_meeting(app, community_id, version_id, [MotionSpec("更换物业", matter=4)],
                                             opens_at=now - timedelta(days=7), closes_at=now - timedelta(minutes=1))
    for i in range(1, 4):
        await record_ballot(app, meeting.motion_ids[0], members[f"1号楼/10{i}"], "yes")
    await close_due_meetings(app)
    assert "初步结果" in (await client.get(f"/c/garden/meetings/{meeting.meeting_id}/result")).text
    return community_id, meeting.meeting_id


async def _status(app: Litestar, meeting_id: int) -> str:
    async with db_session(app) as db:
        return (await db.execute(select(Meeting.status).where(Meeting.id == meeting_id))).scalar_one()


async def _approve(client: AsyncTestClient, meeting_id: int):  # noqa: ANN202
    """Approve the final result as the confirmation page does (``confirm=yes``)."""
    return await post_form(client, f"/c/garden/meetings/{meeting_id}/result/approve", {"confirm": "yes"},
                           follow_redirects=False)


async def _approvals(app: Litestar, meeting_id: int) -> int:
    async with db_session(app) as db:
        return (await db.execute(select(func.count()).select_from(Approval).where(
            Approval.subject_type == "result_final", Approval.subject_id == meeting_id))).scalar_one()


async def test_final_publication_needs_the_objection_period_over_and_two_committee_members(
    app: Litestar, client: AsyncTestClient, login
) -> None:  # noqa: ANN001
    community_id, meeting_id = await _closed_meeting(app, client)
    members = [await create_account(app, f"c{i}", community_id=community_id, roles=("committee",)) for i in (1, 2, 3)]
    first = await login(members[0])
    approve = f"/c/garden/meetings/{meeting_id}/result/approve"
    page = f"/c/garden/meetings/{meeting_id}/result"

    refused = await _approve(first, meeting_id)
    assert refused.status_code == 409
    assert "异议期" in refused.text and "结束后才能公布最终结果" in refused.text
    assert await _approvals(app, meeting_id) == 0
    before = await first.get(page)
    assert "异议期结束" in before.text and "同意公布最终结果</button>" not in before.text

    app.state.clock.advance(timedelta(days=5, minutes=1))  # the objection period is over
    first, second = await login(members[0]), await login(members[1])
    confirm = await post_form(first, approve, follow_redirects=False)
    assert confirm.status_code == 200 and "确认批准" in confirm.text and await _approvals(app, meeting_id) == 0
    assert (await _approve(first, meeting_id)).status_code == 303
    assert await _status(app, meeting_id) == "preliminary"
    shown = await first.get(page)
    assert "已同意：1 人，需 2 人" in shown.text and "您已同意公布最终结果" in shown.text
    assert "已批准：c*" in shown.text and "同意公布最终结果</button>" not in shown.text
    assert "同意公布最终结果</button>" in (await second.get(page)).text
    # The same member approving again still counts once.
    assert (await _approve(first, meeting_id)).status_code == 303
    assert await _approvals(app, meeting_id) == 1
    assert await _status(app, meeting_id) == "preliminary"

    assert "此操作不可撤销" in (await post_form(second, approve, follow_redirects=False)).text
    assert (await _approve(second, meeting_id)).status_code == 303
    assert await _status(app, meeting_id) == "final"
    public = await client.get(page)
    assert "最终结果，于" in public.text and "初步结果" not in public.text
    async with db_session(app) as db:
        actions = (await db.execute(select(AuditEvent.action).where(AuditEvent.community_id == community_id)
                                    .order_by(AuditEvent.id))).scalars().all()
    assert actions[-3:] == ["result_final_approved", "result_final_approved", "result_published_final"]
    again = await _approve(second, meeting_id)
    assert again.status_code == 409 and "最终结果已经公布" in again.text


async def test_observers_owners_and_visitors_cannot_publish(app: Litestar, client: AsyncTestClient, login) -> None:  # noqa: ANN001
    community_id, meeting_id = await _closed_meeting(app, client)
    app.state.clock.advance(timedelta(days=6))
    observer = await login(await create_account(app, "jwh", community_id=community_id, roles=("observer",)))
    owner = await login(await create_account(app, "owner", community_id=community_id, roles=("owner",)))
    other_committee = await create_community(app, slug="elsewhere")
    outsider = await login(await create_account(app, "outsider", community_id=other_committee, roles=("committee",)))
    approve = f"/c/garden/meetings/{meeting_id}/result/approve"
    for visitor in (observer, owner, outsider):
        response = await post_form(visitor, approve, {"confirm": "yes"}, follow_redirects=False)
        assert response.status_code == 403
    anonymous = await post_form(client, approve, follow_redirects=False)
    assert anonymous.status_code in (302, 303) and anonymous.headers["location"].startswith("/login")
    assert await _approvals(app, meeting_id) == 0
    assert await _status(app, meeting_id) == "preliminary"
    # The observer sees where the committee stands, without a button.
    seen = await observer.get(f"/c/garden/meetings/{meeting_id}/result")
    assert "已同意：0 人，需 2 人" in seen.text and "result/approve" not in seen.text


async def test_a_committee_of_one_can_never_publish_alone(app: Litestar, client: AsyncTestClient, login) -> None:  # noqa: ANN001
    community_id, meeting_id = await _closed_meeting(app, client)
    app.state.clock.advance(timedelta(days=6))
    alone = await login(await create_account(app, "solo", community_id=community_id, roles=("committee",)))
    refused = await _approve(alone, meeting_id)
    assert refused.status_code == 409 and "至少两名业委会成员" in refused.text
    assert await _status(app, meeting_id) == "preliminary" and await _approvals(app, meeting_id) == 0
    assert "需 2 人" in (await alone.get(f"/c/garden/meetings/{meeting_id}/result")).text
