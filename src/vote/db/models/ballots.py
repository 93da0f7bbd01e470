"""Ballots: one per voting member and motion, enforced by a unique constraint."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vote.db.base import Base, IdMixin

CHOICES = ("yes", "no", "abstain")
ELECTION = "election"  # an election ballot; the chosen candidates are its BallotSelection rows


class Ballot(IdMixin, Base):
    """A cast ballot. It cannot be changed; the receipt code lets the owner check it later."""

    __tablename__ = "ballot"
    __table_args__ = (
        UniqueConstraint("motion_id", "member_id"),
        CheckConstraint("choice IN ('yes', 'no', 'abstain', 'election')", name="choice_valid"),
        CheckConstraint("channel IN ('online', 'paper', 'proxy')", name="channel_valid"),
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
