"""Committee approvals of publication and of a new text: one definition of the committee, and
simultaneous approvals (real HTTP requests at once, on SQLite and PostgreSQL) that publish exactly once."""

from __future__ import annotations

from litestar import Litestar
from sqlalchemy import func, select, update

from tests.integration.meetings.conftest import Login
from tests.integration.meetings.test_meeting_publishing import service_draft
from tests.support.factories import VotingWorld, create_account, create_voting_world, db_session
from tests.support.http import post_at_once, post_form
from vote.db.models import Account, Approval, AuditEvent, Meeting, MotionRevision
from vote.domain.deliberation.services import committee_account_ids

CONFIRMED = {"confirm": "yes"}


async def _count(app: Litestar, query) -> int:  # noqa: ANN001
    async with db_session(app) as db:
        return (await db.execute(query)).scalar_one()


async def _status(app: Litestar, meeting_id: int) -> str:
    return await _count(app, select(Meeting.status).where(Meeting.id == meeting_id))  # type: ignore[return-value]


async def deactivate(app: Litestar, account_id: int) -> None:
    """The account is switched off (it keeps its committee role row)."""
    async with db_session(app) as db:
        await db.execute(update(Account).where(Account.id == account_id).values(is_active=False))
        await db.commit()


async def test_five_simultaneous_approvals_publish_exactly_once(app: Litestar, login: Login) -> None:
    world = await create_voting_world(app, committee_size=5)  # a majority is three
    meeting_id, _ = await service_draft(app, world)
    clients = [await login(creds) for creds in world.committee]
    codes = await post_at_once(clients, f"/c/garden/meetings/{meeting_id}/approve", CONFIRMED)
    assert await _status(app, meeting_id) == "noticed"
    noticed = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "meeting_noticed")
    assert await _count(app, noticed) == 1
    # Three approvals carried it; the two that came after the publication were refused (frozen agenda).
    assert await _count(app, select(func.count()).select_from(Approval)) == 3
    assert codes == [303, 303, 303, 409, 409], codes


async def test_two_simultaneous_approvals_of_three_publish(app: Litestar, world: VotingWorld, login: Login) -> None:
    # The bug this guards against: each transaction counted without the other's insert, and both left it a draft.
    meeting_id, _ = await service_draft(app, world)
    clients = [await login(world.committee[0]), await login(world.committee[1])]
    assert await post_at_once(clients, f"/c/garden/meetings/{meeting_id}/approve", CONFIRMED) == [303, 303]
    assert await _status(app, meeting_id) == "noticed"
    assert await _count(app, select(func.count()).select_from(Approval)) == 2


async def test_simultaneous_approvals_of_a_new_text_publish_one_revision(app: Litestar, world: VotingWorld,
                                                                        login: Login) -> None:
    meeting_id, motion_id = await service_draft(app, world, start_days=16)
    proposer, second, third = [await login(creds) for creds in world.committee]
    await post_form(proposer, f"/c/garden/meetings/{meeting_id}/approve", CONFIRMED)
    await post_form(second, f"/c/garden/meetings/{meeting_id}/approve", CONFIRMED)
    before = await _count(app, select(Meeting.noticed_at).where(Meeting.id == meeting_id))
    await post_form(proposer, f"/c/garden/meetings/{meeting_id}/motions/{motion_id}/edit",
                    {"title": "续聘物业", "body_md": "新的文字"})
    codes = await post_at_once([second, third], "/c/garden/amendments/1/adopt", CONFIRMED)
    assert codes == [303, 409], codes  # the later one finds the text already adopted
    async with db_session(app) as db:
        revisions = (await db.execute(select(MotionRevision.number, MotionRevision.published_at)
                                      .order_by(MotionRevision.number))).all()
        actions = (await db.execute(select(AuditEvent.action))).scalars().all()
    assert [number for number, _ in revisions] == [1, 2] and all(at is not None for _, at in revisions)
    assert actions.count("amendment_adopted") == 1 and actions.count("amendment_adopt_approved") == 2
    assert await _count(app, select(Meeting.noticed_at).where(Meeting.id == meeting_id)) > before  # restarted once


async def test_the_committee_is_its_active_members_in_every_count(app: Litestar, world: VotingWorld,
                                                                  login: Login) -> None:
    meeting_id, motion_id = await service_draft(app, world, start_days=16)
    # A fourth member who was switched off: not in the size (3, not 4: two approvals, not three, publish),
    # and an approval given before the switch-off no longer counts.
    gone = await create_account(app, "garden-gone", community_id=world.community_id, roles=("committee",))
    async with db_session(app) as db:
        db.add(Approval(community_id=world.community_id, subject_type="meeting_publish", subject_id=meeting_id,
                        account_id=gone.account_id, created_at=app.state.clock.now()))
        await db.commit()
    await deactivate(app, gone.account_id)
    first, second = await login(world.committee[0]), await login(world.committee[1])
    page = await first.get(f"/c/garden/meetings/{meeting_id}")
    assert "3 名业委会成员中的 2 名" in page.text and "目前已批准：0" in page.text
    await post_form(first, f"/c/garden/meetings/{meeting_id}/approve", CONFIRMED)
    assert await _status(app, meeting_id) == "draft"  # the switched-off member's approval did not count
    await post_form(second, f"/c/garden/meetings/{meeting_id}/approve", CONFIRMED)
    assert await _status(app, meeting_id) == "noticed"
    # The same committee for a new text, and for whom the committee's notifications go to.
    await post_form(first, f"/c/garden/meetings/{meeting_id}/motions/{motion_id}/edit",
                    {"title": "续聘物业", "body_md": "新的文字"})
    amendments = await first.get(f"/c/garden/motions/{motion_id}/amendments")
    assert "3 名业委会成员中的 2 名批准" in amendments.text
    async with db_session(app) as db:
        assert sorted(await committee_account_ids(db, world.community_id)) == sorted(
            c.account_id for c in world.committee)


async def test_a_switched_off_member_cannot_approve(app: Litestar, world: VotingWorld, login: Login) -> None:
    meeting_id, _ = await service_draft(app, world)
    client = await login(world.committee[2])
    await deactivate(app, world.committee[2].account_id)
    response = await post_form(client, f"/c/garden/meetings/{meeting_id}/approve", CONFIRMED, follow_redirects=False)
    assert response.status_code in (302, 303, 401, 403)
    assert await _count(app, select(func.count()).select_from(Approval)) == 0


async def test_a_majority_left_standing_by_a_smaller_committee_is_carried_out(app: Litestar, login: Login) -> None:
    world = await create_voting_world(app, committee_size=4)  # a majority is three
    meeting_id, _ = await service_draft(app, world)
    first, second = await login(world.committee[0]), await login(world.committee[1])
    await post_form(first, f"/c/garden/meetings/{meeting_id}/approve", CONFIRMED)
    await post_form(second, f"/c/garden/meetings/{meeting_id}/approve", CONFIRMED)
    await deactivate(app, world.committee[3].account_id)  # three members now: the two approvals are a majority
    page = await first.get(f"/c/garden/meetings/{meeting_id}")
    assert "目前已批准：2" in page.text and f"{meeting_id}/approve" in page.text  # an approver may carry it out
    confirm = await post_form(first, f"/c/garden/meetings/{meeting_id}/approve", follow_redirects=False)
    assert "此操作不可撤销" in confirm.text
    response = await post_form(first, f"/c/garden/meetings/{meeting_id}/approve", CONFIRMED, follow_redirects=False)
    assert "done=published" in response.headers["location"]
    assert await _status(app, meeting_id) == "noticed"
    assert await _count(app, select(func.count()).select_from(Approval)) == 2
