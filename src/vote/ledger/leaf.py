"""A ballot's leaf in the meeting's ledger: what it commits to and its canonical bytes."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

CHOICES = ("yes", "no", "abstain", "election")
MARKS = ("blank", "spoiled")
_HEX = re.compile(r"^[0-9a-f]+$")
_NONCE = re.compile(r"^[0-9a-f]{32}$")


class LeafError(ValueError):
    """A leaf dict that is not well formed; the message names the field."""


@dataclass(frozen=True)
class Leaf:
    """One ballot: meeting, motion, the opaque per-meeting member key, the choice and a random nonce."""

    meeting_id: int
    motion_id: int
    member: str
    choice: str
    selected: tuple[int, ...]
    mark: str | None
    nonce: str


def leaf_to_dict(leaf: Leaf) -> dict[str, Any]:
    """The leaf as the receipt carries it (and as its bytes are built)."""
    return {"v": 1, "meeting": leaf.meeting_id, "motion": leaf.motion_id, "member": leaf.member,
            "choice": leaf.choice, "selected": list(leaf.selected), "mark": leaf.mark, "nonce": leaf.nonce}


def leaf_bytes(leaf: Leaf) -> bytes:
    """The canonical UTF-8 JSON of the leaf (sorted keys, no spaces)."""
    return json.dumps(leaf_to_dict(leaf), sort_keys=True, separators=(",", ":")).encode()


def _int(data: dict[str, Any], name: str) -> int:
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise LeafError(f"{name}: expected a non-negative integer")
    return value


def leaf_from_dict(data: Any) -> Leaf:
    """A leaf from its dict (an extra "index" is allowed), checking every field."""
    if not isinstance(data, dict):
        raise LeafError("leaf: expected an object")
    if data.get("v") != 1:
        raise LeafError("v: expected 1")
    member = data.get("member")
    if not isinstance(member, str) or not member or not _HEX.match(member):
        raise LeafError("member: expected a hex string")
    choice = data.get("choice")
    if choice not in CHOICES:
        raise LeafError("choice: expected yes, no, abstain or election")
    selected = data.get("selected")
    if not isinstance(selected, list) or any(not isinstance(s, int) or isinstance(s, bool) for s in selected):
        raise LeafError("selected: expected a list of integers")
    if list(selected) != sorted(set(selected)) or (selected and choice != "election"):
        raise LeafError("selected: expected sorted distinct candidates, only for an election")
    mark = data.get("mark")
    if mark is not None and mark not in MARKS:
        raise LeafError("mark: expected null, blank or spoiled")
    nonce = data.get("nonce")
    if not isinstance(nonce, str) or not _NONCE.match(nonce):
        raise LeafError("nonce: expected 32 hex characters")
    return Leaf(meeting_id=_int(data, "meeting"), motion_id=_int(data, "motion"), member=member, choice=choice,
                selected=tuple(selected), mark=mark, nonce=nonce)
