"""Title changes during a vote: where the right to vote of a frozen member went (docs/rules.md, "Record date
and title changes").

A meeting keeps the register version it was noticed with; a re-import confirmed while it is in
progress is compared with that version and leaves one row per member whose units changed hands.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vote.db.base import Base, IdMixin

TRANSFER_OUTCOMES = ("moved", "ballot_stands", "kept")


class VoterTransfer(IdMixin, Base):
    """A frozen member's title change in one meeting, as of the latest register version.

    ``moved``: the right to vote is the new owners' (the voter of ``to_member_id``, whoever the new
    co-owners nominate); ``ballot_stands``: the member had voted, the ballot stands and nothing moves;
    ``kept``: only some of its units changed hands (or to different owners), the right stays with
    the voter at notice and the committee is warned. ``to_person_id`` is the new member's voter when
    the row was written (for the record; the right follows ``to_member_id``'s voter).
    """

    __tablename__ = "voter_transfer"
    __table_args__ = (
        UniqueConstraint("meeting_id", "member_id"),
        CheckConstraint("outcome IN ('moved', 'ballot_stands', 'kept')", name="outcome_valid"),
        CheckConstraint("outcome <> 'moved' OR to_member_id IS NOT NULL", name="moved_has_target"),
    )

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="RESTRICT"))
    outcome: Mapped[str] = mapped_column(String(16))
    from_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    to_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="RESTRICT"))
    to_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    register_version_id: Mapped[int] = mapped_column(ForeignKey("register_version.id", ondelete="RESTRICT"))
    recorded_at: Mapped[datetime]
