"""Every ballot of every channel gets exactly one leaf, in the ballot's transaction, at a dense position;
the owner's receipt carries the leaf (text and QR code)."""

from __future__ import annotations

import html
import json
import re

from litestar import Litestar
from sqlalchemy import select

from tests.integration.ballots.test_ballot_casting import ballot_form, open_meeting
from tests.integration.ballots.test_ballot_paper_turnout import enter_paper, entries
from tests.integration.ledger.conftest import cast
from tests.integration.meetings.conftest import Login
from tests.support.factories import VotingWorld, create_account, db_session, person_id_by_name
from tests.support.http import csrf_token, post_at_once, post_form
from vote.db.models import Ballot, LedgerLeaf
from vote.ledger import merkle
from vote.ledger import services as ledger
from vote.ledger.leaf import leaf_bytes, leaf_from_dict


async def _leaves_and_ballots(app: Litestar) -> tuple[list[LedgerLeaf], list[Ballot]]:
    async with db_session(app) as db:
        leaves = list((await db.execute(select(LedgerLeaf).order_by(LedgerLeaf.position))).scalars())
        ballots = list((await db.execute(select(Ballot).order_by(Ballot.id))).scalars())
        return leaves, ballots


async def test_concurrent_casts_get_dense_unique_positions(app: Litestar, world: VotingWorld, login: Login) -> None:
    meeting = await open_meeting(app, world)
    base = f"/c/garden/meetings/{meeting.meeting_id}"
    creds = [world.owner, world.owner2] + [
        await create_account(app, f"garden-owner{i}", community_id=world.community_id, roles=("owner",),
                             person_id=await person_id_by_name(app, world.community_id, f"王{i}"))
        for i in range(3, 7)
    ]
    clients = [await login(c) for c in creds]
    forms = []
    for index, client in enumerate(clients):
        page = (await client.get(base)).text
        forms.append(ballot_form(page, meeting, ("yes", "no", "abstain")[index % 3], [index % 3]))
        await csrf_token(client)
    assert await post_at_once(clients, f"{base}/ballot/cast", forms) == [303] * len(clients)

    leaves, ballots = await _leaves_and_ballots(app)
    assert len(ballots) == 2 * len(clients)
    assert [leaf.position for leaf in leaves] == list(range(len(ballots)))  # dense, unique, 0-based
    assert sorted(leaf.ballot_id for leaf in leaves) == [b.id for b in ballots]  # one leaf per ballot
    assert {leaf.meeting_id for leaf in leaves} == {meeting.meeting_id}
    # Each stored hash is the leaf rebuilt from its ballot row; each form's two ballots are adjacent.
    async with db_session(app) as db:
        opened = await ledger.openings(db, meeting.meeting_id)
    assert [merkle.leaf_hash(leaf_bytes(o.leaf)).hex() for o in opened] == [leaf.leaf_hash for leaf in leaves]
    members = [o.member_id for o in opened]
    assert all(members[i] == members[i + 1] for i in range(0, len(members), 2))
    assert len({o.leaf.nonce for o in opened}) == len(opened)
    assert len({o.leaf.member for o in opened}) == len(clients)


async def test_the_receipt_carries_the_leaf_as_text_and_qr(app: Litestar, world: VotingWorld, login: Login) -> None:
    meeting = await open_meeting(app, world)
    owner = await login(world.owner)
    await cast(await login(world.owner2), meeting, "no", [1])
    receipt = await cast(owner, meeting, "yes", [0, 2])
    texts = [json.loads(html.unescape(t)) for t in re.findall(r'<pre class="receipt-leaf">([^<]+)</pre>', receipt)]
    assert len(texts) == 2
    question, election = texts
    assert question["choice"] == "yes" and question["selected"] == [] and question["index"] == 2
    assert election["choice"] == "election" and election["selected"] == [1, 3] and election["index"] == 3
    assert question["meeting"] == meeting.meeting_id and question["motion"] == meeting.motion_ids[0]
    leaves, _ballots = await _leaves_and_ballots(app)
    for text in texts:
        leaf = leaf_from_dict({k: v for k, v in text.items() if k != "index"})
        assert merkle.leaf_hash(leaf_bytes(leaf)).hex() == leaves[text["index"]].leaf_hash
    assert receipt.count('src="data:image/svg+xml') == 2 and 'href="/ledger/check"' in receipt
    # The leaf reveals no unit and no name: only an opaque member key.
    assert "王1" not in json.dumps(texts, ensure_ascii=False) and "101" not in question["member"]
    page = await owner.get("/ledger/check")
    assert page.status_code == 200 and "如何核对您的选票" in page.text and "vote verify" in page.text


async def test_a_confirmed_paper_ballot_gets_its_leaves(app: Litestar, world: VotingWorld, login: Login) -> None:
    meeting = await open_meeting(app, world)
    await cast(await login(world.owner), meeting, "yes", [0])
    clerk, checker = await login(world.committee[0]), await login(world.committee[1])
    await enter_paper(app, world, clerk, meeting, "201", "no", [0, 1])
    # Recorded, not confirmed: not a ballot, so no leaf.
    leaves, ballots = await _leaves_and_ballots(app)
    assert len(leaves) == len(ballots) == 2
    [entry] = await entries(app)
    confirmed = await post_form(checker, f"/c/garden/meetings/{meeting.meeting_id}/paper/entries/{entry.id}/confirm",
                                follow_redirects=False)
    assert confirmed.status_code == 303
    leaves, ballots = await _leaves_and_ballots(app)
    assert [leaf.position for leaf in leaves] == [0, 1, 2, 3]
    assert sorted(leaf.ballot_id for leaf in leaves) == [b.id for b in ballots]
    async with db_session(app) as db:
        opened = await ledger.openings(db, meeting.meeting_id)
    assert [(o.leaf.choice, o.leaf.selected) for o in opened[2:]] == [("no", ()), ("election", (1, 2))]
    assert [merkle.leaf_hash(leaf_bytes(o.leaf)).hex() for o in opened] == [leaf.leaf_hash for leaf in leaves]
