"""The ballot form: one field per motion (``m<motion id>``), the member voted for, an idempotency key.

A question motion sends one of yes/no/abstain; an election sends the ticked candidate ids (none
ticked = abstain on every candidate). A paper ballot typed in by the committee may also mark a motion
``mark<motion id>`` = blank/spoiled, with the reason in ``note<motion id>``. The field names depend on
the agenda, so the form arrives as a mapping and is read here.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vote.lib.http import parse_id

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{16,40}$")


def new_idempotency_key() -> str:
    """A fresh random key for one rendered ballot form."""
    return secrets.token_urlsafe(16)


def motion_field(motion_id: int) -> str:
    """The form field of a motion."""
    return f"m{motion_id}"


@dataclass(frozen=True)
class BallotInput:
    """What a ballot form sent, as typed (validated against the agenda by the service)."""

    member_id: int | None
    idempotency_key: str
    answers: dict[str, list[str]] = field(default_factory=dict)
    marks: dict[int, str] = field(default_factory=dict)
    notes: dict[int, str] = field(default_factory=dict)

    @classmethod
    def from_form(cls, data: Mapping[str, Any]) -> BallotInput:
        """Read the raw form: repeated fields arrive as lists, single ones as strings."""
        answers: dict[str, list[str]] = {}
        marks: dict[int, str] = {}
        notes: dict[int, str] = {}
        for name, value in data.items():
            if re.fullmatch(r"m\d{1,12}", name):
                answers[name] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
            elif found := re.fullmatch(r"(mark|note)(\d{1,12})", name):
                text = str((value or [""])[0] if isinstance(value, list) else value).strip()
                if text:
                    (marks if found.group(1) == "mark" else notes)[int(found.group(2))] = text
        member = str(data.get("member_id", "")).strip()
        key = str(data.get("idempotency_key", "")).strip()
        return cls(
            member_id=parse_id(member),
            idempotency_key=key if IDEMPOTENCY_KEY.match(key) else new_idempotency_key(),
            answers=answers,
            marks=marks,
            notes=notes,
        )

    def values(self, motion_id: int) -> list[str]:
        """The values sent for one motion."""
        return self.answers.get(motion_field(motion_id), [])

    def mark(self, motion_id: int) -> str:
        """The paper mark sent for one motion ("blank", "spoiled"), or ""."""
        return self.marks.get(motion_id, "")

    def note(self, motion_id: int) -> str:
        """The reason sent for one motion's spoiled paper ballot, or ""."""
        return self.notes.get(motion_id, "")
