"""The migration that adds the ledger gives ballots cast before it a nonce and their leaves, in id order
per meeting, keyed like the app's own leaves."""

from __future__ import annotations

import asyncio

from litestar import Litestar
from sqlalchemy import select

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
from vote.db import migrate
from vote.db.models import Ballot, LedgerLeaf
from vote.ledger import merkle
from vote.ledger import services as ledger
from vote.ledger.leaf import leaf_bytes


async def test_ballots_cast_before_the_ledger_get_their_leaves(app: Litestar) -> None:
    community_id = await create_community(app, slug="garden")
    version_id = await create_register(app, community_id, [unit_row("1号楼", f"10{i}", 10000, f"业主{i}")
                                                           for i in range(1, 4)])
    members = await member_ids(app, version_id)
    first = await create_published_meeting(app, community_id, version_id, [MotionSpec()])
    second = await create_published_meeting(app, community_id, version_id, [
        MotionSpec(kind="election", seats=2, candidates=("张三", "李四", "王五"))])
    for i in (1, 2):
        await record_ballot(app, first.motion_ids[0], members[f"1号楼/10{i}"], "yes")
        await record_ballot(app, second.motion_ids[0], members[f"1号楼/10{i}"],
                            options=tuple(second.option_ids[second.motion_ids[0]][1:]))
    await record_ballot(app, first.motion_ids[0], members["1号楼/103"], "no")

    settings = app.state.settings
    await asyncio.to_thread(migrate.downgrade, settings, "a7b8c9d0e1f2-1")
    await asyncio.to_thread(migrate.upgrade, settings)

    async with db_session(app) as db:
        ballots = list((await db.execute(select(Ballot).order_by(Ballot.id))).scalars())
        leaves = list((await db.execute(select(LedgerLeaf).order_by(LedgerLeaf.meeting_id, LedgerLeaf.position)))
                      .scalars())
        opened = {meeting.meeting_id: await ledger.openings(db, meeting.meeting_id) for meeting in (first, second)}
    assert len(ballots) == 5 and all(len(b.nonce) == 32 for b in ballots) and len({b.nonce for b in ballots}) == 5
    assert sorted(leaf.ballot_id for leaf in leaves) == [b.id for b in ballots]
    by_meeting = {m.meeting_id: [leaf for leaf in leaves if leaf.meeting_id == m.meeting_id] for m in (first, second)}
    assert [leaf.position for leaf in by_meeting[first.meeting_id]] == [0, 1, 2]
    assert [leaf.position for leaf in by_meeting[second.meeting_id]] == [0, 1]
    for meeting_id, rows in by_meeting.items():
        assert [leaf.ballot_id for leaf in rows] == sorted(leaf.ballot_id for leaf in rows)  # id order
        assert [merkle.leaf_hash(leaf_bytes(o.leaf)).hex() for o in opened[meeting_id]] == [r.leaf_hash for r in rows]
    assert [o.leaf.selected for o in opened[second.meeting_id]] == [(2, 3), (2, 3)]
    # The next ballot continues each log where the migration left it (PostgreSQL's head starts from the leaves).
    await record_ballot(app, second.motion_ids[0], members["1号楼/103"], options=())
    async with db_session(app) as db:
        positions = list((await db.execute(select(LedgerLeaf.position).where(LedgerLeaf.meeting_id == second.meeting_id)
                                           .order_by(LedgerLeaf.position))).scalars())
    assert positions == [0, 1, 2]
