"""The register importer and preview as pure functions: ID numbers, areas, headers, grouping, diffs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from vote.domain.roster.importer import id_number_problem, normalize_phone, parse_register
from vote.domain.roster.preview import build_summary, register_diff
from vote.domain.roster.records import OwnerRecord, RegisterRow, group_rows
from vote.lib.i18n import current_language

SECRET = "unit-test-secret-0123456789abcdef"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def resident_id(body: str) -> str:
    """Complete 17 digits with their check character."""
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11]


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages in English (the message ids) for these tests."""
    token = current_language.set("en")
    yield
    current_language.reset(token)


def parse(text: str, name: str = "r.csv"):  # noqa: ANN201
    """Parse CSV text."""
    return parse_register(name, text.encode("utf-8"))


HEADER = "楼栋,房号,类型,面积,面积来源,业主姓名,证件号码,手机号,开发商持有\n"


@pytest.mark.parametrize("number", [
    resident_id("11010519491231002"),  # the GB 11643 example
    resident_id("81000019900101001"),  # 港澳台居民居住证 share the format
    "E12345678", "EA1234567", "H1234567801", "12345678",
])
def test_acceptable_id_numbers(number: str) -> None:
    assert id_number_problem(number) is None


@pytest.mark.parametrize(("number", "problem"), [
    ("110105194912310020", "check digit"),
    (resident_id("11010519490230002"), "birth date"),
    ("110105491231002", "not an 18-character"),  # the old 15-digit format is no longer valid
    ("ABCDEFGH", "not an 18-character"),
    ("1234567", "not an 18-character"),
])
def test_rejected_id_numbers(number: str, problem: str) -> None:
    message = id_number_problem(number)
    assert message is not None and problem in message


def test_phones_lose_country_prefix_and_punctuation() -> None:
    assert normalize_phone("+86 138-1234-5678") == "13812345678"
    assert normalize_phone("008613812345678") == "13812345678"
    assert normalize_phone("１３８１２３４５６７８") == "13812345678"


def test_areas_are_parsed_exactly() -> None:
    parsed = parse(HEADER + "\n".join(
        f"1号楼,{i},住宅,{area},不动产登记,王伟,{resident_id('11010519491231002')},,否"
        for i, area in enumerate(["89.5", "0.01", "１２０", "100.10"], start=101)
    ))
    assert not parsed.issues
    assert [row.area_centi for row in parsed.rows] == [8950, 1, 12000, 10010]


def test_headers_in_english_with_units_and_any_order_extra_columns_ignored() -> None:
    wang = resident_id("11010519491231002")
    parsed = parse("Owner names,Area (m²),Unit Number,Building,Unit type,Area source,Owner ID numbers,备注\n"
                   f"王伟,89.50,101,1号楼,flat,registry,{wang.lower()},anything\n")
    assert not parsed.issues
    (row,) = parsed.rows
    assert (row.building, row.number, row.kind, row.area_centi, row.area_source) == ("1号楼", "101", "flat", 8950,
                                                                                     "registry")
    assert row.owners[0].id_number == wang  # upper-cased x
    assert row.developer is False  # the developer column is optional


def test_tab_separated_and_trailing_separators() -> None:
    li, zhang = resident_id("11010519800101001"), resident_id("11010519800101002")
    parsed = parse(HEADER.replace(",", "\t") + f"1号楼\t102\t住宅\t120\t测绘\t李娜；张强；\t{li}；{zhang}\t\t否\n")
    assert not parsed.issues
    assert [o.name for o in parsed.rows[0].owners] == ["李娜", "张强"]


def test_developer_rows_need_no_owners_and_their_owner_columns_are_ignored() -> None:
    parsed = parse(HEADER + "2号楼,601,住宅,135.66,测绘,某某置业有限公司,91330106MA27XXXX0X,,是\n")
    assert not parsed.issues
    assert parsed.rows[0].developer and parsed.rows[0].owners == ()


def test_a_duplicated_header_is_reported() -> None:
    parsed = parse("楼栋,房号,类型,面积,Area,面积来源,业主姓名,证件号码\n")
    assert [issue.text for issue in parsed.issues] == ['Row 1, “Area”: this column appears twice (also column 4)']


def test_an_xls_file_is_refused_with_advice() -> None:
    parsed = parse_register("old.xls", b"\xd0\xcf\x11\xe0")
    assert "save the file as .xlsx or CSV" in parsed.issues[0].text


def _row(number: str, area: int, *owners: str, developer: bool = False, kind: str = "flat") -> RegisterRow:
    records = tuple(OwnerRecord(name, resident_id(f"110105198001010{i:02d}"), None)
                    for i, name in ((int(o[1:]), o) for o in owners))
    return RegisterRow("1号楼", number, kind, area, "registry", records, developer).hashed(SECRET)


def test_grouping_uses_the_rules_engine_on_owner_sets() -> None:
    rows = [
        _row("101", 9000, "p1"), _row("P1", 1200, "p1", kind="parking"),  # one owner, two units
        _row("102", 12000, "p2", "p3"), _row("P2", 1200, "p3", "p2", kind="parking"),  # same co-owners, other order
        _row("103", 10000, "p2"),  # p2 alone is a different member
        _row("601", 13000, developer=True), _row("602", 14000, developer=True),
    ]
    members = {tuple(sorted(m.unit_ids)): m for m in group_rows(rows)}
    labels = {row.number: row.label for row in rows}
    assert members[tuple(sorted((labels["101"], labels["P1"])))].area_centi == 10200
    assert members[tuple(sorted((labels["102"], labels["P2"])))].area_centi == 13200
    developer = members[tuple(sorted((labels["601"], labels["602"])))]
    assert developer.developer and developer.key == "developer" and developer.area_centi == 27000
    assert len(members) == 4


def test_summary_counts_the_scope_without_parking_when_it_does_not_count() -> None:
    rows = [_row("101", 9000, "p1"), _row("P1", 1200, "p1", kind="parking"), _row("P9", 1200, "p9", kind="parking")]
    summary = build_summary(rows, [], None, parking_counts=False)
    figures = summary["figures"]
    assert (figures["members"], figures["area_centi"]) == (2, 11400)
    assert (figures["scope_members"], figures["scope_area_centi"]) == (1, 9000)
    assert summary["diff"] is None


def test_diff_names_units_and_members_with_masked_owners() -> None:
    old = [_row("101", 9000, "p1"), _row("102", 12000, "p2", "p3"), _row("103", 10000, "p4")]
    new = [_row("101", 9050, "p1"), _row("102", 12000, "p2"), _row("104", 8000, "p5")]
    diff = register_diff(old, new)
    assert [line["unit"] for line in diff["units_added"]] == ["1号楼 104"]
    assert [line["unit"] for line in diff["units_removed"]] == ["1号楼 103"]
    assert diff["units_changed"] == [
        {"unit": "1号楼 101", "changes": [{"field": "area_centi", "old": 9000, "new": 9050}]},
        {"unit": "1号楼 102", "changes": [{"field": "owners", "old": ["p*", "p*"], "new": ["p*"]}]},
    ]
    assert (diff["members_added_count"], diff["members_removed_count"]) == (2, 2)
    assert register_diff(new, new)["unchanged"] is True


def test_rows_with_clear_id_numbers_cannot_be_stored() -> None:
    clear = RegisterRow("1号楼", "101", "flat", 9000, "registry", (OwnerRecord("王伟", resident_id("11010519800101001")),))
    with pytest.raises(ValueError, match="hash"):
        clear.to_json()
    hashed = clear.hashed(SECRET)
    assert RegisterRow.from_json(hashed.to_json()) == hashed
    assert resident_id("11010519800101001") not in repr(hashed.to_json())
