"""The two ways of counting members in scope agree: the member table and the unit-by-unit sum.

A whole-community tally reads ``member.area_centi`` less ``member.parking_area_centi`` when parking
spaces do not count; a partial scope sums units. These tests build a seeded random community (owners
of several units, co-owners, parking spaces, developer units) and compare the two on every kind of
motion, with parking spaces counted and not.
"""

from __future__ import annotations

import random

import pytest
from litestar import Litestar
from sqlalchemy import func, select, update

from tests.support.factories import (
    MotionSpec,
    create_community,
    create_published_meeting,
    create_register,
    db_session,
    member_ids,
    record_ballot,
    unit_row,
)
from vote.db.models import Community, Meeting, Member, Unit
from vote.domain.results.closing import aggregate

OWNERS = [f"业主{i}" for i in range(14)]


def random_rows(rng: random.Random) -> list:
    """About 40 units over two buildings; a tenth developer-held, a quarter parking spaces."""
    rows = []
    for index in range(40):
        building = "1号楼" if index % 2 else "2号楼"
        kind = "parking" if rng.random() < 0.25 else rng.choice(["flat", "flat", "shop"])
        owners = () if rng.random() < 0.1 else tuple(rng.sample(OWNERS, rng.choice([1, 1, 1, 2])))
        rows.append(unit_row(building, f"{index + 1:03d}", rng.randint(1_000, 20_000), *owners, kind=kind))
    return rows


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_member_table_and_unit_sum_give_the_same_counts(app: Litestar, seed: int) -> None:
    rng = random.Random(seed)
    community_id = await create_community(app)
    version_id = await create_register(app, community_id, random_rows(rng))
    meeting = await create_published_meeting(app, community_id, version_id, [
        MotionSpec("选聘物业", matter=4),
        MotionSpec("选举业委会委员", kind="election", seats=2, candidates=("甲", "乙", "丙")),
    ])
    question, election = meeting.motion_ids
    candidates = meeting.option_ids[election]
    for member_id in sorted(set((await member_ids(app, version_id)).values())):
        if rng.random() < 0.8:
            await record_ballot(app, question, member_id, rng.choice(["yes", "no", "abstain"]))
        if rng.random() < 0.7:
            await record_ballot(app, election, member_id, options=tuple(rng.sample(candidates, rng.randint(0, 2))))

    async with db_session(app) as db:
        # The import recorded each member's parking area: the sum of its parking spaces.
        parking = dict((await db.execute(
            select(Unit.member_id, func.sum(Unit.area_centi))
            .where(Unit.register_version_id == version_id, Unit.kind == "parking").group_by(Unit.member_id)
        )).tuples().all())
        stored = dict((await db.execute(
            select(Member.id, Member.parking_area_centi).where(Member.register_version_id == version_id)
        )).tuples().all())
        assert stored == {member: parking.get(member, 0) for member in stored}
        assert any(stored.values()) and not all(stored.values())

        for parking_counts in (True, False):
            await db.execute(update(Community).where(Community.id == community_id).values(parking_counts=parking_counts))
            await db.commit()
            community = (await db.execute(select(Community).where(Community.id == community_id))).scalar_one()
            row = (await db.execute(select(Meeting).where(Meeting.id == meeting.meeting_id))).scalar_one()
            for motion_id in (question, election):
                by_members = await aggregate(db, row, community, motion_id)
                by_units = await aggregate(db, row, community, motion_id, by_units=True)
                assert by_members == by_units, (parking_counts, motion_id)
                assert by_members.total.heads > 0
            question_counts = await aggregate(db, row, community, question)
            assert sum(c.heads for c in question_counts.by_choice.values()) > 0
            election_counts = await aggregate(db, row, community, election)
            assert election_counts.by_option and election_counts.choice("election").heads > 0


async def test_members_with_only_parking_spaces_drop_out_when_parking_does_not_count(app: Litestar) -> None:
    community_id = await create_community(app, parking_counts=False)
    version_id = await create_register(app, community_id, [
        unit_row("1号楼", "101", 10000, "张三"),
        unit_row("1号楼", "P1", 1250, "张三", kind="parking"),
        unit_row("1号楼", "P2", 1300, "李四", kind="parking"),
    ])
    meeting = await create_published_meeting(app, community_id, version_id, [MotionSpec("选聘物业", matter=4)])
    members = await member_ids(app, version_id)
    await record_ballot(app, meeting.motion_ids[0], members["1号楼/P2"], "yes")  # 李四: only a parking space
    async with db_session(app) as db:
        community = (await db.execute(select(Community).where(Community.id == community_id))).scalar_one()
        row = (await db.execute(select(Meeting).where(Meeting.id == meeting.meeting_id))).scalar_one()
        counts = await aggregate(db, row, community, meeting.motion_ids[0])
    assert (counts.total.area_centi, counts.total.heads) == (10000, 1)  # 张三's flat alone
    assert counts.choice("yes").heads == 0
