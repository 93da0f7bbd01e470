"""Amendments and objections during the notice period: adopt (a new revision with a diff), decline, answer."""

from __future__ import annotations

from datetime import timedelta

from litestar import Litestar
from sqlalchemy import select

from tests.integration.deliberation.conftest import MOTION_TEXT
from tests.integration.meetings.conftest import Login
from tests.support.factories import VotingWorld, create_discussed_motion, db_session
from tests.support.http import post_form
from vote.db.models import Amendment, AuditEvent, Meeting, Motion, MotionRevision, Notification

NEW_TEXT = MOTION_TEXT.replace("十万元", "八万元") + "\n\n施工期间保留人行通道。"


def amendments(motion_id: int) -> str:
    """The amendments page of a motion of "garden"."""
    return f"/c/garden/motions/{motion_id}/amendments"


async def test_adopted_amendment_is_a_new_revision_with_a_diff_and_restarts_the_notice(
    app: Litestar, world: VotingWorld, login: Login, motion_id: int
) -> None:
    async with db_session(app) as db:
        opens_before = (await db.execute(select(Meeting.opens_at))).scalar_one()
    owner = await login(world.owner)
    page = await owner.get(amendments(motion_id))
    assert page.status_code == 200
    assert ">更换小区大门。" in page.text  # the form starts from the current text
    proposed = await post_form(owner, amendments(motion_id), {
        "kind": "amendment", "title": "", "body": NEW_TEXT, "comment": "预算可以更低。",
    })
    assert proposed.status_code == 200
    assert "待业委会处理" in proposed.text
    assert "<del>十</del><ins>八</ins>" in proposed.text  # the proposal's changes, character by character
    assert "1号楼 业主" in proposed.text

    assert (await post_form(owner, "/c/garden/amendments/1/adopt", {"confirm": "yes"})).status_code == 403
    committee, second = await login(world.committee[0]), await login(world.committee[1])
    # Adopting once the notice is out is a committee decision: a confirmation, then two members.
    confirm = await post_form(committee, "/c/garden/amendments/1/adopt")
    assert confirm.status_code == 200 and "确认批准" in confirm.text and "目前已批准：0" in confirm.text
    proposed_adoption = await post_form(committee, "/c/garden/amendments/1/adopt", {"confirm": "yes"})
    assert proposed_adoption.status_code == 200
    assert "目前已批准：1" in proposed_adoption.text and "形成第 2 版" not in proposed_adoption.text
    async with db_session(app) as db:
        assert (await db.execute(select(Meeting.opens_at))).scalar_one() == opens_before
        assert len((await db.execute(select(MotionRevision))).scalars().all()) == 1
    confirm = await post_form(second, "/c/garden/amendments/1/adopt")
    assert "此操作不可撤销" in confirm.text and "已批准：g*" in confirm.text
    adopted = await post_form(second, "/c/garden/amendments/1/adopt", {"confirm": "yes"})
    assert adopted.status_code == 200
    assert "业委会已采纳该修改建议，形成第 2 版。" in adopted.text
    async with db_session(app) as db:
        revisions = list((await db.execute(select(MotionRevision).order_by(MotionRevision.number))).scalars())
        meeting = (await db.execute(select(Meeting))).scalar_one()
        amendment = await db.get(Amendment, 1)
        actions = list((await db.execute(select(AuditEvent.action).order_by(AuditEvent.id))).scalars())
        told = (await db.execute(select(Notification).where(Notification.account_id == world.owner.account_id))
                ).scalar_one()
    assert [r.number for r in revisions] == [1, 2]
    assert revisions[1].body_md == NEW_TEXT.strip() and revisions[1].published_at is not None
    assert amendment is not None and amendment.status == "adopted" and amendment.revision_id == revisions[1].id
    # Published text changed: the notice clock restarts (15 days from now, the window keeps its length).
    assert meeting.opens_at > opens_before
    assert meeting.opens_at >= app.state.clock.now() + timedelta(days=14, hours=23)
    assert {"amendment_proposed", "amendment_adopt_approved", "motion_revised", "amendment_adopted"} <= set(actions)
    assert actions.count("amendment_adopt_approved") == 2
    assert told.payload["event"] == "amendment_adopted"

    # Every revision shows a readable diff against the previous one.
    async with db_session(app) as db:
        meeting_id = (await db.execute(select(Motion.meeting_id))).scalar_one()
    motion_page = await owner.get(f"/c/garden/meetings/{meeting_id}/motions/{motion_id}")
    assert "<del>十</del><ins>八</ins>" in motion_page.text
    discussion = await owner.get(f"/c/garden/motions/{motion_id}/discussion")
    assert "第 2 版" in discussion.text and "八万元" in discussion.text
    # Decided once: adopting again is refused.
    assert (await post_form(committee, "/c/garden/amendments/1/adopt", {"confirm": "yes"})).status_code == 409


async def test_declined_amendment_and_answered_objection_show_the_reason(
    app: Litestar, world: VotingWorld, login: Login, motion_id: int
) -> None:
    owner = await login(world.owner)
    await post_form(owner, amendments(motion_id), {"kind": "amendment", "body": NEW_TEXT, "comment": ""})
    await post_form(owner, amendments(motion_id), {"kind": "objection", "body": "", "comment": "大门不需要更换。"})
    committee = await login(world.committee[0])
    empty = await post_form(committee, "/c/garden/amendments/1/decline", {"reason": ""})
    assert empty.status_code == 422
    declined = await post_form(committee, "/c/garden/amendments/1/decline", {"reason": "八万元的报价已过期。"})
    assert declined.status_code == 200
    answered = await post_form(committee, "/c/garden/amendments/2/decline", {"reason": "门禁已损坏三次。"})
    page = answered.text
    assert "业委会未采纳该修改建议，理由：八万元的报价已过期。" in page
    assert "业委会答复：门禁已损坏三次。" in page
    assert "大门不需要更换。" in page
    async with db_session(app) as db:
        statuses = dict((await db.execute(select(Amendment.id, Amendment.status))).all())
        revisions = (await db.execute(select(MotionRevision.number))).scalars().all()
        events = list((await db.execute(select(AuditEvent).where(
            AuditEvent.action.in_(("amendment_declined", "objection_answered"))).order_by(AuditEvent.id))).scalars())
    assert statuses == {1: "declined", 2: "answered"}
    assert list(revisions) == [1]  # nothing changed in the motion
    assert [e.detail["reason"] for e in events] == ["八万元的报价已过期。", "门禁已损坏三次。"]
    assert all(e.actor_account_id == world.committee[0].account_id for e in events)


async def test_bad_proposals_are_shown_again_as_typed(world: VotingWorld, login: Login, motion_id: int) -> None:
    owner = await login(world.owner)
    same = await post_form(owner, amendments(motion_id), {"kind": "amendment", "body": MOTION_TEXT,
                                                          "comment": "我的说明"})
    assert same.status_code == 422
    assert "建议的文本与现行文本相同" in same.text and ">我的说明</textarea>" in same.text
    objection = await post_form(owner, amendments(motion_id), {"kind": "objection", "comment": " "})
    assert objection.status_code == 422 and "请说明您的反对意见" in objection.text
    observer = await login(world.observer)
    assert (await post_form(observer, amendments(motion_id), {"kind": "objection",
                                                              "comment": "观察员"})).status_code == 403


async def test_no_amendments_once_voting_opened(app: Litestar, world: VotingWorld, login: Login) -> None:
    open_motion = await create_discussed_motion(app, world.community_id, world.register_version_id,
                                                body_md="已开始表决的议案", opens_in=timedelta(days=-1))
    owner = await login(world.owner)
    page = await owner.get(amendments(open_motion))
    assert "表决已开始" in page.text and 'name="kind"' not in page.text
    refused = await post_form(owner, amendments(open_motion), {"kind": "objection", "comment": "太晚了"})
    assert refused.status_code == 409
    assert "只有在表决开始前才能提出" in refused.text
    # The discussion itself stays open while voting.
    assert (await post_form(owner, f"/c/garden/motions/{open_motion}/discussion",
                            {"body": "投票中也能讨论"})).status_code == 200
