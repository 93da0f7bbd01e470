"""HTTP helpers: forms carry the CSRF token exactly as a browser without JavaScript would send it."""

from __future__ import annotations

import asyncio
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


async def post_at_once(clients: list[AsyncTestClient], url: str,
                       data: dict[str, Any] | list[dict[str, Any]] | None = None) -> list[int]:
    """Each client posts the form at the same moment (no redirects followed); the sorted status codes.

    ``data`` is the one form every client posts, or a list with each client's own form.

    The test client's transport blocks its event loop while the app answers, so a plain
    ``asyncio.gather`` of posts would send them one after the other: each is sent from a thread of its own.
    """
    responses = await asyncio.gather(
        *(asyncio.to_thread(asyncio.run, post_form(c, url, form, follow_redirects=False))
          for c, form in zip(clients, data if isinstance(data, list) else [data] * len(clients), strict=True))
    )
    return sorted(r.status_code for r in responses)
