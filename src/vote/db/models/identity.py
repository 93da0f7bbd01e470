"""Identity verification: register imports awaiting confirmation, activation letters, in-person checks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vote.db.base import Base, IdMixin


class RegisterImport(IdMixin, Base):
    """An uploaded register, parsed and validated, shown as a preview until confirmed or discarded.

    ``payload`` holds the validated rows with ID numbers already reduced to keyed hash + last 4:
    no clear ID number is ever stored, not even while waiting for confirmation.
    """

    __tablename__ = "register_import"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'confirmed', 'discarded')", name="status_valid"),
    )

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"), index=True)
    source_name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    payload: Mapped[dict]
    summary: Mapped[dict]
    created_at: Mapped[datetime]
    created_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    register_version_id: Mapped[int | None] = mapped_column(ForeignKey("register_version.id", ondelete="SET NULL"))


class ActivationCode(IdMixin, Base):
    """A single-use, expiring activation code printed on a member's letter (stored hashed)."""

    __tablename__ = "activation_code"
    __table_args__ = (UniqueConstraint("code_hash"),)

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    used_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))


class Verification(IdMixin, Base):
    """An in-person identity check at the committee's office; a second member must approve it."""

    __tablename__ = "verification"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status_valid"),
        CheckConstraint(
            "approved_by_account_id IS NULL OR approved_by_account_id <> requested_by_account_id",
            name="two_people",
        ),
    )

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    documents: Mapped[str] = mapped_column(String(200), default="")
    requested_by_account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="RESTRICT"))
    requested_at: Mapped[datetime]
    approved_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="RESTRICT"))
    decided_at: Mapped[datetime | None]
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
