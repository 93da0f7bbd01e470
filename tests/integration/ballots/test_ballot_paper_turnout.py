"""Paper ballots entered by the committee, and the live turnout that never shows a choice."""

from __future__ import annotations

import re

from litestar import Litestar
from sqlalchemy import select

from tests.integration.ballots.test_ballot_casting import ALREADY, ballot_form, ballots, open_meeting
from tests.integration.meetings.conftest import Login
from tests.support.factories import VotingWorld, db_session, member_ids, record_ballot
from tests.support.http import post_form
from vote.db.models import AuditEvent, Building, Unit


async def _building_id(app: Litestar, world: VotingWorld) -> int:
    async with db_session(app) as db:
        return (await db.execute(select(Building.id).where(Building.community_id == world.community_id))).scalar_one()


async def test_committee_enters_a_paper_ballot(app: Litestar, world: VotingWorld, login: Login) -> None:
    meeting = await open_meeting(app, world)
    base = f"/c/garden/meetings/{meeting.meeting_id}"
    committee = await login(world.committee[0])
    building_id = await _building_id(app, world)
    # The co-owned flat 201 has no online voter: its signed paper ballot is entered by the committee.
    page = await committee.get(f"{base}/paper?building_id={building_id}&number=201")
    assert page.status_code == 200 and "1号楼 201" in page.text
    form = ballot_form(page.text, meeting, "no", [0])
    review = await post_form(committee, f"{base}/paper", form)
    assert review.status_code == 200 and "纸质选票" in review.text and "反对" in review.text
    stored = await post_form(committee, f"{base}/paper/cast", form)
    assert stored.status_code == 200 and "纸质选票已录入" in stored.text
    rows = await ballots(app)
    assert [(b.channel, b.cast_by_account_id, b.choice) for b in rows] == [
        ("paper", world.committee[0].account_id, "no"), ("paper", world.committee[0].account_id, "election")]
    assert all(b.receipt in stored.text for b in rows)
    async with db_session(app) as db:
        audit = (await db.execute(select(AuditEvent).where(AuditEvent.action == "paper_ballot_entered"))).scalar_one()
    assert audit.actor_account_id == world.committee[0].account_id and "no" not in str(audit.detail.values())
    # The same member again: the constraint holds across channels.
    again = await committee.get(f"{base}/paper?building_id={building_id}&number=201")
    assert ALREADY in again.text and 'type="radio"' not in again.text
    retyped = await post_form(committee, f"{base}/paper/cast", {**form, "idempotency_key": "another-key-0123456789"})
    assert retyped.status_code == 409 and ALREADY in retyped.text
    assert len(await ballots(app)) == 2


async def test_paper_ballot_for_a_member_who_voted_online(app: Litestar, world: VotingWorld, login: Login) -> None:
    meeting = await open_meeting(app, world)
    base = f"/c/garden/meetings/{meeting.meeting_id}"
    owner = await login(world.owner)
    await post_form(owner, f"{base}/ballot/cast", ballot_form((await owner.get(base)).text, meeting, "yes"))
    committee = await login(world.committee[0])
    page = await committee.get(f"{base}/paper?building_id={await _building_id(app, world)}&number=101")
    assert ALREADY in page.text
    members = await member_ids(app, world.register_version_id)
    form = {"member_id": str(members["1号楼/101"]), "idempotency_key": "paper-key-0123456789ab",
            f"m{meeting.motion_ids[0]}": "no"}
    response = await post_form(committee, f"{base}/paper/cast", form)
    assert response.status_code == 409
    assert [b.choice for b in await ballots(app)] == ["yes", "election"]


async def test_only_the_committee_enters_paper_ballots(app: Litestar, world: VotingWorld, login: Login) -> None:
    meeting = await open_meeting(app, world)
    base = f"/c/garden/meetings/{meeting.meeting_id}"
    for creds in (world.owner, world.observer):
        client = await login(creds)
        assert (await client.get(f"{base}/paper")).status_code == 403
    missing = await (await login(world.committee[0])).get(f"{base}/paper?building_id=999&number=101")
    assert "表决范围内没有这个房号" in missing.text


async def test_turnout_counts_area_and_heads_and_reveals_no_choice(app: Litestar, world: VotingWorld,
                                                                   login: Login) -> None:
    meeting = await open_meeting(app, world)
    members = await member_ids(app, world.register_version_id)
    question, election = meeting.motion_ids
    # 1号楼 101 (101.00 m²) voted yes; 102 (102.00 m²) voted no.
    for unit, choice in (("1号楼/101", "yes"), ("1号楼/102", "no")):
        await record_ballot(app, question, members[unit], choice)
        await record_ballot(app, election, members[unit], options=(meeting.option_ids[election][0],))
    observer = await login(world.observer)
    page = await observer.get(f"/c/garden/meetings/{meeting.meeting_id}/turnout")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", page.text)
    # Scope: 6 flats 101.00–106.00, co-owned 201 (120.00), developer 301 (90.00): 831.00 m², 8 heads.
    assert "203.00 / 831.00 m²" in text and "24.43%" in text
    assert "2 / 8" in text and "25.00%" in text
    # The line is 2/3 of both: 554.00 m² and 6 heads.
    assert "还差 351.00 m²" in text and "还差 4 人" in text
    for word in ("同意", "反对", "弃权", "张三"):
        assert word not in page.text.split('id="turnout"')[1]
    fragment = await observer.get(f"/c/garden/meetings/{meeting.meeting_id}/turnout", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert 'hx-trigger="every 10s"' in fragment.text and "203.00" in fragment.text
    committee = await login(world.committee[0])
    assert (await committee.get(f"/c/garden/meetings/{meeting.meeting_id}/turnout")).status_code == 200
    owner = await login(world.owner)
    assert (await owner.get(f"/c/garden/meetings/{meeting.meeting_id}/turnout")).status_code == 403


async def test_scope_limits_turnout_and_who_votes(app: Litestar, world: VotingWorld, login: Login) -> None:
    async with db_session(app) as db:
        unit_ids = list((await db.execute(
            select(Unit.id).where(Unit.register_version_id == world.register_version_id,
                                  Unit.number.in_(("101", "102"))))).scalars())
    meeting = await open_meeting(app, world, scope={"unit_ids": unit_ids})
    observer = await login(world.observer)
    text = re.sub(r"\s+", " ", (await observer.get(f"/c/garden/meetings/{meeting.meeting_id}/turnout")).text)
    assert "0.00 / 203.00 m²" in text and "0 / 2" in text
    base = f"/c/garden/meetings/{meeting.meeting_id}"
    owner_page = await (await login(world.owner)).get(base)
    assert 'type="radio"' in owner_page.text
    co_owner_page = await (await login(world.co_owner)).get(base)
    assert 'type="radio"' not in co_owner_page.text and "尚未确定投票人" not in co_owner_page.text
