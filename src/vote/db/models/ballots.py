"""Ballots: one per voting member and motion, enforced by a unique constraint; paper ballots waiting
for a second committee member's confirmation."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from vote.db.base import Base, IdMixin

CHOICES = ("yes", "no", "abstain")
ELECTION = "election"  # an election ballot; the chosen candidates are its BallotSelection rows
PAPER_MARKS = ("blank", "spoiled")  # a returned paper ballot that is blank (空白票) or cannot be read (无效票)
ENTRY_STATUSES = ("pending", "confirmed", "rejected")


class Ballot(IdMixin, Base):
    """A cast ballot. It cannot be changed; the receipt code lets the owner check it later.

    A paper ballot returned blank or spoiled is stored as an abstention (``abstain``, or an election
    ballot with no candidate selected) with its ``paper_mark`` and, when spoiled, the reason.
    """

    __tablename__ = "ballot"
    __table_args__ = (
        UniqueConstraint("motion_id", "member_id"),
        CheckConstraint("choice IN ('yes', 'no', 'abstain', 'election')", name="choice_valid"),
        CheckConstraint("channel IN ('online', 'paper', 'proxy')", name="channel_valid"),
        CheckConstraint(
            "paper_mark IS NULL OR (paper_mark IN ('blank', 'spoiled') AND channel = 'paper' "
            "AND choice IN ('abstain', 'election'))",
            name="paper_mark_valid",
        ),
        CheckConstraint("paper_note IS NULL OR paper_mark = 'spoiled'", name="paper_note_spoiled"),
        # The tally reads a motion's ballots in choice order from this index alone (covering).
        Index("ix_ballot_motion_choice_member", "motion_id", "choice", "member_id"),
    )

    motion_id: Mapped[int] = mapped_column(ForeignKey("motion.id", ondelete="RESTRICT"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="RESTRICT"), index=True)
    choice: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(8), default="online")
    cast_at: Mapped[datetime]
    cast_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    receipt: Mapped[str] = mapped_column(String(32), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    paper_mark: Mapped[str | None] = mapped_column(String(8))
    paper_note: Mapped[str | None] = mapped_column(String(200))
    # The random part of the ballot's ledger leaf (``vote.ledger.leaf``): without it the public leaf hashes
    # could be recomputed by guessing choices.
    nonce: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))


class PaperBallotEntry(IdMixin, Base):
    """A paper ballot typed in by one committee member, waiting for a second one to confirm it.

    It is not a ballot: its answers become ``Ballot`` rows only when a different committee member
    confirms it, in the same transaction that marks it confirmed. ``answers`` maps each motion id to
    ``{"choice": "yes"|"no"|"abstain"|"election", "options": [ids], "mark": None|"blank"|"spoiled",
    "note": None|str}``. At most one entry per member and meeting is pending: a partial unique index
    ``WHERE status = 'pending'`` (SQLite and PostgreSQL both have them). A unique (meeting, member, status)
    would also forbid a second rejected entry, and a member may need several (a typo rejected, entered
    again); rejected entries stay as a record. Nobody decides their own entry (CHECK).
    """

    __tablename__ = "paper_ballot_entry"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'confirmed', 'rejected')", name="status_valid"),
        CheckConstraint(
            "(status = 'pending' AND decided_by_account_id IS NULL AND decided_at IS NULL) OR "
            "(status <> 'pending' AND decided_by_account_id IS NOT NULL AND decided_at IS NOT NULL)",
            name="decided_when_not_pending",
        ),
        CheckConstraint("decided_by_account_id <> entered_by_account_id", name="second_person"),
        CheckConstraint("status <> 'rejected' OR reason IS NOT NULL", name="rejected_with_reason"),
        Index("uq_paper_ballot_entry_pending", "meeting_id", "member_id", unique=True,
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
    )

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="RESTRICT"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="RESTRICT"))
    answers: Mapped[dict]
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    entered_by_account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="RESTRICT"))
    entered_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10), default="pending")
    decided_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="RESTRICT"))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)
