"""Everything that decides is frozen at notice: a community setting changed mid-vote moves nothing.

The meeting is published by two committee members through the pages, owners vote, the operator
changes a setting through the operator's page while voting is open, and the closing job decides the
meeting by the rules of its notice. The community of the issue's example: three flats of 100.00 m²
whose owners all vote yes, and three owners of only a parking space (15.00 m² each) who do not vote.
With parking spaces counting, 345.00 m² and 6 owners are in scope and 3 of 6 owners is no quorum;
without them it would be 300.00 m², 3 owners, and a pass.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from litestar import Litestar
from sqlalchemy import select

from tests.integration.meetings.conftest import Login
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
    stored_results,
    unit_row,
)
from tests.support.http import post_form
from vote.db.models import AuditEvent, Community, Meeting
from vote.domain.meetings.schemas import MeetingForm, MotionForm
from vote.domain.meetings.services import MeetingService, local_input
from vote.rules.fingerprint import preset_hash

CIVIL_CODE = "cn-civil-code-2021"
# The operator's settings form as the community stands (create_community's defaults).
SETTINGS = {
    "name": "测试小区", "address": "测试路 1 号", "rule_preset": CIVIL_CODE, "notice_days": "15",
    "objection_days": "7", "voting_days_min": "5", "voting_days_max": "60", "parking_counts": "yes",
    "disclose_voting_units": "yes", "proposal_threshold_pct": "20", "proposal_mode": "and",
}
# Each change would move the outcome, the totals or the objection period if it reached the meeting.
CHANGES = {
    "rule_preset": "de-weg-2020",  # one owner one vote, yes > no, no quorum: would pass
    "parking_counts": "no",  # 300.00 m², 3 owners in scope, all voted yes: would pass
    "notice_days": "3",
    "objection_days": "30",
}


async def _parking_example(app: Litestar) -> tuple[int, dict[str, int], list]:
    """The example community; returns its id, the voting members by unit and two committee accounts."""
    community_id = await create_community(app, slug="garden", parking_counts=True)
    version_id = await create_register(app, community_id, [
        *(unit_row("1号楼", f"10{i}", 10000, f"业主{i}") for i in range(1, 4)),
        *(unit_row("地下车库", f"P-00{i}", 1500, f"车位业主{i}", kind="parking") for i in range(1, 4)),
    ])
    committee = [await create_account(app, f"c{i}", community_id=community_id, roles=("committee",)) for i in (1, 2)]
    return community_id, await member_ids(app, version_id), committee


async def _publish(app: Litestar, login: Login, community_id: int, committee: list, *, start_days: int = 16) -> int:
    """Draft a one-motion meeting (an ordinary matter) and publish it by two committee members' approvals."""
    now = app.state.clock.now()
    start = now + timedelta(days=start_days)
    async with db_session(app) as db:
        community = (await db.execute(select(Community).where(Community.id == community_id))).scalar_one()
        service = MeetingService(db)
        meeting = await service.create_meeting(
            community, MeetingForm(title="年度会议", opens_at=local_input(start),
                                   closes_at=local_input(start + timedelta(days=7))),
            committee[0].account_id, now)
        await service.add_motion(community, meeting.id, MotionForm(title="续聘物业", body_md="原文", matter="4"),
                                 committee[0].account_id, now)
    for member in committee:
        response = await post_form(await login(member), f"/c/garden/meetings/{meeting.id}/approve", {"confirm": "yes"},
                                   follow_redirects=False)
        assert response.status_code == 303
    return meeting.id


async def _meeting(app: Litestar, meeting_id: int) -> Meeting:
    async with db_session(app) as db:
        return (await db.execute(select(Meeting).where(Meeting.id == meeting_id))).scalar_one()


async def _change_setting(app: Litestar, login: Login, community_id: int, field: str, value: str, *,
                          published: str = "年度会议") -> None:
    """The operator changes one setting through the operator's settings page (which names ``published``)."""
    operator = await login(await create_account(app, "operator", operator=True))
    page = await operator.get(f"/operator/communities/{community_id}")
    assert 'data-note="frozen-at-notice"' in page.text and published in page.text  # the page says what is kept
    assert "只适用于修改之后发布的会议" in page.text and page.text.count("修改后只适用于此后发布的会议") == 3
    assert "data-preset-effects" in page.text and "四分之三以上" in page.text  # what each rule requires
    response = await post_form(operator, f"/operator/communities/{community_id}", {**SETTINGS, field: value})
    assert response.status_code == 200 and "已保存" in response.text
    async with db_session(app) as db:
        community = (await db.execute(select(Community).where(Community.id == community_id))).scalar_one()
        assert str(getattr(community, field)).lower() in (value, "false" if value == "no" else value)


@pytest.mark.parametrize("field", sorted(CHANGES))
async def test_a_setting_changed_mid_vote_moves_nothing(app: Litestar, login: Login, field: str) -> None:
    community_id, members, committee = await _parking_example(app)
    meeting_id = await _publish(app, login, community_id, committee)
    noticed = await _meeting(app, meeting_id)
    assert (noticed.rule_preset, noticed.rule_hash) == (CIVIL_CODE, preset_hash(CIVIL_CODE))
    assert (noticed.parking_counts, noticed.notice_days, noticed.objection_days) == (True, 15, 7)

    app.state.clock.advance(timedelta(days=17))  # voting is open
    motion_id = next(iter((await stored_motion_ids(app, meeting_id))))
    for i in range(1, 4):
        await record_ballot(app, motion_id, members[f"1号楼/10{i}"], "yes")
    await _change_setting(app, login, community_id, field, CHANGES[field])
    async with db_session(app) as db:
        updated = (await db.execute(select(AuditEvent).where(AuditEvent.action == "community_updated"))).scalar_one()
    assert list(updated.detail["changes"]) == [field]
    assert updated.detail["meetings_keeping_their_rules"] == [meeting_id]

    # While voting: the meeting page's threshold and the committee's quorum lines are the notice's.
    clerk = await login(committee[0])
    meeting_page = await clerk.get(f"/c/garden/meetings/{meeting_id}")
    assert "三分之二以上" in meeting_page.text
    turnout = await clerk.get(f"/c/garden/meetings/{meeting_id}/turnout")
    assert "300.00 / 345.00 m²" in turnout.text and "3 / 6" in turnout.text
    assert "2/3" in turnout.text

    app.state.clock.advance(timedelta(days=8))  # the window has ended
    assert await close_due_meetings(app) == [meeting_id]
    result = (await stored_results(app, meeting_id))[motion_id]
    assert result.outcome == "no-quorum"
    assert result.rule_preset == CIVIL_CODE
    assert result.tally["total"] == {"area_centi": 34500, "heads": 6}
    assert result.tally["participated"] == {"area_centi": 30000, "heads": 3}
    assert (result.tally["rule_hash"], result.tally["parking_counts"], result.tally["scope"]) == (
        preset_hash(CIVIL_CODE), True, None)
    closed = await _meeting(app, meeting_id)
    assert closed.objection_until - closed.preliminary_at == timedelta(days=7)
    assert (closed.rule_preset, closed.parking_counts, closed.notice_days, closed.objection_days) == (
        CIVIL_CODE, True, 15, 7)
    page = await clerk.get(f"/c/garden/meetings/{meeting_id}/result")
    assert "不成决议" in page.text and "民法典（2021）第二百七十八条" in page.text
    download = (await clerk.get(f"/c/garden/meetings/{meeting_id}/motions/{motion_id}/totals.json")).json()
    assert (download["rule"], download["rule_hash"]) == (CIVIL_CODE, preset_hash(CIVIL_CODE))
    assert download["scope"] == {"area": "345.00", "heads": 6} and download["outcome"] == "no-quorum"


async def stored_motion_ids(app: Litestar, meeting_id: int) -> list[int]:
    """The motion ids of a meeting, in agenda order."""
    from vote.db.models import Motion

    async with db_session(app) as db:
        return list((await db.execute(select(Motion.id).where(Motion.meeting_id == meeting_id)
                                      .order_by(Motion.position))).scalars())


async def test_a_changed_setting_applies_to_meetings_published_after_it(app: Litestar, login: Login) -> None:
    community_id, members, committee = await _parking_example(app)
    now = app.state.clock.now()
    window = {"opens_at": now - timedelta(days=7), "closes_at": now + timedelta(hours=1)}
    before = await create_published_meeting(app, community_id, (await _version(app, community_id)),
                                            [MotionSpec(matter=4)], title="改前发布", **window)
    await _change_setting(app, login, community_id, "parking_counts", "no", published="改前发布")
    after = await create_published_meeting(app, community_id, (await _version(app, community_id)),
                                           [MotionSpec(matter=4)], title="改后发布", **window)
    for meeting in (before, after):
        for i in range(1, 4):
            await record_ballot(app, meeting.motion_ids[0], members[f"1号楼/10{i}"], "yes")
    app.state.clock.advance(timedelta(hours=2))
    assert sorted(await close_due_meetings(app)) == sorted([before.meeting_id, after.meeting_id])
    old = (await stored_results(app, before.meeting_id))[before.motion_ids[0]]
    new = (await stored_results(app, after.meeting_id))[after.motion_ids[0]]
    assert (old.outcome, old.tally["total"]) == ("no-quorum", {"area_centi": 34500, "heads": 6})
    assert (new.outcome, new.tally["total"]) == ("passed", {"area_centi": 30000, "heads": 3})


async def _version(app: Litestar, community_id: int) -> int:
    from vote.db.models import RegisterVersion

    async with db_session(app) as db:
        return (await db.execute(select(RegisterVersion.id).where(RegisterVersion.community_id == community_id))
                ).scalar_one()


async def test_a_revision_restarts_the_notice_period_of_the_notice_not_the_new_setting(
    app: Litestar, login: Login
) -> None:
    community_id, _members, committee = await _parking_example(app)
    meeting_id = await _publish(app, login, community_id, committee)
    motion_id = (await stored_motion_ids(app, meeting_id))[0]
    await _change_setting(app, login, community_id, "notice_days", "30")
    app.state.clock.advance(timedelta(days=2))
    clerk = await login(committee[0])
    form = await clerk.get(f"/c/garden/meetings/{meeting_id}/motions/{motion_id}/edit")
    assert "不早于 15 天后" in form.text or "15 天" in form.text
    response = await post_form(clerk, f"/c/garden/meetings/{meeting_id}/motions/{motion_id}/edit",
                               {"title": "续聘物业", "body_md": "修改后的文字"}, follow_redirects=False)
    assert response.status_code == 303
    # The new text is proposed; a second committee member's approval publishes it (the proposal is amendment 1).
    second = await login(committee[1])
    approved = await post_form(second, "/c/garden/amendments/1/adopt", {"confirm": "yes"}, follow_redirects=False)
    assert approved.status_code == 303
    revised = await _meeting(app, meeting_id)
    now = app.state.clock.now()
    assert now + timedelta(days=15) - timedelta(minutes=1) <= revised.opens_at < now + timedelta(days=16)


async def test_a_setting_changed_between_two_approvals_withdraws_the_first(app: Litestar, login: Login) -> None:
    """The first member approved a draft under the old rules: the notice would freeze rules they never saw."""
    community_id, _members, committee = await _parking_example(app)
    now = app.state.clock.now()
    start = now + timedelta(days=16)
    async with db_session(app) as db:
        community = (await db.execute(select(Community).where(Community.id == community_id))).scalar_one()
        service = MeetingService(db)
        meeting = await service.create_meeting(
            community, MeetingForm(title="年度会议", opens_at=local_input(start),
                                   closes_at=local_input(start + timedelta(days=7))), committee[0].account_id, now)
        await service.add_motion(community, meeting.id, MotionForm(title="续聘物业", body_md="原文", matter="4"),
                                 committee[0].account_id, now)
    approve = f"/c/garden/meetings/{meeting.id}/approve"
    proposer = await login(committee[0])
    first = await post_form(proposer, approve, {"confirm": "yes"}, follow_redirects=False)
    assert first.status_code == 303
    await _change_setting(app, login, community_id, "parking_counts", "no", published="")
    second = await post_form(await login(committee[1]), approve, {"confirm": "yes"}, follow_redirects=False)
    assert second.status_code == 303
    assert (await _meeting(app, meeting.id)).status == "draft"  # one approval under the new rules is not enough
    async with db_session(app) as db:
        withdrawn = (await db.execute(select(AuditEvent).where(
            AuditEvent.action == "meeting_publish_approvals_withdrawn"))).scalar_one()
    assert withdrawn.detail["reason"] == "rules_changed"
    again = await post_form(proposer, approve, {"confirm": "yes"}, follow_redirects=False)
    assert again.status_code == 303
    published = await _meeting(app, meeting.id)
    assert (published.status, published.parking_counts) == ("noticed", False)
