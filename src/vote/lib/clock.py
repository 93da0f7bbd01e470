"""The app's clock. Production uses real UTC time; the demo may shift it (refused in production)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass
class Clock:
    """Current time in UTC, plus a configurable offset for demos and tests."""

    offset: timedelta = timedelta(0)

    def now(self) -> datetime:
        """The current aware UTC datetime."""
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward (tests and the demo only)."""
        self.offset += delta
