"""What a register amounts to, and what changed from one version to the next (pure, no database).

The preview of an import and the register overview show the same figures, computed here from
hashed ``RegisterRow`` lists with the rules engine's grouping. Owners appear only as masked names.
The result is plain JSON (stored in ``RegisterImport.summary``); templates translate the codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vote.domain.roster.records import RegisterRow, group_rows
from vote.lib.masking import mask_name
from vote.rules import Member

DIFF_LIMIT = 200  # entries listed per kind of change; the counts are always complete
GROUPED_LIMIT = 50


def _owner_names(rows: Sequence[RegisterRow]) -> list[str]:
    """The masked names of the distinct owners of ``rows``, in order of appearance."""
    names: dict[str, str] = {}
    for row in rows:
        for owner in row.owners:
            names.setdefault(owner.id_digest, mask_name(owner.name))
    return list(names.values())


def describe_member(member: Member, rows_by_label: dict[str, RegisterRow]) -> dict[str, Any]:
    """A member as its units, masked owners and area."""
    rows = [rows_by_label[label] for label in member.unit_ids]
    return {"units": [row.display for row in rows], "owners": _owner_names(rows), "area_centi": member.area_centi,
            "developer": member.developer}


def figures(rows: Sequence[RegisterRow], members: Sequence[Member], parking_counts: bool) -> dict[str, Any]:
    """Units by type, members (heads), areas, the developer bucket, and the voting scope's totals.

    When parking spaces do not count (a community setting), the scope leaves out parking units'
    area and the members who hold only parking spaces.
    """
    kinds = {"flat": 0, "shop": 0, "parking": 0}
    for row in rows:
        kinds[row.kind] += 1
    developer = [row for row in rows if row.developer]
    scope_rows = [row for row in rows if parking_counts or row.kind != "parking"]
    scope = members if parking_counts else (group_rows(scope_rows) if scope_rows else [])
    return {
        "units": len(rows),
        "kinds": kinds,
        "buildings": len({row.building for row in rows}),
        "members": len(members),
        "area_centi": sum(row.area_centi for row in rows),
        "developer_units": len(developer),
        "developer_area_centi": sum(row.area_centi for row in developer),
        "multi_unit_members": sum(1 for m in members if len(m.unit_ids) > 1),
        "co_owned_units": sum(1 for row in rows if len(row.owners) > 1),
        "parking_counts": parking_counts,
        "scope_members": len(scope),
        "scope_area_centi": sum(row.area_centi for row in scope_rows),
    }


def grouped_members(members: Sequence[Member], rows_by_label: dict[str, RegisterRow]) -> list[dict[str, Any]]:
    """The members made of several units (the developer bucket first): where grouping matters."""
    several = sorted((m for m in members if len(m.unit_ids) > 1), key=lambda m: (not m.developer, -len(m.unit_ids)))
    return [describe_member(m, rows_by_label) for m in several[:GROUPED_LIMIT]]


def _unit_changes(old: RegisterRow, new: RegisterRow) -> list[dict[str, Any]]:
    """Field-by-field changes of one unit between two versions."""
    changes: list[dict[str, Any]] = []
    for name in ("kind", "area_centi", "area_source", "developer"):
        if getattr(old, name) != getattr(new, name):
            changes.append({"field": name, "old": getattr(old, name), "new": getattr(new, name)})
    if {o.id_digest for o in old.owners} != {o.id_digest for o in new.owners}:
        changes.append({"field": "owners", "old": _owner_names([old]), "new": _owner_names([new])})
    return changes


def _unit_line(row: RegisterRow) -> dict[str, Any]:
    return {"unit": row.display, "area_centi": row.area_centi, "owners": _owner_names([row]),
            "developer": row.developer}


def register_diff(old_rows: Sequence[RegisterRow], new_rows: Sequence[RegisterRow]) -> dict[str, Any]:
    """Units added, removed and changed; members added and removed (by member key)."""
    old_by_label = {row.label: row for row in old_rows}
    new_by_label = {row.label: row for row in new_rows}
    added = [_unit_line(row) for row in new_rows if row.label not in old_by_label]
    removed = [_unit_line(row) for row in old_rows if row.label not in new_by_label]
    changed = []
    for row in new_rows:
        old = old_by_label.get(row.label)
        if old is not None and (changes := _unit_changes(old, row)):
            changed.append({"unit": row.display, "changes": changes})
    old_members = {m.key: m for m in group_rows(old_rows)} if old_rows else {}
    new_members = {m.key: m for m in group_rows(new_rows)}
    members_added = [describe_member(m, new_by_label) for key, m in new_members.items() if key not in old_members]
    members_removed = [describe_member(m, old_by_label) for key, m in old_members.items() if key not in new_members]
    result: dict[str, Any] = {}
    for name, entries in (("units_added", added), ("units_removed", removed), ("units_changed", changed),
                          ("members_added", members_added), ("members_removed", members_removed)):
        result[name] = entries[:DIFF_LIMIT]
        result[f"{name}_count"] = len(entries)
    result["unchanged"] = not any(result[f"{name}_count"] for name in (
        "units_added", "units_removed", "units_changed", "members_added", "members_removed"))
    return result


def build_summary(
    rows: Sequence[RegisterRow], old_rows: Sequence[RegisterRow], base_version: int | None, parking_counts: bool
) -> dict[str, Any]:
    """The preview of an import: its figures, its multi-unit members, and the diff to ``base_version``."""
    members = group_rows(rows)
    rows_by_label = {row.label: row for row in rows}
    return {
        "base_version": base_version,
        "figures": figures(rows, members, parking_counts),
        "grouped": grouped_members(members, rows_by_label),
        "diff": register_diff(old_rows, rows) if base_version is not None else None,
    }
