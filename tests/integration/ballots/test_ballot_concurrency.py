"""32 simultaneous casts for one member, on SQLite and PostgreSQL: exactly one ballot per motion."""

from __future__ import annotations

import asyncio
import re

from litestar import Litestar
from sqlalchemy import func, select

from tests.integration.ballots.test_ballot_casting import ALREADY, ballot_form, open_meeting
from tests.integration.meetings.conftest import Login
from tests.support.factories import VotingWorld, db_session
from tests.support.http import csrf_token
from vote.db.models import Ballot

CONCURRENT = 32


async def test_32_simultaneous_forms_give_one_ballot(app: Litestar, world: VotingWorld, login: Login) -> None:
    meeting = await open_meeting(app, world)
    base = f"/c/garden/meetings/{meeting.meeting_id}"
    owner = await login(world.owner)
    token = await csrf_token(owner)
    # 32 different rendered forms (two tabs, double taps, ...): each with its own idempotency key.
    forms = []
    for index in range(CONCURRENT):
        form = ballot_form((await owner.get(base)).text, meeting, ("yes", "no", "abstain")[index % 3], [index % 3])
        forms.append({**form, "_csrf_token": token})
    assert len({f["idempotency_key"] for f in forms}) == CONCURRENT
    responses = await asyncio.gather(
        *(owner.post(f"{base}/ballot/cast", data=form, follow_redirects=False) for form in forms)
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [303] + [409] * (CONCURRENT - 1), codes
    assert all(ALREADY in r.text for r in responses if r.status_code == 409)
    async with db_session(app) as db:
        stored = list((await db.execute(select(Ballot))).scalars())
    assert len(stored) == 2 and {b.motion_id for b in stored} == set(meeting.motion_ids)
    # Every refused request showed the receipts of the ballot that won.
    winner = {b.receipt for b in stored}
    for response in responses:
        if response.status_code == 409:
            assert set(re.findall(r'<code class="receipt">([^<]+)</code>', response.text)) == winner


async def test_32_retries_of_one_form_return_the_same_receipts(app: Litestar, world: VotingWorld,
                                                              login: Login) -> None:
    meeting = await open_meeting(app, world)
    base = f"/c/garden/meetings/{meeting.meeting_id}"
    owner = await login(world.owner)
    form = {**ballot_form((await owner.get(base)).text, meeting, "yes", [1]), "_csrf_token": await csrf_token(owner)}
    responses = await asyncio.gather(
        *(owner.post(f"{base}/ballot/cast", data=form, follow_redirects=False) for _ in range(CONCURRENT))
    )
    assert {r.status_code for r in responses} == {303}
    async with db_session(app) as db:
        assert (await db.execute(select(func.count(Ballot.id)))).scalar_one() == 2
