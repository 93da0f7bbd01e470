"""Register import through the web pages: good files, every kind of bad row, preview, confirm and discard."""

from __future__ import annotations

import io

import pytest
from litestar import Litestar
from openpyxl import Workbook
from sqlalchemy import select

from tests.integration.roster.register_files import (
    HEADER,
    Counts,
    Garden,
    counts,
    csv_bytes,
    good_rows,
    resident_id,
    upload,
    upload_and_confirm,
)
from tests.support.factories import db_session
from tests.support.http import post_form
from vote.db.models import AuditEvent, Person, RegisterImport

GOOD = ["1号楼", "101", "住宅", "89.50", "不动产登记", "王伟", resident_id(1), "13812345678", "否"]


def with_changes(**changes: str) -> list[str]:
    """The good row with some columns (by header index name) replaced."""
    row = list(GOOD)
    names = {"building": 0, "number": 1, "kind": 2, "area": 3, "source": 4, "names": 5, "ids": 6, "phones": 7,
             "developer": 8}
    for name, value in changes.items():
        row[names[name]] = value
    return row


BAD_ROWS = [
    pytest.param(with_changes(number="102", area="0"), "第 3 行「面积」：必须大于 0", id="zero-area"),
    pytest.param(with_changes(number="102", area="-12.5"), "第 3 行「面积」：必须大于 0", id="negative-area"),
    pytest.param(with_changes(number="102", area="89.505"), "第 3 行「面积」：最多两位小数", id="three-decimals"),
    pytest.param(with_changes(number="102", area="八十"), "第 3 行「面积」：必须是数字", id="not-a-number"),
    pytest.param(with_changes(number="102", area=""), "第 3 行「面积」：必须填写", id="empty-area"),
    pytest.param(with_changes(), "第 3 行「房号」：房屋重复：楼栋和房号与第 2 行相同", id="duplicate-unit"),
    pytest.param(with_changes(number="102", names="", ids="", phones=""), "第 3 行「业主姓名」：缺少业主",
                 id="missing-owner"),
    pytest.param(with_changes(number="102", names="李娜;张强", phones=""),
                 "第 3 行「证件号码」：1 个证件号码对应 2 位业主", id="names-ids-mismatch"),
    pytest.param(with_changes(number="102", names="李娜", ids=resident_id(2)[:-1] + "0"
                              if resident_id(2)[-1] != "0" else resident_id(2)[:-1] + "1"),
                 "第 3 行「证件号码」：校验位不符", id="bad-check-digit"),
    pytest.param(with_changes(number="102", names="李娜", ids="12345"),
                 "第 3 行「证件号码」：不是 18 位居民身份证号码", id="malformed-id"),
    pytest.param(with_changes(number="102", names="李娜", ids=resident_id(2, birth="19800231")),
                 "第 3 行「证件号码」：其中的出生日期不存在", id="impossible-birth-date"),
    pytest.param(with_changes(number="102", names="李娜", ids=resident_id(2), phones="1381234567"),
                 "第 3 行「手机号」：不是 11 位大陆手机号码", id="short-phone"),
    pytest.param(with_changes(number="102", names="李娜", ids=resident_id(2), phones="12812345678"),
                 "第 3 行「手机号」：不是 11 位大陆手机号码", id="not-a-mobile"),
    pytest.param(with_changes(number="102", kind="别墅"), "第 3 行「类型」：未知的房屋类型“别墅”", id="unknown-type"),
    pytest.param(with_changes(number="102", source="估算"), "第 3 行「面积来源」：未知的面积来源“估算”",
                 id="unknown-area-source"),
    pytest.param(with_changes(number="102", developer="也许"), "第 3 行「开发商持有」：请填 是 或 否",
                 id="bad-developer-flag"),
    pytest.param(with_changes(number="102", names="王小伟"),
                 "第 3 行「证件号码」：同一证件号码在第 2 行对应另一个姓名（王*）", id="one-id-two-names"),
    pytest.param(with_changes(number="102", names="李娜;李娜二", ids=f"{resident_id(2)};{resident_id(2)}", phones=""),
                 "第 3 行「证件号码」：同一证件号码填了两次", id="same-id-twice-in-a-unit"),
]


@pytest.mark.parametrize(("bad_row", "message"), BAD_ROWS)
async def test_a_bad_row_is_named_by_row_and_column_and_nothing_is_written(
    app: Litestar, garden: Garden, bad_row: list[str], message: str
) -> None:
    before = await counts(app)
    response = await upload(garden.client, garden.slug, csv_bytes([GOOD, bad_row]))
    assert response.status_code == 422
    assert message in response.text
    assert "没有导入任何内容" in response.text
    assert await counts(app) == before


async def test_a_missing_required_column_is_named(app: Litestar, garden: Garden) -> None:
    header = [h for h in HEADER if h != "面积"]
    row = [v for h, v in zip(HEADER, GOOD, strict=True) if h != "面积"]
    before = await counts(app)
    response = await upload(garden.client, garden.slug, csv_bytes([row], header=header))
    assert response.status_code == 422
    assert "缺少必需的列「面积」" in response.text
    assert await counts(app) == before


async def test_every_problem_is_listed_at_once(app: Litestar, garden: Garden) -> None:
    rows = [
        GOOD,
        with_changes(number="102", area="0"),
        with_changes(number="103", kind="别墅", phones="123"),
        with_changes(number="104", names=""),
        ["2号楼", "601", "住宅", "135.66", "不动产登记", "", "", "", "是"],
    ]
    response = await upload(garden.client, garden.slug, csv_bytes(rows))
    assert response.status_code == 422
    for message in ("第 3 行「面积」", "第 4 行「类型」", "第 4 行「手机号」", "第 5 行「业主姓名」"):
        assert message in response.text
    assert "第 6 行" not in response.text  # the developer unit needs no owner
    assert await counts(app) == Counts(0, 0, 0, 0)


async def test_unreadable_and_empty_files_get_a_message(garden: Garden) -> None:
    response = await upload(garden.client, garden.slug, b"\x00\x01binary", filename="register.pdf")
    assert response.status_code == 422 and "请上传 CSV 文件或 Excel .xlsx 工作簿" in response.text
    response = await upload(garden.client, garden.slug, b"PK\x03\x04 not really a zip", filename="register.xlsx")
    assert response.status_code == 422 and "不是可读取的 Excel .xlsx 工作簿" in response.text
    response = await upload(garden.client, garden.slug, csv_bytes([]))
    assert response.status_code == 422 and "表头下面没有任何房屋" in response.text


async def test_good_csv_preview_then_confirm_creates_version_one(app: Litestar, garden: Garden) -> None:
    response = await upload(garden.client, garden.slug, csv_bytes(good_rows()))
    assert response.status_code == 303
    preview = await garden.client.get(response.headers["location"])
    assert preview.status_code == 200
    text = preview.text
    # 7 units; members: 王伟 (101 + P-001), 李娜+张强 (102 + P-002), 赵敏 (103), the developer (601 + S01) = 4
    assert "<dd>7</dd>" in text and "<dd>4</dd>" in text
    assert "515.21 m²" in text  # 89.50 + 120 + 100.05 + 12.50 + 12.50 + 135.66 + 45.00
    assert "开发商：2 套房屋，180.66 m²，合计为一名业主" in text
    assert "这将是名册的第一版" in text
    assert "1号楼 101、地下车库 P-001" in text and "王*" in text
    assert "王伟" not in text and "13812345678" not in text  # the preview masks names and phones
    assert (await counts(app)).units == 0  # nothing until confirmed

    confirmed = await post_form(garden.client, f"{response.headers['location']}/confirm")
    assert confirmed.status_code == 200
    assert "已生成第 1 版名册" in confirmed.text
    after = await counts(app)
    assert (after.versions, after.units, after.persons) == (1, 7, 4)
    async with db_session(app) as db:
        staged = (await db.execute(select(RegisterImport))).scalar_one()
        assert staged.status == "confirmed" and staged.register_version_id is not None
        actions = list((await db.execute(select(AuditEvent.action).order_by(AuditEvent.id))).scalars())
        assert actions[-3:] == ["register_import_staged", "register_version_created", "register_import_confirmed"]
        ids = {p.id_last4 for p in (await db.execute(select(Person))).scalars()}
        assert ids == {resident_id(n)[-4:] for n in (1, 2, 3, 4)}


async def test_pending_payload_holds_no_clear_id_numbers(app: Litestar, garden: Garden) -> None:
    response = await upload(garden.client, garden.slug, csv_bytes(good_rows()))
    assert response.status_code == 303
    async with db_session(app) as db:
        staged = (await db.execute(select(RegisterImport))).scalar_one()
        stored = repr(staged.payload) + repr(staged.summary)
    for n in (1, 2, 3, 4):
        assert resident_id(n) not in stored
        assert resident_id(n)[-4:] in stored


async def test_good_xlsx_with_numbers_as_cells(app: Litestar, garden: Garden) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["building", "unit number", "unit type", "area (m²)", "area source", "owner names",
                  "owner ID numbers", "phones", "developer-held", "notes"])
    sheet.append(["1号楼", 101, "flat", 89.5, "registry", "王伟", resident_id(1), 13812345678, False, "ignored"])
    sheet.append([])  # an empty row is skipped
    sheet.append(["1号楼", 102, "flat", 120, "survey", "李娜、张强", f"{resident_id(2)}、{resident_id(3)}", None, None])
    sheet.append(["2号楼", 601, "flat", 135.66, "contract", None, None, None, True])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = await upload(garden.client, garden.slug, buffer.getvalue(), filename="名册.xlsx")
    assert response.status_code == 303, response.text
    await post_form(garden.client, f"{response.headers['location']}/confirm")
    members = await garden.client.get(f"/c/{garden.slug}/register/members")
    assert "共 3 名业主" in members.text
    assert "89.50 m²" in members.text and "135.66 m²" in members.text
    assert (await counts(app)).units == 3


async def test_gb18030_csv_is_read(app: Litestar, garden: Garden) -> None:
    response = await upload(garden.client, garden.slug, csv_bytes(good_rows(), encoding="gb18030"))
    assert response.status_code == 303, response.text
    preview = await garden.client.get(response.headers["location"])
    assert "1号楼 101" in preview.text


async def test_discard_leaves_the_register_unchanged(app: Litestar, garden: Garden) -> None:
    await upload_and_confirm(garden.client, garden.slug, csv_bytes(good_rows()))
    before = await counts(app)
    response = await upload(garden.client, garden.slug, csv_bytes(good_rows()[:2]))
    preview_url = response.headers["location"]
    discarded = await post_form(garden.client, f"{preview_url}/discard")
    assert discarded.status_code == 200
    after = await counts(app)
    assert (after.versions, after.units, after.persons) == (before.versions, before.units, before.persons)
    page = await garden.client.get(preview_url)
    assert "这次导入已放弃" in page.text and "确认：生成新版名册" not in page.text
    again = await post_form(garden.client, f"{preview_url}/confirm")
    assert again.status_code == 409
    assert (await counts(app)).versions == 1


async def test_a_preview_made_before_another_confirmation_cannot_be_confirmed(app: Litestar, garden: Garden) -> None:
    first = await upload(garden.client, garden.slug, csv_bytes(good_rows()))
    first_url = first.headers["location"]
    # A second upload replaces the first pending import...
    second = await upload(garden.client, garden.slug, csv_bytes(good_rows()[:3]))
    stale = await post_form(garden.client, f"{first_url}/confirm")
    assert stale.status_code == 409
    await post_form(garden.client, f"{second.headers['location']}/confirm")
    assert (await counts(app)).versions == 1
