"""HTTP helpers: forms carry the CSRF token exactly as a browser without JavaScript would send it."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from vote.app import CSRF_COOKIE


async def csrf_token(client: AsyncTestClient) -> str:
    """The CSRF token of this client's cookie jar (fetching a page first if needed)."""
    token = client.cookies.get(CSRF_COOKIE)
    if not token:
        await client.get("/")
        token = client.cookies.get(CSRF_COOKIE)
    assert token, "the app did not set a CSRF cookie"
    return token


async def post_form(client: AsyncTestClient, url: str, data: dict[str, Any] | None = None, **kwargs: Any):  # noqa: ANN201
    """POST an urlencoded form with the CSRF token field, like the HTML forms do."""
    form = dict(data or {})
    form["_csrf_token"] = await csrf_token(client)
    return await client.post(url, data=form, **kwargs)
