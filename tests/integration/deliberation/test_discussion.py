"""Discussion of a motion: posting, replies, official answers, paging, limits, injection, moderation."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from tests.conftest import BASE_URL
from tests.integration.meetings.conftest import Login
from tests.support.factories import (
    VotingWorld,
    create_community,
    create_discussed_motion,
    create_register,
    db_session,
)
from tests.support.http import post_form
from vote.db.engine import begin_write
from vote.db.models import AuditEvent, DiscussionPost, Notification

HX = {"HX-Request": "true"}
BADGE = '<span class="badge official">业委会答复</span>'


def discussion(motion_id: int) -> str:
    """The discussion page of a motion of "garden"."""
    return f"/c/garden/motions/{motion_id}/discussion"


def start_tags(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """Every element the browser would build from ``html`` (text stays text)."""
    found: list[tuple[str, list[tuple[str, str | None]]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, attrs))

    Collector().feed(html)
    return found


def thread_count(html: str) -> int:
    """How many threads a page or fragment shows."""
    return len(re.findall(r'<li class="thread"', html))


async def test_owner_comment_shows_building_not_name(world: VotingWorld, login: Login, motion_id: int) -> None:
    owner = await login(world.owner)
    response = await post_form(owner, discussion(motion_id), {"body": "门禁要**刷脸**吗？\n第二行"})
    assert response.status_code == 200
    assert str(response.url).endswith("page=1#post-1") or "page=1" in str(response.url)
    html = response.text
    assert "1号楼 业主" in html
    assert "王1" not in html and world.owner.login not in html.split("<main")[1]
    assert "<strong>刷脸</strong>" in html and "<br" in html  # the Markdown subset, line breaks kept
    assert "预算 <strong>十万元</strong>" in html  # the motion's text is on the page


async def test_observer_reads_everything_but_cannot_post(world: VotingWorld, login: Login, motion_id: int) -> None:
    owner = await login(world.owner)
    await post_form(owner, discussion(motion_id), {"body": "我支持。"})
    observer = await login(world.observer)
    page = await observer.get(discussion(motion_id))
    assert page.status_code == 200
    assert "我支持。" in page.text
    assert 'name="body"' not in page.text
    assert "只有已核验的业主和业委会成员可以发言" in page.text
    refused = await post_form(observer, discussion(motion_id), {"body": "观察员发言"})
    assert refused.status_code == 403
    assert "观察员发言" not in (await observer.get(discussion(motion_id))).text


async def test_inline_reply_with_htmx_swaps_the_thread_and_notifies(
    app: Litestar, world: VotingWorld, login: Login, motion_id: int
) -> None:
    owner = await login(world.owner)
    await post_form(owner, discussion(motion_id), {"body": "预算从哪里来？"})
    owner2 = await login(world.owner2)
    response = await post_form(owner2, discussion(motion_id), {"body": "维修资金。", "parent_id": "1"}, headers=HX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div class="replies" id="replies-1">')
    assert "<html" not in response.text
    assert "维修资金。" in response.text and "1号楼 业主" in response.text
    listing = await owner.get("/notifications")
    assert "1 条未读" in listing.text
    assert "有人回复了您的留言" in listing.text
    # Replying to a reply answers the thread: one level only.
    nested = await post_form(owner, discussion(motion_id), {"body": "谢谢。", "parent_id": "2"})
    assert nested.status_code == 200
    async with db_session(app) as db:
        parents = dict((await db.execute(select(DiscussionPost.id, DiscussionPost.parent_id))).all())
    assert parents == {1: None, 2: 1, 3: 1}


async def test_committee_marks_its_reply_as_the_official_answer(
    app: Litestar, world: VotingWorld, login: Login, motion_id: int
) -> None:
    owner = await login(world.owner)
    await post_form(owner, discussion(motion_id), {"body": "工期多久？"})
    committee = await login(world.committee[0])
    await post_form(committee, discussion(motion_id), {"body": "我个人估计两周。", "parent_id": "1"})
    await post_form(committee, discussion(motion_id), {"body": "施工期为 30 天。", "parent_id": "1"})
    page = (await committee.get(discussion(motion_id))).text
    assert BADGE not in page
    assert page.count("业委会</strong>") == 2

    refused = await post_form(owner, "/c/garden/posts/3/official")
    assert refused.status_code == 403
    marked = await post_form(committee, "/c/garden/posts/3/official", headers=HX)
    assert marked.status_code == 200
    fragment = marked.text
    assert BADGE in fragment
    # The official answer comes first and is highlighted.
    assert fragment.index("施工期为 30 天。") < fragment.index("我个人估计两周。")
    assert re.search(r'<article class="post notice ok" id="post-3">', fragment)
    # One official answer per question: marking the other one moves the mark.
    await post_form(committee, "/c/garden/posts/2/official")
    page = (await owner.get(discussion(motion_id))).text
    assert page.count(BADGE) == 1
    assert re.search(r'<article class="post notice ok" id="post-2">', page)
    # An owner's post cannot be made the committee's answer.
    assert (await post_form(committee, "/c/garden/posts/1/official")).status_code == 409
    async with db_session(app) as db:
        actions = list((await db.execute(select(AuditEvent.action).order_by(AuditEvent.id))).scalars())
        kinds = list((await db.execute(select(Notification.payload).where(
            Notification.account_id == world.owner.account_id))).scalars())
    assert actions.count("post_official_answer") == 2
    assert {"official_answer"} <= {k.get("event") for k in kinds}


async def test_paging_twenty_threads_per_page_with_load_more(
    app: Litestar, world: VotingWorld, login: Login, motion_id: int
) -> None:
    async with db_session(app) as db:
        await begin_write(db)
        now = app.state.clock.now()
        db.add_all(
            DiscussionPost(community_id=world.community_id, motion_id=motion_id,
                           author_account_id=world.owner.account_id,
                           author_role="owner", author_building="1号楼", body_md=f"第{i}条意见", created_at=now)
            for i in range(1, 26)
        )
        await db.commit()
    owner = await login(world.owner)
    first = await owner.get(discussion(motion_id))
    assert thread_count(first.text) == 20
    assert "第1条意见" in first.text and "第20条意见" in first.text and "第21条意见" not in first.text
    assert "(25 条留言)" in first.text
    # Without JavaScript: a plain link to the next page; with htmx: the same address swapped in place.
    assert f'href="{discussion(motion_id)}?page=2#discussion"' in first.text
    assert f'hx-get="{discussion(motion_id)}?page=2"' in first.text
    more = await owner.get(discussion(motion_id) + "?page=2", headers=HX)
    assert "<html" not in more.text
    assert thread_count(more.text) == 5
    assert "第21条意见" in more.text and "第25条意见" in more.text
    assert 'id="load-more"' not in more.text  # nothing after the last page
    plain = await owner.get(discussion(motion_id) + "?page=2")
    assert "<html" in plain.text and "较早的留言" in plain.text


async def test_sixth_post_in_ten_minutes_is_refused(app: Litestar, world: VotingWorld, login: Login,
                                                    motion_id: int) -> None:
    owner = await login(world.owner)
    for i in range(5):
        response = await post_form(owner, discussion(motion_id), {"body": f"意见{i}"})
        assert response.status_code == 200
    refused = await post_form(owner, discussion(motion_id), {"body": "第六条，请勿丢失"})
    assert refused.status_code == 429
    assert "10 分钟内已发言 5 次" in refused.text
    assert ">第六条，请勿丢失</textarea>" in refused.text  # what was typed is kept
    # The limit is per account: another owner may still post, and the window slides.
    owner2 = await login(world.owner2)
    assert (await post_form(owner2, discussion(motion_id), {"body": "我也说一句"})).status_code == 200
    app.state.clock.advance(timedelta(minutes=10, seconds=1))
    assert (await post_form(owner, discussion(motion_id), {"body": "第六条，请勿丢失"})).status_code == 200


async def test_length_limit_keeps_the_text(world: VotingWorld, login: Login, motion_id: int) -> None:
    owner = await login(world.owner)
    too_long = "长" * 2001
    refused = await post_form(owner, discussion(motion_id), {"body": too_long})
    assert refused.status_code == 422
    assert "最多 2000 个字" in refused.text
    assert too_long in refused.text
    empty = await post_form(owner, discussion(motion_id), {"body": "   "})
    assert empty.status_code == 422
    accepted = await post_form(owner, discussion(motion_id), {"body": "长" * 2000})
    assert accepted.status_code == 200 and "长" * 2000 in accepted.text


async def test_script_injection_in_posts_and_motion_bodies_stays_inert(
    app: Litestar, world: VotingWorld, login: Login
) -> None:
    payloads = [
        "<script>alert('post')</script>",
        "<img src=x onerror=alert('img')>",
        "[click](javascript:alert('link'))",
        '<a href="javascript:alert(1)" onclick="alert(2)">a</a>',
        "<svg onload=alert('svg')>",
        "**bold** [ok](https://example.org)",
    ]
    motion_id = await create_discussed_motion(
        app, world.community_id, world.register_version_id, title="注入测试",
        body_md="<script>alert('motion')</script>\n\n<iframe src=//evil></iframe> [x](javascript:alert(3))",
    )
    owner, owner2 = await login(world.owner), await login(world.owner2)
    for index, body in enumerate(payloads):  # two authors: five posts per ten minutes each
        author = owner if index % 2 else owner2
        assert (await post_form(author, discussion(motion_id), {"body": body})).status_code == 200
    html = (await owner.get(discussion(motion_id))).text
    main = html.split('<main', 1)[1]
    tags = start_tags(main)
    assert not {"script", "img", "svg", "iframe"} & {tag for tag, _attrs in tags}
    assert not [name for _tag, attrs in tags for name, _value in attrs if name.startswith("on")]
    assert not [value for _tag, attrs in tags for name, value in attrs
                if name in ("href", "src") and "javascript" in (value or "").lower()]
    assert "&lt;script&gt;alert('post')&lt;/script&gt;" in main  # shown as text, not run
    assert '<a href="https://example.org" rel="nofollow noopener noreferrer">ok</a>' in main
    assert "<strong>bold</strong>" in main


async def test_committee_hides_a_post_with_a_visible_reason(
    app: Litestar, world: VotingWorld, login: Login, motion_id: int
) -> None:
    owner = await login(world.owner)
    await post_form(owner, discussion(motion_id), {"body": "广告：低价装修，加微信 abc123"})
    await post_form(owner, discussion(motion_id), {"body": "正常意见"})
    assert (await post_form(owner, "/c/garden/posts/1/hide", {"reason": "我自己删"})).status_code == 403
    committee = await login(world.committee[0])
    missing_reason = await post_form(committee, "/c/garden/posts/1/hide", {"reason": "  "})
    assert missing_reason.status_code == 422
    hidden = await post_form(committee, "/c/garden/posts/1/hide", {"reason": "商业广告"})
    assert hidden.status_code == 200
    page = (await owner.get(discussion(motion_id))).text
    assert "该留言已被业委会隐藏，理由：商业广告" in page
    assert "加微信" not in page
    assert "正常意见" in page
    assert (await post_form(owner, discussion(motion_id), {"body": "回复广告", "parent_id": "1"})).status_code == 409
    async with db_session(app) as db:
        post = await db.get(DiscussionPost, 1)
        event = (await db.execute(select(AuditEvent).where(AuditEvent.action == "post_hidden"))).scalar_one()
    assert post is not None and "加微信" in post.body_md  # never deleted
    assert event.actor_account_id == world.committee[0].account_id
    assert event.object_id == "1" and event.detail["reason"] == "商业广告"


async def test_other_communities_and_drafts_are_not_found(app: Litestar, world: VotingWorld, login: Login,
                                                          motion_id: int) -> None:
    other_id = await create_community(app, slug="other", name="别的小区")
    other_version = await create_register(app, other_id)
    other_motion = await create_discussed_motion(app, other_id, other_version, title="别处的议案")
    draft = await create_discussed_motion(app, world.community_id, world.register_version_id, status="draft",
                                          title="草稿议案")
    owner = await login(world.owner)
    assert (await owner.get(discussion(other_motion))).status_code == 404
    assert (await post_form(owner, discussion(other_motion), {"body": "越界"})).status_code == 404
    assert (await owner.get(f"/c/other/motions/{other_motion}/discussion")).status_code == 403
    assert (await owner.get(discussion(draft))).status_code == 404
    committee = await login(world.committee[0])
    assert "草稿议案" in (await committee.get(discussion(draft))).text
    async with AsyncTestClient(app=app, base_url=BASE_URL) as anonymous:
        response = await anonymous.get(discussion(motion_id), follow_redirects=False)
    assert response.status_code in (302, 303) and response.headers["location"].startswith("/login")
