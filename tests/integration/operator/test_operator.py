"""The platform operator's community pages and the ``vote community create`` command."""

from __future__ import annotations

import asyncio

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from tests.conftest import BASE_URL
from tests.support.factories import create_account, create_community, db_session, log_in
from tests.support.http import post_form
from vote.__main__ import main
from vote.db.models import AuditEvent, Community, Role

SETTINGS = {
    "name": "西园小区", "address": "杭州市西湖区西园路 8 号", "rule_preset": "cn-civil-code-2021", "notice_days": "15",
    "objection_days": "7", "voting_days_min": "5", "voting_days_max": "60", "parking_counts": "no",
    "ballot_inspection": "yes", "proposal_threshold_pct": "20", "proposal_mode": "or",
}


@pytest.fixture
async def operator_client(app: Litestar, client: AsyncTestClient) -> AsyncTestClient:
    """A client logged in as a platform operator."""
    await log_in(client, await create_account(app, "operator", operator=True))
    return client


async def audit_actions(app: Litestar) -> list[str]:
    """Every audited action, oldest first."""
    async with db_session(app) as db:
        return list((await db.execute(select(AuditEvent.action).order_by(AuditEvent.id))).scalars())


async def test_operator_creates_and_configures_a_community(app: Litestar, operator_client: AsyncTestClient) -> None:
    page = await operator_client.get("/operator/communities")
    assert page.status_code == 200
    assert "民法典（2021）第二百七十八条" in page.text and "hk-bmo" in page.text  # presets by name

    created = await post_form(operator_client, "/operator/communities", {"slug": "west-garden", **SETTINGS})
    assert created.status_code == 200 and "已保存" in created.text
    async with db_session(app) as db:
        community = (await db.execute(select(Community).where(Community.slug == "west-garden"))).scalar_one()
    assert (community.name, community.parking_counts, community.proposal_mode) == ("西园小区", False, "or")
    assert community.ballot_inspection is True
    public = await operator_client.get("/c/west-garden")
    assert public.status_code == 200 and "西园小区" in public.text

    changed = await post_form(operator_client, f"/operator/communities/{community.id}",
                              {**SETTINGS, "rule_preset": "de-weg-2020", "notice_days": "7", "voting_days_max": "30",
                               "ballot_inspection": "no"})
    assert changed.status_code == 200
    async with db_session(app) as db:
        community = await db.get(Community, community.id)
        updated = (await db.execute(select(AuditEvent).where(AuditEvent.action == "community_updated"))).scalar_one()
    assert (community.rule_preset, community.notice_days, community.voting_days_max) == ("de-weg-2020", 7, 30)
    assert community.ballot_inspection is False
    assert updated.detail["changes"]["notice_days"] == [15, 7]
    assert "address" not in updated.detail["changes"]
    assert [a for a in await audit_actions(app) if a.startswith("community_")] == ["community_created", "community_updated"]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("slug", "West Garden", "小写字母、数字和连字符"),
    ("name", "  ", "请填写小区名称"),
    ("rule_preset", "cn-made-up", "未知的表决规则"),
    ("notice_days", "十五", "请填写 1 到 365 之间的整数"),
    ("voting_days_min", "90", "最长投票期不能短于最短投票期"),
    ("proposal_threshold_pct", "0", "请填写 1 到 100 之间的整数"),
])
async def test_bad_settings_are_shown_again_with_what_was_typed(
    app: Litestar, operator_client: AsyncTestClient, field: str, value: str, message: str
) -> None:
    form = {"slug": "west-garden", **SETTINGS, field: value}
    response = await post_form(operator_client, "/operator/communities", form)
    assert response.status_code == 422
    assert message in response.text
    assert 'value="杭州市西湖区西园路 8 号"' in response.text  # nothing typed is lost
    async with db_session(app) as db:
        assert (await db.execute(select(Community))).first() is None


async def test_a_taken_slug_is_refused(app: Litestar, operator_client: AsyncTestClient) -> None:
    await create_community(app, slug="west-garden")
    response = await post_form(operator_client, "/operator/communities", {"slug": "west-garden", **SETTINGS})
    assert response.status_code == 422 and "已被另一个小区使用" in response.text


async def test_operator_grants_and_revokes_roles_by_login(app: Litestar, operator_client: AsyncTestClient) -> None:
    community_id = await create_community(app, slug="garden")
    member = await create_account(app, "zhang")
    unknown = await post_form(operator_client, f"/operator/communities/{community_id}/roles",
                              {"login": "nobody", "role": "committee"})
    assert unknown.status_code == 422 and "没有使用这个登录名的账户" in unknown.text
    owner_role = await post_form(operator_client, f"/operator/communities/{community_id}/roles",
                                 {"login": "zhang", "role": "owner"})
    assert owner_role.status_code == 422
    granted = await post_form(operator_client, f"/operator/communities/{community_id}/roles",
                              {"login": "zhang", "role": "committee"})
    assert granted.status_code == 200 and "zhang" in granted.text
    twice = await post_form(operator_client, f"/operator/communities/{community_id}/roles",
                            {"login": "zhang", "role": "committee"})
    assert twice.status_code == 422 and "已有这个角色" in twice.text
    async with db_session(app) as db:
        role = (await db.execute(select(Role).where(Role.account_id == member.account_id))).scalar_one()
    revoked = await post_form(operator_client, f"/operator/communities/{community_id}/roles/{role.id}/revoke")
    assert revoked.status_code == 200
    async with db_session(app) as db:
        assert (await db.execute(select(Role).where(Role.account_id == member.account_id))).first() is None
        events = (await db.execute(select(AuditEvent).where(AuditEvent.action.in_(("role_granted", "role_revoked")))
                                   .order_by(AuditEvent.id))).scalars().all()
    assert [(e.action, e.object_id, e.detail) for e in events] == [
        ("role_granted", str(member.account_id), {"role": "committee"}),
        ("role_revoked", str(member.account_id), {"role": "committee"}),
    ]


async def test_a_granted_role_takes_effect_at_once(app: Litestar, client: AsyncTestClient) -> None:
    community_id = await create_community(app, slug="garden")
    member = await create_account(app, "zhang")
    await log_in(client, member)
    assert (await client.get("/c/garden/register")).status_code == 403
    async with AsyncTestClient(app=app, base_url=BASE_URL) as operator_client:
        await log_in(operator_client, await create_account(app, "operator", operator=True))
        await post_form(operator_client, f"/operator/communities/{community_id}/roles",
                        {"login": "zhang", "role": "committee"})
    assert (await client.get("/c/garden/register")).status_code == 200


async def test_only_operators_reach_the_operator_pages(app: Litestar, client: AsyncTestClient) -> None:
    community_id = await create_community(app, slug="garden")
    anonymous = await client.get("/operator/communities", follow_redirects=False)
    assert anonymous.status_code in (302, 303) and anonymous.headers["location"].startswith("/login")
    committee = await create_account(app, "committee1", community_id=community_id, roles=("committee",))
    await log_in(client, committee)
    for method, url in [("GET", "/operator/communities"), ("GET", f"/operator/communities/{community_id}"),
                        ("POST", "/operator/communities"), ("POST", f"/operator/communities/{community_id}"),
                        ("POST", f"/operator/communities/{community_id}/roles")]:
        response = await (client.get(url) if method == "GET" else post_form(client, url, {"slug": "x", **SETTINGS}))
        assert response.status_code == 403, (method, url)
    async with db_session(app) as db:
        assert len((await db.execute(select(Community))).all()) == 1


def run_cli(monkeypatch: pytest.MonkeyPatch, database_url: str, *args: str) -> int:
    """``vote community create ...`` against the test database."""
    monkeypatch.setenv("VOTE_DATABASE_URL", database_url)
    monkeypatch.setenv("VOTE_ENV", "test")
    monkeypatch.setenv("VOTE_DEFAULT_LANGUAGE", "en")
    return main(["community", "create", *args])


async def test_cli_creates_a_community(
    app: Litestar, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await asyncio.to_thread(run_cli, monkeypatch, database_url, "--slug", "east", "--name", "东园",
                                   "--address", "东园路 1 号", "--rule", "cn-property-law-2007", "--notice-days", "7",
                                   "--no-parking-counts", "--no-ballot-inspection")
    assert code == 0
    assert "community east created" in capsys.readouterr().out
    async with db_session(app) as db:
        community = (await db.execute(select(Community))).scalar_one()
        actions = list((await db.execute(select(AuditEvent.action))).scalars())
    assert (community.slug, community.name, community.rule_preset, community.notice_days, community.parking_counts) == (
        "east", "东园", "cn-property-law-2007", 7, False)
    assert community.ballot_inspection is False
    assert actions == ["community_created"]


async def test_cli_refuses_bad_input_with_exit_code_2(
    app: Litestar, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await asyncio.to_thread(run_cli, monkeypatch, database_url, "--slug", "east", "--name", "东园",
                                   "--rule", "cn-made-up")
    assert code == 2
    err = capsys.readouterr().err
    assert "--rule: Unknown rule preset" in err and "cn-civil-code-2021" in err
    await create_community(app, slug="taken")
    code = await asyncio.to_thread(run_cli, monkeypatch, database_url, "--slug", "taken", "--name", "X")
    assert code == 2 and "--slug: This address is already taken" in capsys.readouterr().err
    async with db_session(app) as db:
        assert len((await db.execute(select(Community))).all()) == 1
