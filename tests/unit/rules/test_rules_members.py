"""Counting members: owner sets, the developer bucket, stable keys, and invalid units."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vote.rules import InvalidUnit, Member, UnitRecord, group_members, member_key

SRC = Path(__file__).resolve().parents[3] / "src"


def unit(unit_id: str, area: int, *owners: str, developer: bool = False) -> UnitRecord:
    """A unit record with the given owners."""
    return UnitRecord(unit_id, area, frozenset(owners), developer)


def test_grouping_by_owner_set_and_developer_bucket() -> None:
    """Same owner set -> one member with summed area; all developer units -> one member."""
    members = group_members([
        unit("3-1-502", 8950, "o-17"),
        unit("3-1-601", 12000, "o-22", "o-21"),
        unit("P-0042", 1250, "o-17"),
        unit("9-1-101", 9500, developer=True),
        unit("9-1-102", 9000, "ignored", developer=True),
        unit("3-1-602", 7000, "o-21"),  # o-21 alone is a different member from {o-21, o-22}
    ])
    by_units = {m.unit_ids: m for m in members}
    assert set(by_units) == {("3-1-502", "P-0042"), ("3-1-601",), ("9-1-101", "9-1-102"), ("3-1-602",)}
    assert by_units[("3-1-502", "P-0042")].area_centi == 10200
    developer = by_units[("9-1-101", "9-1-102")]
    assert developer == Member("developer", ("9-1-101", "9-1-102"), 18500, True, frozenset())


def test_member_key_recipe() -> None:
    """"m-" + 16 hex of SHA-256 over sorted owners joined by U+001F; order and repeats irrelevant."""
    digest = hashlib.sha256("o-21\x1fo-22".encode()).hexdigest()[:16]
    assert member_key(["o-22", "o-21", "o-22"]) == member_key(frozenset({"o-21", "o-22"})) == f"m-{digest}"
    assert member_key([], developer=True) == "developer"
    assert member_key(["张三"]) == "m-" + hashlib.sha256("张三".encode()).hexdigest()[:16]


def test_member_keys_are_stable_across_processes() -> None:
    """Keys are stored in the database, so string hash randomisation must not touch them."""
    code = "from vote.rules import member_key; print(member_key({'o-b', 'o-a', '王五'}))"
    outputs = set()
    for seed in ("1", "2", "random"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(SRC)}
        result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        outputs.add(result.stdout.strip())
    assert outputs == {member_key(["o-a", "o-b", "王五"])}


def test_members_are_sorted_by_key_whatever_the_input_order() -> None:
    """Deterministic output order."""
    units = [unit(f"u{i}", 100 + i, f"o{i % 4}") for i in range(12)] + [unit("d", 5, developer=True)]
    forward, backward = group_members(units), group_members(units[::-1])
    assert forward == backward
    assert [m.key for m in forward] == sorted(m.key for m in forward)


@pytest.mark.parametrize(
    ("units", "field", "message"),
    [
        ([], "units", "must not be empty"),
        ([unit("a", 100, "o"), unit("a", 100, "p")], "units[1].id", "duplicate"),
        ([unit("", 100, "o")], "units[0].id", "non-empty"),
        ([unit("a", 100, "o"), unit("b", 0, "o")], "units[1].area", "positive"),
        ([unit("a", -5, "o")], "units[0].area", "positive"),
        ([UnitRecord("a", True, frozenset({"o"}))], "units[0].area", "integer"),  # type: ignore[arg-type]
        ([UnitRecord("a", 1.5, frozenset({"o"}))], "units[0].area", "integer"),  # type: ignore[arg-type]
        ([unit("a", 100)], "units[0].owners", "must not be empty"),
        ([unit("a", 100, "")], "units[0].owners", "non-empty"),
        ([unit("a", 100, "o\x1fp")], "units[0].owners", "printable"),
        ([UnitRecord("a", 100, [["o"]])], "units[0].owners", "strings"),  # type: ignore[arg-type]
        ([UnitRecord("a", 100, "o")], "units[0].owners", "set"),  # type: ignore[arg-type]
        ([UnitRecord("a", 100, frozenset({"o"}), 1)], "units[0].developer", "true or false"),  # type: ignore[arg-type]
        (["a"], "units[0]", "UnitRecord"),
    ],
)
def test_invalid_units_name_the_field(units: list, field: str, message: str) -> None:
    """Each invalid unit raises InvalidUnit with its path."""
    with pytest.raises(InvalidUnit) as raised:
        group_members(units)
    assert raised.value.field == field
    assert message in raised.value.message
    assert str(raised.value).startswith(f"{field}: ")
