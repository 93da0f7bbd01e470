"""Approvals (the two-person and committee-majority rules), election options and results."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vote.db.base import Base, IdMixin


class Approval(IdMixin, Base):
    """One committee member's approval of an act (publishing a meeting, a final result, ...).

    The unique constraint makes each member count once, whatever the number of clicks.
    """

    __tablename__ = "approval"
    __table_args__ = (UniqueConstraint("subject_type", "subject_id", "account_id"),)

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"), index=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int]
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime]


class MotionOption(IdMixin, Base):
    """A candidate of an election motion."""

    __tablename__ = "motion_option"
    __table_args__ = (UniqueConstraint("motion_id", "position"),)

    motion_id: Mapped[int] = mapped_column(ForeignKey("motion.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    label: Mapped[str] = mapped_column(String(200))


class BallotSelection(Base):
    """A candidate chosen on an election ballot (choice ``election``)."""

    __tablename__ = "ballot_selection"

    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballot.id", ondelete="CASCADE"), primary_key=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("motion_option.id", ondelete="RESTRICT"), primary_key=True,
                                           index=True)


class MotionResult(IdMixin, Base):
    """The engine's decision on a motion at close, on the frozen register; kept as published."""

    __tablename__ = "motion_result"
    __table_args__ = (
        UniqueConstraint("motion_id"),
        CheckConstraint("outcome IN ('passed', 'failed', 'no-quorum')", name="outcome_valid"),
    )

    motion_id: Mapped[int] = mapped_column(ForeignKey("motion.id", ondelete="RESTRICT"))
    register_version_id: Mapped[int] = mapped_column(ForeignKey("register_version.id", ondelete="RESTRICT"))
    rule_preset: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    tally: Mapped[dict]
    decided_at: Mapped[datetime]
