"""Forms of the meetings area: what the committee types when drafting a meeting and its motions.

Every field is a string with a default, so that a missing or malformed value gets our own message
and the form is shown again with what was typed (bad input loses nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class MeetingForm:
    """A meeting's title, voting window (local date and time) and scope."""

    title: str = ""
    opens_at: str = ""
    closes_at: str = ""
    scope: str = "all"
    building_ids: list[str] | str = field(default_factory=list)

    def selected_buildings(self) -> list[str]:
        """The ticked building ids (a single tick arrives as a plain string)."""
        return [self.building_ids] if isinstance(self.building_ids, str) else list(self.building_ids)


@dataclass
class MotionForm:
    """A motion: title, Markdown body, matter 1–9, kind, and for an election its seats and candidates."""

    title: str = ""
    body_md: str = ""
    matter: str = ""
    kind: str = "question"
    seats: str = "1"
    candidates: str = ""

    def candidate_labels(self) -> list[str]:
        """One candidate per non-empty line, in the order typed."""
        return [line.strip() for line in self.candidates.splitlines() if line.strip()]


@dataclass
class MoveForm:
    """Move a draft motion up or down the agenda."""

    direction: str = ""


class InvalidForm(Exception):
    """The form has errors (field -> message); the page is shown again with them."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors
