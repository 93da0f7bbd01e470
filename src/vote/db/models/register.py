"""The owner register of record: versions, persons, units, ownership and voting members.

A register version is an immutable snapshot; a re-import creates a new version and a meeting
freezes the version it was noticed with. Members are grouped by ``vote.rules.group_members``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vote.db.base import Base, IdMixin


class RegisterVersion(IdMixin, Base):
    """One confirmed import of the owner register."""

    __tablename__ = "register_version"
    __table_args__ = (UniqueConstraint("community_id", "number"),)

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    source_name: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime]
    created_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))


class Person(IdMixin, Base):
    """A natural or legal person who owns units. The ID number is kept only as a keyed hash + last 4."""

    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("community_id", "id_hash"),)

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    id_hash: Mapped[str] = mapped_column(String(64))
    id_last4: Mapped[str] = mapped_column(String(4))
    phone: Mapped[str | None] = mapped_column(String(20))


class Member(IdMixin, Base):
    """A voting member: one head, the area of all its units (docs/rules.md, "Counting members").

    ``parking_area_centi`` is the part of that area in parking spaces, so that a whole-community
    tally reads members alone whether or not the community counts parking spaces.
    """

    __tablename__ = "member"
    __table_args__ = (
        UniqueConstraint("register_version_id", "key"),
        CheckConstraint("area_centi > 0", name="area_positive"),
        CheckConstraint("parking_area_centi >= 0 AND parking_area_centi <= area_centi", name="parking_area_within"),
    )

    register_version_id: Mapped[int] = mapped_column(
        ForeignKey("register_version.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(32))
    developer: Mapped[bool] = mapped_column(default=False)
    area_centi: Mapped[int]
    parking_area_centi: Mapped[int] = mapped_column(default=0, server_default="0")
    voter_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))


class Unit(IdMixin, Base):
    """An exclusive part (专有部分): flat, shop or parking space, with its area in 0.01 m²."""

    __tablename__ = "unit"
    __table_args__ = (
        UniqueConstraint("register_version_id", "building_id", "number"),
        CheckConstraint("area_centi > 0", name="area_positive"),
        CheckConstraint("kind IN ('flat', 'shop', 'parking')", name="kind_valid"),
        CheckConstraint("area_source IN ('registry', 'survey', 'contract')", name="area_source_valid"),
    )

    register_version_id: Mapped[int] = mapped_column(
        ForeignKey("register_version.id", ondelete="CASCADE"), index=True
    )
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id", ondelete="RESTRICT"), index=True)
    number: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8), default="flat")
    area_centi: Mapped[int]
    area_source: Mapped[str] = mapped_column(String(8), default="registry")
    developer_held: Mapped[bool] = mapped_column(default=False)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"), index=True)


class UnitOwner(Base):
    """Registered ownership of a unit by a person (co-owners: several rows)."""

    __tablename__ = "unit_owner"

    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True)
