"""Two committee members for every paper ballot: one records it, a different one confirms (or rejects) it;
concurrent confirmations cast it once; blank and spoiled paper ballots count as participating and abstaining."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from litestar import Litestar
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from tests.integration.ballots.test_ballot_casting import ballot_form, ballots, open_meeting, set_clock
from tests.integration.ballots.test_ballot_paper_turnout import (
    audit_events,
    building_id,
    enter_paper,
    entries,
    status_of,
)
from tests.integration.meetings.conftest import Login
from tests.support.factories import VotingWorld, db_session, member_ids, record_ballot, stored_results
from tests.support.http import csrf_token, post_form
from vote.db.engine import begin_write
from vote.db.models import Ballot, BallotSelection, PaperBallotEntry
from vote.domain.results.closing import ClosingService

PENDING_REFUSED = "该户已有一张纸质表决票录入，正在等待另一名业委会委员确认"


async def test_one_member_records_a_second_confirms(app: Litestar, world: VotingWorld, login: Login) -> None:
    meeting = await open_meeting(app, world)
    base = f"/c/garden/meetings/{meeting.meeting_id}"
    clerk, checker = await login(world.committee[0]), await login(world.committee[1])
    # The co-owned flat 201 has no online voter: its signed paper ballot is typed in by the clerk.
    recorded = await enter_paper(app, world, clerk, meeting, "201", "no", [0])
    assert recorded.status_code == 303 and recorded.headers["location"].endswith("/paper?done=entered")
    # Not a ballot yet; back at the search, ready for the next unit, with the entry waiting for someone else.
    assert await ballots(app) == []
    next_page = await clerk.get(recorded.headers["location"])
    assert "经另一名业委会委员核对确认后计入" in next_page.text and "autofocus" in next_page.text
    assert "由您录入，须由另一名委员确认" in next_page.text and "/paper/entries/" not in next_page.text
    [entry] = await entries(app)
    assert (entry.status, entry.entered_by_account_id, entry.decided_by_account_id) == (
        "pending", world.committee[0].account_id, None)
    # The clerk can neither open, confirm nor reject their own entry.
    entry_url = f"{base}/paper/entries/{entry.id}"
    assert (await clerk.get(entry_url)).status_code == 403
    assert (await post_form(clerk, f"{entry_url}/confirm", follow_redirects=False)).status_code == 403
    assert (await post_form(clerk, f"{entry_url}/reject", {"reason": "x"}, follow_redirects=False)).status_code == 403
    assert await ballots(app) == [] and (await entries(app))[0].status == "pending"
    # The lookup of the unit says an entry is waiting, without its answers.
    lookup = await checker.get(f"{base}/paper?building_id={await building_id(app, world)}&number=201")
    assert "正在等待另一名委员确认" in status_of(lookup.text) and "反对" not in lookup.text
    assert 'id="ballot"' not in lookup.text
    # A second committee member sees the entry on the confirmation screen and confirms it.
    assert f'href="{entry_url}"' in lookup.text
    screen = await checker.get(entry_url)
    assert screen.status_code == 200 and "1号楼 201" in screen.text
    assert "反对" in screen.text and "张三" in screen.text
    confirmed = await post_form(checker, f"{entry_url}/confirm", follow_redirects=False)
    assert confirmed.status_code == 303 and confirmed.headers["location"].endswith("/paper?done=confirmed")
    rows = await ballots(app)
    assert [(b.channel, b.cast_by_account_id, b.choice, b.paper_mark) for b in rows] == [
        ("paper", world.committee[1].account_id, "no", None),
        ("paper", world.committee[1].account_id, "election", None)]
    [entry] = await entries(app)
    assert (entry.status, entry.decided_by_account_id) == ("confirmed", world.committee[1].account_id)
    # Logged: recorded by the clerk, opened and confirmed by the checker; no choice in any entry.
    [recorded_event] = await audit_events(app, "paper_entry_recorded")
    [viewed] = await audit_events(app, "paper_entry_viewed")
    [cast] = await audit_events(app, "paper_ballot_entered")
    assert recorded_event.actor_account_id == world.committee[0].account_id
    assert viewed.actor_account_id == cast.actor_account_id == world.committee[1].account_id
    assert cast.detail["entry_id"] == entry.id and cast.detail["entered_by_account_id"] == world.committee[0].account_id
    for event in (recorded_event, viewed, cast):
        assert "no" not in str(event.detail.values()) and "election" not in str(event.detail.values())
    # Now the lookup says voted on paper, never how, never a receipt; no new entry can be made.
    again = await clerk.get(f"{base}/paper?building_id={await building_id(app, world)}&number=201")
    assert "已投票（纸质表决票" in status_of(again.text)
    assert all(b.receipt not in again.text for b in rows) and "反对" not in again.text
    form = {"member_id": str(entry.member_id), "idempotency_key": "another-key-0123456789",
            f"m{meeting.motion_ids[0]}": "yes"}
    assert (await post_form(clerk, f"{base}/paper/entries", form, follow_redirects=False)).status_code == 409
    assert len(await entries(app)) == 1 and len(await ballots(app)) == 2
    # The decided entry cannot be confirmed again.
    assert (await post_form(await login(world.committee[2]), f"{entry_url}/confirm",
                            follow_redirects=False)).status_code == 409
    assert len(await ballots(app)) == 2


async def test_one_pending_entry_per_member_and_a_rejection_with_reason(app: Litestar, world: VotingWorld,
                                                                       login: Login) -> None:
    meeting = await open_meeting(app, world)
    base = f"/c/garden/meetings/{meeting.meeting_id}"
    clerk, other_clerk = await login(world.committee[0]), await login(world.committee[1])
    assert (await enter_paper(app, world, clerk, meeting, "103", "yes", [1])).status_code == 303
    # The same member again, by another clerk: refused while the first entry is pending.
    members = await member_ids(app, world.register_version_id)
    second = {"member_id": str(members["1号楼/103"]), "idempotency_key": "second-entry-0123456789",
              f"m{meeting.motion_ids[0]}": "no"}
    refused = await post_form(other_clerk, f"{base}/paper/entries", second, follow_redirects=False)
    assert refused.status_code == 409 and PENDING_REFUSED in refused.text
    assert len(await entries(app)) == 1
    # Rejecting needs a reason; with one, the entry is rejected, logged, and nothing is cast.
    [entry] = await entries(app)
    url = f"{base}/paper/entries/{entry.id}/reject"
    assert (await post_form(other_clerk, url, {"reason": "  "}, follow_redirects=False)).status_code == 400
    rejected = await post_form(other_clerk, url, {"reason": "与原件不符：第一项应为反对"},
                               follow_redirects=False)
    assert rejected.status_code == 303 and rejected.headers["location"].endswith("/paper?done=rejected")
    [entry] = await entries(app)
    assert (entry.status, entry.decided_by_account_id, entry.reason) == (
        "rejected", world.committee[1].account_id, "与原件不符：第一项应为反对")
    [event] = await audit_events(app, "paper_entry_rejected")
    assert event.detail == {"entry_id": entry.id, "member_id": members["1号楼/103"],
                            "reason": "与原件不符：第一项应为反对", "automatic": False}
    assert await ballots(app) == []
    # After a rejection the ballot can be entered again.
    again = await post_form(other_clerk, f"{base}/paper/entries", second, follow_redirects=False)
    assert again.status_code == 303 and [e.status for e in await entries(app)] == ["rejected", "pending"]


async def test_the_database_refuses_two_pending_entries_and_self_confirmation(app: Litestar, world: VotingWorld,
                                                                             login: Login) -> None:
    meeting = await open_meeting(app, world)
    assert (await enter_paper(app, world, await login(world.committee[0]), meeting, "104", "yes")).status_code == 303
    [entry] = await entries(app)
    async with db_session(app) as db:
        await begin_write(db)
        db.add(PaperBallotEntry(meeting_id=entry.meeting_id, member_id=entry.member_id, answers=entry.answers,
                                idempotency_key="direct-0123456789abcd",
                                entered_by_account_id=world.committee[1].account_id,
                                entered_at=entry.entered_at, status="pending"))
        with pytest.raises(IntegrityError):
            await db.flush()
        await db.rollback()
    async with db_session(app) as db:
        await begin_write(db)
        with pytest.raises(IntegrityError):
            await db.execute(update(PaperBallotEntry).where(PaperBallotEntry.id == entry.id).values(
                status="confirmed", decided_by_account_id=entry.entered_by_account_id, decided_at=entry.entered_at))
        await db.rollback()
    assert [(e.status, e.decided_by_account_id) for e in await entries(app)] == [("pending", None)]


async def test_the_same_form_sent_twice_records_one_entry(app: Litestar, world: VotingWorld, login: Login) -> None:
    meeting = await open_meeting(app, world)
    base = f"/c/garden/meetings/{meeting.meeting_id}"
    clerk = await login(world.committee[0])
    page = await clerk.get(f"{base}/paper?building_id={await building_id(app, world)}&number=105")
    form = {**ballot_form(page.text, meeting, "abstain", [2]), "_csrf_token": await csrf_token(clerk)}
    responses = await asyncio.gather(*(clerk.post(f"{base}/paper/entries", data=form, follow_redirects=False)
                                       for _ in range(4)))
    assert [r.status_code for r in responses] == [303] * 4
    assert len(await entries(app)) == 1


async def test_an_online_ballot_before_the_confirmation_wins(app: Litestar, world: VotingWorld, login: Login) -> None:
    meeting = await open_meeting(app, world)
    base = f"/c/garden/meetings/{meeting.meeting_id}"
    assert (await enter_paper(app, world, await login(world.committee[0]), meeting, "101", "no")).status_code == 303
    owner = await login(world.owner)
    cast = await post_form(owner, f"{base}/ballot/cast", ballot_form((await owner.get(base)).text, meeting, "yes"))
    assert cast.status_code == 200
    [entry] = await entries(app)
    late = await post_form(await login(world.committee[1]), f"{base}/paper/entries/{entry.id}/confirm",
                           follow_redirects=False)
    assert late.status_code == 409 and "该户已经投票，此纸质表决票不予计入" in late.text
    assert [(b.channel, b.choice) for b in await ballots(app)] == [("online", "yes"), ("online", "election")]
    [entry] = await entries(app)
    assert (entry.status, entry.decided_by_account_id) == ("rejected", world.committee[1].account_id)
    assert entry.reason == "该户已经投票，已投出的表决票有效。"
    [event] = await audit_events(app, "paper_entry_rejected")
    assert event.detail["automatic"] is True and await audit_events(app, "paper_ballot_entered") == []


CONFIRMATIONS = 8


async def test_simultaneous_confirmations_cast_the_ballot_once(app: Litestar, world: VotingWorld,
                                                              login: Login) -> None:
    meeting = await open_meeting(app, world)
    base = f"/c/garden/meetings/{meeting.meeting_id}"
    assert (await enter_paper(app, world, await login(world.committee[0]), meeting, "106", "yes", [0, 2])
            ).status_code == 303
    [entry] = await entries(app)
    checkers = [await login(world.committee[1]), await login(world.committee[2])]
    tokens = [await csrf_token(c) for c in checkers]
    url = f"{base}/paper/entries/{entry.id}/confirm"
    responses = await asyncio.gather(*(
        checkers[i % 2].post(url, data={"_csrf_token": tokens[i % 2]}, follow_redirects=False)
        for i in range(CONFIRMATIONS)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [303] + [409] * (CONFIRMATIONS - 1), codes
    assert all("已被确认或退回" in r.text for r in responses if r.status_code == 409)
    rows = await ballots(app)
    assert [b.choice for b in rows] == ["yes", "election"]
    async with db_session(app) as db:
        assert len(list((await db.execute(select(BallotSelection))).scalars())) == 2
    [entry] = await entries(app)
    winner = next(i for i, r in enumerate(responses) if r.status_code == 303)
    assert entry.status == "confirmed"
    assert entry.decided_by_account_id == world.committee[1 + winner % 2].account_id == rows[0].cast_by_account_id
    assert len(await audit_events(app, "paper_ballot_entered")) == 1


async def test_blank_and_spoiled_paper_ballots_count_as_participating_and_abstaining(
    app: Litestar, world: VotingWorld, login: Login
) -> None:
    meeting = await open_meeting(app, world)
    question, election = meeting.motion_ids
    clerk, checker = await login(world.committee[0]), await login(world.committee[1])
    # A mark with a choice, or a spoiled ballot without its reason, is sent back with the problem marked.
    mixed = await enter_paper(app, world, clerk, meeting, "201", "yes", None, **{f"mark{question}": "blank"})
    assert mixed.status_code == 422 and "空白票或无效票不应有表决意见" in mixed.text
    unexplained = await enter_paper(app, world, clerk, meeting, "201", None, [0], **{f"mark{question}": "spoiled"})
    assert unexplained.status_code == 422 and "请填写该票无效的原因" in unexplained.text
    assert await entries(app) == []
    # 201 (120.00 m²): question blank, election spoiled (two ticks too many); 102 (102.00 m²): the reverse.
    for number, marks in (("201", {f"mark{question}": "blank", f"mark{election}": "spoiled",
                                   f"note{election}": "勾选了多个意见"}),
                          ("102", {f"mark{question}": "spoiled", f"note{question}": "涂改或无法辨认",
                                   f"mark{election}": "blank"})):
        base = f"/c/garden/meetings/{meeting.meeting_id}"
        page = await clerk.get(f"{base}/paper?building_id={await building_id(app, world)}&number={number}")
        form = {**ballot_form(page.text, meeting, None, None), **marks}
        review = await post_form(clerk, f"{base}/paper", form)
        assert review.status_code == 200 and "计为参与表决、弃权" in review.text
        assert (await post_form(clerk, f"{base}/paper/entries", form, follow_redirects=False)).status_code == 303
        entry = (await entries(app))[-1]
        screen = await checker.get(f"{base}/paper/entries/{entry.id}")
        assert "空白票" in screen.text and "无效票：" in screen.text
        assert (await post_form(checker, f"{base}/paper/entries/{entry.id}/confirm",
                                follow_redirects=False)).status_code == 303
    rows = await ballots(app)
    members = await member_ids(app, world.register_version_id)
    assert sorted((b.member_id == members["1号楼/201"], b.choice, b.paper_mark, b.paper_note) for b in rows) == [
        (False, "abstain", "spoiled", "涂改或无法辨认"), (False, "election", "blank", None),
        (True, "abstain", "blank", None), (True, "election", "spoiled", "勾选了多个意见")]
    async with db_session(app) as db:
        assert list((await db.execute(select(BallotSelection))).scalars()) == []
    # The owner of 102 sees their own paper ballot as recorded, with its receipts.
    own = await (await login(world.owner2)).get(f"/c/garden/meetings/{meeting.meeting_id}/ballot")
    assert "无效票：涂改或无法辨认" in own.text and "空白票" in own.text
    assert all(b.receipt in own.text for b in rows if b.member_id == members["1号楼/102"])
    # 101 (101.00 m²) votes online: yes, and the first candidate.
    owner = await login(world.owner)
    home = f"/c/garden/meetings/{meeting.meeting_id}"
    await post_form(owner, f"{home}/ballot/cast", ballot_form((await owner.get(home)).text, meeting, "yes", [0]))
    set_clock(app, app.state.clock.now() + timedelta(days=1, minutes=1))
    async with db_session(app) as db:
        assert await ClosingService(db).close(meeting.meeting_id, app.state.clock.now(), trigger="test")
    results = await stored_results(app, meeting.meeting_id)
    tally = results[question].tally
    assert tally["participated"] == {"area_centi": 32300, "heads": 3}
    assert tally["abstain"] == {"area_centi": 22200, "heads": 2} and tally["yes"] == {"area_centi": 10100, "heads": 1}
    assert tally["blank"] == {"area_centi": 12000, "heads": 1}
    assert tally["spoiled"] == {"area_centi": 10200, "heads": 1}
    election_tally = results[election].tally
    assert election_tally["participated"] == {"area_centi": 32300, "heads": 3}
    assert election_tally["blank"] == {"area_centi": 10200, "heads": 1}
    assert election_tally["spoiled"] == {"area_centi": 12000, "heads": 1}
    first = election_tally["candidates"][0]
    assert first["yes"] == {"area_centi": 10100, "heads": 1} and first["abstain"] == {"area_centi": 22200, "heads": 2}


async def test_the_database_keeps_paper_marks_on_paper_abstentions(app: Litestar, world: VotingWorld) -> None:
    meeting = await open_meeting(app, world)
    members = await member_ids(app, world.register_version_id)
    receipt = await record_ballot(app, meeting.motion_ids[0], members["1号楼/101"], "abstain")
    for values in ({"paper_mark": "blank"},  # an online ballot
                   {"channel": "paper", "paper_mark": "torn"},  # no such mark
                   {"channel": "paper", "choice": "yes", "paper_mark": "blank"},  # a mark on a choice
                   {"channel": "paper", "paper_mark": "blank", "paper_note": "why"}):  # a reason for a blank
        async with db_session(app) as db:
            await begin_write(db)
            with pytest.raises(IntegrityError):
                await db.execute(update(Ballot).where(Ballot.receipt == receipt).values(**values))
            await db.rollback()
    async with db_session(app) as db:
        await begin_write(db)
        await db.execute(update(Ballot).where(Ballot.receipt == receipt).values(
            channel="paper", paper_mark="spoiled", paper_note="未签名"))
        await db.commit()


async def test_an_entry_confirmed_after_the_window_closed_is_not_cast(app: Litestar, world: VotingWorld,
                                                                      login: Login) -> None:
    meeting = await open_meeting(app, world)
    base = f"/c/garden/meetings/{meeting.meeting_id}"
    assert (await enter_paper(app, world, await login(world.committee[0]), meeting, "103", "no")).status_code == 303
    set_clock(app, app.state.clock.now() + timedelta(days=1, minutes=1))
    checker = await login(world.committee[1])
    [entry] = await entries(app)
    late = await post_form(checker, f"{base}/paper/entries/{entry.id}/confirm", follow_redirects=False)
    assert late.status_code == 409 and "本次会议当前不在投票期内" in late.text
    assert await ballots(app) == [] and [e.status for e in await entries(app)] == ["pending"]
    assert await audit_events(app, "paper_ballot_entered") == []
