"""The committee's paper-ballot screen (whether a member voted, never how; every lookup logged), and the
live turnout that never shows a choice."""

from __future__ import annotations

import re

from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from tests.conftest import BASE_URL
from tests.integration.ballots.test_ballot_casting import ballot_form, ballots, open_meeting
from tests.integration.meetings.conftest import Login
from tests.support.factories import (
    PublishedMeeting,
    VotingWorld,
    create_account,
    db_session,
    member_ids,
    record_ballot,
)
from tests.support.http import post_form
from vote.db.models import AuditEvent, Building, PaperBallotEntry, Unit


async def building_id(app: Litestar, world: VotingWorld) -> int:
    """The id of the world's only building (1号楼)."""
    async with db_session(app) as db:
        return (await db.execute(select(Building.id).where(Building.community_id == world.community_id))).scalar_one()


async def enter_paper(app: Litestar, world: VotingWorld, clerk: AsyncTestClient, meeting: PublishedMeeting,
                      number: str, question: str | None = "yes", candidates: list[int] | None = None,
                      **extra: object) -> Response:
    """A committee member finds the unit, types in its paper ballot, checks it and records it (303 when done)."""
    base = f"/c/garden/meetings/{meeting.meeting_id}"
    page = await clerk.get(f"{base}/paper?building_id={await building_id(app, world)}&number={number}")
    assert page.status_code == 200 and 'id="ballot"' in page.text, page.text
    form = {**ballot_form(page.text, meeting, question, candidates), **extra}
    review = await post_form(clerk, f"{base}/paper", form)
    if review.status_code != 200:
        return review
    return await post_form(clerk, f"{base}/paper/entries", form, follow_redirects=False)


async def entries(app: Litestar) -> list[PaperBallotEntry]:
    """Every paper ballot entry, oldest first."""
    async with db_session(app) as db:
        return list((await db.execute(select(PaperBallotEntry).order_by(PaperBallotEntry.id))).scalars())


async def audit_events(app: Litestar, action: str) -> list[AuditEvent]:
    """The audit entries of one action, in order."""
    async with db_session(app) as db:
        return list((await db.execute(select(AuditEvent).where(AuditEvent.action == action)
                                      .order_by(AuditEvent.id))).scalars())


def status_of(page: str) -> str:
    """The unit's status paragraph on the paper screen, in plain text."""
    found = re.search(r'<article class="paper-status".*?</article>', page, re.S)
    assert found, "no unit status on the page"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0)))


async def test_lookup_says_whether_and_how_a_member_voted_never_what(app: Litestar, world: VotingWorld,
                                                                    login: Login) -> None:
    meeting = await open_meeting(app, world)
    base = f"/c/garden/meetings/{meeting.meeting_id}"
    owner = await login(world.owner)
    await post_form(owner, f"{base}/ballot/cast", ballot_form((await owner.get(base)).text, meeting, "yes", [1]))
    receipts = [b.receipt for b in await ballots(app)]
    operator = await create_account(app, "operator-as-committee", community_id=world.community_id,
                                    roles=("committee",), operator=True)
    lookup = f"{base}/paper?building_id={await building_id(app, world)}&number=101"
    committee = await login(world.committee[0])
    for clerk in (committee, await login(operator)):
        page = await clerk.get(lookup)
        assert page.status_code == 200
        status = status_of(page.text)
        assert "1号楼 101" in status and "已投票（网上投票" in status
        assert "表决结束前不显示表决意见" in status
        # Neither the choice nor the candidate nor a receipt is anywhere on the page, and no form.
        for secret in ("同意", "李四", *receipts):
            assert secret not in page.text, secret
        assert 'id="ballot"' not in page.text
    # Not voted yet: said so, with the paper form for this unit.
    not_voted = await (await login(world.committee[1])).get(lookup.replace("101", "102"))
    assert "该户尚未投票" in status_of(not_voted.text) and "该户的纸质表决票" in not_voted.text
    # Every lookup that found a unit is in the audit log: who, which unit, which meeting, and no choice.
    logged = await audit_events(app, "paper_lookup")
    members = await member_ids(app, world.register_version_id)
    flat_101 = {"member_id": members["1号楼/101"], "units": ["1号楼 101"]}
    flat_102 = {"member_id": members["1号楼/102"], "units": ["1号楼 102"]}
    assert [(e.actor_account_id, e.object_id, e.detail) for e in logged] == [
        (world.committee[0].account_id, str(meeting.meeting_id), flat_101),
        (operator.account_id, str(meeting.meeting_id), flat_101),
        (world.committee[1].account_id, str(meeting.meeting_id), flat_102),
    ]
    # The committee's audit page names the unit looked up; the observer's shows the lookup but not whose.
    committee_audit = await committee.get(f"{base}/audit")
    assert "paper_lookup" in committee_audit.text and "1号楼 101" in committee_audit.text
    observer_audit = await (await login(world.observer)).get(f"{base}/audit")
    assert "paper_lookup" in observer_audit.text
    assert "1号楼 101" not in observer_audit.text and "1号楼 102" not in observer_audit.text
    # A search that finds no unit reveals nothing and is not a lookup of anyone.
    await committee.get(lookup.replace("101", "999"))
    assert len(await audit_events(app, "paper_lookup")) == 3
    # The owner still sees their own choices and receipts.
    own = await owner.get(f"{base}/ballot")
    assert "同意" in own.text and all(r in own.text for r in receipts)


async def test_the_paper_screen_is_the_committees_alone(app: Litestar, world: VotingWorld, login: Login) -> None:
    meeting = await open_meeting(app, world)
    base = f"/c/garden/meetings/{meeting.meeting_id}"
    lookup = f"{base}/paper?building_id={await building_id(app, world)}&number=101"
    for creds in (world.owner, world.observer):
        assert (await (await login(creds)).get(lookup)).status_code == 403
    async with AsyncTestClient(app=app, base_url=BASE_URL) as client:
        anonymous = await client.get(lookup, follow_redirects=False)
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["location"]
    assert await audit_events(app, "paper_lookup") == []
    missing = await (await login(world.committee[0])).get(f"{base}/paper?building_id=999&number=101")
    assert "表决范围内没有这个房号" in missing.text


async def test_a_paper_ballot_for_a_member_who_voted_online_is_refused(app: Litestar, world: VotingWorld,
                                                                      login: Login) -> None:
    meeting = await open_meeting(app, world)
    base = f"/c/garden/meetings/{meeting.meeting_id}"
    owner = await login(world.owner)
    await post_form(owner, f"{base}/ballot/cast", ballot_form((await owner.get(base)).text, meeting, "yes"))
    committee = await login(world.committee[0])
    members = await member_ids(app, world.register_version_id)
    form = {"member_id": str(members["1号楼/101"]), "idempotency_key": "paper-key-0123456789ab",
            f"m{meeting.motion_ids[0]}": "no"}
    for url in (f"{base}/paper", f"{base}/paper/entries"):
        response = await post_form(committee, url, form, follow_redirects=False)
        assert response.status_code == 409 and "该户已经投票" in response.text
    assert await entries(app) == []
    assert [b.choice for b in await ballots(app)] == ["yes", "election"]
    # Each refusal told the clerk that the member has voted: each is a logged lookup.
    async with db_session(app) as db:
        lookups = (await db.execute(select(AuditEvent).where(AuditEvent.action == "paper_lookup"))).scalars().all()
    assert [(e.actor_account_id, e.detail["member_id"]) for e in lookups] == [
        (world.committee[0].account_id, members["1号楼/101"])] * 2


async def test_ids_out_of_range_or_not_ascii_are_not_found_not_failures(app: Litestar, world: VotingWorld,
                                                                        login: Login) -> None:
    meeting = await open_meeting(app, world)
    base = f"/c/garden/meetings/{meeting.meeting_id}"
    committee = await login(world.committee[0])
    huge = "99999999999999999999"
    for url in (f"/c/garden/meetings/{huge}", f"/c/garden/meetings/{huge}/result", f"{base}/paper/entries/{huge}",
                f"/c/garden/meetings/{2**40}/turnout"):
        assert (await committee.get(url)).status_code == 404, url
    for query in ("building_id=%C2%B2&number=101", f"building_id={huge}&number=1"):
        page = await committee.get(f"{base}/paper?{query}")
        assert page.status_code == 200 and "该户的纸质表决票" not in page.text
    for member in ("²", huge, "-1"):
        response = await post_form(committee, f"{base}/paper/entries",
                                   {"member_id": member, "idempotency_key": "paper-key-0123456789ab"},
                                   follow_redirects=False)
        assert response.status_code == 400, member


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
