"""Signed checkpoints: when voting opens, hourly while open, the final one at the close (named by the
result); the public downloads verify; the receipt check proves inclusion against the final checkpoint."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest
from litestar import Litestar
from sqlalchemy import select

from tests.conftest import TEST_SECRET
from tests.integration.ballots.test_ballot_casting import open_meeting, set_clock
from tests.integration.ledger.conftest import cast, first_failure, openings_failure, sign_checkpoints
from tests.integration.meetings.conftest import Login
from tests.support.factories import VotingWorld, close_due_meetings, db_session, mark_final, stored_results
from vote.__main__ import main
from vote.db.engine import Database
from vote.domain.results.scheduler import ClosingScheduler
from vote.db.models import Ballot, LedgerCheckpoint
from vote.ledger import checkpoint as cp
from vote.ledger import merkle
from vote.ledger.leaf import leaf_bytes, leaf_from_dict


async def _checkpoints(app: Litestar, kind: str = "ballots") -> list[LedgerCheckpoint]:
    async with db_session(app) as db:
        return list((await db.execute(select(LedgerCheckpoint).where(LedgerCheckpoint.kind == kind)
                                      .order_by(LedgerCheckpoint.id))).scalars())


async def test_checkpoints_open_hourly_and_final(app: Litestar, world: VotingWorld, login: Login) -> None:
    meeting = await open_meeting(app, world)
    base = f"/c/garden/meetings/{meeting.meeting_id}"
    # Voting is open and has no checkpoint: the scheduler's step signs the first one (empty log).
    assert (await sign_checkpoints(app)) == {meeting.meeting_id: (0, (await _checkpoints(app))[0].id)}
    await cast(await login(world.owner), meeting, "yes", [0])
    # Within the hour: nothing new.
    assert await sign_checkpoints(app) == {}
    set_clock(app, app.state.clock.now() + timedelta(minutes=61))
    assert [size for size, _id in (await sign_checkpoints(app)).values()] == [2]
    await cast(await login(world.owner2), meeting, "no", [1, 2])
    # Each ballot checkpoint signs the audit log's head too.
    assert len(await _checkpoints(app, "audit")) == 2

    set_clock(app, app.state.clock.now() + timedelta(days=1))
    assert await close_due_meetings(app) == [meeting.meeting_id]
    rows = await _checkpoints(app)
    assert [row.size for row in rows] == [0, 2, 4]
    final = rows[-1]
    for result in (await stored_results(app, meeting.meeting_id)).values():
        assert result.tally["checkpoint"] == {"size": 4, "root": final.root, "id": final.id}
    assert len(await _checkpoints(app, "audit")) == 3
    # Closed: the scheduler signs no more checkpoints of it.
    assert await sign_checkpoints(app) == {}

    owner = await login(world.owner)
    # The public downloads: the key, the checkpoints and the leaves verify as `vote verify` checks them.
    key = (await owner.get("/ledger/key")).text.strip()
    checkpoints = (await owner.get(f"{base}/ledger/checkpoints.json")).json()
    leaves = (await owner.get(f"{base}/ledger/leaves.json")).json()
    assert checkpoints["public_key"] == key and checkpoints["origin"] == f"vote/garden/{meeting.meeting_id}"
    assert [c["size"] for c in checkpoints["checkpoints"]] == [0, 2, 4] and len(leaves["leaves"]) == 4
    assert first_failure(checkpoints, leaves, bytes.fromhex(key)) is None
    assert "choice" not in str(leaves) and "member" not in str(leaves)

    # Openings: inspectors only, after the final result; they match the leaves.
    assert (await owner.get(f"{base}/ledger/openings.json")).status_code == 404
    await mark_final(app, meeting.meeting_id)
    openings = (await owner.get(f"{base}/ledger/openings.json")).json()
    assert openings_failure(openings, leaves, 4) is None
    assert {o["unit"] for o in openings["leaves"]} == {"1号楼-101", "1号楼-102"}

    # The observers' page lists the checkpoints; an owner does not get it.
    observer = await login(world.observer)
    page = await observer.get(f"{base}/ledger")
    assert page.status_code == 200 and page.text.count("data-checkpoint=") == 3
    assert "最终检查点" in page.text and key in page.text
    assert (await owner.get(f"{base}/ledger")).status_code in (403, 404)
    # The key is on the public community page and the result page.
    assert key in (await owner.get("/c/garden")).text
    assert key in (await owner.get(f"{base}/result")).text


async def test_the_receipt_check_proves_inclusion(app: Litestar, world: VotingWorld, login: Login) -> None:
    meeting = await open_meeting(app, world)
    base = f"/c/garden/meetings/{meeting.meeting_id}"
    owner = await login(world.owner)
    await cast(await login(world.owner2), meeting, "no", [1])
    await cast(owner, meeting, "yes", [0, 2])
    set_clock(app, app.state.clock.now() + timedelta(days=2))
    await close_due_meetings(app)
    async with db_session(app) as db:
        receipt = (await db.execute(select(Ballot.receipt).where(Ballot.motion_id == meeting.motion_ids[0],
                                                                 Ballot.cast_by_account_id == world.owner.account_id))
                   ).scalar_one()
    answer = await owner.get(f"{base}/result/receipt", params={"code": receipt})
    assert "您的选票在第 2 号位置，已包含在最终签名的记录中（共 4 张）" in answer.text
    proof = (await owner.get(f"{base}/result/receipt.json", params={"code": receipt})).json()
    assert proof["included"] is True and proof["index"] == 2 and proof["leaf"]["choice"] == "yes"
    head, signature, _key_id = cp.checkpoint_from_dict(proof["checkpoint"])
    key = bytes.fromhex((await owner.get("/ledger/key")).text.strip())
    assert cp.verify(key, head, signature) and head.size == 4
    leaf = merkle.leaf_hash(leaf_bytes(leaf_from_dict(proof["leaf"])))
    assert merkle.verify_inclusion(2, 4, leaf, [bytes.fromhex(p) for p in proof["proof"]], head.root)
    # The pasted ballot record of the receipt gives the same answer; a malformed one is a clear 400.
    pasted = (await owner.get(f"{base}/result/receipt.json", params={"receipt": json.dumps(
        {**proof["leaf"], "index": 2})})).json()
    assert pasted["included"] is True and pasted["proof"] == proof["proof"]
    bad = await owner.get(f"{base}/result/receipt.json", params={"receipt": '{"v": 1, "nonce": "x"}'})
    assert bad.status_code == 400
    assert (await owner.get(f"{base}/result/receipt.json", params={"code": "ZZZZZZZZZZ"})).status_code == 404


async def test_vote_ledger_checkpoint_for_cron(app: Litestar, world: VotingWorld, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    meeting = await open_meeting(app, world)
    for name, value in {"VOTE_DATABASE_URL": app.state.settings.database_url, "VOTE_SECRET_KEY": TEST_SECRET,
                        "VOTE_ENV": "test", "VOTE_DATA_DIR": str(tmp_path)}.items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["ledger", "checkpoint"]) == 0
    assert f"meeting {meeting.meeting_id}: checkpoint" in capsys.readouterr().out
    assert await asyncio.to_thread(main, ["ledger", "checkpoint"]) == 0
    assert "no meeting needs a checkpoint" in capsys.readouterr().out


async def test_the_closing_job_signs_checkpoints_of_open_meetings(app: Litestar, world: VotingWorld) -> None:
    meeting = await open_meeting(app, world)
    database = Database.from_settings(app.state.settings)
    try:
        assert await ClosingScheduler(database.sessionmaker, app.state.clock, 5).run_once() == []
    finally:
        await database.dispose()
    assert [(row.meeting_id, row.size) for row in await _checkpoints(app)] == [(meeting.meeting_id, 0)]
