"""Deliberation before the vote: discussion posts, amendments and objections, owners' proposals
(业主提议) with their supports, and the notification outbox.

Nothing here is ever deleted by the product: a moderated post keeps its text and shows the reason
in its place; a declined amendment keeps its decision and reason.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vote.db.base import Base, IdMixin

AUTHOR_ROLES = ("owner", "committee")
AMENDMENT_KINDS = ("amendment", "objection")
PROPOSAL_KINDS = ("extraordinary_meeting", "agenda_item")
NOTIFICATION_KINDS = ("notice", "result", "reply", "proposal_threshold")
DELIVERY_STATUSES = ("off", "pending", "sending", "sent", "failed")


class DiscussionPost(IdMixin, Base):
    """A comment on a motion, or a reply to one (one level); shown under a masked identity."""

    __tablename__ = "discussion_post"
    __table_args__ = (
        CheckConstraint("author_role IN ('owner', 'committee')", name="author_role_valid"),
        CheckConstraint("hidden_at IS NULL OR hidden_reason IS NOT NULL", name="hidden_with_reason"),
    )

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"), index=True)
    motion_id: Mapped[int] = mapped_column(ForeignKey("motion.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("discussion_post.id", ondelete="CASCADE"), index=True)
    author_account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="RESTRICT"), index=True)
    author_role: Mapped[str] = mapped_column(String(16))
    author_building: Mapped[str | None] = mapped_column(String(64))
    body_md: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    official_at: Mapped[datetime | None]
    official_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="RESTRICT"))
    hidden_at: Mapped[datetime | None]
    hidden_reason: Mapped[str | None] = mapped_column(String(500))
    hidden_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="RESTRICT"))


class Amendment(IdMixin, Base):
    """An owner's proposed new text for a motion in its notice period, or an objection to it."""

    __tablename__ = "amendment"
    __table_args__ = (
        CheckConstraint("kind IN ('amendment', 'objection')", name="kind_valid"),
        CheckConstraint("status IN ('open', 'adopted', 'declined', 'answered')", name="status_valid"),
        CheckConstraint("author_role IN ('owner', 'committee')", name="author_role_valid"),
        CheckConstraint("kind = 'objection' OR proposed_body_md IS NOT NULL", name="amendment_has_text"),
        CheckConstraint("status = 'open' OR decided_at IS NOT NULL", name="decided_when_closed"),
    )

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"), index=True)
    motion_id: Mapped[int] = mapped_column(ForeignKey("motion.id", ondelete="CASCADE"), index=True)
    base_revision_id: Mapped[int | None] = mapped_column(ForeignKey("motion_revision.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))
    author_account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="RESTRICT"), index=True)
    author_role: Mapped[str] = mapped_column(String(16))
    author_building: Mapped[str | None] = mapped_column(String(64))
    proposed_title: Mapped[str | None] = mapped_column(String(200))
    proposed_body_md: Mapped[str | None] = mapped_column(Text)
    comment: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="RESTRICT"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    revision_id: Mapped[int | None] = mapped_column(ForeignKey("motion_revision.id", ondelete="SET NULL"))


class Proposal(IdMixin, Base):
    """An owners' proposal (业主提议): call an extraordinary meeting or put a matter on the agenda.

    The register version, threshold and mode are fixed when it opens, so the goal cannot move.
    """

    __tablename__ = "proposal"
    __table_args__ = (
        CheckConstraint("kind IN ('extraordinary_meeting', 'agenda_item')", name="kind_valid"),
        CheckConstraint("status IN ('open', 'met')", name="status_valid"),
        CheckConstraint("mode IN ('and', 'or')", name="mode_valid"),
        CheckConstraint("threshold_pct BETWEEN 1 AND 100", name="threshold_pct_range"),
        CheckConstraint("status = 'open' OR (met_at IS NOT NULL AND meeting_due_at IS NOT NULL)", name="met_dated"),
    )

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"), index=True)
    register_version_id: Mapped[int] = mapped_column(ForeignKey("register_version.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(200))
    body_md: Mapped[str] = mapped_column(Text)
    author_account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="RESTRICT"))
    author_building: Mapped[str | None] = mapped_column(String(64))
    threshold_pct: Mapped[int]
    mode: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(8), default="open")
    created_at: Mapped[datetime]
    met_at: Mapped[datetime | None]
    meeting_due_at: Mapped[datetime | None]


class ProposalSupport(IdMixin, Base):
    """One member's support of a proposal: once per member, whatever the number of co-owners."""

    __tablename__ = "proposal_support"
    __table_args__ = (UniqueConstraint("proposal_id", "member_id"),)

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="RESTRICT"), index=True)
    created_at: Mapped[datetime]


class Notification(IdMixin, Base):
    """The outbox: one message to one account, read in the app and delivered per channel."""

    __tablename__ = "notification"
    __table_args__ = (
        CheckConstraint("kind IN ('notice', 'result', 'reply', 'proposal_threshold')", name="kind_valid"),
        CheckConstraint("email_status IN ('off', 'pending', 'sending', 'sent', 'failed')", name="email_status_valid"),
        CheckConstraint("sms_status IN ('off', 'pending', 'sending', 'sent', 'failed')", name="sms_status_valid"),
    )

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    payload: Mapped[dict]
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
    email_status: Mapped[str] = mapped_column(String(8), default="off", index=True)
    email_at: Mapped[datetime | None]
    sms_status: Mapped[str] = mapped_column(String(8), default="off", index=True)
    sms_at: Mapped[datetime | None]


class NotificationPreference(Base):
    """Where an account wants its notifications besides the app: an e-mail address, SMS on or off."""

    __tablename__ = "notification_preference"

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254))
    sms_enabled: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime]
