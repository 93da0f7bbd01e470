"""Casting through the real app: choose, confirm, receipt; one ballot per member; access; window edges."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from litestar import Litestar
from sqlalchemy import select

from tests.integration.meetings.conftest import Login
from tests.support.factories import (
    MotionSpec,
    PublishedMeeting,
    VotingWorld,
    create_account,
    create_community,
    create_published_meeting,
    db_session,
    member_ids,
    person_id_by_name,
)
from tests.support.http import post_form
from vote.db.models import Ballot, BallotSelection, Community
from vote.domain.ballots.schemas import BallotInput
from vote.domain.ballots.services import RECEIPT_ALPHABET, BallotService
from vote.domain.accounts.sessions import AuthContext
from vote.lib.errors import UserError

ALREADY = "该议案已由您所在的投票单位投过票"


def set_clock(app: Litestar, at: datetime) -> None:
    """Shift the app clock so that it reads ``at`` now (it keeps running: milliseconds pass per request)."""
    app.state.clock.offset = at - datetime.now(UTC)


async def open_meeting(app: Litestar, world: VotingWorld, **window: datetime) -> PublishedMeeting:
    """A published meeting, open now: a special-matter question and an election of 2 among 3."""
    return await create_published_meeting(
        app, world.community_id, world.register_version_id,
        [MotionSpec("筹集维修资金", matter=6), MotionSpec("增补业委会委员", matter=3, kind="election", seats=2,
                                                    candidates=("张三", "李四", "王五"))],
        **window,
    )


def ballot_form(page: str, meeting: PublishedMeeting, question: str | None = "yes",
                candidates: list[int] | None = None) -> dict[str, object]:
    """The ballot form's hidden fields from the page, plus the choices."""
    form: dict[str, object] = {
        "member_id": re.search(r'name="member_id" value="(\d+)"', page).group(1),
        "idempotency_key": re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1),
    }
    question_id, election_id = meeting.motion_ids
    if question is not None:
        form[f"m{question_id}"] = question
    if candidates:
        form[f"m{election_id}"] = [str(meeting.option_ids[election_id][i]) for i in candidates]
    return form


async def ballots(app: Litestar) -> list[Ballot]:
    """Every stored ballot."""
    async with db_session(app) as db:
        return list((await db.execute(select(Ballot).order_by(Ballot.id))).scalars())


async def test_owner_votes_in_three_steps_and_gets_receipts(app: Litestar, world: VotingWorld, login: Login) -> None:
    meeting = await open_meeting(app, world)
    owner = await login(world.owner)
    base = f"/c/garden/meetings/{meeting.meeting_id}"
    # (1) the hub link leads straight to the open meeting, whose page carries the ballot form.
    hub = await owner.get("/c/garden")
    assert "/c/garden/meetings/current" in hub.text
    page = await owner.get("/c/garden/meetings/current")
    assert str(page.url).endswith(base)
    assert 'type="radio"' in page.text and "1号楼 101" in page.text and "四分之三" in page.text
    # (2) submit the choices: a confirmation step repeats them in plain words, nothing stored yet.
    form = ballot_form(page.text, meeting, "yes", [0, 2])
    review = await post_form(owner, f"{base}/ballot", form)
    assert review.status_code == 200
    assert "请核对您的选择" in review.text and "同意" in review.text and "张三、王五" in review.text
    assert await ballots(app) == []
    # (3) confirm: cast, then the receipt page.
    cast = await post_form(owner, f"{base}/ballot/cast", form)
    assert cast.status_code == 200 and str(cast.url).endswith(f"{base}/ballot?done=cast")
    stored = await ballots(app)
    assert [(b.choice, b.channel, b.cast_by_account_id) for b in stored] == [
        ("yes", "online", world.owner.account_id), ("election", "online", world.owner.account_id)]
    receipts = re.findall(r'<code class="receipt">([^<]+)</code>', cast.text)
    assert sorted(receipts) == sorted(b.receipt for b in stored)
    assert all(len(r) == 10 and set(r) <= set(RECEIPT_ALPHABET) for r in receipts)
    assert "已投票" in cast.text and "您的选票已投出" in cast.text
    async with db_session(app) as db:
        chosen = set((await db.execute(select(BallotSelection.option_id))).scalars())
    election_id = meeting.motion_ids[1]
    assert chosen == {meeting.option_ids[election_id][0], meeting.option_ids[election_id][2]}
    # The meeting page now says "voted" with the receipts, and offers no form to change it.
    again = await owner.get(base)
    assert "已投票" in again.text and receipts[0] in again.text and 'type="radio"' not in again.text


async def test_a_second_form_is_refused_with_the_existing_receipt(app: Litestar, world: VotingWorld,
                                                                  login: Login) -> None:
    meeting = await open_meeting(app, world)
    base = f"/c/garden/meetings/{meeting.meeting_id}"
    first_tab = await login(world.owner)
    second_tab = await login(world.owner, code=world.owner.recovery_codes[0])
    form_one = ballot_form((await first_tab.get(base)).text, meeting, "yes")
    form_two = ballot_form((await second_tab.get(base)).text, meeting, "no")
    assert form_one["idempotency_key"] != form_two["idempotency_key"]
    assert (await post_form(first_tab, f"{base}/ballot/cast", form_one)).status_code == 200
    response = await post_form(second_tab, f"{base}/ballot/cast", form_two)
    assert response.status_code == 409 and ALREADY in response.text
    stored = await ballots(app)
    assert [b.choice for b in stored] == ["yes", "election"]  # the first ballot stands, unchanged
    assert stored[0].receipt in response.text
    review = await post_form(second_tab, f"{base}/ballot", form_two)
    assert review.status_code == 409 and ALREADY in review.text


async def test_a_retried_cast_returns_the_same_receipts(app: Litestar, world: VotingWorld, login: Login) -> None:
    meeting = await open_meeting(app, world)
    base = f"/c/garden/meetings/{meeting.meeting_id}"
    owner = await login(world.owner)
    form = ballot_form((await owner.get(base)).text, meeting, "abstain", [1])
    first = await post_form(owner, f"{base}/ballot/cast", form, follow_redirects=False)
    retry = await post_form(owner, f"{base}/ballot/cast", form, follow_redirects=False)
    assert first.status_code == retry.status_code == 303
    stored = await ballots(app)
    assert len(stored) == 2
    page = await owner.get(retry.headers["location"])
    assert all(b.receipt in page.text for b in stored)


async def test_incomplete_or_wrong_forms_keep_the_choices(app: Litestar, world: VotingWorld, login: Login) -> None:
    meeting = await open_meeting(app, world)
    base = f"/c/garden/meetings/{meeting.meeting_id}"
    owner = await login(world.owner)
    page = (await owner.get(base)).text
    missing = await post_form(owner, f"{base}/ballot", ballot_form(page, meeting, None, [1]))
    assert missing.status_code == 422 and "请选择同意、反对或弃权" in missing.text
    election_id = meeting.motion_ids[1]
    assert re.search(rf'value="{meeting.option_ids[election_id][1]}" checked', missing.text)
    too_many = await post_form(owner, f"{base}/ballot", ballot_form(page, meeting, "yes", [0, 1, 2]))
    assert too_many.status_code == 422 and "最多选择 2 位" in too_many.text
    assert re.search(rf'name="m{meeting.motion_ids[0]}" value="yes" required checked', too_many.text)
    tampered = await post_form(owner, f"{base}/ballot/cast", {**ballot_form(page, meeting, "maybe")})
    assert tampered.status_code == 422
    assert await ballots(app) == []


async def test_choosing_no_candidate_rejects_them_all(app: Litestar, world: VotingWorld, login: Login) -> None:
    meeting = await open_meeting(app, world)
    base = f"/c/garden/meetings/{meeting.meeting_id}"
    owner = await login(world.owner)
    form = ballot_form((await owner.get(base)).text, meeting, "no")
    review = await post_form(owner, f"{base}/ballot", form)
    assert "未选择任何候选人（对全部候选人弃权）" in review.text
    back = await post_form(owner, f"{base}/ballot", {**form, "action": "change"})
    assert back.status_code == 200 and re.search(rf'name="m{meeting.motion_ids[0]}" value="no" required checked',
                                                  back.text)
    await post_form(owner, f"{base}/ballot/cast", form)
    stored = await ballots(app)
    assert [b.choice for b in stored] == ["no", "election"]
    async with db_session(app) as db:
        assert (await db.execute(select(BallotSelection))).first() is None


async def test_who_may_cast(app: Litestar, world: VotingWorld, login: Login) -> None:
    meeting = await open_meeting(app, world)
    base = f"/c/garden/meetings/{meeting.meeting_id}"
    owner_page = (await (await login(world.owner)).get(base)).text
    # A co-owner of a unit without a nominated voter cannot vote online and is told why.
    co_owner = await login(world.co_owner)
    page = await co_owner.get(base)
    assert "尚未确定投票人" in page.text and "请联系业委会" in page.text and 'type="radio"' not in page.text
    refused = await post_form(co_owner, f"{base}/ballot", ballot_form(owner_page, meeting, "yes"))
    assert refused.status_code == 403
    # Another owner cannot vote for owner 1's member by sending its id.
    owner2 = await login(world.owner2)
    refused = await post_form(owner2, f"{base}/ballot/cast", ballot_form(owner_page, meeting, "yes"))
    assert refused.status_code == 403
    # The observer and the committee watch; they do not cast online.
    for creds in (world.observer, world.committee[0]):
        client = await login(creds)
        assert (await post_form(client, f"{base}/ballot/cast", ballot_form(owner_page, meeting))).status_code == 403
    # An owner of another community: not allowed here, and the meeting is not found through their own.
    other_id = await create_community(app, slug="other", name="别的小区")
    stranger = await login(await create_account(app, "stranger", community_id=other_id, roles=("owner",),
                                                person_id=await person_id_by_name(app, world.community_id, "王3")))
    assert (await stranger.get(base)).status_code == 403
    assert (await post_form(stranger, f"/c/other/meetings/{meeting.meeting_id}/ballot/cast",
                            ballot_form(owner_page, meeting))).status_code == 404
    assert await ballots(app) == []


@dataclass
class Edge:
    """One window-edge case: when the ballot is cast relative to the window, and whether it lands."""

    name: str
    moment: str
    seconds: int
    lands: bool


@pytest.mark.parametrize("edge", [
    Edge("one second before it opens", "opens", -1, False),
    Edge("the second it opens", "opens", 0, True),
    Edge("one second before it closes", "closes", -1, True),
    Edge("the second it closes", "closes", 0, False),
], ids=lambda e: e.name.replace(" ", "-"))
async def test_window_edges(app: Litestar, world: VotingWorld, login: Login, edge: Edge) -> None:
    start = app.state.clock.now().replace(microsecond=0)
    opens_at, closes_at = start + timedelta(minutes=5), start + timedelta(minutes=10)
    meeting = await open_meeting(app, world, opens_at=opens_at, closes_at=closes_at)
    base = f"/c/garden/meetings/{meeting.meeting_id}"
    owner = await login(world.owner)
    set_clock(app, opens_at)
    form = ballot_form((await owner.get(base)).text, meeting, "yes")
    set_clock(app, (opens_at if edge.moment == "opens" else closes_at) + timedelta(seconds=edge.seconds))
    response = await post_form(owner, f"{base}/ballot/cast", form, follow_redirects=False)
    assert response.status_code == (303 if edge.lands else 409)
    assert len(await ballots(app)) == (2 if edge.lands else 0)


async def test_the_insert_itself_rechecks_the_window(app: Litestar, world: VotingWorld) -> None:
    meeting = await open_meeting(app, world)
    members = await member_ids(app, world.register_version_id)
    now = app.state.clock.now()
    async with db_session(app) as db:
        community = (await db.execute(select(Community).where(Community.id == world.community_id))).scalar_one()
        auth = AuthContext(account_id=world.owner.account_id, login="o", display_name="o", is_operator=False,
                           session_hash="x", person_id=await person_id_by_name(app, world.community_id, "王1"),
                           roles={world.community_id: frozenset({"owner"})})
        service = BallotService(db)
        choices = {"member_id": str(members["1号楼/101"]), "idempotency_key": "k" * 22,
                   f"m{meeting.motion_ids[0]}": "yes"}
        review = await service.review(community, meeting.meeting_id, auth, BallotInput.from_form(choices), now)
        # The page said "open"; by the time the ballot is stored, the window has closed.
        with pytest.raises(UserError) as refused:
            await service.store(community, review, channel="online", actor_account_id=world.owner.account_id,
                                now=now + timedelta(days=2))
        assert refused.value.status_code == 409
    assert await ballots(app) == []
