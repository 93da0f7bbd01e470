"""A register of 5,000 units goes through upload, preview, confirm and re-import (batched writes)."""

from __future__ import annotations

from litestar import Litestar

from tests.integration.roster.register_files import Garden, counts, csv_bytes, resident_id, upload
from tests.support.http import post_form


def big_register(units: int = 5000) -> list[list[str]]:
    """25 buildings of 200 flats; every tenth flat belongs to the owner of the flat before it."""
    rows = []
    for n in range(units):
        owner = n - 1 if n % 10 == 1 else n
        rows.append([f"{1 + n // 200}号楼", f"{n % 200 + 101}", "住宅", "88.50", "不动产登记", f"业主{owner}",
                     resident_id(owner % 1000, f"19{50 + owner // 1000:02d}0101"), "13812345678", "否"])
    return rows


async def test_five_thousand_units(app: Litestar, garden: Garden) -> None:
    content = csv_bytes(big_register())
    response = await upload(garden.client, garden.slug, content)
    assert response.status_code == 303
    confirmed = await post_form(garden.client, f"{response.headers['location']}/confirm")
    assert confirmed.status_code == 200
    assert "<dd>5000</dd>" in confirmed.text and "<dd>4500</dd>" in confirmed.text  # 500 owners hold two flats
    assert "442,500.00 m²" in confirmed.text and "没有开发商持有的房屋" in confirmed.text
    after = await counts(app)
    assert (after.versions, after.units, after.persons) == (1, 5000, 4500)
    members = await garden.client.get(f"/c/{garden.slug}/register/members?page=90")
    assert "第 90 页，共 90 页" in members.text
    again = await upload(garden.client, garden.slug, content)
    preview = await garden.client.get(again.headers["location"])
    assert "与当前版本相比，房屋、业主和业主成员均无变动" in preview.text
