"""Who sees what of a result, for every role and phase (docs/secrecy.md).

Totals for everyone once voting has closed; each unit's choice only after the final result, only for
logged-in owners, committee members and observers of the community, and never when the community has
closed inspection. Everyone else gets 404: a page that is not theirs does not exist for them.
"""

from __future__ import annotations

import re
from datetime import timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from tests.support.factories import (
    MotionSpec,
    close_meeting,
    create_account,
    create_community,
    create_published_meeting,
    create_register,
    create_voting_world,
    db_session,
    mark_final,
    member_ids,
    past_window,
    record_ballot,
    stored_results,
    unit_row,
)
from tests.support.http import post_form
from vote.db.engine import begin_write
from vote.db.models import Community, MotionResult

INSPECTORS = ("owner", "committee", "observer")
ROLES = ("anonymous", "owner", "owner-of-b", "observer", "committee", "operator")


async def _set_inspection(app: Litestar, community_id: int, value: bool) -> None:
    async with db_session(app) as db:
        await begin_write(db)
        await db.execute(update(Community).where(Community.id == community_id).values(ballot_inspection=value))
        await db.commit()


def _inspection_state(phase: str, role: str) -> str:
    """What the result page must say about per-unit choices to ``role`` in ``phase``."""
    if phase == "final-closed":
        return "closed"
    if phase == "preliminary":
        return "after-final"
    return "available" if role in INSPECTORS else "members-only"


async def test_every_role_sees_totals_after_the_close_and_choices_only_as_allowed(
    app: Litestar, client: AsyncTestClient, login  # noqa: ANN001
) -> None:
    a = await create_voting_world(app, slug="a")
    b = await create_voting_world(app, slug="b")
    operator = await create_account(app, "platform-operator", operator=True)
    now = app.state.clock.now()
    meeting = await create_published_meeting(app, a.community_id, a.register_version_id, [
        MotionSpec("更换电梯", matter=6),
        MotionSpec("增补业委会委员", matter=3, kind="election", seats=2, candidates=("赵某", "钱某", "孙某")),
    ], opens_at=now - timedelta(days=7), closes_at=now + timedelta(minutes=1))
    question, election = meeting.motion_ids
    zhao, qian, _sun = meeting.option_ids[election]
    members = await member_ids(app, a.register_version_id)
    # Cast in an order that is not the units' order.
    await record_ballot(app, question, members["1号楼/201"], "abstain")
    await record_ballot(app, question, members["1号楼/103"], "yes")
    receipt = await record_ballot(app, question, members["1号楼/101"], "yes")
    await record_ballot(app, question, members["1号楼/102"], "no")
    await record_ballot(app, election, members["1号楼/102"], options=(qian,))
    await record_ballot(app, election, members["1号楼/101"], options=(zhao, qian))
    await record_ballot(app, election, members["1号楼/103"], "election")  # returned with nobody ticked

    clients: dict[str, AsyncTestClient] = {"anonymous": client}
    for role, creds in (("owner", a.owner), ("owner-of-b", b.owner), ("observer", a.observer),
                        ("committee", a.committee[0]), ("operator", operator)):
        clients[role] = await login(creds)
    base = f"/c/a/meetings/{meeting.meeting_id}"
    wrong: list[str] = []

    async def expect(role: str, url: str, status: int) -> str:
        response = await clients[role].get(url, follow_redirects=False)
        if response.status_code != status:
            wrong.append(f"{phase} {role} GET {url}: expected {status}, got {response.status_code}")
        return response.text

    phase = "open"
    for role in ROLES:
        page = await expect(role, f"{base}/result", 200)
        if 'data-state="not-closed"' not in page or "data-row=" in page or "更换电梯" in page:
            wrong.append(f"open {role}: the result page shows something before the close")
        for motion in (question, election):
            await expect(role, f"{base}/motions/{motion}/totals.json", 404)
            await expect(role, f"{base}/motions/{motion}/result.json", 404)
        await expect(role, f"{base}/result/ballots", 404)

    app.state.clock.advance(timedelta(minutes=2))
    await close_meeting(app, meeting.meeting_id)
    stored = await stored_results(app, meeting.meeting_id)
    for phase in ("preliminary", "final", "final-closed"):
        if phase == "final":
            await mark_final(app, meeting.meeting_id)
        if phase == "final-closed":
            await _set_inspection(app, a.community_id, False)
        for role in ROLES:
            inspects = _inspection_state(phase, role) == "available"
            page = await expect(role, f"{base}/result", 200)
            state = re.search(r'data-inspection="([a-z-]+)"', page)
            if state is None or state.group(1) != _inspection_state(phase, role):
                wrong.append(f"{phase} {role}: inspection {state and state.group(1)}, "
                             f"expected {_inspection_state(phase, role)}")
            if 'data-row="yes"' not in page or "1号楼" in page:
                wrong.append(f"{phase} {role}: the result page must show totals and no unit")
            if (f"{base}/result/ballots" in page) != inspects:
                wrong.append(f"{phase} {role}: link to the ballots {'missing' if inspects else 'shown'}")
            for motion in (question, election):
                totals = await clients[role].get(f"{base}/motions/{motion}/totals.json")
                if totals.status_code != 200 or "1号楼" in totals.text or "units" in totals.json():
                    wrong.append(f"{phase} {role}: totals of motion {motion}: {totals.status_code}")
                elif totals.json()["participated"]["heads"] != stored[motion].tally["participated"]["heads"]:
                    wrong.append(f"{phase} {role}: totals of motion {motion} differ from the stored tally")
                scenario = await expect(role, f"{base}/motions/{motion}/result.json", 200 if inspects else 404)
                if inspects and "1号楼-101" not in scenario:
                    wrong.append(f"{phase} {role}: the unit download lacks the units")
            ballots = await expect(role, f"{base}/result/ballots", 200 if inspects else 404)
            if inspects:
                units = re.findall(r'data-unit="([^"]+)"', ballots)
                if units != ["1号楼 101", "1号楼 102", "1号楼 103", "1号楼 201"] + ["1号楼 101", "1号楼 102", "1号楼 103"]:
                    wrong.append(f"{phase} {role}: ballots not listed by unit: {units}")
                row = ballots[ballots.index('data-unit="1号楼 102"'):]
                if "反对" not in row[:row.index("</tr>")]:
                    wrong.append(f"{phase} {role}: 1号楼 102's choice is not shown")
                if "对全部候选人弃权" not in ballots or "赵某、钱某" not in ballots:
                    wrong.append(f"{phase} {role}: election choices are not shown")
        check = await client.get(f"{base}/result/receipt", params={"code": receipt})
        if "您的表决票已计入结果" not in check.text:
            wrong.append(f"{phase}: the receipt check no longer answers")
    assert not wrong, "disclosure violations:\n" + "\n".join(wrong)


async def test_an_election_says_who_was_elected_to_how_many_seats_never_passed(
    app: Litestar, client: AsyncTestClient
) -> None:
    community_id = await create_community(app, slug="garden")
    version_id = await create_register(app, community_id, [unit_row("1号楼", f"10{i}", 10000, f"业主{i}")
                                                           for i in range(1, 6)])
    members = [m for _key, m in sorted((await member_ids(app, version_id)).items())]
    meeting = await create_published_meeting(app, community_id, version_id, [
        MotionSpec("选举委员（二）", matter=3, kind="election", seats=2, candidates=("张伟", "李娜", "王芳")),
        MotionSpec("选举委员（无人）", matter=3, kind="election", seats=2, candidates=("赵某", "钱某")),
    ], **past_window(app))
    tied, empty = meeting.motion_ids
    zhang, li, wang = meeting.option_ids[tied]
    # 张伟 4 of 5; 李娜 and 王芳 3 of 5 each, equal in heads and area: a tie at the last seat.
    choices = [(zhang, li), (zhang, li), (zhang, wang), (zhang, wang), (li, wang)]
    for member, chosen in zip(members, choices, strict=True):
        await record_ballot(app, tied, member, options=chosen)
    for member in members:
        await record_ballot(app, empty, member, "election")  # returned with nobody ticked: abstain on all
    await close_meeting(app, meeting.meeting_id)

    page = (await client.get(f"/c/garden/meetings/{meeting.meeting_id}/result")).text
    tied_section = page[page.index(f'id="motion-{tied}"'):page.index(f'id="motion-{empty}"')]
    empty_section = page[page.index(f'id="motion-{empty}"'):]
    assert "当选：张伟（应选 2 名，实选 1 名）" in tied_section
    assert "尚缺 1 名，需要补选。" in tied_section
    assert tied_section.count("末位得票相同：不当选") == 2
    assert "无人当选（应选 2 名，实选 0 名）" in empty_section and "尚缺 2 名，需要补选。" in empty_section
    for section in (tied_section, empty_section):
        assert "<strong>通过</strong>" not in section and "<strong>未通过</strong>" not in section
        assert "表决结果：" not in section
    result_url = f"/c/garden/meetings/{meeting.meeting_id}/result"
    english = (await post_form(client, "/lang", {"language": "en", "next": result_url})).text
    assert "Elected: 张伟 (2 seats, 1 filled)" in english and "Seats still vacant: 1. A by-election is needed." in english
    assert "No one elected (2 seats, 0 filled)" in english and "Tied for the last seat: not elected" in english
    assert "<strong>passed</strong>" not in english
    totals = (await client.get(f"/c/garden/meetings/{meeting.meeting_id}/motions/{tied}/totals.json")).json()
    assert totals["outcome"] == {"elected": ["1"]} and totals["seats"] == 2
    assert [c["yes"]["heads"] for c in totals["candidates"]] == [4, 3, 3]


async def test_blank_and_spoiled_paper_ballots_are_shown_within_abstain(app: Litestar, client: AsyncTestClient) -> None:
    community_id = await create_community(app, slug="garden")
    version_id = await create_register(app, community_id, [unit_row("1号楼", f"10{i}", 10000, f"业主{i}")
                                                           for i in range(1, 5)])
    members = [m for _key, m in sorted((await member_ids(app, version_id)).items())]
    meeting = await create_published_meeting(app, community_id, version_id, [MotionSpec("更换门禁", matter=5)],
                                             **past_window(app))
    motion = meeting.motion_ids[0]
    for member, choice in zip(members, ("yes", "yes", "abstain", "abstain"), strict=True):
        await record_ballot(app, motion, member, choice)
    await close_meeting(app, meeting.meeting_id)
    # The close records the paper ballots' marks in the tally (one blank, one spoiled, both abstaining).
    async with db_session(app) as db:
        await begin_write(db)
        result = (await db.execute(select(MotionResult).where(MotionResult.motion_id == motion))).scalar_one()
        result.tally = {**result.tally, "blank": {"area_centi": 10000, "heads": 1},
                        "spoiled": {"area_centi": 10000, "heads": 1}}
        await db.commit()
    page = (await client.get(f"/c/garden/meetings/{meeting.meeting_id}/result")).text
    assert "其中空白票 1 票（100.00 平方米）、无效票 1 票（100.00 平方米），均计为参与表决和弃权。" in page
    totals = (await client.get(f"/c/garden/meetings/{meeting.meeting_id}/motions/{motion}/totals.json")).json()
    assert totals["blank"] == totals["spoiled"] == {"area": "100.00", "heads": 1}
    assert totals["abstain"] == {"area": "200.00", "heads": 2}
