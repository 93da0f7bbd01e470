"""A ballot's leaf in the meeting's ledger: what it commits to and its canonical bytes (docs/ledger.md).

A leaf names the meeting, the motion, an opaque per-meeting member key, the choice (for an election
the selected candidates' positions) and the paper mark, plus a random 16-byte nonce. The public list
of leaf hashes therefore reveals no choice: without the nonce nobody can hash the few possible choices
and compare. The owner's receipt is the leaf as a dict (``leaf_to_dict``), so the owner can recompute
the leaf hash and check it against the published list.

The canonical bytes are the UTF-8 of compact JSON with sorted keys (``leaf_bytes``); they never change
for a given leaf, whatever the Python version, so a verifier written in any language gets the same hash.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["LEAF_CHOICES", "LEAF_MARKS", "LEAF_VERSION", "Leaf", "LeafError", "leaf_bytes", "leaf_from_dict",
           "leaf_to_dict"]

LEAF_VERSION = 1
LEAF_CHOICES = ("yes", "no", "abstain", "election")
LEAF_MARKS = ("blank", "spoiled")
_KEYS = frozenset({"v", "meeting", "motion", "member", "choice", "selected", "mark", "nonce"})
_MEMBER = re.compile(r"[0-9a-f]{1,128}")
_NONCE = re.compile(r"[0-9a-f]{32}")


class LeafError(ValueError):
    """An invalid leaf; ``field`` names the offending key (``selected[1]``, ``nonce``…)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _positive_int(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise LeafError(field, "must be a positive integer")
    return value


@dataclass(frozen=True)
class Leaf:
    """One ballot as committed in the ledger. Construction validates every field (``LeafError``).

    ``member`` is lower-case hex (an opaque key, stable within one meeting); ``selected`` holds the
    candidate positions an election ballot ticked, strictly increasing (``()`` for a question or for an
    election ballot that ticks nobody); ``mark`` is ``"blank"`` or ``"spoiled"`` for such a paper ballot,
    which is an abstention (``abstain``, or ``election`` with nothing selected); ``nonce`` is 32 hex.
    """

    meeting_id: int
    motion_id: int
    member: str
    choice: str
    selected: tuple[int, ...]
    mark: str | None
    nonce: str

    def __post_init__(self) -> None:
        _positive_int(self.meeting_id, "meeting")
        _positive_int(self.motion_id, "motion")
        if not isinstance(self.member, str) or not _MEMBER.fullmatch(self.member):
            raise LeafError("member", "must be 1 to 128 lower-case hexadecimal digits")
        if self.choice not in LEAF_CHOICES:
            raise LeafError("choice", f"must be one of {', '.join(LEAF_CHOICES)}")
        if not isinstance(self.selected, tuple):
            raise LeafError("selected", "must be a tuple of candidate positions")
        for i, position in enumerate(self.selected):
            if isinstance(position, bool) or not isinstance(position, int) or position < 0:
                raise LeafError(f"selected[{i}]", "must be a non-negative integer (a candidate position)")
            if i and position <= self.selected[i - 1]:
                raise LeafError(f"selected[{i}]", "positions must be strictly increasing (sorted, each once)")
        if self.selected and self.choice != "election":
            raise LeafError("selected", "only an election ballot selects candidates")
        if self.mark is not None:
            if self.mark not in LEAF_MARKS:
                raise LeafError("mark", "must be null, blank or spoiled")
            if self.choice not in ("abstain", "election") or self.selected:
                raise LeafError("mark", "a blank or spoiled ballot abstains: choice abstain, or an election "
                                        "ballot with nothing selected")
        if not isinstance(self.nonce, str) or not _NONCE.fullmatch(self.nonce):
            raise LeafError("nonce", "must be 32 lower-case hexadecimal digits")


def leaf_to_dict(leaf: Leaf) -> dict[str, Any]:
    """The leaf as the receipt shows it (and as its canonical bytes encode it)."""
    return {"v": LEAF_VERSION, "meeting": leaf.meeting_id, "motion": leaf.motion_id, "member": leaf.member,
            "choice": leaf.choice, "selected": list(leaf.selected), "mark": leaf.mark, "nonce": leaf.nonce}


def leaf_bytes(leaf: Leaf) -> bytes:
    """The canonical bytes hashed into the ledger: compact JSON, keys sorted, UTF-8."""
    return json.dumps(leaf_to_dict(leaf), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def leaf_from_dict(data: object, *, extra: frozenset[str] = frozenset({"index"})) -> Leaf:
    """A ``Leaf`` from its dict (a receipt, an opening); ``LeafError`` names the first bad field.

    Every key of ``leaf_to_dict`` is required and ``v`` must be 1; keys listed in ``extra`` (by default
    the receipt's ``index``) are allowed and ignored here; any other key is refused.
    """
    if not isinstance(data, Mapping):
        raise LeafError("leaf", "must be a JSON object")
    for key in data:
        if key not in _KEYS and key not in extra:
            raise LeafError(str(key), "unknown key")
    for key in sorted(_KEYS):
        if key not in data:
            raise LeafError(key, "missing")
    version = data["v"]
    if isinstance(version, bool) or version != LEAF_VERSION:
        raise LeafError("v", f"must be {LEAF_VERSION}")
    selected = data["selected"]
    if not isinstance(selected, list):
        raise LeafError("selected", "must be a list of candidate positions")
    return Leaf(meeting_id=data["meeting"], motion_id=data["motion"], member=data["member"], choice=data["choice"],
                selected=tuple(selected), mark=data["mark"], nonce=data["nonce"])
