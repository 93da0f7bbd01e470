"""The public pages through the real app: language, error pages, security headers, health."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from tests.support.factories import create_community, create_register
from tests.support.http import post_form


async def test_home_is_chinese_by_default_with_strict_headers(client: AsyncTestClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in response.text
    assert "业主大会" in response.text
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "max-age" in response.headers["strict-transport-security"]
    assert "<script>" not in response.text  # no inline script anywhere


async def test_language_switch_to_english_and_back(client: AsyncTestClient) -> None:
    response = await post_form(client, "/lang", {"language": "en", "next": "/"})
    assert response.status_code == 200  # followed the 303 back home
    assert '<html lang="en">' in response.text
    assert "Owners' assembly voting" in response.text
    response = await post_form(client, "/lang", {"language": "zh_CN", "next": "/"})
    assert '<html lang="zh-CN">' in response.text


async def test_language_switch_ignores_foreign_redirects(client: AsyncTestClient) -> None:
    response = await post_form(client, "/lang", {"language": "en", "next": "//evil.example/"},
                               follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


async def test_state_change_without_csrf_token_is_refused_with_a_page(client: AsyncTestClient) -> None:
    await client.get("/")
    response = await client.post("/lang", data={"language": "en"})
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "Traceback" not in response.text


async def test_unknown_page_is_an_html_404_with_headers(client: AsyncTestClient) -> None:
    response = await client.get("/no/such/page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "页面不存在" in response.text
    assert "content-security-policy" in response.headers


async def test_healthz_reports_the_database(client: AsyncTestClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_community_page_shows_register_totals(app, client: AsyncTestClient) -> None:  # noqa: ANN001
    community_id = await create_community(app, slug="garden")
    await create_register(app, community_id)
    response = await client.get("/c/garden")
    assert response.status_code == 200
    # 6 single-owner flats + 1 co-owned flat + 1 developer flat = 8 units, 8 members
    assert "测试小区" in response.text
    assert ">8<" in response.text
    assert "王1" not in response.text  # no owner names on a public page
    missing = await client.get("/c/nowhere")
    assert missing.status_code == 404
