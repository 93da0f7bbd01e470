"""The ballot ledger: each meeting's append-only list of leaf hashes, the signed checkpoints of it (and
of the audit log), and the deployment's signing key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vote.db.base import Base, IdMixin


class LedgerLeaf(IdMixin, Base):
    """One ballot's leaf in its meeting's log: dense 0-based positions, one leaf per ballot."""

    __tablename__ = "ledger_leaf"
    __table_args__ = (
        UniqueConstraint("meeting_id", "position"),
        CheckConstraint("position >= 0", name="position_valid"),
    )

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="RESTRICT"))
    position: Mapped[int]
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballot.id", ondelete="RESTRICT"), unique=True)
    leaf_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class LedgerHead(Base):
    """PostgreSQL's append lock and counter of a meeting's log: appenders upsert this row (taking its row
    lock) and get their positions from it in the same statement as the leaves' insert. It is created at the
    meeting's first append, from the leaves already there. SQLite needs none: its write lock serialises
    appenders, which read the next position from the leaves."""

    __tablename__ = "ledger_head"
    __table_args__ = (CheckConstraint("size >= 0", name="size_valid"),)

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="RESTRICT"), primary_key=True)
    size: Mapped[int]


class LedgerCheckpoint(IdMixin, Base):
    """A signed tree head: of a meeting's ballots (``kind='ballots'``) or of the audit log (``'audit'``)."""

    __tablename__ = "ledger_checkpoint"
    __table_args__ = (
        CheckConstraint("kind IN ('ballots', 'audit')", name="kind_valid"),
        CheckConstraint("(kind = 'ballots') = (meeting_id IS NOT NULL)", name="meeting_for_ballots"),
        CheckConstraint("size >= 0", name="size_valid"),
        Index("ix_ledger_checkpoint_meeting_kind", "kind", "meeting_id", "id"),
    )

    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id", ondelete="RESTRICT"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(8))
    origin: Mapped[str] = mapped_column(String(200))
    size: Mapped[int]
    root: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    signature: Mapped[str] = mapped_column(String(100))
    key_id: Mapped[str] = mapped_column(String(16))


class SigningKey(IdMixin, Base):
    """The deployment's Ed25519 key: one row (``singleton`` is unique), the private key sealed."""

    __tablename__ = "signing_key"

    singleton: Mapped[str] = mapped_column(String(16), unique=True, default="ledger")
    public_key: Mapped[str] = mapped_column(String(64))
    private_key: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
