"""Counting members (SPC Interpretation 法释〔2009〕7号, Arts. 8–9): units -> voting members.

- Co-owners of one unit are one member; one owner (or the same set of co-owners) holding several
  units is one member whose areas add up. Members are keyed by the exact *set* of owner keys.
- All developer units together are one member, with their full area.

The member key is stable across runs and processes, so the web app stores it in the database:
``"developer"`` for the developer bucket, else ``"m-"`` + the first 16 hex digits of the SHA-256 of
the sorted owner keys joined with U+001F. Owner keys must be printable, so no key contains U+001F
and the join is unambiguous; distinct owner sets that would still share a key are rejected.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from vote.rules.errors import InvalidUnit

DEVELOPER_KEY = "developer"
_SEPARATOR = "\x1f"


@dataclass(frozen=True, slots=True)
class UnitRecord:
    """One exclusive part (专有部分) in the voting scope: id, area in 0.01 m², owners, developer flag."""

    id: str
    area_centi: int
    owners: frozenset[str] = frozenset()
    developer: bool = False


@dataclass(frozen=True, slots=True)
class Member:
    """One voting member: one head with the summed area of its units (sorted unit ids)."""

    key: str
    unit_ids: tuple[str, ...]
    area_centi: int
    developer: bool
    owners: frozenset[str]


def member_key(owners: Iterable[str], developer: bool = False) -> str:
    """The stable database key of the member owning units with this owner set (or the developer).

    ``owners`` are assumed valid (non-empty printable strings), as ``group_members`` checks them.
    """
    if developer:
        return DEVELOPER_KEY
    joined = _SEPARATOR.join(sorted(frozenset(owners)))
    return "m-" + hashlib.sha256(joined.encode("utf-8")).digest()[:8].hex()


def _owner_set(index: int, unit: UnitRecord) -> frozenset[str]:
    """Validate a non-developer unit's owners and return them as a set."""
    owners = unit.owners
    if isinstance(owners, str) or not isinstance(owners, (frozenset, set, list, tuple)):
        raise InvalidUnit(f"units[{index}].owners", "must be a set of owner keys")
    for owner in owners:
        if not isinstance(owner, str) or not owner:
            raise InvalidUnit(f"units[{index}].owners", f"owner keys must be non-empty strings, got {owner!r}")
        if not owner.isprintable():
            raise InvalidUnit(f"units[{index}].owners", f"owner key {owner!r} must be printable (no control characters)")
    owner_set = frozenset(owners)
    if not owner_set:
        raise InvalidUnit(f"units[{index}].owners", "must not be empty unless the unit is the developer's")
    return owner_set


def _validate_unit(index: int, unit: UnitRecord) -> None:
    """Check the id, area and developer flag of one unit (owners are checked by ``_owner_set``)."""
    if not isinstance(unit, UnitRecord):
        raise InvalidUnit(f"units[{index}]", "must be a UnitRecord")
    if not isinstance(unit.id, str) or not unit.id:
        raise InvalidUnit(f"units[{index}].id", "must be a non-empty string")
    area = unit.area_centi
    if not isinstance(area, int) or isinstance(area, bool):
        raise InvalidUnit(f"units[{index}].area", "must be an integer number of 0.01 m²")
    if area <= 0:
        raise InvalidUnit(f"units[{index}].area", "must be positive")
    if not isinstance(unit.developer, bool):
        raise InvalidUnit(f"units[{index}].developer", "must be true or false")


def group_members(units: Sequence[UnitRecord]) -> list[Member]:
    """Group ``units`` into voting members, sorted by key; raise ``InvalidUnit`` naming the bad unit.

    Errors: empty scope, duplicate unit id, non-positive area, missing owners on a non-developer unit.
    """
    if not units:
        raise InvalidUnit("units", "must not be empty")
    first_index: dict[str, int] = {}  # unit id -> index, to report duplicates
    # Per owner set (None: the developer bucket) a slot in parallel lists of ints and strings;
    # only members with several units get a list of their other units (few objects to allocate).
    slot_of: dict[frozenset[str] | None, int] = {}
    areas: list[int] = []
    first_units: list[int] = []
    other_ids: dict[int, list[str]] = {}
    for index, unit in enumerate(units):
        _validate_unit(index, unit)
        seen = first_index.setdefault(unit.id, index)
        if seen != index:
            raise InvalidUnit(f"units[{index}].id", f"duplicate unit id {unit.id!r} (also units[{seen}])")
        owners = None if unit.developer else _owner_set(index, unit)
        slot = slot_of.setdefault(owners, len(areas))
        if slot == len(areas):
            areas.append(unit.area_centi)
            first_units.append(index)
        else:
            areas[slot] += unit.area_centi
            other_ids.setdefault(slot, []).append(unit.id)

    members: dict[str, Member] = {}
    for owners, slot in slot_of.items():
        key = member_key(owners or (), developer=owners is None)
        if key in members:  # a 64-bit hash prefix collision: refuse rather than merge two members
            raise InvalidUnit(f"units[{first_units[slot]}].owners", f"member key {key} collides with another owner set")
        first_id = units[first_units[slot]].id
        ids = tuple(sorted([first_id, *other_ids[slot]])) if slot in other_ids else (first_id,)
        members[key] = Member(key, ids, areas[slot], owners is None, owners or frozenset())
    return [members[key] for key in sorted(members)]
