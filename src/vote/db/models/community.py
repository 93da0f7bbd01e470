"""A community (物业管理区域) and its buildings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vote.db.base import Base, IdMixin


class Community(IdMixin, Base):
    """One property management area; its assembly decides by the community's rule preset."""

    __tablename__ = "community"
    __table_args__ = (
        CheckConstraint("notice_days >= 0", name="notice_days_nonnegative"),
        CheckConstraint("objection_days >= 0", name="objection_days_nonnegative"),
        CheckConstraint(
            "proposal_threshold_pct BETWEEN 1 AND 100", name="proposal_threshold_pct_range"
        ),
        CheckConstraint("proposal_mode IN ('and', 'or')", name="proposal_mode_valid"),
    )

    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    rule_preset: Mapped[str] = mapped_column(String(64), default="cn-civil-code-2021")
    notice_days: Mapped[int] = mapped_column(default=15)
    voting_days_min: Mapped[int] = mapped_column(default=5)
    voting_days_max: Mapped[int] = mapped_column(default=60)
    objection_days: Mapped[int] = mapped_column(default=7)
    parking_counts: Mapped[bool] = mapped_column(default=True)
    # Owners, the committee and observers may inspect per-unit choices after the final result (the
    # owners' right to inspect ballots); False closes that entirely: only totals are ever shown.
    ballot_inspection: Mapped[bool] = mapped_column(default=True)
    proposal_threshold_pct: Mapped[int] = mapped_column(default=20)
    proposal_mode: Mapped[str] = mapped_column(String(3), default="and")
    created_at: Mapped[datetime]


class Building(IdMixin, Base):
    """A building (楼栋) or a parking structure of a community."""

    __tablename__ = "building"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)
