"""Members as docs/rules.md counts them, the committee's verification screen, masking, paging and re-imports."""

from __future__ import annotations

import re

from litestar import Litestar
from sqlalchemy import select

from tests.integration.roster.register_files import Garden, csv_bytes, good_rows, resident_id, upload, upload_and_confirm
from tests.support.factories import db_session
from tests.support.http import post_form
from vote.db.models import Building, Member, RegisterVersion, Unit, UnitOwner


def member_links(html: str) -> dict[str, str]:
    """First unit of each member row -> its detail link."""
    return {
        match.group(2).split("<br>")[0].strip(): match.group(1)
        for match in re.finditer(r'<a href="(/c/garden/register/members/\d+)">(.*?)</a>', html, re.S)
    }


async def test_members_are_grouped_as_the_rules_say(app: Litestar, garden: Garden) -> None:
    await upload_and_confirm(garden.client, garden.slug, csv_bytes(good_rows()))
    page = await garden.client.get(f"/c/{garden.slug}/register/members")
    assert page.status_code == 200
    assert "共 4 名业主" in page.text
    links = member_links(page.text)
    assert set(links) == {"1号楼 101", "1号楼 102", "1号楼 103", "2号楼 601"}

    multi = await garden.client.get(links["1号楼 101"])
    assert "同一业主拥有这 2 套房屋" in multi.text
    assert "1号楼 101" in multi.text and "地下车库 P-001" in multi.text and "102.00 m²" in multi.text

    co_owned = await garden.client.get(links["1号楼 102"])  # 李娜;张强 on 102, 张强、李娜 on P-002
    assert "同一组共有人（顺序不论）拥有这 2 套房屋" in co_owned.text
    assert "132.50 m²" in co_owned.text
    assert "尚未推选投票人" in co_owned.text  # co-owners must nominate one voter

    developer = await garden.client.get(links["2号楼 601"])
    assert "开发商持有的全部房屋合计为一名业主" in developer.text
    assert "商铺 S01" in developer.text and "180.66 m²" in developer.text


async def test_verification_screen_shows_full_data_and_the_list_masks_it(app: Litestar, garden: Garden) -> None:
    await upload_and_confirm(garden.client, garden.slug, csv_bytes(good_rows()))
    page = await garden.client.get(f"/c/{garden.slug}/register/members")
    assert "王*" in page.text and "138****5678" in page.text
    assert "王伟" not in page.text and "13812345678" not in page.text
    detail = await garden.client.get(member_links(page.text)["1号楼 101"])
    assert "王伟" in detail.text and "13812345678" in detail.text
    assert resident_id(1) not in detail.text
    assert "**************" + resident_id(1)[-4:] in detail.text


async def test_search_and_paging_of_a_large_register(app: Litestar, garden: Garden) -> None:
    rows = [
        [f"{1 + n // 100}号楼", f"{n % 100 + 101}", "住宅", "88.00", "不动产登记", f"业主{n}", resident_id(n, "1990" + f"{1 + n // 1000:02d}01"),
         "", "否"]
        for n in range(120)
    ]
    await upload_and_confirm(garden.client, garden.slug, csv_bytes(rows))
    first = await garden.client.get(f"/c/{garden.slug}/register/members")
    assert "共 120 名业主" in first.text and "第 1 页，共 3 页" in first.text
    assert first.text.count("/c/garden/register/members/") == 50
    last = await garden.client.get(f"/c/{garden.slug}/register/members?page=3")
    assert last.text.count("/c/garden/register/members/") == 20 and "上一页" in last.text
    found = await garden.client.get(f"/c/{garden.slug}/register/members", params={"q": "2号楼"})
    assert "共 20 名业主" in found.text


async def test_reimport_shows_a_diff_and_creates_a_new_version(app: Litestar, garden: Garden) -> None:
    await upload_and_confirm(garden.client, garden.slug, csv_bytes(good_rows()))
    rows = good_rows()
    rows[0][3] = "90.00"  # 101: area corrected
    rows[1][5:8] = ["李娜", resident_id(2), ""]  # 102: 张强 sold his share
    del rows[2]  # 103 removed
    rows.append(["1号楼", "104", "住宅", "66.00", "测绘", "钱多多", resident_id(50), "", ""])
    response = await upload(garden.client, garden.slug, csv_bytes(rows))
    preview = (await garden.client.get(response.headers["location"])).text
    assert "与第 1 版相比的变动" in preview
    assert "新增房屋：1 套" in preview and "1号楼 104 · 66.00 m² · 钱**" in preview
    assert "删除房屋：1 套" in preview and "1号楼 103 · 100.05 m² · 赵*" in preview
    assert "面积 89.50 → 90.00 m²" in preview
    assert "业主 李*、张* → 李*" in preview
    assert "新增业主成员：2 名" in preview and "减少业主成员：1 名" in preview
    assert "钱多多" not in preview and "赵敏" not in preview  # owners by masked names only
    await post_form(garden.client, f"{response.headers['location']}/confirm")

    async with db_session(app) as db:
        versions = list((await db.execute(select(RegisterVersion).order_by(RegisterVersion.number))).scalars())
        assert [v.number for v in versions] == [1, 2]
        old_units = (await db.execute(
            select(Unit.number, Unit.area_centi).join(Building, Building.id == Unit.building_id)
            .where(Unit.register_version_id == versions[0].id, Building.name == "1号楼")
            .order_by(Unit.number))).all()
        assert old_units == [("101", 8950), ("102", 12000), ("103", 10005)]  # version 1 never changes
    overview = await garden.client.get(f"/c/{garden.slug}/register")
    assert "当前名册：第 2 版" in overview.text


async def test_a_nominated_co_owner_voter_carries_over_to_the_next_version(app: Litestar, garden: Garden) -> None:
    await upload_and_confirm(garden.client, garden.slug, csv_bytes(good_rows()))
    async with db_session(app) as db:
        member = (await db.execute(
            select(Member).join(Unit, Unit.member_id == Member.id).where(Unit.number == "102"))).scalar_one()
        co_owners = sorted((await db.execute(
            select(UnitOwner.person_id).join(Unit, Unit.id == UnitOwner.unit_id).where(Unit.number == "102"))).scalars())
        assert len(co_owners) == 2 and member.voter_person_id is None
        voter = co_owners[1]  # the committee recorded the co-owners' nomination
        member.voter_person_id = voter
        await db.commit()
    rows = good_rows()
    rows[0][3] = "90.00"
    await upload_and_confirm(garden.client, garden.slug, csv_bytes(rows))
    async with db_session(app) as db:
        latest = (await db.execute(select(RegisterVersion.id).order_by(RegisterVersion.number.desc()).limit(1))).scalar_one()
        carried = (await db.execute(
            select(Member.voter_person_id).join(Unit, Unit.member_id == Member.id)
            .where(Unit.number == "102", Unit.register_version_id == latest))).scalar_one()
    assert carried == voter


async def test_export_masks_names_and_phones_and_has_no_id_numbers(app: Litestar, garden: Garden) -> None:
    await upload_and_confirm(garden.client, garden.slug, csv_bytes(good_rows()))
    response = await garden.client.get(f"/c/{garden.slug}/register/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("楼栋,房号,类型,面积")
    assert "1号楼,101,住宅,89.50,不动产登记,否" in text
    assert "王*" in text and "138****5678" in text
    for clear in ("王伟", "李娜", "13812345678", "13900001111", resident_id(1), resident_id(2)):
        assert clear not in text
    assert "**************" + resident_id(1)[-4:] in text


async def test_public_and_hub_pages_never_show_owner_names(app: Litestar, garden: Garden) -> None:
    await upload_and_confirm(garden.client, garden.slug, csv_bytes(good_rows()))
    page = await garden.client.get(f"/c/{garden.slug}")
    assert "/c/garden/register" in page.text  # the committee's hub link
    for clear in ("王伟", "李娜", "张强", "赵敏", "13812345678"):
        assert clear not in page.text
    overview = await garden.client.get(f"/c/{garden.slug}/register")
    for clear in ("王伟", "李娜", "13812345678"):
        assert clear not in overview.text
