"""A meeting's voting scope on its frozen register: which members vote, with which area.

The scope is the whole community, or a set of buildings / units (partially common parts). A member's
area in scope is the sum of its units in scope, so an owner of a flat in building 1 and a parking
space elsewhere counts only the flat in a building-1 meeting; parking spaces count only when the
community's rules say so: as they stood at the notice for a published meeting (``Meeting.parking_counts``,
see ``vote.domain.meetings.snapshot``), as they stand now for a draft. Turnout, eligibility and the tally all use
this one query, so their totals agree.
"""

from __future__ import annotations

from sqlalchemy import Select, func, select

from vote.db.models import Community, Meeting, Member, Unit
from vote.domain.meetings.snapshot import parking_counts


def scope_building_ids(scope: dict | None) -> list[int]:
    """The building ids of a building scope (empty for the whole community or a unit scope)."""
    return [int(i) for i in (scope or {}).get("building_ids", [])]


def scope_unit_ids(scope: dict | None) -> list[int]:
    """The unit ids of a unit scope (empty otherwise)."""
    return [int(i) for i in (scope or {}).get("unit_ids", [])]


def scoped_units(meeting: Meeting, community: Community, register_version_id: int | None = None) -> Select:
    """``SELECT unit.*`` limited to the units of the meeting's scope on the given (or frozen) register."""
    version = register_version_id or meeting.register_version_id
    query = select(Unit).where(Unit.register_version_id == version, Unit.member_id.is_not(None))
    if not parking_counts(meeting, community):
        query = query.where(Unit.kind != "parking")
    if buildings := scope_building_ids(meeting.scope):
        query = query.where(Unit.building_id.in_(buildings))
    if units := scope_unit_ids(meeting.scope):
        query = query.where(Unit.id.in_(units))
    return query


def whole_community(meeting: Meeting) -> bool:
    """True when the meeting's scope is the whole community (no building or unit list)."""
    return not scope_building_ids(meeting.scope) and not scope_unit_ids(meeting.scope)


def scoped_members(meeting: Meeting, community: Community, register_version_id: int | None = None, *,
                   by_units: bool = False) -> Select:
    """One row per member in scope: ``member_id`` and its ``area_centi`` in scope.

    A whole-community scope reads the member table alone (its area, less its parking spaces when
    they do not count: a member with only parking spaces is then out of scope); any other scope, or
    ``by_units``, sums the units in scope. Both give the same rows
    (tests/integration/results/test_scope_paths.py).
    """
    if by_units or not whole_community(meeting):
        units = scoped_units(meeting, community, register_version_id).subquery()
        return select(units.c.member_id.label("member_id"),
                      func.sum(units.c.area_centi).label("area_centi")).group_by(units.c.member_id)
    area = Member.area_centi if parking_counts(meeting, community) else Member.area_centi - Member.parking_area_centi
    return select(Member.id.label("member_id"), area.label("area_centi")).where(
        Member.register_version_id == (register_version_id or meeting.register_version_id), area > 0
    )
