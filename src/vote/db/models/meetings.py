"""Meetings (业主大会会议), their motions and the motions' frozen revisions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vote.db.base import Base, IdMixin

MEETING_STATUSES = ("draft", "noticed", "open", "closed", "preliminary", "final")


class Meeting(IdMixin, Base):
    """One round of decisions with a notice date and a voting window."""

    __tablename__ = "meeting"
    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'noticed', 'open', 'closed', 'preliminary', 'final')", name="status_valid"
        ),
        CheckConstraint("closes_at > opens_at", name="window_ordered"),
        # Published meetings decide by the rules frozen at notice; a draft has none yet.
        CheckConstraint(
            "status = 'draft' OR (rule_preset IS NOT NULL AND rule_hash IS NOT NULL AND parking_counts IS NOT NULL"
            " AND notice_days IS NOT NULL AND objection_days IS NOT NULL)",
            name="rules_frozen_when_published",
        ),
    )

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"), index=True)
    register_version_id: Mapped[int | None] = mapped_column(ForeignKey("register_version.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="written")
    scope: Mapped[dict | None]
    status: Mapped[str] = mapped_column(String(16), default="draft")
    noticed_at: Mapped[datetime | None]
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    preliminary_at: Mapped[datetime | None]
    objection_until: Mapped[datetime | None]
    final_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    created_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    # The community's rules as they stood at publication (``vote.domain.meetings.snapshot``): closing,
    # turnout, the pages and the downloads read these, never the community's current settings.
    rule_preset: Mapped[str | None] = mapped_column(String(64))
    rule_hash: Mapped[str | None] = mapped_column(String(64))
    parking_counts: Mapped[bool | None]
    notice_days: Mapped[int | None]
    objection_days: Mapped[int | None]


class Motion(IdMixin, Base):
    """One question put to the vote, tagged with exactly one matter of Civil Code Art. 278."""

    __tablename__ = "motion"
    __table_args__ = (
        UniqueConstraint("meeting_id", "position"),
        CheckConstraint("matter BETWEEN 1 AND 9", name="matter_range"),
        CheckConstraint("kind IN ('question', 'election')", name="kind_valid"),
        CheckConstraint("seats IS NULL OR seats >= 1", name="seats_positive"),
    )

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16), default="question")
    matter: Mapped[int]
    seats: Mapped[int | None]


class MotionRevision(IdMixin, Base):
    """A motion's text; once published it is frozen and a change is a new revision."""

    __tablename__ = "motion_revision"
    __table_args__ = (UniqueConstraint("motion_id", "number"),)

    motion_id: Mapped[int] = mapped_column(ForeignKey("motion.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    body_md: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    created_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None]
