"""Closing a meeting: every motion decided on the frozen register, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from tests.support.factories import (
    MotionSpec,
    close_due_meetings,
    create_community,
    create_published_meeting,
    create_register,
    db_session,
    member_ids,
    past_window,
    record_ballot,
    stored_results,
    unit_row,
)
from vote.db.models import AuditEvent, Meeting
from vote.domain.results.closing import Aggregate, ClosingService, decide_election
from vote.rules import Count


async def _meeting(app: Litestar, meeting_id: int) -> Meeting:
    async with db_session(app) as db:
        return (await db.execute(select(Meeting).where(Meeting.id == meeting_id))).scalar_one()


async def _four_equal_members(app: Litestar, slug: str = "garden", **community: object) -> tuple[int, int, list[int]]:
    """A community of four single-owner flats of 100.00 m² each; returns community, version and member ids."""
    community_id = await create_community(app, slug=slug, **community)
    version_id = await create_register(app, community_id, [
        unit_row("1号楼", f"10{i}", 10000, f"业主{i}") for i in range(1, 5)
    ])
    members = await member_ids(app, version_id)
    return community_id, version_id, [members[f"1号楼/10{i}"] for i in range(1, 5)]


async def test_closing_decides_special_ordinary_and_no_quorum_at_the_boundaries(
    app: Litestar, client: AsyncTestClient
) -> None:
    community_id, version_id, (a, b, c, d) = await _four_equal_members(app)
    meeting = await create_published_meeting(app, community_id, version_id, [
        MotionSpec("筹集维修资金", matter=6),
        MotionSpec("修改管理规约", matter=2),
        MotionSpec("选聘物业", matter=4),
    ], **past_window(app))
    special, ordinary, thin = meeting.motion_ids
    for member, choice in ((a, "yes"), (b, "yes"), (c, "yes"), (d, "no")):
        await record_ballot(app, special, member, choice)  # exactly 3/4 of area and heads: passes
    for member, choice in ((a, "yes"), (b, "yes"), (c, "no"), (d, "abstain")):
        await record_ballot(app, ordinary, member, choice)  # exactly 1/2: fails
    for member in (a, b):
        await record_ballot(app, thin, member, "yes")  # 2 of 4 took part (< 2/3): no quorum

    assert await close_due_meetings(app) == [meeting.meeting_id]
    page = await client.get(f"/c/garden/meetings/{meeting.meeting_id}/result")
    assert page.status_code == 200

    results = await stored_results(app, meeting.meeting_id)
    assert {m: r.outcome for m, r in results.items()} == {special: "passed", ordinary: "failed", thin: "no-quorum"}
    tally = results[special].tally
    assert tally["total"] == {"area_centi": 40000, "heads": 4}
    assert tally["yes"] == {"area_centi": 30000, "heads": 3}
    assert tally["no"] == {"area_centi": 10000, "heads": 1}
    assert tally["participated"] == {"area_centi": 40000, "heads": 4}
    assert [check["met"] for check in tally["checks"]] == [True, True, True, True]
    assert results[ordinary].tally["abstain"] == {"area_centi": 10000, "heads": 1}
    assert [c["met"] for c in results[ordinary].tally["checks"] if c["kind"] == "approval"] == [False, False]
    assert results[thin].tally["participated"] == {"area_centi": 20000, "heads": 2}
    assert results[special].register_version_id == version_id
    assert results[special].rule_preset == "cn-civil-code-2021"

    stored = await _meeting(app, meeting.meeting_id)
    assert stored.status == "preliminary"
    assert stored.preliminary_at is not None
    assert stored.objection_until - stored.preliminary_at == timedelta(days=7)  # the community's default
    text = page.text
    assert text.count("未通过") == 1 and "不成决议" in text and "通过" in text
    assert "初步结果" in text


async def test_an_election_fills_at_most_k_seats_in_order_of_support(app: Litestar, client: AsyncTestClient) -> None:
    community_id = await create_community(app, slug="garden")
    version_id = await create_register(app, community_id, [
        unit_row("1号楼", f"10{i}", 15000 if i == 1 else 10000, f"业主{i}") for i in range(1, 7)
    ])
    members = await member_ids(app, version_id)
    m = [members[f"1号楼/10{i}"] for i in range(1, 7)]
    meeting = await create_published_meeting(app, community_id, version_id, [
        MotionSpec("选举业主委员会委员", matter=3, kind="election", seats=2, candidates=("甲", "乙", "丙", "丁")),
    ], **past_window(app))
    motion = meeting.motion_ids[0]
    a, b, c, _d = meeting.option_ids[motion]
    selections = {m[0]: (a, b), m[1]: (a, b), m[2]: (a, c), m[3]: (b, c), m[4]: (a, c), m[5]: (b, c)}
    for member, chosen in selections.items():
        await record_ballot(app, motion, member, options=chosen)

    await close_due_meetings(app)
    page = await client.get(f"/c/garden/meetings/{meeting.meeting_id}/result")
    assert page.status_code == 200

    result = (await stored_results(app, meeting.meeting_id))[motion]
    assert result.outcome == "passed"
    tally = result.tally
    assert tally["kind"] == "election" and tally["seats"] == 2 and tally["seats_filled"] == 2
    assert tally["outcome"] == "decided" and tally["by_election_needed"] is False
    assert tally["participated"] == {"area_centi": 65000, "heads": 6}
    by_label = {cand["label"]: cand for cand in tally["candidates"]}
    # 甲 and 乙: 450.00 m² and 4 heads each; 丙: 400.00 m² and 4 heads passes but gets no seat; 丁: nobody.
    assert by_label["甲"]["yes"] == {"area_centi": 45000, "heads": 4}
    assert by_label["丙"]["yes"] == {"area_centi": 40000, "heads": 4}
    assert by_label["丙"]["abstain"] == {"area_centi": 25000, "heads": 2}
    assert {label: cand["status"] for label, cand in by_label.items()} == {
        "甲": "elected", "乙": "elected", "丙": "runner-up", "丁": "failed",
    }
    assert by_label["丙"]["outcome"] == "passed"
    assert "当选" in page.text and "甲" in page.text


def test_a_tie_for_the_last_seat_elects_none_of_the_tied_candidates() -> None:
    class Option:
        def __init__(self, option_id: int) -> None:
            self.id, self.position, self.label = option_id, option_id, f"c{option_id}"

    counts = Aggregate(
        total=Count(60000, 6), by_choice={"election": Count(60000, 6)},
        by_option={1: Count(50000, 5), 2: Count(40000, 4), 3: Count(40000, 4)},
    )
    outcome, tally = decide_election("cn-civil-code-2021", 3, 2, [Option(1), Option(2), Option(3)], counts)
    assert [c["status"] for c in tally["candidates"]] == ["elected", "tied", "tied"]
    assert outcome == "passed" and tally["seats_filled"] == 1 and tally["by_election_needed"] is True
    assert [c["rank"] for c in tally["candidates"]] == [1, 2, 2]
    no_quorum, tally = decide_election(
        "cn-civil-code-2021", 3, 1, [Option(1)],
        Aggregate(total=Count(60000, 6), by_choice={"election": Count(10000, 1)}, by_option={1: Count(10000, 1)}),
    )
    assert no_quorum == "no-quorum" and tally["candidates"][0]["status"] == "no-quorum"


async def test_a_building_scope_counts_only_that_buildings_units(app: Litestar, client: AsyncTestClient) -> None:
    community_id = await create_community(app, slug="garden")
    version_id = await create_register(app, community_id, [
        unit_row("1号楼", "101", 10000, "甲业主"),
        unit_row("1号楼", "102", 10000, "乙业主"),
        unit_row("2号楼", "101", 8000, "甲业主"),  # same owner as 1号楼 101: one member, only 100.00 m² in scope
        unit_row("2号楼", "102", 9000, "丙业主"),
    ])
    members = await member_ids(app, version_id)
    async with db_session(app) as db:
        from vote.db.models import Building

        building_1 = (await db.execute(select(Building.id).where(Building.name == "1号楼"))).scalar_one()
    meeting = await create_published_meeting(app, community_id, version_id, [MotionSpec("1号楼电梯改造", matter=7)],
                                             scope={"building_ids": [building_1]}, **past_window(app))
    motion = meeting.motion_ids[0]
    await record_ballot(app, motion, members["1号楼/101"], "yes")
    await record_ballot(app, motion, members["1号楼/102"], "yes")
    await record_ballot(app, motion, members["2号楼/102"], "no")  # outside the scope: not counted

    await close_due_meetings(app)
    assert (await client.get(f"/c/garden/meetings/{meeting.meeting_id}/result")).status_code == 200
    result = (await stored_results(app, meeting.meeting_id))[motion]
    assert result.tally["total"] == {"area_centi": 20000, "heads": 2}
    assert result.tally["participated"] == {"area_centi": 20000, "heads": 2}
    assert result.tally["no"] == {"area_centi": 0, "heads": 0}
    assert result.outcome == "passed"


async def test_parking_spaces_count_only_when_the_community_says_so(app: Litestar) -> None:
    rows = [
        unit_row("1号楼", "101", 10000, "甲业主"),
        unit_row("地下车库", "P-001", 1250, "甲业主", kind="parking"),
        unit_row("地下车库", "P-002", 1250, "车位业主", kind="parking"),  # holds only a parking space
        unit_row("1号楼", "102", 10000, "乙业主"),
    ]
    totals = {}
    for slug, counts in (("with-parking", True), ("without-parking", False)):
        community_id = await create_community(app, slug=slug, parking_counts=counts)
        version_id = await create_register(app, community_id, rows)
        members = await member_ids(app, version_id)
        meeting = await create_published_meeting(app, community_id, version_id, [MotionSpec(matter=1)],
                                                 **past_window(app))
        motion = meeting.motion_ids[0]
        await record_ballot(app, motion, members["1号楼/101"], "yes")
        await record_ballot(app, motion, members["地下车库/P-002"], "no")
        async with db_session(app) as db:
            assert await ClosingService(db).close(meeting.meeting_id, app.state.clock.now(), trigger="test")
        totals[slug] = (await stored_results(app, meeting.meeting_id))[motion].tally
    assert totals["with-parking"]["total"] == {"area_centi": 22500, "heads": 3}
    assert totals["with-parking"]["yes"] == {"area_centi": 11250, "heads": 1}
    assert totals["with-parking"]["no"] == {"area_centi": 1250, "heads": 1}
    assert totals["without-parking"]["total"] == {"area_centi": 20000, "heads": 2}
    assert totals["without-parking"]["yes"] == {"area_centi": 10000, "heads": 1}
    assert totals["without-parking"]["no"] == {"area_centi": 0, "heads": 0}
    assert totals["without-parking"]["parking_counts"] is False


async def test_two_concurrent_closes_store_one_result_per_motion(app: Litestar) -> None:
    community_id, version_id, (a, b, c, d) = await _four_equal_members(app)
    meeting = await create_published_meeting(app, community_id, version_id,
                                             [MotionSpec(matter=1), MotionSpec(matter=6)], **past_window(app))
    for member in (a, b, c):
        await record_ballot(app, meeting.motion_ids[0], member, "yes")
    now = app.state.clock.now()

    async def close() -> bool:
        async with db_session(app) as db:
            return await ClosingService(db).close(meeting.meeting_id, now, trigger="test") is not None

    outcomes = await asyncio.gather(close(), close(), close())
    assert sorted(outcomes) == [False, False, True]
    assert len(await stored_results(app, meeting.meeting_id)) == 2
    async with db_session(app) as db:
        closes = (await db.execute(select(func.count()).select_from(AuditEvent)
                                   .where(AuditEvent.action == "meeting_closed"))).scalar_one()
    assert closes == 1
    # A later close (the scheduler, cron) changes nothing.
    async with db_session(app) as db:
        assert await ClosingService(db).close(meeting.meeting_id, now + timedelta(hours=1), trigger="test") is None
    assert len(await stored_results(app, meeting.meeting_id)) == 2


async def test_a_meeting_still_open_is_not_closed_and_shows_no_result(app: Litestar, client: AsyncTestClient) -> None:
    community_id, version_id, (a, *_rest) = await _four_equal_members(app)
    meeting = await create_published_meeting(app, community_id, version_id, [MotionSpec("选聘物业", matter=4)])
    await record_ballot(app, meeting.motion_ids[0], a, "yes")
    page = await client.get(f"/c/garden/meetings/{meeting.meeting_id}/result")
    assert page.status_code == 200
    assert "尚未结束" in page.text
    assert "选聘物业" not in page.text and "通过" not in page.text
    assert (await client.get(f"/c/garden/meetings/{meeting.meeting_id}/motions/{meeting.motion_ids[0]}/result.json")
            ).status_code == 404
    assert await stored_results(app, meeting.meeting_id) == {}
    assert (await _meeting(app, meeting.meeting_id)).status == "noticed"

    app.state.clock.advance(timedelta(days=2))  # the window (closing in a day) has now ended
    page = await client.get(f"/c/garden/meetings/{meeting.meeting_id}/result")
    assert page.status_code == 200 and 'data-state="counting"' in page.text and "正在计票" in page.text
    assert "选聘物业" not in page.text and "不成决议" not in page.text
    assert (await _meeting(app, meeting.meeting_id)).status == "noticed"  # reading closed nothing

    assert await close_due_meetings(app) == [meeting.meeting_id]
    page = await client.get(f"/c/garden/meetings/{meeting.meeting_id}/result")
    assert "选聘物业" in page.text and "不成决议" in page.text
    assert (await _meeting(app, meeting.meeting_id)).status == "preliminary"


async def test_results_of_another_community_are_not_found(app: Litestar, client: AsyncTestClient) -> None:
    community_id, version_id, _members = await _four_equal_members(app)
    await create_community(app, slug="other")
    meeting = await create_published_meeting(app, community_id, version_id, [MotionSpec()], **past_window(app))
    assert (await client.get(f"/c/other/meetings/{meeting.meeting_id}/result")).status_code == 404
    assert (await client.get(f"/c/garden/meetings/{meeting.meeting_id}/result")).status_code == 200
