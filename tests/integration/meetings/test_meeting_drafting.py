"""Drafting a meeting through the real app: validation, motions, thresholds in words, sanitising, order."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from datetime import timedelta

from litestar import Litestar
from sqlalchemy import select

from tests.integration.meetings.conftest import Login
from tests.support.factories import VotingWorld, create_account, create_community, db_session
from tests.support.http import post_form
from vote.db.models import Meeting, Motion
from vote.domain.meetings.services import local_input


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def parsed_tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """Every element of a page with its attributes, as a browser's parser sees them."""
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def window(app: Litestar, start_days: int = 20, days: int = 7) -> dict[str, str]:
    """Form values for a voting window starting in ``start_days`` and lasting ``days``."""
    start = app.state.clock.now() + timedelta(days=start_days)
    return {"opens_at": local_input(start), "closes_at": local_input(start + timedelta(days=days))}


async def draft(app: Litestar, client, slug: str = "garden", **fields: str) -> int:  # noqa: ANN001
    """Create a draft meeting through the form; returns its id."""
    form = {"title": "2027 年第一次业主大会", "scope": "all", **window(app), **fields}
    response = await post_form(client, f"/c/{slug}/meetings/", form, follow_redirects=False)
    assert response.status_code == 303, response.text
    return int(re.search(r"/meetings/(\d+)", response.headers["location"]).group(1))


async def add_motion(client, slug: str, meeting_id: int, **fields: str):  # noqa: ANN001, ANN201
    """Post the motion form."""
    form = {"title": "更换电梯", "body_md": "", "matter": "5", "kind": "question", "seats": "1", "candidates": "",
            **fields}
    return await post_form(client, f"/c/{slug}/meetings/{meeting_id}/motions", form, follow_redirects=False)


async def test_committee_drafts_a_meeting_with_motions(app: Litestar, world: VotingWorld, login: Login) -> None:
    committee = await login(world.committee[0])
    form_page = await committee.get("/c/garden/meetings/new")
    assert form_page.status_code == 200
    assert 'name="opens_at"' in form_page.text and "1号楼" in form_page.text
    meeting_id = await draft(app, committee)
    response = await add_motion(committee, "garden", meeting_id, title="筹集维修资金", matter="6",
                                body_md="每平方米 **2 元**。")
    assert response.status_code == 303
    page = await committee.get(f"/c/garden/meetings/{meeting_id}")
    assert page.status_code == 200
    assert "筹集维修资金" in page.text and "<strong>2 元</strong>" in page.text
    # Matter 6 is special: the page says in plain words that it needs three quarters.
    assert "筹集建筑物及其附属设施的维修资金" in page.text
    assert "四分之三以上" in page.text and "重大事项" in page.text


async def test_ordinary_matter_says_more_than_half(app: Litestar, world: VotingWorld, login: Login) -> None:
    committee = await login(world.committee[0])
    meeting_id = await draft(app, committee)
    await add_motion(committee, "garden", meeting_id, matter="4", title="续聘物业")
    page = await committee.get(f"/c/garden/meetings/{meeting_id}")
    assert "超过参与表决总数的二分之一" in page.text
    assert "四分之三" not in page.text


async def test_invalid_meeting_form_keeps_what_was_typed(app: Litestar, world: VotingWorld, login: Login) -> None:
    committee = await login(world.committee[0])
    values = window(app, days=2)  # shorter than the community's minimum of 5 days
    response = await post_form(committee, "/c/garden/meetings/", {"title": "我的标题", "scope": "all", **values})
    assert response.status_code == 422
    assert 'value="我的标题"' in response.text and values["opens_at"] in response.text
    assert "5" in response.text and "60" in response.text  # the bounds are named
    response = await post_form(committee, "/c/garden/meetings/", {"title": "", "scope": "all", **window(app)})
    assert response.status_code == 422
    response = await post_form(committee, "/c/garden/meetings/",
                               {"title": "x", "scope": "all", "opens_at": "not a date", "closes_at": ""})
    assert response.status_code == 422
    response = await post_form(committee, "/c/garden/meetings/", {"title": "x", "scope": "buildings", **window(app)})
    assert response.status_code == 422 and 'value="x"' in response.text
    async with db_session(app) as db:
        assert (await db.execute(select(Meeting))).first() is None


async def test_building_scope_is_kept(app: Litestar, world: VotingWorld, login: Login) -> None:
    committee = await login(world.committee[0])
    form_page = await committee.get("/c/garden/meetings/new")
    building_id = re.search(r'name="building_ids" value="(\d+)"', form_page.text).group(1)
    meeting_id = await draft(app, committee, scope="buildings", building_ids=building_id)
    async with db_session(app) as db:
        meeting = (await db.execute(select(Meeting).where(Meeting.id == meeting_id))).scalar_one()
    assert meeting.scope == {"building_ids": [int(building_id)]}
    page = await committee.get(f"/c/garden/meetings/{meeting_id}")
    assert "1号楼" in page.text


async def test_invalid_motion_forms(app: Litestar, world: VotingWorld, login: Login) -> None:
    committee = await login(world.committee[0])
    meeting_id = await draft(app, committee)
    no_matter = await add_motion(committee, "garden", meeting_id, matter="", body_md="保留我")
    assert no_matter.status_code == 422 and "保留我" in no_matter.text
    assert (await add_motion(committee, "garden", meeting_id, matter="10")).status_code == 422
    assert (await add_motion(committee, "garden", meeting_id, title=" ")).status_code == 422
    too_many_seats = await add_motion(committee, "garden", meeting_id, kind="election", seats="3",
                                      candidates="张三\n李四", matter="3")
    assert too_many_seats.status_code == 422 and "张三" in too_many_seats.text
    no_candidates = await add_motion(committee, "garden", meeting_id, kind="election", seats="1", matter="3")
    assert no_candidates.status_code == 422
    election = await add_motion(committee, "garden", meeting_id, kind="election", seats="2",
                                candidates="张三\n李四\n王五", matter="3", title="选举业委会委员")
    assert election.status_code == 303
    page = await committee.get(f"/c/garden/meetings/{meeting_id}")
    assert "王五" in page.text and "选举业主委员会" in page.text


async def test_motion_body_is_sanitised(app: Litestar, world: VotingWorld, login: Login) -> None:
    committee = await login(world.committee[0])
    meeting_id = await draft(app, committee)
    payload = ('<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">\n\n'
               '[点我](javascript:alert(3))\n\n<a href="https://x.example" onclick="alert(4)">x</a>')
    await add_motion(committee, "garden", meeting_id, body_md=payload)
    page = await committee.get(f"/c/garden/meetings/{meeting_id}")
    tags = parsed_tags(page.text)
    assert not [t for t, _ in tags if t == "img"]
    assert all(attrs.get("src") for t, attrs in tags if t == "script")  # no inline script
    assert not [a for _, attrs in tags for a in attrs if a.startswith("on")]
    assert not [v for _, attrs in tags for v in attrs.values() if v and v.strip().lower().startswith("javascript:")]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text  # shown as text, inert


async def test_reorder_and_remove_motions_while_draft(app: Litestar, world: VotingWorld, login: Login) -> None:
    committee = await login(world.committee[0])
    meeting_id = await draft(app, committee)
    for title in ("甲议案", "乙议案", "丙议案"):
        await add_motion(committee, "garden", meeting_id, title=title)
    async with db_session(app) as db:
        ids = list((await db.execute(select(Motion.id).where(Motion.meeting_id == meeting_id)
                                     .order_by(Motion.position))).scalars())
    moved = await post_form(committee, f"/c/garden/meetings/{meeting_id}/motions/{ids[2]}/move",
                            {"direction": "up"}, follow_redirects=False)
    assert moved.status_code == 303
    page = (await committee.get(f"/c/garden/meetings/{meeting_id}")).text
    assert page.index("甲议案") < page.index("丙议案") < page.index("乙议案")
    removed = await post_form(committee, f"/c/garden/meetings/{meeting_id}/motions/{ids[0]}/remove",
                              follow_redirects=False)
    assert removed.status_code == 303
    page = (await committee.get(f"/c/garden/meetings/{meeting_id}")).text
    assert "甲议案" not in page and page.index("丙议案") < page.index("乙议案")


async def test_edit_a_draft_motion(app: Litestar, world: VotingWorld, login: Login) -> None:
    committee = await login(world.committee[0])
    meeting_id = await draft(app, committee)
    await add_motion(committee, "garden", meeting_id, title="旧标题")
    async with db_session(app) as db:
        motion_id = (await db.execute(select(Motion.id).where(Motion.meeting_id == meeting_id))).scalar_one()
    form = await committee.get(f"/c/garden/meetings/{meeting_id}/motions/{motion_id}/edit")
    assert 'value="旧标题"' in form.text
    response = await post_form(committee, f"/c/garden/meetings/{meeting_id}/motions/{motion_id}/edit",
                               {"title": "新标题", "body_md": "正文", "matter": "7", "kind": "question"},
                               follow_redirects=False)
    assert response.status_code == 303
    page = (await committee.get(f"/c/garden/meetings/{meeting_id}")).text
    assert "新标题" in page and "旧标题" not in page and "改建、重建" in page


async def test_only_the_committee_drafts(app: Litestar, world: VotingWorld, login: Login) -> None:
    owner = await login(world.owner)
    assert (await owner.get("/c/garden/meetings/new")).status_code == 403
    response = await post_form(owner, "/c/garden/meetings/", {"title": "x", "scope": "all", **window(app)})
    assert response.status_code == 403
    observer = await login(world.observer)
    assert (await observer.get("/c/garden/meetings/new")).status_code == 403


async def test_drafts_are_hidden_from_owners_and_other_communities(app: Litestar, world: VotingWorld,
                                                                   login: Login) -> None:
    committee = await login(world.committee[0])
    meeting_id = await draft(app, committee)
    owner = await login(world.owner)
    assert (await owner.get(f"/c/garden/meetings/{meeting_id}")).status_code == 404
    assert "2027 年第一次业主大会" not in (await owner.get("/c/garden/meetings/")).text
    other_id = await create_community(app, slug="other", name="别的小区")
    stranger = await login(await create_account(app, "stranger", community_id=other_id, roles=("committee",)))
    # Another community's committee: no access to this community, and this meeting is not found there.
    assert (await stranger.get(f"/c/garden/meetings/{meeting_id}")).status_code == 403
    assert (await stranger.get(f"/c/other/meetings/{meeting_id}")).status_code == 404
    edit = await post_form(stranger, f"/c/other/meetings/{meeting_id}/edit",
                           {"title": "hijack", "scope": "all", **window(app)})
    assert edit.status_code == 404
