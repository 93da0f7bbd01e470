"""Adopting a text once the notice is out is a committee decision (``vote.domain.approvals``): two members
at least, simultaneous approvals adopt once, and approvals of a text whose base changed are withdrawn."""

from __future__ import annotations

from datetime import timedelta

from litestar import Litestar
from sqlalchemy import func, select

from tests.integration.deliberation.conftest import MOTION_TEXT
from tests.integration.deliberation.test_amendments import NEW_TEXT, amendments
from tests.integration.meetings.conftest import Login
from tests.support.factories import VotingWorld, create_discussed_motion, db_session
from tests.support.http import post_at_once, post_form
from vote.db.models import Amendment, Approval, AuditEvent, Meeting, MotionRevision

CONFIRMED = {"confirm": "yes"}


async def _actions(app: Litestar) -> list[str]:
    async with db_session(app) as db:
        return list((await db.execute(select(AuditEvent.action).order_by(AuditEvent.id))).scalars())


async def test_simultaneous_approvals_adopt_an_amendment_once(app: Litestar, world: VotingWorld, login: Login,
                                                             motion_id: int) -> None:
    owner = await login(world.owner)
    await post_form(owner, amendments(motion_id), {"kind": "amendment", "body": NEW_TEXT, "comment": ""})
    clients = [await login(creds) for creds in world.committee]
    codes = await post_at_once(clients, "/c/garden/amendments/1/adopt", CONFIRMED)
    assert codes == [303, 303, 409], codes  # two carry it (a majority of three); the third finds it adopted
    async with db_session(app) as db:
        numbers = (await db.execute(select(MotionRevision.number).order_by(MotionRevision.number))).scalars().all()
        amendment = await db.get(Amendment, 1)
    assert list(numbers) == [1, 2] and amendment is not None and amendment.status == "adopted"
    actions = await _actions(app)
    assert actions.count("amendment_adopted") == 1 and actions.count("motion_revised") == 1


async def test_a_new_text_withdraws_the_approvals_given_to_other_texts(app: Litestar, world: VotingWorld,
                                                                     login: Login, motion_id: int) -> None:
    owner, owner2 = await login(world.owner), await login(world.owner2)
    await post_form(owner, amendments(motion_id), {"kind": "amendment", "body": NEW_TEXT, "comment": ""})
    await post_form(owner2, amendments(motion_id), {"kind": "amendment", "body": MOTION_TEXT + "\n\n另一稿。",
                                                    "comment": ""})
    first, second = await login(world.committee[0]), await login(world.committee[1])
    await post_form(first, "/c/garden/amendments/2/adopt", CONFIRMED)
    await post_form(first, "/c/garden/amendments/1/adopt", CONFIRMED)
    await post_form(second, "/c/garden/amendments/1/adopt", CONFIRMED)  # adopted: the text changed
    async with db_session(app) as db:
        left = (await db.execute(select(func.count()).select_from(Approval)
                                 .where(Approval.subject_type == "amendment_adopt", Approval.subject_id == 2))
                ).scalar_one()
        event = (await db.execute(select(AuditEvent)
                                  .where(AuditEvent.action == "amendment_adopt_approvals_withdrawn"))).scalar_one()
    assert left == 0  # approving amendment 2 meant replacing revision 1, which is no longer the text
    assert event.object_id == "2" and event.detail == {"approvers": [world.committee[0].account_id],
                                                       "reason": "text_changed"}
    page = await first.get(amendments(motion_id))
    assert page.text.count("目前已批准：0") == 1  # amendment 2 is open again, without approvals


async def test_in_a_draft_one_member_adopts_and_the_publication_approvals_are_withdrawn(
    app: Litestar, world: VotingWorld, login: Login
) -> None:
    motion_id = await create_discussed_motion(app, world.community_id, world.register_version_id,
                                              body_md=MOTION_TEXT, status="draft", opens_in=timedelta(days=20))
    async with db_session(app) as db:
        meeting_id = (await db.execute(select(Meeting.id))).scalar_one()
    first, second = await login(world.committee[0]), await login(world.committee[1])
    await post_form(second, amendments(motion_id), {"kind": "amendment", "body": NEW_TEXT, "comment": ""})
    await post_form(first, f"/c/garden/meetings/{meeting_id}/approve", CONFIRMED)
    adopted = await post_form(second, "/c/garden/amendments/1/adopt")  # a draft: no confirmation, one member
    assert "业委会已采纳该修改建议，形成第 2 版。" in adopted.text
    async with db_session(app) as db:
        approvals = (await db.execute(select(func.count()).select_from(Approval)
                                      .where(Approval.subject_type == "meeting_publish"))).scalar_one()
        status = (await db.execute(select(Meeting.status))).scalar_one()
    assert approvals == 0 and status == "draft"
    assert "meeting_publish_approvals_withdrawn" in await _actions(app)


async def test_a_committee_proposal_is_shown_and_can_be_declined(app: Litestar, world: VotingWorld, login: Login,
                                                                 motion_id: int) -> None:
    async with db_session(app) as db:
        meeting_id = (await db.execute(select(Meeting.id))).scalar_one()
    first, second = await login(world.committee[0]), await login(world.committee[1])
    owner = await login(world.owner)
    same = await post_form(first, f"/c/garden/meetings/{meeting_id}/motions/{motion_id}/edit",
                           {"title": "更换小区大门", "body_md": MOTION_TEXT})
    assert same.status_code == 422 and "建议的文本与现行文本相同" in same.text and 'name="body_md"' in same.text
    await post_form(first, f"/c/garden/meetings/{meeting_id}/motions/{motion_id}/edit",
                    {"title": "更换小区大门", "body_md": NEW_TEXT})
    # Owners see the proposal, by the committee, awaiting its decision; the current text is unchanged.
    page = await owner.get(amendments(motion_id))
    assert "待业委会处理" in page.text and "<del>十</del><ins>八</ins>" in page.text and "已批准：g*" in page.text
    assert "八万元" not in (await owner.get(f"/c/garden/motions/{motion_id}/discussion")).text
    declined = await post_form(second, "/c/garden/amendments/1/decline", {"reason": "预算尚未确定。"})
    assert "业委会未采纳该修改建议，理由：预算尚未确定。" in declined.text
    async with db_session(app) as db:
        assert (await db.execute(select(func.count()).select_from(MotionRevision))).scalar_one() == 1
