"""The ballot form: one field per motion (``m<motion id>``), the member voted for, an idempotency key.

A question motion sends one of yes/no/abstain; an election sends the ticked candidate ids (none
ticked = reject every candidate). The field names depend on the agenda, so the form arrives as a
mapping and is read here.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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

    @classmethod
    def from_form(cls, data: Mapping[str, Any]) -> BallotInput:
        """Read the raw form: repeated fields arrive as lists, single ones as strings."""
        answers: dict[str, list[str]] = {}
        for name, value in data.items():
            if re.fullmatch(r"m\d{1,12}", name):
                answers[name] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        member = str(data.get("member_id", "")).strip()
        key = str(data.get("idempotency_key", "")).strip()
        return cls(
            member_id=int(member) if member.isdigit() else None,
            idempotency_key=key if IDEMPOTENCY_KEY.match(key) else new_idempotency_key(),
            answers=answers,
        )

    def values(self, motion_id: int) -> list[str]:
        """The values sent for one motion."""
        return self.answers.get(motion_field(motion_id), [])
