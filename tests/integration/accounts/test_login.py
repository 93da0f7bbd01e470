"""Login through the real app: password + TOTP, replay, lockout, rotation, timeouts, logout."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import BASE_URL
from tests.support.factories import account_by_login, create_account, create_community
from tests.support.http import post_form
from vote.domain.accounts.sessions import SESSION_COOKIE


async def _login(client: AsyncTestClient, login: str, password: str, code: str, **kwargs):  # noqa: ANN202, ANN003
    return await post_form(client, "/login", {"login": login, "password": password, "code": code, "next": "/"},
                           follow_redirects=False, **kwargs)


async def test_login_with_password_and_totp_sets_a_secure_session(app: Litestar, client: AsyncTestClient) -> None:
    community_id = await create_community(app)
    creds = await create_account(app, "alice", community_id=community_id, roles=("owner",))
    response = await _login(client, "alice", creds.password, creds.code())
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert f"{SESSION_COOKIE}=" in cookie and "HttpOnly" in cookie and "Secure" in cookie
    assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
    home = await client.get("/")
    assert "alice" in home.text and "退出登录" in home.text


async def test_unknown_account_and_wrong_password_get_the_same_answer(app: Litestar, client: AsyncTestClient) -> None:
    creds = await create_account(app, "bob")
    wrong = await _login(client, "bob", "not the password", creds.code())
    unknown = await _login(client, "nobody", "not the password", "123456")
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.text.replace("bob", "X") == unknown.text.replace("nobody", "X")


async def test_session_id_rotates_at_login(app: Litestar, client: AsyncTestClient) -> None:
    creds = await create_account(app, "carol")
    client.cookies.set(SESSION_COOKIE, "attacker-chosen-session-id", domain="testserver.local")
    response = await _login(client, "carol", creds.password, creds.code())
    assert response.status_code == 303
    new_id = client.cookies.get(SESSION_COOKIE)
    assert new_id and new_id != "attacker-chosen-session-id"
    async with AsyncTestClient(app=app, base_url=BASE_URL) as attacker:
        attacker.cookies.set(SESSION_COOKIE, "attacker-chosen-session-id", domain="testserver.local")
        assert "carol" not in (await attacker.get("/")).text


async def test_a_totp_code_cannot_be_used_twice(app: Litestar, client: AsyncTestClient) -> None:
    creds = await create_account(app, "dave")
    code = creds.code()
    assert (await _login(client, "dave", creds.password, code)).status_code == 303
    async with AsyncTestClient(app=app, base_url=BASE_URL) as other:
        assert (await _login(other, "dave", creds.password, code)).status_code == 400


async def test_two_concurrent_logins_with_one_code_exactly_one_wins(app: Litestar) -> None:
    creds = await create_account(app, "erin")
    code = creds.code()
    async with AsyncTestClient(app=app, base_url=BASE_URL) as first, AsyncTestClient(app=app, base_url=BASE_URL) as second:
        results = await asyncio.gather(
            _login(first, "erin", creds.password, code), _login(second, "erin", creds.password, code)
        )
    assert sorted(r.status_code for r in results) == [303, 400]


async def test_recovery_code_works_once(app: Litestar, client: AsyncTestClient) -> None:
    creds = await create_account(app, "frank")
    recovery = creds.recovery_codes[0]
    assert (await _login(client, "frank", creds.password, recovery.upper())).status_code == 303
    async with AsyncTestClient(app=app, base_url=BASE_URL) as other:
        assert (await _login(other, "frank", creds.password, recovery)).status_code == 400


async def test_lockout_after_repeated_failures_even_with_the_right_password(app: Litestar, client: AsyncTestClient) -> None:
    creds = await create_account(app, "grace")
    for _ in range(5):
        assert (await _login(client, "grace", "wrong", creds.code())).status_code == 400
    account = await account_by_login(app, "grace")
    assert account.failed_logins == 5 and account.locked_until is not None
    response = await _login(client, "grace", creds.password, creds.code())
    assert response.status_code == 400
    app.state.clock.advance(timedelta(minutes=2))
    response = await _login(client, "grace", creds.password, creds.code(offset_steps=4))
    assert response.status_code == 303
    assert (await account_by_login(app, "grace")).failed_logins == 0


async def test_logout_invalidates_the_session_on_the_server(app: Litestar, client: AsyncTestClient) -> None:
    creds = await create_account(app, "heidi")
    await _login(client, "heidi", creds.password, creds.code())
    stolen = client.cookies.get(SESSION_COOKIE)
    response = await post_form(client, "/logout", follow_redirects=False)
    assert response.status_code == 303
    async with AsyncTestClient(app=app, base_url=BASE_URL) as replay:
        replay.cookies.set(SESSION_COOKIE, stolen, domain="testserver.local")
        assert "heidi" not in (await replay.get("/")).text


async def test_idle_and_absolute_timeouts_are_enforced_server_side(app: Litestar, client: AsyncTestClient) -> None:
    creds = await create_account(app, "ivan")
    await _login(client, "ivan", creds.password, creds.code())
    app.state.clock.advance(timedelta(minutes=29))
    assert "ivan" in (await client.get("/")).text
    app.state.clock.advance(timedelta(minutes=31))
    assert "ivan" not in (await client.get("/")).text
