"""Append-only, hash-chained audit log.

Each entry's hash covers its content and the previous entry's hash, so editing or deleting any
entry breaks the chain from there on; ``verify_chain`` finds the first broken link. Appends are
serialised: the chain is one line, never a tree.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from vote.db.models import AuditEvent

GENESIS = "0" * 64
AUDIT_LOCK_KEY = 0x766F7465  # "vote"


def entry_hash(
    prev_hash: str,
    at: datetime,
    community_id: int | None,
    actor_account_id: int | None,
    action: str,
    object_type: str,
    object_id: str,
    detail: dict[str, Any],
) -> str:
    """The SHA-256 of one entry's canonical JSON, chained to the previous hash."""
    canonical = json.dumps(
        {
            "prev": prev_hash,
            "at": at.isoformat(timespec="microseconds"),
            "community": community_id,
            "actor": actor_account_id,
            "action": action,
            "object": [object_type, object_id],
            "detail": detail,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


async def record(
    session: AsyncSession,
    *,
    at: datetime,
    action: str,
    community_id: int | None = None,
    actor_account_id: int | None = None,
    object_type: str = "",
    object_id: str | int = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one entry in the caller's transaction (which must be a write transaction).

    The caller commits. ``detail`` must hold no clear personal data: mask it first.
    """
    detail = detail or {}
    at = at.astimezone(UTC)
    if session.bind.dialect.name == "postgresql":
        # Serialise appenders so each reads the newest hash; SQLite's write lock does this already.
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})
    last = (
        await session.execute(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    ).scalar_one_or_none()
    prev_hash = last or GENESIS
    event = AuditEvent(
        community_id=community_id,
        at=at,
        actor_account_id=actor_account_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        detail=detail,
        prev_hash=prev_hash,
        hash=entry_hash(prev_hash, at, community_id, actor_account_id, action, object_type, str(object_id), detail),
    )
    session.add(event)
    await session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    """The outcome of a chain verification, and of the log against its latest signed checkpoint."""

    entries: int
    first_broken_id: int | None
    reason: str = ""
    checkpoint_size: int | None = None
    """How many entries the latest audit checkpoint signed (None: no checkpoint yet)."""
    checkpoint_at: datetime | None = None
    checkpoint_failed: bool = False
    """The log does not match its latest checkpoint (truncated, or rewritten and re-chained); see ``reason``."""

    @property
    def ok(self) -> bool:
        """True when every link holds and the log matches its latest checkpoint."""
        return self.first_broken_id is None and not self.checkpoint_failed


async def _entries(session: AsyncSession, batch: int = 1000) -> AsyncIterator[AuditEvent]:
    last_id = 0
    while True:
        rows = (
            await session.execute(
                select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
            )
        ).scalars().all()
        if not rows:
            return
        for row in rows:
            yield row
        last_id = rows[-1].id


async def verify_chain(session: AsyncSession, public_key: bytes | None = None) -> ChainReport:
    """Recompute every hash in order; report the first entry whose link or content is wrong; then check the
    log against its latest signed checkpoint (``public_key``: the key to trust, else the deployment's).

    A chain alone cannot see its last entries deleted, nor an entry rewritten with every later hash
    recomputed; the signed checkpoint can: its size and Merkle root cover the entries it signed.
    """
    prev_hash = GENESIS
    count = 0
    hashes: list[str] = []
    async for event in _entries(session):
        count += 1
        hashes.append(event.hash)
        if event.prev_hash != prev_hash:
            return ChainReport(count, event.id, "previous hash does not match the entry before")
        expected = entry_hash(
            event.prev_hash,
            event.at,
            event.community_id,
            event.actor_account_id,
            event.action,
            event.object_type,
            event.object_id,
            event.detail,
        )
        if event.hash != expected:
            return ChainReport(count, event.id, "content does not match its hash")
        prev_hash = event.hash
    return await _against_checkpoint(session, hashes, public_key)


async def _against_checkpoint(session: AsyncSession, hashes: list[str], public_key: bytes | None) -> ChainReport:
    """The intact chain ``hashes`` against the latest audit checkpoint."""
    from vote.ledger import checkpoint as cp
    from vote.ledger import merkle
    from vote.ledger import services as ledger

    count = len(hashes)
    latest = await ledger.latest_audit_checkpoint(session)
    if latest is None:
        return ChainReport(count, None)
    at = latest.at.astimezone(UTC)

    def failed(reason: str) -> ChainReport:
        return ChainReport(count, None, reason, latest.size, at, checkpoint_failed=True)

    key = public_key or await ledger.public_key(session)
    head, signature = ledger.as_checkpoint(latest)
    if key is None or not cp.verify(key, head, signature):
        return failed(f"the audit checkpoint {latest.id} signed at {at.isoformat()} does not verify with the "
                      "signing key: it is forged or altered")
    if count < latest.size:
        return failed(f"the log has {count} entries but the checkpoint signed at {at.isoformat()} covers "
                      f"{latest.size}: entries were deleted after it")
    if merkle.root([merkle.leaf_hash(bytes.fromhex(h)) for h in hashes[:latest.size]]) != head.root:
        return failed(f"the first {latest.size} entries do not match the checkpoint signed at {at.isoformat()}: "
                      "entries were rewritten after it")
    return ChainReport(count, None, "", latest.size, at)
