"""Tests that try to cheat: after a signed checkpoint, rows are deleted, added, reordered or flipped straight
in the database, the audit log is truncated or rewritten, a checkpoint is forged with another key, a
receipt of another meeting is presented. Each is detected, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import html
import json
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import BASE_URL, TEST_SECRET
from tests.integration.ballots.test_ballot_casting import open_meeting, set_clock
from tests.integration.ledger.conftest import cast, first_failure, openings_failure, sign_checkpoints
from tests.integration.meetings.conftest import Login
from tests.support.factories import (
    PublishedMeeting,
    VotingWorld,
    close_due_meetings,
    db_session,
    mark_final,
    member_ids,
)
from vote.__main__ import main
from vote.db.engine import begin_write
from vote.db.models import AuditEvent, Ballot, BallotSelection, LedgerCheckpoint, LedgerLeaf, SigningKey
from vote.domain.audit.services import entry_hash
from vote.ledger import checkpoint as cp
from vote.ledger import services as ledger

SIZE = 4  # two owners, two motions


async def _final_meeting(app: Litestar, world: VotingWorld, login: Login) -> PublishedMeeting:
    """A meeting with a checkpoint at opening, four ballots, closed (final checkpoint) and final."""
    meeting = await open_meeting(app, world)
    await sign_checkpoints(app)
    await cast(await login(world.owner), meeting, "yes", [0])
    await cast(await login(world.owner2), meeting, "no", [1, 2])
    set_clock(app, app.state.clock.now() + timedelta(days=2))
    assert await close_due_meetings(app) == [meeting.meeting_id]
    await mark_final(app, meeting.meeting_id)
    return meeting


async def _downloads(app: Litestar, client: AsyncTestClient, meeting: PublishedMeeting) -> tuple[dict, dict]:
    base = f"/c/garden/meetings/{meeting.meeting_id}"
    return ((await client.get(f"{base}/ledger/checkpoints.json")).json(),
            (await client.get(f"{base}/ledger/leaves.json")).json())


async def _leaf_rows(db: AsyncSession, meeting: PublishedMeeting) -> list[LedgerLeaf]:
    return list((await db.execute(select(LedgerLeaf).where(LedgerLeaf.meeting_id == meeting.meeting_id)
                                  .order_by(LedgerLeaf.position))).scalars())


async def _move(db: AsyncSession, leaf_id: int, position: int) -> None:
    await db.execute(update(LedgerLeaf).where(LedgerLeaf.id == leaf_id).values(position=position))


async def delete_last(db: AsyncSession, app: Litestar, meeting: PublishedMeeting) -> None:
    """Remove a ballot and its leaf (the last one cast)."""
    last = (await _leaf_rows(db, meeting))[-1]
    await db.execute(delete(LedgerLeaf).where(LedgerLeaf.id == last.id))
    await db.execute(delete(BallotSelection).where(BallotSelection.ballot_id == last.ballot_id))
    await db.execute(delete(Ballot).where(Ballot.id == last.ballot_id))


async def delete_middle(db: AsyncSession, app: Litestar, meeting: PublishedMeeting) -> None:
    """Remove the leaf at position 1 and close the gap."""
    rows = await _leaf_rows(db, meeting)
    await db.execute(delete(LedgerLeaf).where(LedgerLeaf.id == rows[1].id))
    for row in rows[2:]:
        await _move(db, row.id, row.position - 1)


async def _forged_ballot(db: AsyncSession, app: Litestar, meeting: PublishedMeeting) -> int:
    member = (await member_ids(app, (await _world_version(db, meeting))))["1号楼/103"]
    ballot = Ballot(motion_id=meeting.motion_ids[0], member_id=member, choice="yes", channel="online",
                    cast_at=app.state.clock.now(), receipt="FORGED0001")
    db.add(ballot)
    await db.flush()
    return ballot.id


async def _world_version(db: AsyncSession, meeting: PublishedMeeting) -> int:
    from vote.db.models import Meeting

    return (await db.execute(select(Meeting.register_version_id).where(Meeting.id == meeting.meeting_id))).scalar_one()


async def add_at_end(db: AsyncSession, app: Litestar, meeting: PublishedMeeting) -> None:
    """A ballot slipped in after the close, appended as the cast path would."""
    await ledger.append_ballots(db, [await _forged_ballot(db, app, meeting)], app.state.clock.now())


async def add_in_the_middle(db: AsyncSession, app: Litestar, meeting: PublishedMeeting) -> None:
    """A ballot slipped in at position 0, the others moved down one."""
    ballot_id = await _forged_ballot(db, app, meeting)
    for row in reversed(await _leaf_rows(db, meeting)):
        await _move(db, row.id, row.position + 1)
    leaf = (await ledger.leaves_of(db, [ballot_id]))[ballot_id]
    db.add(LedgerLeaf(meeting_id=meeting.meeting_id, position=0, ballot_id=ballot_id,
                      leaf_hash=ledger.leaf_hash_hex(leaf), created_at=app.state.clock.now()))


async def reorder(db: AsyncSession, app: Litestar, meeting: PublishedMeeting) -> None:
    """Swap the first two leaves."""
    first, second = (await _leaf_rows(db, meeting))[:2]
    await _move(db, first.id, 99)
    await _move(db, second.id, 0)
    await _move(db, first.id, 1)


async def flip_ballot(db: AsyncSession, app: Litestar, meeting: PublishedMeeting) -> None:
    """Change a ballot's choice (yes -> no), leaving its leaf alone."""
    await db.execute(update(Ballot).where(Ballot.motion_id == meeting.motion_ids[0], Ballot.choice == "yes")
                     .values(choice="no"))


async def flip_ballot_and_leaf(db: AsyncSession, app: Litestar, meeting: PublishedMeeting) -> None:
    """Change a ballot's choice and rewrite its leaf hash to match."""
    await flip_ballot(db, app, meeting)
    ballot_id = (await db.execute(select(Ballot.id).where(Ballot.motion_id == meeting.motion_ids[0],
                                                          Ballot.receipt != "").order_by(Ballot.id))).scalars().first()
    leaf = (await ledger.leaves_of(db, [ballot_id]))[ballot_id]
    await db.execute(update(LedgerLeaf).where(LedgerLeaf.ballot_id == ballot_id)
                     .values(leaf_hash=ledger.leaf_hash_hex(leaf)))


Cheat = Callable[[AsyncSession, Litestar, PublishedMeeting], Awaitable[None]]


@pytest.mark.parametrize("cheat", [delete_last, delete_middle, add_at_end, add_in_the_middle, reorder, flip_ballot,
                                   flip_ballot_and_leaf], ids=lambda c: c.__name__)
async def test_changing_ballots_after_the_final_checkpoint_is_detected(app: Litestar, world: VotingWorld,
                                                                       login: Login, cheat: Cheat) -> None:
    meeting = await _final_meeting(app, world, login)
    owner = await login(world.owner)
    async with AsyncTestClient(app=app, base_url=BASE_URL) as anonymous:  # the downloads are public
        checkpoints, leaves = await _downloads(app, anonymous, meeting)
    key = bytes.fromhex(checkpoints["public_key"])
    openings = (await owner.get(f"/c/garden/meetings/{meeting.meeting_id}/ledger/openings.json")).json()
    assert first_failure(checkpoints, leaves, key) is None and openings_failure(openings, leaves, SIZE) is None

    async with db_session(app) as db:
        await begin_write(db)
        await cheat(db, app, meeting)
        await db.commit()

    checkpoints, leaves = await _downloads(app, owner, meeting)
    openings = (await owner.get(f"/c/garden/meetings/{meeting.meeting_id}/ledger/openings.json")).json()
    problems = [first_failure(checkpoints, leaves, key), openings_failure(openings, leaves, SIZE)]
    assert any(problems), f"{cheat.__name__} went unnoticed"


async def test_a_flipped_ballot_fails_its_receipt_check(app: Litestar, world: VotingWorld, login: Login) -> None:
    meeting = await _final_meeting(app, world, login)
    owner = await login(world.owner)
    async with db_session(app) as db:
        receipt = (await db.execute(select(Ballot.receipt).where(Ballot.motion_id == meeting.motion_ids[0],
                                                                 Ballot.choice == "yes"))).scalar_one()
        await begin_write(db)
        await flip_ballot(db, app, meeting)
        await db.commit()
    base = f"/c/garden/meetings/{meeting.meeting_id}"
    answer = await owner.get(f"{base}/result/receipt", params={"code": receipt})
    assert 'data-ledger="missing"' in answer.text and "不在最终签名的记录中" in answer.text
    assert (await owner.get(f"{base}/result/receipt.json", params={"code": receipt})).json()["included"] is False


async def test_a_checkpoint_forged_with_another_key_fails(app: Litestar, world: VotingWorld, login: Login) -> None:
    meeting = await _final_meeting(app, world, login)
    owner = await login(world.owner)
    checkpoints, leaves = await _downloads(app, owner, meeting)
    key = bytes.fromhex(checkpoints["public_key"])
    forger = Ed25519PrivateKey.generate()
    head, _signature, _key_id = cp.checkpoint_from_dict(checkpoints["checkpoints"][-1])
    forged_public = forger.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    checkpoints["checkpoints"][-1] = cp.checkpoint_to_dict(head, cp.sign(forger, head), forged_public)
    assert "bad signature" in (first_failure(checkpoints, leaves, key) or "")
    # Swapping the file's key for the forger's is caught against the deployment's key.
    checkpoints["public_key"] = forged_public.hex()
    assert first_failure(checkpoints, leaves, key) is not None


async def test_a_receipt_of_another_meeting_is_not_included(app: Litestar, world: VotingWorld,
                                                            login: Login) -> None:
    first = await open_meeting(app, world)
    second = await open_meeting(app, world)
    owner = await login(world.owner)
    receipt_page = await cast(owner, first, "yes", [0])
    await cast(owner, second, "yes", [0])
    record = json.loads(html.unescape(re.findall(r'<pre class="receipt-leaf">([^<]+)</pre>', receipt_page)[0]))
    set_clock(app, app.state.clock.now() + timedelta(days=2))
    await close_due_meetings(app)
    owner = await login(world.owner)
    url = "/c/garden/meetings/{}/result/receipt.json"
    assert (await owner.get(url.format(first.meeting_id), params={"receipt": json.dumps(record)})).json()["included"]
    other = (await owner.get(url.format(second.meeting_id), params={"receipt": json.dumps(record)})).json()
    assert other["included"] is False and "proof" not in other
    # Relabelled as the other meeting's, its hash is not in that meeting's log either.
    relabelled = {**record, "meeting": second.meeting_id, "motion": second.motion_ids[0]}
    assert (await owner.get(url.format(second.meeting_id),
                            params={"receipt": json.dumps(relabelled)})).json()["included"] is False


async def _audit_verify(app: Litestar, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                        tmp_path: Path, *extra: str) -> tuple[int, str]:
    for name, value in {"VOTE_DATABASE_URL": app.state.settings.database_url, "VOTE_SECRET_KEY": TEST_SECRET,
                        "VOTE_ENV": "test", "VOTE_DATA_DIR": str(tmp_path)}.items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    code = await asyncio.to_thread(main, ["audit", "verify", *extra])
    return code, capsys.readouterr().out


async def _rechain_from(db: AsyncSession, start_id: int) -> None:
    """Recompute every hash from entry ``start_id`` on, as a forger who rewrote an entry would."""
    events = list((await db.execute(select(AuditEvent).order_by(AuditEvent.id))).scalars())
    prev = next((e.hash for e in reversed(events) if e.id < start_id), "0" * 64)
    # Hashes are unique: move the old ones out of the way first.
    for event in events:
        if event.id >= start_id:
            await db.execute(update(AuditEvent).where(AuditEvent.id == event.id)
                             .values(prev_hash=f"x{event.id:063d}", hash=f"y{event.id:063d}"))
    for event in events:
        if event.id < start_id:
            continue
        new = entry_hash(prev, event.at, event.community_id, event.actor_account_id, event.action,
                         event.object_type, event.object_id, event.detail)
        await db.execute(update(AuditEvent).where(AuditEvent.id == event.id).values(prev_hash=prev, hash=new))
        prev = new


@pytest.mark.parametrize("tamper", ["truncate-1", "truncate-3", "rewrite"])
async def test_audit_log_tampering_after_a_checkpoint_is_detected(
    app: Litestar, world: VotingWorld, login: Login, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], tmp_path: Path, tamper: str,
) -> None:
    await _final_meeting(app, world, login)
    code, out = await _audit_verify(app, monkeypatch, capsys, tmp_path)
    assert code == 0 and "intact" in out and "matches the checkpoint" in out, out
    async with db_session(app) as db:
        await begin_write(db)
        ids = list((await db.execute(select(AuditEvent.id).order_by(AuditEvent.id))).scalars())
        if tamper.startswith("truncate"):
            await db.execute(delete(AuditEvent).where(AuditEvent.id.in_(ids[-int(tamper[-1]):])))
        else:
            target = ids[len(ids) // 2]
            await db.execute(update(AuditEvent).where(AuditEvent.id == target).values(detail={"rewritten": True}))
            await _rechain_from(db, target)
        await db.commit()
    code, out = await _audit_verify(app, monkeypatch, capsys, tmp_path)
    assert code == 1, out
    assert ("were deleted" if tamper.startswith("truncate") else "were rewritten") in out
    # The observers' audit page says so too.
    page = await (await login(world.observer)).get("/c/garden/audit")
    assert 'data-chain="broken"' in page.text


async def test_a_re_signed_audit_log_fails_against_the_published_key(
    app: Litestar, world: VotingWorld, login: Login, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    """A forger who rewrites the log, re-signs its checkpoint with a key of their own and swaps the stored
    public key passes a check that trusts the database, not one against the published key."""
    await _final_meeting(app, world, login)
    async with db_session(app) as db:
        real_key = await ledger.public_key(db)
        forger = Ed25519PrivateKey.generate()
        forged_public = forger.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        await begin_write(db)
        latest = await ledger.latest_audit_checkpoint(db)
        head, _signature = ledger.as_checkpoint(latest)
        await db.execute(update(LedgerCheckpoint).where(LedgerCheckpoint.id == latest.id)
                         .values(signature=base64.b64encode(cp.sign(forger, head)).decode()))
        await db.commit()
    code, out = await _audit_verify(app, monkeypatch, capsys, tmp_path)
    assert code == 1 and "does not verify" in out
    async with db_session(app) as db:
        await begin_write(db)
        await db.execute(update(SigningKey).values(public_key=forged_public.hex()))
        await db.commit()
    code, out = await _audit_verify(app, monkeypatch, capsys, tmp_path)
    assert code == 0, out  # trusting the database's key
    code, out = await _audit_verify(app, monkeypatch, capsys, tmp_path, "--key", real_key.hex())
    assert code == 1 and "does not verify" in out


async def _all_downloads(app: Litestar, owner: AsyncTestClient, meeting: PublishedMeeting, directory: Path,
                         receipt_code: str) -> list[str]:
    """Every download of a final meeting as an inspector gets them, saved as files; ``vote verify``'s arguments."""
    base = f"/c/garden/meetings/{meeting.meeting_id}"
    files: dict[str, object] = {
        "checkpoints.json": (await owner.get(f"{base}/ledger/checkpoints.json")).json(),
        "leaves.json": (await owner.get(f"{base}/ledger/leaves.json")).json(),
        "openings.json": (await owner.get(f"{base}/ledger/openings.json")).json(),
        "receipt.json": (await owner.get(f"{base}/result/receipt.json", params={"code": receipt_code})).json(),
    }
    ballots, totals = [], []
    for motion_id in meeting.motion_ids:
        files[f"result-{motion_id}.json"] = (await owner.get(f"{base}/motions/{motion_id}/result.json")).json()
        files[f"totals-{motion_id}.json"] = (await owner.get(f"{base}/motions/{motion_id}/totals.json")).json()
        ballots.append(str(directory / f"result-{motion_id}.json"))
        totals.append(str(directory / f"totals-{motion_id}.json"))
    for name, document in files.items():
        (directory / name).write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    return ["verify", "--checkpoints", str(directory / "checkpoints.json"), "--leaves", str(directory / "leaves.json"),
            "--receipt", str(directory / "receipt.json"), "--openings", str(directory / "openings.json"),
            "--ballots", *ballots, "--totals", *totals,
            "--key", (await owner.get("/ledger/key")).text.strip()]


async def test_vote_verify_accepts_the_sites_own_downloads_and_catches_a_rewritten_ballot(
    app: Litestar, world: VotingWorld, login: Login, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    """End to end: what the site publishes for a final meeting verifies offline with `vote verify`; after a
    ballot and its leaf are rewritten in the database (and the leaf list re-served), it no longer does."""
    meeting = await _final_meeting(app, world, login)
    owner = await login(world.owner)
    async with db_session(app) as db:
        code = (await db.execute(select(Ballot.receipt).where(Ballot.motion_id == meeting.motion_ids[0],
                                                              Ballot.cast_by_account_id == world.owner.account_id))
                ).scalar_one()
    honest = tmp_path / "honest"
    honest.mkdir()
    assert main(await _all_downloads(app, owner, meeting, honest, code)) == 0, capsys.readouterr()
    assert capsys.readouterr().out.startswith("OK")

    async with db_session(app) as db:
        await begin_write(db)
        await flip_ballot_and_leaf(db, app, meeting)
        await db.commit()
    cheated = tmp_path / "cheated"
    cheated.mkdir()
    assert main(await _all_downloads(app, owner, meeting, cheated, code)) == 1
    assert capsys.readouterr().out.startswith("FAILED")
