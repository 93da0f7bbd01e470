"""The ledger in the database: the signing key, appending ballots' leaves, signed checkpoints.

Every ballot gets one leaf in its meeting's log, appended in the transaction that inserts the ballot
(``BallotService._insert_form``, the one insert path of every channel). Positions are dense and 0-based
per meeting, and the leaves of a form go in with ONE statement: on SQLite the write transaction holds
the only write lock and the next position is read from the leaves; on PostgreSQL the statement upserts
the meeting's ``ledger_head`` row, whose row lock orders the appenders and whose counter gives the
positions (after the ballot insert; the close takes the ballot table and never the head: no deadlock).

A leaf (``vote.ledger.leaf``) commits to the meeting, the motion, an opaque member key (a keyed hash of
meeting and member under the deployment secret: stable in a meeting, unlinkable across meetings), the
choice, the chosen candidates' positions, a paper mark and a random nonce (kept on the ballot row), so
the public leaf hashes reveal nothing and cannot be recomputed by guessing choices.

Checkpoints are signed tree heads (``vote.ledger.checkpoint``) with the deployment's Ed25519 key: the
first one when voting opens, one at least hourly while it is open, the final one in the close's
transaction. Each ballot checkpoint also signs the head of the audit log (the whole hash chain, which is
deployment-wide): ``vote audit verify`` compares the log with the latest one, so truncating it or
rewriting an entry and recomputing the chain after a checkpoint is detected.
"""

from __future__ import annotations

import base64
import functools
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Insert, Integer, String, bindparam, func, insert, literal, select, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from vote.db.engine import write_transaction
from vote.db.models import AuditEvent, Ballot, BallotSelection, Community, Meeting, Motion, MotionOption
from vote.db.models.ledger import LedgerCheckpoint, LedgerHead, LedgerLeaf, SigningKey
from vote.ledger import checkpoint as cp
from vote.ledger import merkle
from vote.ledger.leaf import Leaf, leaf_bytes
from vote.lib.crypto import SecretBox
from vote.lib.security import keyed_hash

MEMBER_KEY_PURPOSE = "ledger-member"
KEY_PURPOSE = "ledger"
CHECKPOINT_EVERY = timedelta(hours=1)
AUDIT_ORIGIN = "vote/audit"
BALLOTS, AUDIT = "ballots", "audit"
APPEND_CHUNK = 100  # leaves per statement when appending stored ballots (SQLite limits compound selects)


class LedgerKeyError(RuntimeError):
    """The stored signing key cannot be opened with this deployment's secret."""


def secret_of(db: AsyncSession) -> str:
    """The deployment secret the session's factory carries (``Database.from_settings``)."""
    try:
        return db.info["secret_key"]
    except KeyError:
        raise RuntimeError("this database session carries no secret key: make it with Database.from_settings") from None


def new_nonce() -> str:
    """A ballot's leaf nonce: 16 random bytes as hex."""
    return secrets.token_hex(16)


def member_key(secret_key: str, meeting_id: int, member_id: int) -> str:
    """The opaque member key of a leaf: the same in one meeting, unlinkable across meetings."""
    return keyed_hash(secret_key, MEMBER_KEY_PURPOSE, f"{meeting_id}:{member_id}")[:32]


def meeting_origin(slug: str, meeting_id: int) -> str:
    """A meeting log's origin line."""
    return f"vote/{slug}/{meeting_id}"


def ballot_leaf(secret_key: str, meeting_id: int, motion_id: int, member_id: int, choice: str,
                selected: Iterable[int], mark: str | None, nonce: str) -> Leaf:
    """The leaf of one ballot (``selected``: the chosen candidates' positions)."""
    return Leaf(meeting_id=meeting_id, motion_id=motion_id, member=member_key(secret_key, meeting_id, member_id),
                choice=choice, selected=tuple(sorted(selected)), mark=mark, nonce=nonce)


def leaf_hash_hex(leaf: Leaf) -> str:
    """The leaf's hash as stored and published."""
    return merkle.leaf_hash(leaf_bytes(leaf)).hex()


# ---------------------------------------------------------------------------------------------- signing key


@dataclass(frozen=True)
class Signer:
    """The deployment's key: the private half (to sign) and the raw public key."""

    private_key: Ed25519PrivateKey
    public_key: bytes

    @property
    def key_id(self) -> str:
        """The key id published with every checkpoint."""
        return cp.key_id(self.public_key)


def _raw_public(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


async def public_key(db: AsyncSession) -> bytes | None:
    """The deployment's public key, or None before the key exists."""
    stored = (await db.execute(select(SigningKey.public_key).where(SigningKey.singleton == KEY_PURPOSE))).scalar()
    return bytes.fromhex(stored) if stored else None


async def signer(db: AsyncSession, now: datetime) -> Signer:
    """The deployment's key, generated at first use; call inside a write transaction.

    Race-safe: the row is unique (``singleton``); a second process that generated another key at the same
    moment loses the insert (``ON CONFLICT DO NOTHING``) and reads the winner's key.
    """
    box = SecretBox(secret_of(db), KEY_PURPOSE)
    row = (await db.execute(select(SigningKey).where(SigningKey.singleton == KEY_PURPOSE))).scalar_one_or_none()
    if row is None:
        fresh = Ed25519PrivateKey.generate()
        raw = fresh.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                  serialization.NoEncryption())
        dialect_insert = pg_insert if db.bind.dialect.name == "postgresql" else sqlite_insert
        await db.execute(
            dialect_insert(SigningKey).values(singleton=KEY_PURPOSE, public_key=_raw_public(fresh).hex(),
                                              private_key=box.seal(base64.b64encode(raw).decode()), created_at=now)
            .on_conflict_do_nothing(index_elements=["singleton"])
        )
        row = (
            await db.execute(select(SigningKey).where(SigningKey.singleton == KEY_PURPOSE)
                             .execution_options(populate_existing=True))
        ).scalar_one()
    opened = box.open(row.private_key)
    if opened is None:
        raise LedgerKeyError("the ledger's signing key cannot be opened with this deployment's secret key")
    private_key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(opened))
    if _raw_public(private_key).hex() != row.public_key:
        raise LedgerKeyError("the ledger's stored public key does not match its private key")
    return Signer(private_key, bytes.fromhex(row.public_key))


# ---------------------------------------------------------------------------------------------------- append


async def lock_meeting_log(db: AsyncSession, meeting_id: int) -> None:
    """Serialise the checkpoints of one meeting (PostgreSQL; SQLite's write lock does it already).

    Appenders need not be kept out: each holds its meeting's ``ledger_head`` row from the moment it takes
    its positions until it commits, so the committed leaves are always a dense prefix of the log.
    """
    if db.bind.dialect.name == "postgresql":
        await db.execute(select(Meeting.id).where(Meeting.id == meeting_id).with_for_update())


def _leaf_selects(rows: int, first: Any) -> list[Any]:
    """One ``SELECT`` per leaf: meeting, position ``first + index``, ballot, hash, time (all parameters)."""
    meeting_id = bindparam("meeting_id", type_=Integer())
    now = bindparam("now", type_=LedgerLeaf.created_at.type)
    return [
        select(meeting_id, first + literal(index), bindparam(f"ballot_{index}", type_=Integer()),
               bindparam(f"hash_{index}", type_=String()), now)
        for index in range(rows)
    ]


def _next_position() -> Any:
    """The meeting's next position read from its leaves."""
    return (
        select(func.coalesce(func.max(LedgerLeaf.position), -1) + 1)
        .where(LedgerLeaf.meeting_id == bindparam("meeting_id", type_=Integer()))
        .scalar_subquery()
    )


@functools.lru_cache(maxsize=64)
@functools.lru_cache(maxsize=64)
def _append_statement(rows: int, dialect: str) -> Insert:
    """ONE statement appending ``rows`` leaves at the next positions of the meeting's log. Built once per
    form length and dialect: building and compiling it costs about what running it does (the cast path).

    SQLite (the write lock held): ``INSERT ... SELECT`` at the next position read from the leaves.
    PostgreSQL: a data-modifying CTE upserts the meeting's ``ledger_head`` (its row lock serialises the
    appenders of one meeting until commit, and the upsert re-reads the row after waiting, so the counter is
    never stale) and the leaves take their positions from the size it returns.
    """
    columns = ["meeting_id", "position", "ballot_id", "leaf_hash", "created_at"]
    table = LedgerLeaf.__table__
    if dialect != "postgresql":
        selects = _leaf_selects(rows, _next_position())
        return insert(table).from_select(columns, selects[0] if rows == 1 else union_all(*selects))
    heads = LedgerHead.__table__
    count = bindparam("count", type_=Integer())
    upsert = pg_insert(heads).values(meeting_id=bindparam("meeting_id", type_=Integer()),
                                     size=_next_position() + count)
    head = (
        upsert.on_conflict_do_update(index_elements=["meeting_id"], set_={"size": heads.c.size + count})
        .returning(heads.c.size)
        .cte("head")
    )
    selects = [select_.select_from(head) for select_ in _leaf_selects(rows, head.c.size - count)]
    return insert(table).from_select(columns, selects[0] if rows == 1 else union_all(*selects))


async def append(db: AsyncSession, meeting_id: int, leaves: Sequence[tuple[int, str]], now: datetime) -> None:
    """Append (ballot id, leaf hash hex) pairs, in order, to the meeting's log; in the ballots' transaction."""
    if not leaves:
        return
    params: dict[str, Any] = {"meeting_id": meeting_id, "now": now, "count": len(leaves)}
    for index, (ballot_id, leaf_hash) in enumerate(leaves):
        params[f"ballot_{index}"] = ballot_id
        params[f"hash_{index}"] = leaf_hash
    await db.execute(_append_statement(len(leaves), db.bind.dialect.name), params)


async def option_positions(db: AsyncSession, option_ids: Iterable[int]) -> dict[int, int]:
    """Candidate id -> its position on the ballot (what a leaf names)."""
    ids = list(set(option_ids))
    if not ids:
        return {}
    rows = await db.execute(select(MotionOption.id, MotionOption.position).where(MotionOption.id.in_(ids)))
    return dict(rows.tuples().all())


async def leaves_of(db: AsyncSession, ballot_ids: Sequence[int]) -> dict[int, Leaf]:
    """Stored ballots' leaves as they are now (ballot id -> leaf), rebuilt from the ballot rows."""
    secret_key = secret_of(db)
    rows = (
        await db.execute(
            select(Ballot.id, Motion.meeting_id, Ballot.motion_id, Ballot.member_id, Ballot.choice,
                   Ballot.paper_mark, Ballot.nonce)
            .join(Motion, Motion.id == Ballot.motion_id).where(Ballot.id.in_(ballot_ids))
        )
    ).all()
    chosen = await _selected(db, ballot_ids)
    return {
        ballot_id: ballot_leaf(secret_key, meeting_id, motion_id, member_id, choice, chosen.get(ballot_id, ()),
                               mark, nonce)
        for ballot_id, meeting_id, motion_id, member_id, choice, mark, nonce in rows
    }


async def append_ballots(db: AsyncSession, ballot_ids: Sequence[int], now: datetime) -> None:
    """Append stored ballots (read back from the database) in the given order: for paths that insert ballots
    row by row (the test factories, data imports)."""
    leaves = await leaves_of(db, ballot_ids)
    by_meeting: dict[int, list[tuple[int, str]]] = {}
    for ballot_id in ballot_ids:
        leaf = leaves[ballot_id]
        by_meeting.setdefault(leaf.meeting_id, []).append((ballot_id, leaf_hash_hex(leaf)))
    for meeting_id, leaves in by_meeting.items():
        for start in range(0, len(leaves), APPEND_CHUNK):
            await append(db, meeting_id, leaves[start:start + APPEND_CHUNK], now)


async def _selected(db: AsyncSession, ballot_ids: Sequence[int]) -> dict[int, list[int]]:
    """Ballot id -> the positions of the candidates it chose."""
    chosen: dict[int, list[int]] = {}
    if not ballot_ids:
        return chosen
    for ballot_id, position in await db.execute(
        select(BallotSelection.ballot_id, MotionOption.position)
        .join(MotionOption, MotionOption.id == BallotSelection.option_id)
        .where(BallotSelection.ballot_id.in_(ballot_ids))
    ):
        chosen.setdefault(ballot_id, []).append(position)
    return chosen


# ------------------------------------------------------------------------------------------------ reading


async def leaf_hashes(db: AsyncSession, meeting_id: int) -> list[bytes]:
    """The meeting's leaf hashes in position order."""
    rows = await db.execute(
        select(LedgerLeaf.leaf_hash).where(LedgerLeaf.meeting_id == meeting_id).order_by(LedgerLeaf.position)
    )
    return [bytes.fromhex(h) for h in rows.scalars()]


@dataclass(frozen=True)
class Opening:
    """A leaf opened: its index, the ballot's member (to find its unit) and the leaf itself."""

    index: int
    member_id: int
    leaf: Leaf


async def openings(db: AsyncSession, meeting_id: int, *, ballot_ids: Sequence[int] | None = None) -> list[Opening]:
    """The meeting's leaves rebuilt from their ballots, in position order (all, or those of ``ballot_ids``)."""
    secret_key = secret_of(db)
    query = (
        select(LedgerLeaf.position, Ballot.id, Ballot.motion_id, Ballot.member_id, Ballot.choice, Ballot.paper_mark,
               Ballot.nonce)
        .join(Ballot, Ballot.id == LedgerLeaf.ballot_id)
        .where(LedgerLeaf.meeting_id == meeting_id)
        .order_by(LedgerLeaf.position)
    )
    if ballot_ids is not None:
        query = query.where(Ballot.id.in_(ballot_ids))
    rows = (await db.execute(query)).all()
    chosen = await _selected(db, [row[1] for row in rows])
    return [
        Opening(position, member_id, ballot_leaf(secret_key, meeting_id, motion_id, member_id, choice,
                                                 chosen.get(ballot_id, ()), mark, nonce))
        for position, ballot_id, motion_id, member_id, choice, mark, nonce in rows
    ]


# ---------------------------------------------------------------------------------------------- checkpoints


def _whole_seconds(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(microsecond=0)


async def _sign(db: AsyncSession, *, kind: str, origin: str, hashes: list[bytes], now: datetime,
                meeting_id: int | None, community_id: int | None) -> LedgerCheckpoint:
    key = await signer(db, now)
    head = cp.Checkpoint(origin=origin, size=len(hashes), root=merkle.root(hashes), timestamp=_whole_seconds(now))
    row = LedgerCheckpoint(meeting_id=meeting_id, community_id=community_id, kind=kind, origin=origin,
                           size=head.size, root=head.root.hex(), at=head.timestamp,
                           signature=base64.b64encode(cp.sign(key.private_key, head)).decode(), key_id=key.key_id)
    db.add(row)
    await db.flush()
    return row


async def audit_hashes(db: AsyncSession) -> list[bytes]:
    """The audit log's leaf hashes: ``leaf_hash`` of each entry's hash, in id order."""
    rows = await db.execute(select(AuditEvent.hash).order_by(AuditEvent.id))
    return [merkle.leaf_hash(bytes.fromhex(h)) for h in rows.scalars()]


async def checkpoint_audit(db: AsyncSession, now: datetime) -> LedgerCheckpoint:
    """Sign the audit log's head (inside a write transaction)."""
    return await _sign(db, kind=AUDIT, origin=AUDIT_ORIGIN, hashes=await audit_hashes(db), now=now,
                       meeting_id=None, community_id=None)


async def checkpoint_meeting(db: AsyncSession, community: Community, meeting_id: int, now: datetime, *,
                             audit: bool = True) -> LedgerCheckpoint:
    """Sign the meeting's log head (inside a write transaction; the caller commits), then the audit log's."""
    await lock_meeting_log(db, meeting_id)
    row = await _sign(db, kind=BALLOTS, origin=meeting_origin(community.slug, meeting_id),
                      hashes=await leaf_hashes(db, meeting_id), now=now, meeting_id=meeting_id,
                      community_id=community.id)
    if audit:
        await checkpoint_audit(db, now)
    return row


async def checkpoints(db: AsyncSession, meeting_id: int) -> list[LedgerCheckpoint]:
    """The meeting's checkpoints, oldest first."""
    rows = await db.execute(
        select(LedgerCheckpoint).where(LedgerCheckpoint.kind == BALLOTS, LedgerCheckpoint.meeting_id == meeting_id)
        .order_by(LedgerCheckpoint.id)
    )
    return list(rows.scalars())


async def latest_audit_checkpoint(db: AsyncSession) -> LedgerCheckpoint | None:
    """The newest checkpoint of the audit log."""
    return (
        await db.execute(select(LedgerCheckpoint).where(LedgerCheckpoint.kind == AUDIT)
                         .order_by(LedgerCheckpoint.id.desc()).limit(1))
    ).scalar_one_or_none()


def published(row: LedgerCheckpoint, public: bytes) -> dict[str, Any]:
    """A stored checkpoint as published (``checkpoint_to_dict``)."""
    head = cp.Checkpoint(origin=row.origin, size=row.size, root=bytes.fromhex(row.root),
                         timestamp=row.at.astimezone(UTC))
    return cp.checkpoint_to_dict(head, base64.b64decode(row.signature), public)


def as_checkpoint(row: LedgerCheckpoint) -> tuple[cp.Checkpoint, bytes]:
    """A stored checkpoint and its signature, for verification."""
    head = cp.Checkpoint(origin=row.origin, size=row.size, root=bytes.fromhex(row.root),
                         timestamp=row.at.astimezone(UTC))
    return head, base64.b64decode(row.signature)


def checkpoint_due(last: LedgerCheckpoint | None, now: datetime) -> bool:
    """A meeting open for voting needs a checkpoint: none yet (voting opened), or the last one is an hour old."""
    return last is None or now - last.at >= CHECKPOINT_EVERY


@dataclass(frozen=True)
class CheckpointRun:
    """What one checkpoint round signed: meeting id -> (size, checkpoint id)."""

    signed: dict[int, tuple[int, int]]


async def checkpoint_open_meetings(db: AsyncSession, now: datetime) -> CheckpointRun:
    """Sign a checkpoint for every meeting in its voting window that needs one (scheduler and cron).

    Each meeting in its own short write transaction; the need is re-checked under the lock, so several
    processes running this at once sign one checkpoint, not several.
    """
    meetings = (
        await db.execute(
            select(Meeting.id, Meeting.community_id).where(Meeting.status == "noticed", Meeting.opens_at <= now,
                                                           Meeting.closes_at > now).order_by(Meeting.id)
        )
    ).all()
    signed: dict[int, tuple[int, int]] = {}
    for meeting_id, community_id in meetings:
        async with write_transaction(db):
            await lock_meeting_log(db, meeting_id)
            last = (
                await db.execute(
                    select(LedgerCheckpoint).where(LedgerCheckpoint.kind == BALLOTS,
                                                   LedgerCheckpoint.meeting_id == meeting_id)
                    .order_by(LedgerCheckpoint.id.desc()).limit(1)
                )
            ).scalar_one_or_none()
            if not checkpoint_due(last, now):
                continue
            community = (await db.execute(select(Community).where(Community.id == community_id))).scalar_one()
            row = await checkpoint_meeting(db, community, meeting_id, now)
            signed[meeting_id] = (row.size, row.id)
    return CheckpointRun(signed)


# ---------------------------------------------------------------------------------------------- inclusion


@dataclass(frozen=True)
class Inclusion:
    """A leaf against the meeting's final checkpoint: where it is and the proof, or that it is not there."""

    leaf: Leaf
    included: bool
    index: int | None
    size: int
    proof: list[bytes]
    checkpoint: dict[str, Any]

    def document(self) -> dict[str, Any]:
        """The JSON answer of the receipt check (``vote verify --receipt`` reads it)."""
        from vote.ledger.leaf import leaf_to_dict

        answer: dict[str, Any] = {"included": self.included, "leaf": leaf_to_dict(self.leaf),
                                  "checkpoint": self.checkpoint}
        if self.included:
            answer |= {"index": self.index, "proof": [p.hex() for p in self.proof]}
        return answer


async def final_checkpoint(db: AsyncSession, meeting_id: int) -> LedgerCheckpoint | None:
    """The checkpoint the meeting's result names (its close), or None (closed before the ledger existed)."""
    from vote.db.models import MotionResult

    tallies = (
        await db.execute(select(MotionResult.tally).join(Motion, Motion.id == MotionResult.motion_id)
                         .where(Motion.meeting_id == meeting_id).order_by(Motion.position).limit(1))
    ).scalars().all()
    named = tallies[0].get("checkpoint") if tallies else None
    if not named:
        return None
    return (
        await db.execute(select(LedgerCheckpoint).where(LedgerCheckpoint.id == named["id"],
                                                        LedgerCheckpoint.meeting_id == meeting_id))
    ).scalar_one_or_none()


async def inclusion(db: AsyncSession, meeting_id: int, leaf: Leaf) -> Inclusion | None:
    """Whether ``leaf`` is in the meeting's final checkpoint, with the proof; None without a final checkpoint."""
    final = await final_checkpoint(db, meeting_id)
    key = await public_key(db)
    if final is None or key is None:
        return None
    hashes = (await leaf_hashes(db, meeting_id))[:final.size]
    wanted = merkle.leaf_hash(leaf_bytes(leaf))
    index = hashes.index(wanted) if leaf.meeting_id == meeting_id and wanted in hashes else None
    head, _signature = as_checkpoint(final)
    if index is None or merkle.root(hashes) != head.root:
        return Inclusion(leaf, False, None, final.size, [], published(final, key))
    proof = merkle.inclusion_proof(index, hashes)
    return Inclusion(leaf, merkle.verify_inclusion(index, final.size, wanted, proof, head.root), index, final.size,
                     proof, published(final, key))
