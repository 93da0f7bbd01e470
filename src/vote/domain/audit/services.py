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
    """The outcome of a chain verification."""

    entries: int
    first_broken_id: int | None
    reason: str = ""

    @property
    def ok(self) -> bool:
        """True when every link holds."""
        return self.first_broken_id is None


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


async def verify_chain(session: AsyncSession) -> ChainReport:
    """Recompute every hash in order; report the first entry whose link or content is wrong."""
    prev_hash = GENESIS
    count = 0
    async for event in _entries(session):
        count += 1
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
    return ChainReport(count, None)
