"""Accounts, per-community roles, server-side sessions and recovery codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vote.db.base import Base, IdMixin

ROLES = ("owner", "committee", "observer")


class Account(IdMixin, Base):
    """A login. Owners' accounts point at their person; operators work across communities."""

    __tablename__ = "account"

    login: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_last_step: Mapped[int | None]
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    is_operator: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    activated_at: Mapped[datetime | None]


class Role(IdMixin, Base):
    """What an account may do in one community."""

    __tablename__ = "role"
    __table_args__ = (
        UniqueConstraint("account_id", "community_id", "role"),
        CheckConstraint("role IN ('owner', 'committee', 'observer')", name="role_valid"),
    )

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    granted_at: Mapped[datetime]


class WebSession(Base):
    """A server-side browser session; the cookie carries a token whose SHA-256 is the key."""

    __tablename__ = "web_session"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    language: Mapped[str | None] = mapped_column(String(8))


class RecoveryCode(IdMixin, Base):
    """A single-use recovery code, stored hashed."""

    __tablename__ = "recovery_code"

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]
