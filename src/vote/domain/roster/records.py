"""The register's plain records: owners and unit rows, ID-number hashing, and member grouping.

Shared by the importer, the preview and ``RosterService.create_version``; no database access here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from vote.lib.i18n import _
from vote.lib.security import keyed_hash
from vote.rules import Member as GroupedMember
from vote.rules import UnitRecord, group_members

ID_HASH_PURPOSE = "person-id-number"
UNIT_KINDS = ("flat", "shop", "parking")
AREA_SOURCES = ("registry", "survey", "contract")


def normalize_id_number(id_number: str) -> str:
    """Upper-case, no spaces: the form that is hashed."""
    return re.sub(r"\s+", "", id_number).upper()


def id_hash(secret_key: str, id_number: str) -> str:
    """The keyed hash used to match a person by ID number without storing it."""
    return keyed_hash(secret_key, ID_HASH_PURPOSE, normalize_id_number(id_number))


@dataclass(frozen=True)
class OwnerRecord:
    """An owner as registered: name, ID number, phone.

    The clear ``id_number`` exists only on the way in; ``hashed`` replaces it by ``id_digest`` (the
    keyed hash) and ``id_last4``, which is all that is ever stored.
    """

    name: str
    id_number: str = ""
    phone: str | None = None
    id_digest: str = ""
    id_last4: str = ""

    def hashed(self, secret_key: str) -> OwnerRecord:
        """This owner with the ID number reduced to keyed hash + last 4 (the clear number dropped)."""
        if self.id_digest:
            return self
        normalized = normalize_id_number(self.id_number)
        if not normalized:
            raise ValueError("an owner needs an ID number")
        return OwnerRecord(name=self.name.strip(), phone=self.phone or None,
                           id_digest=id_hash(secret_key, normalized), id_last4=normalized[-4:])


@dataclass(frozen=True)
class RegisterRow:
    """One unit of a register to be written."""

    building: str
    number: str
    kind: str
    area_centi: int
    area_source: str
    owners: tuple[OwnerRecord, ...] = field(default_factory=tuple)
    developer: bool = False

    @property
    def label(self) -> str:
        """The unit's identity within a register: building and number."""
        return f"{self.building}\x1f{self.number}"

    @property
    def display(self) -> str:
        """Building and number as people write them: ``1号楼 101``."""
        return f"{self.building} {self.number}"

    def hashed(self, secret_key: str) -> RegisterRow:
        """This row with every owner's ID number hashed; a developer row keeps no owners."""
        owners = () if self.developer else tuple(owner.hashed(secret_key) for owner in self.owners)
        return replace(self, owners=owners)

    def to_json(self) -> dict[str, Any]:
        """The row as JSON for a pending import's payload; refuses rows that still hold clear ID numbers."""
        if any(owner.id_number or not owner.id_digest for owner in self.owners):
            raise ValueError("hash the ID numbers before storing a row")
        return {
            "building": self.building, "number": self.number, "kind": self.kind, "area_centi": self.area_centi,
            "area_source": self.area_source, "developer": self.developer,
            "owners": [{"name": o.name, "id_hash": o.id_digest, "id_last4": o.id_last4, "phone": o.phone}
                       for o in self.owners],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RegisterRow:
        """The inverse of ``to_json``."""
        owners = tuple(
            OwnerRecord(name=o["name"], phone=o.get("phone"), id_digest=o["id_hash"], id_last4=o["id_last4"])
            for o in data["owners"]
        )
        return cls(data["building"], data["number"], data["kind"], int(data["area_centi"]), data["area_source"],
                   owners, bool(data["developer"]))


def group_rows(rows: Sequence[RegisterRow]) -> list[GroupedMember]:
    """Group hashed rows into voting members with ``vote.rules.group_members``.

    The owner key is the ID hash, so a member's key is the same before and after it is written and
    from one version to the next while its owners stay the same.
    """
    return group_members([
        UnitRecord(id=row.label, area_centi=row.area_centi, owners=frozenset(o.id_digest for o in row.owners),
                   developer=row.developer)
        for row in rows
    ])


def kind_labels() -> dict[str, str]:
    """Unit types in the current language."""
    return {"flat": _("Flat"), "shop": _("Shop"), "parking": _("Parking space")}


def source_labels() -> dict[str, str]:
    """Area sources in the current language (SPC Interpretation Art. 8: registry, else survey, else contract)."""
    return {"registry": _("Real estate registry"), "survey": _("Survey"), "contract": _("Sales contract")}
