"""Activation letters: who gets one, what is printed, codes stored hashed, replacement, and access."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from tests.conftest import BASE_URL
from tests.integration.activation.conftest import LETTER_CODE, WANG1, Garden, Journey, login, member_of_unit
from tests.support.factories import create_account, create_community, create_register, db_session
from tests.support.http import post_form
from vote.db.models import ActivationCode, AuditEvent
from vote.domain.activation.codes import ALPHABET, code_digest, normalize_code
from vote.lib.i18n import LANGUAGE_COOKIE


async def test_the_committee_prints_one_letter_per_member_without_an_activated_voter(
    app: Litestar, client: AsyncTestClient, garden: Garden
) -> None:
    await login(client, garden.committee1)
    # The committee member reads English; the letters are still printed in Chinese for the owners.
    client.cookies.set(LANGUAGE_COOKIE, "en", domain="testserver.local")
    overview = await client.get("/c/garden/activation")
    assert overview.status_code == 200 and "Generate letters" in overview.text
    page = await post_form(client, "/c/garden/activation/letters", {"valid_days": "60"})
    assert page.status_code == 200
    codes = LETTER_CODE.findall(page.text)
    # 6 single-owner flats and the co-owned flat; the developer's unit gets no letter.
    assert len(codes) == 7 == page.text.count('class="letter"')
    assert all(re.fullmatch(r"([0-9A-Z]{4}-){3}[0-9A-Z]{4}", c) and set(c) - {"-"} <= set(ALPHABET) for c in codes)
    assert "业主账户激活通知书" in page.text and "核对姓名和身份证号后四位" in page.text and "保存恢复码" in page.text
    assert "王*" in page.text and "李*" in page.text
    assert "王1" not in page.text and "李甲" not in page.text and "001X" not in page.text
    assert "1号楼" in page.text and "101" in page.text and "101.00 m²" in page.text
    assert page.text.count('src="data:image/svg+xml') == 7
    assert f"{app.state.settings.base_url}/activate?code={codes[0]}" in page.text
    assert '<link rel="stylesheet" href="/static/css/activation.css">' in page.text
    css = await client.get("/static/css/activation.css")
    assert "@media print" in css.text and "page-break-after: always" in css.text

    async with db_session(app) as db:
        stored = (await db.execute(select(ActivationCode))).scalars().all()
        assert len(stored) == 7
        hashes = {c.code_hash for c in stored}
        assert hashes == {code_digest(normalize_code(c) or "") for c in codes}
        assert not any(c.replace("-", "") in h for c in codes for h in hashes)
        assert "activation_letters_generated" in (await db.execute(select(AuditEvent.action))).scalars().all()

    # Generating again prints nothing new: every member still has a valid letter ...
    again = await post_form(client, "/c/garden/activation/letters", {"valid_days": ""})
    assert again.status_code == 200 and LETTER_CODE.findall(again.text) == []
    # ... unless the committee replaces them: then the old codes stop working.
    replaced = await post_form(client, "/c/garden/activation/letters", {"valid_days": "", "replace_valid": "1"})
    assert len(LETTER_CODE.findall(replaced.text)) == 7
    async with AsyncTestClient(app=app, base_url=BASE_URL) as owner:
        assert (await Journey(owner).code(codes[0])).status_code == 400
        assert (await Journey(owner).code(LETTER_CODE.findall(replaced.text)[0])).status_code == 200


async def test_activated_members_get_no_new_letter(app: Litestar, client: AsyncTestClient, garden: Garden) -> None:
    await login(client, garden.committee1)
    member_id = await member_of_unit(app, garden.version_id, "101")
    first = await post_form(client, f"/c/garden/activation/members/{member_id}/letter", {"valid_days": "30"})
    assert first.status_code == 200
    (code,) = LETTER_CODE.findall(first.text)
    async with AsyncTestClient(app=app, base_url=BASE_URL) as owner:
        assert (await Journey(owner).complete(code, *WANG1, login="wang1")).status_code == 200
    overview = await client.get("/c/garden/activation")
    assert "已激活" in overview.text
    refused = await post_form(client, f"/c/garden/activation/members/{member_id}/letter", {"valid_days": "30"})
    assert refused.status_code == 409 and "已激活账户" in refused.text
    bulk = await post_form(client, "/c/garden/activation/letters", {"replace_valid": "1"})
    assert len(LETTER_CODE.findall(bulk.text)) == 6
    assert "1号楼</td><td>101<" not in bulk.text


async def test_a_building_filter_and_a_bad_validity_are_handled(
    app: Litestar, client: AsyncTestClient, garden: Garden
) -> None:
    await login(client, garden.committee1)
    bad = await post_form(client, "/c/garden/activation/letters", {"valid_days": "0"})
    assert bad.status_code == 422 and "1 至 365 天" in bad.text
    unknown_building = await post_form(client, "/c/garden/activation/letters", {"building_id": "99999"})
    assert unknown_building.status_code == 404
    async with db_session(app) as db:
        assert (await db.execute(select(func.count(ActivationCode.id)))).scalar_one() == 0


async def test_only_the_communitys_committee_reaches_the_letters(app: Litestar, garden: Garden) -> None:
    owner = await create_account(app, "owner", community_id=garden.community_id, roles=("owner",))
    observer = await create_account(app, "observer", community_id=garden.community_id, roles=("observer",))
    other_id = await create_community(app, slug="other", name="别的小区")
    await create_register(app, other_id)
    other_committee = await create_account(app, "other-committee", community_id=other_id, roles=("committee",))
    member_id = await member_of_unit(app, garden.version_id, "101")
    urls = ["/c/garden/activation", "/c/garden/verifications"]
    posts = ["/c/garden/activation/letters", f"/c/garden/activation/members/{member_id}/letter"]

    async with AsyncTestClient(app=app, base_url=BASE_URL) as anonymous:
        for url in urls:
            response = await anonymous.get(url, follow_redirects=False)
            assert response.status_code in (302, 303, 307) and "/login" in response.headers["location"]
        for url in posts:
            assert (await post_form(anonymous, url, follow_redirects=False)).status_code in (302, 303, 307, 401)
    for creds in (owner, observer, other_committee):
        async with AsyncTestClient(app=app, base_url=BASE_URL) as visitor:
            await login(visitor, creds)
            for url in urls:
                assert (await visitor.get(url)).status_code == 403, (creds.login, url)
            for url in posts:
                assert (await post_form(visitor, url)).status_code == 403, (creds.login, url)
            if creds is other_committee:
                # Through its own community's pages, this community's member is simply not found.
                response = await post_form(visitor, f"/c/other/activation/members/{member_id}/letter")
                assert response.status_code == 404
    async with db_session(app) as db:
        assert (await db.execute(select(func.count(ActivationCode.id)))).scalar_one() == 0
