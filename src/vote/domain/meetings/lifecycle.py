"""A meeting's phase, derived from its stored status and the clock.

Stored ``status``: draft -> noticed (published) -> closed -> preliminary -> final. Whether a noticed
meeting is waiting for its window, open for voting, or past its end is a matter of time, so it is
derived here rather than stored (and the ballot insert re-checks the window in SQL).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol

Phase = Literal["draft", "noticed", "open", "closed", "preliminary", "final"]


class MeetingTimes(Protocol):
    """What the phase depends on."""

    status: str
    opens_at: datetime
    closes_at: datetime


def phase(meeting: MeetingTimes, now: datetime) -> Phase:
    """The meeting's phase at ``now``."""
    if meeting.status == "draft":
        return "draft"
    if meeting.status in ("closed", "preliminary", "final"):
        return meeting.status  # type: ignore[return-value]
    if now < meeting.opens_at:
        return "noticed"
    if now < meeting.closes_at:
        return "open"
    return "closed"
