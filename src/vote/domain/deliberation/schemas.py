"""Forms of the deliberation pages; every field is a string with a default, so bad input loses nothing."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PostForm:
    """A comment, or a reply when ``parent_id`` names the comment answered."""

    body: str = ""
    parent_id: str = ""

    def parent(self) -> int | None:
        """The comment replied to, or None for a new comment."""
        return int(self.parent_id) if self.parent_id.strip().isdigit() else None


@dataclass
class ReasonForm:
    """The committee's public reason (hiding a post, declining an amendment)."""

    reason: str = ""


@dataclass
class AmendmentForm:
    """An amendment (new text, optional new title, optional explanation) or an objection (its text)."""

    kind: str = "amendment"
    title: str = ""
    body: str = ""
    comment: str = ""


@dataclass
class ProposalForm:
    """An owners' proposal: what it asks for, a title and an explanation."""

    kind: str = "extraordinary_meeting"
    title: str = ""
    body: str = ""
