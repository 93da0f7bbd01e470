"""Only the community's own committee reaches the register pages; other communities' ids are not found."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from tests.integration.roster.register_files import counts, csv_bytes, good_rows
from tests.support.factories import (
    Credentials,
    create_account,
    create_community,
    create_register,
    db_session,
    log_in,
    person_id_by_name,
)
from tests.support.http import csrf_token
from vote.db.models import Community, Member
from vote.domain.roster.services import RosterService


@dataclass(frozen=True)
class Two:
    """Community A (with a register, a pending import and a member), community B, and everyone's logins."""

    import_id: int
    member_id: int
    accounts: dict[str, Credentials]


async def stage(app: Litestar, community_id: int, actor_id: int) -> int:
    """A pending import of ``good_rows`` through the service."""
    async with db_session(app) as db:
        community = await db.get(Community, community_id)
        staged = await RosterService(db, app.state.settings.secret_key).stage_import(
            community, "a.csv", csv_bytes(good_rows()), actor_account_id=actor_id, now=app.state.clock.now())
        assert staged.import_id is not None
        return staged.import_id


@pytest.fixture
async def two(app: Litestar) -> Two:
    """Community ``a`` with committee, owner, observer; community ``b`` with its own committee; an operator."""
    a = await create_community(app, slug="a", name="甲小区")
    b = await create_community(app, slug="b", name="乙小区")
    version_id = await create_register(app, a)
    accounts = {
        "committee-a": await create_account(app, "committee-a", community_id=a, roles=("committee",)),
        "committee-b": await create_account(app, "committee-b", community_id=b, roles=("committee",)),
        "owner-a": await create_account(app, "owner-a", community_id=a, roles=("owner",),
                                        person_id=await person_id_by_name(app, a, "王1")),
        "observer-a": await create_account(app, "observer-a", community_id=a, roles=("observer",)),
        "operator": await create_account(app, "operator", operator=True),
    }
    import_id = await stage(app, a, accounts["committee-a"].account_id)
    async with db_session(app) as db:
        member_id = (await db.execute(select(Member.id).where(Member.register_version_id == version_id).limit(1))).scalar_one()
    return Two(import_id, member_id, accounts)


def routes(two: Two) -> list[tuple[str, str]]:
    """Every register route of community ``a``."""
    return [
        ("GET", "/c/a/register"),
        ("GET", "/c/a/register/import"),
        ("POST", "/c/a/register/import"),
        ("GET", f"/c/a/register/imports/{two.import_id}"),
        ("POST", f"/c/a/register/imports/{two.import_id}/confirm"),
        ("POST", f"/c/a/register/imports/{two.import_id}/discard"),
        ("GET", "/c/a/register/members"),
        ("GET", f"/c/a/register/members/{two.member_id}"),
        ("GET", "/c/a/register/export.csv"),
    ]


async def request(client: AsyncTestClient, method: str, url: str):  # noqa: ANN201
    """A GET, or a POST carrying the CSRF token (and a file where the form has one)."""
    if method == "GET":
        return await client.get(url, follow_redirects=False)
    files = {"file": ("a.csv", csv_bytes(good_rows()))} if url.endswith("/import") else None
    return await client.post(url, data={"_csrf_token": await csrf_token(client)}, files=files, follow_redirects=False)


async def test_anonymous_visitors_are_sent_to_log_in(app: Litestar, client: AsyncTestClient, two: Two) -> None:
    before = await counts(app)
    for method, url in routes(two):
        response = await request(client, method, url)
        assert response.status_code in (302, 303), (method, url, response.status_code)
        assert response.headers["location"].startswith("/login"), (method, url)
    assert await counts(app) == before


@pytest.mark.parametrize("login", ["owner-a", "observer-a", "committee-b", "operator"])
async def test_other_roles_are_refused(app: Litestar, client: AsyncTestClient, two: Two, login: str) -> None:
    before = await counts(app)
    await log_in(client, two.accounts[login])
    for method, url in routes(two):
        response = await request(client, method, url)
        assert response.status_code == 403, (login, method, url, response.status_code)
        assert "Traceback" not in response.text
    assert await counts(app) == before


async def test_another_communitys_objects_are_not_found(app: Litestar, client: AsyncTestClient, two: Two) -> None:
    """Community b's committee asks for community a's import and member through its own address."""
    before = await counts(app)
    await log_in(client, two.accounts["committee-b"])
    for method, url in [
        ("GET", f"/c/b/register/imports/{two.import_id}"),
        ("POST", f"/c/b/register/imports/{two.import_id}/confirm"),
        ("POST", f"/c/b/register/imports/{two.import_id}/discard"),
        ("GET", f"/c/b/register/members/{two.member_id}"),
    ]:
        response = await request(client, method, url)
        assert response.status_code == 404, (method, url, response.status_code)
    assert await counts(app) == before


async def test_the_own_committee_reaches_every_page(app: Litestar, client: AsyncTestClient, two: Two) -> None:
    await log_in(client, two.accounts["committee-a"])
    for method, url in routes(two):
        if method == "GET":
            response = await request(client, method, url)
            assert response.status_code == 200, (url, response.status_code)
