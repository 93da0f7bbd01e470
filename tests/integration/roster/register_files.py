"""Register files for the import tests, and helpers to upload them and count what was written."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from tests.support.factories import Credentials, db_session
from tests.support.http import csrf_token, post_form
from vote.db.models import Person, RegisterImport, RegisterVersion, Unit

HEADER = ["楼栋", "房号", "类型", "面积", "面积来源", "业主姓名", "证件号码", "手机号", "开发商持有"]
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def resident_id(n: int, birth: str = "19800101") -> str:
    """A fictitious 18-character resident ID number with a correct check digit."""
    body = f"330106{birth}{n % 1000:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER, encoding: str = "utf-8-sig") -> bytes:
    """A register file as a spreadsheet program would save it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def good_rows() -> list[list[str]]:
    """A small register: a multi-unit owner (101 + P-001), co-owners listed both ways (102, P-002), developer units."""
    wang, li, zhang, zhao = resident_id(1), resident_id(2), resident_id(3), resident_id(4)
    return [
        ["1号楼", "101", "住宅", "89.50", "不动产登记", "王伟", wang, "13812345678", "否"],
        ["1号楼", "102", "flat", "120", "registry", "李娜;张强", f"{li};{zhang}", "13900001111;13900002222", "no"],
        ["1号楼", "103", "住宅", "100.05", "测绘", "赵敏", zhao, "", ""],
        ["地下车库", "P-001", "车位", "12.50", "合同", "王伟", wang, "13812345678", "否"],
        ["地下车库", "P-002", "parking", "12.50", "contract", "张强、李娜", f"{zhang}、{li}", "", "0"],
        ["2号楼", "601", "住宅", "135.66", "不动产登记", "", "", "", "是"],
        ["商铺", "S01", "商铺", "45.00", "测绘", "", "", "", "1"],
    ]


async def upload(client: AsyncTestClient, slug: str, content: bytes, filename: str = "register.csv"):  # noqa: ANN201
    """POST a register file like the upload form (multipart, CSRF field)."""
    return await client.post(
        f"/c/{slug}/register/import", data={"_csrf_token": await csrf_token(client)},
        files={"file": (filename, content)}, follow_redirects=False,
    )


async def upload_and_confirm(client: AsyncTestClient, slug: str, content: bytes, filename: str = "register.csv", *,
                             confirmer: AsyncTestClient | None = None) -> str:
    """Upload, then confirm the preview (by ``confirmer``, another committee member, when given); returns the
    preview page's HTML."""
    response = await upload(client, slug, content, filename)
    assert response.status_code == 303, response.text
    preview_url = response.headers["location"]
    preview = await client.get(preview_url)
    confirmed = await post_form(confirmer or client, f"{preview_url}/confirm", follow_redirects=False)
    assert confirmed.status_code == 303, confirmed.text
    return preview.text


@dataclass(frozen=True)
class Counts:
    """What the register tables hold."""

    versions: int
    units: int
    persons: int
    imports: int


async def counts(app: Litestar) -> Counts:
    """Count register versions, units, persons and staged imports."""
    async with db_session(app) as db:
        values = [
            (await db.execute(select(func.count()).select_from(model))).scalar_one()
            for model in (RegisterVersion, Unit, Person, RegisterImport)
        ]
    return Counts(*values)


@dataclass(frozen=True)
class Garden:
    """A community, its committee member (logged in on ``client``) and the client."""

    community_id: int
    slug: str
    committee: Credentials
    client: AsyncTestClient
