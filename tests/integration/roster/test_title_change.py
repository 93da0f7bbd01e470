"""A title change during a vote (docs/rules.md, "Record date and title changes"), through the real app.

The committee re-imports the register while a meeting is open: a unit sold by an owner who has not
voted votes through its new owner, a ballot already cast stands, the scope totals and the tally stay
those of the register at notice. Rule for a member with several units: the right moves only when
every unit of the member in the meeting's scope went to the same new owners; otherwise it stays with
the voter at notice and the committee is warned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from tests.conftest import BASE_URL
from tests.integration.activation.conftest import Garden as ActivationGarden
from tests.integration.activation.conftest import Journey, issue_letter
from tests.integration.ballots.test_ballot_casting import ballot_form, ballots
from tests.integration.meetings.conftest import Login, login  # noqa: F401 - fixture re-exported
from tests.integration.roster.register_files import csv_bytes, resident_id, upload_and_confirm
from tests.support.factories import (
    Credentials,
    MotionSpec,
    PublishedMeeting,
    create_account,
    create_community,
    create_published_meeting,
    db_session,
    member_ids,
    person_id_by_name,
    stored_results,
)
from tests.support.http import post_form
from vote.db.models import AuditEvent, RegisterVersion, VoterTransfer
from vote.domain.results.closing import ClosingService

SLUG = "garden"
# Person -> number of their fictitious resident ID.
IDS = {"王伟": 1, "李娜": 2, "张强": 3, "赵敏": 4, "刘洋": 5, "陈静": 6, "孙丽": 7, "周杰": 8, "吴磊": 9, "郑爽": 10,
       "钱进": 11}
AREAS = {"101": "100.00", "102": "100.00", "103": "100.00", "201": "120.00", "301": "80.00", "302": "60.00"}
# The register at notice: five members (陈静 owns 301 and 302; 201 is co-owned), 560.00 m².
AT_NOTICE = {"101": ("王伟",), "102": ("李娜",), "103": ("赵敏",), "201": ("张强", "刘洋"), "301": ("陈静",),
             "302": ("陈静",)}
MOVED = "表决权已转移给新业主"
STANDS = "原业主在变更前已投票，该选票有效"


def register_file(**owners: tuple[str, ...]) -> bytes:
    """The register at notice with some units' owners replaced (``u101=("孙丽",)``)."""
    current = AT_NOTICE | {number.removeprefix("u"): names for number, names in owners.items()}
    return csv_bytes([
        ["1号楼", number, "住宅", AREAS[number], "不动产登记", ";".join(names),
         ";".join(resident_id(IDS[n]) for n in names), "", "否"]
        for number, names in current.items()
    ])


@dataclass(frozen=True)
class Vote:
    """A community with its register at notice imported by the committee, and a meeting open now."""

    community_id: int
    committee: AsyncTestClient
    committee_creds: Credentials
    meeting: PublishedMeeting
    members: dict[str, int]  # frozen member by unit number
    second: AsyncTestClient  # another committee member: confirms re-imports while the meeting is in voting

    @property
    def base(self) -> str:
        return f"/c/{SLUG}/meetings/{self.meeting.meeting_id}"


async def open_vote(app: Litestar, login: Login) -> Vote:
    """Import the register at notice through the committee's route and open a meeting on it."""
    community_id = await create_community(app, slug=SLUG)
    committee_creds = await create_account(app, "committee1", community_id=community_id, roles=("committee",))
    committee = await login(committee_creds)
    await upload_and_confirm(committee, SLUG, register_file())
    async with db_session(app) as db:
        version_id = (await db.execute(select(RegisterVersion.id))).scalar_one()
    meeting = await create_published_meeting(app, community_id, version_id, [
        MotionSpec("筹集维修资金", matter=6),
        MotionSpec("增补业委会委员", matter=3, kind="election", seats=2, candidates=("张三", "李四", "王五")),
    ])
    members = {key.split("/")[1]: member for key, member in (await member_ids(app, version_id)).items()}
    second = await login(await create_account(app, "committee2", community_id=community_id, roles=("committee",)))
    return Vote(community_id, committee, committee_creds, meeting, members, second)


async def owner(app: Litestar, login: Login, vote: Vote, name: str) -> AsyncTestClient:
    """A logged-in owner account linked to the registered person ``name`` (what activation does)."""
    creds: Credentials = await create_account(
        app, f"owner-{IDS[name]}", community_id=vote.community_id, roles=("owner",),
        person_id=await person_id_by_name(app, vote.community_id, name),
    )
    return await login(creds)


async def cast(client: AsyncTestClient, vote: Vote, choice: str = "yes"):  # noqa: ANN201
    """Vote from the meeting page's form, as the owner's phone would."""
    page = await client.get(vote.base)
    assert 'name="member_id"' in page.text, "no ballot form on the meeting page"
    return await post_form(client, f"{vote.base}/ballot/cast", ballot_form(page.text, vote.meeting, choice, [0]))


async def forced_cast(client: AsyncTestClient, vote: Vote, unit: str):  # noqa: ANN201
    """A cast for ``unit``'s member posted without the page offering it (an old tab, a crafted form)."""
    question, election = vote.meeting.motion_ids
    return await post_form(client, f"{vote.base}/ballot/cast", {
        "member_id": str(vote.members[unit]), "idempotency_key": "k" * 32, f"m{question}": "yes",
        f"m{election}": str(vote.meeting.option_ids[election][0]),
    })


async def transfers(app: Litestar) -> dict[int, VoterTransfer]:
    """Every stored transfer, by frozen member."""
    async with db_session(app) as db:
        return {t.member_id: t for t in (await db.execute(select(VoterTransfer))).scalars()}


async def audit_actions(app: Litestar) -> list[tuple[str, list[str]]]:
    """The title-change entries of the audit log: action and units, in order."""
    async with db_session(app) as db:
        rows = await db.execute(select(AuditEvent.action, AuditEvent.detail)
                                .where(AuditEvent.action.like("title_change_%")).order_by(AuditEvent.id))
        return [(action, detail["units"]) for action, detail in rows.tuples()]


async def test_new_owner_votes_and_the_seller_no_longer_can(app: Litestar, login: Login) -> None:
    vote = await open_vote(app, login)
    seller = await owner(app, login, vote, "王伟")
    assert 'name="member_id"' in (await seller.get(vote.base)).text  # before the sale the seller may vote

    await upload_and_confirm(vote.committee, SLUG, register_file(u101=("孙丽",)), confirmer=vote.second)

    seller_page = await seller.get(vote.base)
    assert 'name="member_id"' not in seller_page.text and MOVED in seller_page.text and "1号楼 101" in seller_page.text
    refused = await forced_cast(seller, vote, "101")
    assert refused.status_code == 403
    assert await ballots(app) == []

    buyer = await owner(app, login, vote, "孙丽")
    cast_response = await cast(buyer, vote)
    assert cast_response.status_code == 200 and str(cast_response.url).endswith("?done=cast")
    stored = await ballots(app)
    assert {b.member_id for b in stored} == {vote.members["101"]}  # the frozen member, as the buyer's
    assert "已投票" in (await buyer.get(vote.base)).text

    stored_transfer = (await transfers(app))[vote.members["101"]]
    assert stored_transfer.outcome == "moved"
    assert stored_transfer.from_person_id == await person_id_by_name(app, vote.community_id, "王伟")
    assert stored_transfer.to_person_id == await person_id_by_name(app, vote.community_id, "孙丽")
    assert await audit_actions(app) == [("title_change_moved", ["1号楼-101"])]
    audit_page = await vote.committee.get(f"{vote.base}/audit")
    assert "权属变更：表决权转移给新业主" in audit_page.text and "1号楼-101" in audit_page.text


async def test_a_ballot_cast_before_the_sale_stands_and_the_buyer_is_told(app: Litestar, login: Login) -> None:
    vote = await open_vote(app, login)
    seller = await owner(app, login, vote, "李娜")
    assert (await cast(seller, vote, "no")).status_code == 200

    await upload_and_confirm(vote.committee, SLUG, register_file(u102=("周杰",)), confirmer=vote.second)

    buyer = await owner(app, login, vote, "周杰")
    page = await buyer.get(vote.base)
    assert 'name="member_id"' not in page.text and STANDS in page.text and "1号楼 102" in page.text
    assert (await forced_cast(buyer, vote, "102")).status_code == 403
    stored = await ballots(app)
    assert [(b.member_id, b.choice) for b in stored] == [(vote.members["102"], "no"), (vote.members["102"],
                                                                                      "election")]
    seller_page = await seller.get(vote.base)
    assert "已投票" in seller_page.text and stored[0].receipt in seller_page.text  # the seller keeps the receipt
    assert (await transfers(app))[vote.members["102"]].outcome == "ballot_stands"
    assert await audit_actions(app) == [("title_change_ballot_stands", ["1号楼-102"])]
    committee_page = await vote.committee.get(vote.base)
    assert "权属变更：1号楼-102 已投票，选票有效" in committee_page.text


async def test_scope_totals_and_the_tally_stay_those_of_the_notice(app: Litestar, login: Login) -> None:
    vote = await open_vote(app, login)
    turnout_before = await vote.committee.get(f"{vote.base}/turnout")
    assert "560.00" in turnout_before.text and "0 / 5" in turnout_before.text
    # A sale that would change the members (the buyer already owns 103), and a larger register.
    await upload_and_confirm(vote.committee, SLUG, register_file(u101=("赵敏",)), confirmer=vote.second)
    await upload_and_confirm(vote.committee, SLUG, register_file(u101=("赵敏",), u301=("吴磊",), u302=("吴磊",)),
                             confirmer=vote.second)
    buyer = await owner(app, login, vote, "赵敏")
    # 赵敏 now votes for two members of the register at notice: 101 (bought) and 103 (her own).
    assert (await cast(buyer, vote, "yes")).status_code == 200
    assert (await cast(buyer, vote, "no")).status_code == 200
    assert (await cast(await owner(app, login, vote, "吴磊"), vote, "yes")).status_code == 200
    turnout_after = await vote.committee.get(f"{vote.base}/turnout")
    assert "560.00" in turnout_after.text and "3 / 5" in turnout_after.text

    app.state.clock.advance(timedelta(days=2))
    async with db_session(app) as db:
        await ClosingService(db).close(vote.meeting.meeting_id, app.state.clock.now(), trigger="test")
    tally = (await stored_results(app, vote.meeting.meeting_id))[vote.meeting.motion_ids[0]].tally
    assert tally["total"] == {"area_centi": 56000, "heads": 5}
    assert tally["participated"] == {"area_centi": 34000, "heads": 3}  # 101 + 103 + (301 + 302)
    assert tally["yes"] == {"area_centi": 24000, "heads": 2} and tally["no"] == {"area_centi": 10000, "heads": 1}
    async with db_session(app) as db:
        notice_version = (await db.execute(select(RegisterVersion.id).where(RegisterVersion.number == 1))).scalar_one()
    assert (await stored_results(app, vote.meeting.meeting_id))[vote.meeting.motion_ids[0]].register_version_id == (
        notice_version)


async def test_part_of_a_members_units_sold_keeps_the_vote_and_warns_the_committee(app: Litestar,
                                                                                   login: Login) -> None:
    vote = await open_vote(app, login)
    await upload_and_confirm(vote.committee, SLUG, register_file(u301=("吴磊",)), confirmer=vote.second)

    assert (await transfers(app))[vote.members["301"]].outcome == "kept"
    buyer_page = await (await owner(app, login, vote, "吴磊")).get(vote.base)
    assert 'name="member_id"' not in buyer_page.text
    seller = await owner(app, login, vote, "陈静")
    assert MOVED not in (await seller.get(vote.base)).text
    assert (await cast(seller, vote)).status_code == 200  # 陈静 still votes for 301 + 302
    register_page = await vote.committee.get(f"/c/{SLUG}/register")
    assert "1号楼-301、1号楼-302 仅部分房屋变更权属" in register_page.text and 'class="notice error"' in register_page.text
    assert "公告时的投票人：陈*。" in register_page.text and "新业主的投票人" not in register_page.text
    assert await audit_actions(app) == [("title_change_kept", ["1号楼-301", "1号楼-302"])]


async def test_a_co_owners_share_sold_moves_the_vote_to_the_voter_the_new_co_owners_nominate(
    app: Litestar, login: Login
) -> None:
    vote = await open_vote(app, login)
    await upload_and_confirm(vote.committee, SLUG, register_file(u201=("张强", "郑爽")), confirmer=vote.second)
    transfer = (await transfers(app))[vote.members["201"]]
    assert transfer.outcome == "moved" and transfer.to_person_id is None  # two co-owners: none nominated yet
    staying = await owner(app, login, vote, "张强")
    page = await staying.get(vote.base)
    assert 'name="member_id"' not in page.text and "尚未确定投票人" in page.text
    register_page = await vote.committee.get(f"/c/{SLUG}/register")
    assert "权属变更：1号楼-201 表决权转移给新业主（原业主未投票）" in register_page.text
    assert "新业主的投票人：尚未确定" in register_page.text

    # 郑爽 activates her account from a letter for the new register's member: the first co-owner to
    # activate becomes its voter, and so votes for 201 in this meeting.
    async with db_session(app) as db:
        version_id = (await db.execute(select(RegisterVersion.id).where(RegisterVersion.number == 2))).scalar_one()
    letter = await issue_letter(app, ActivationGarden(vote.community_id, version_id, vote.committee_creds,
                                                      vote.committee_creds), "201")
    async with AsyncTestClient(app=app, base_url=BASE_URL) as joining:
        done = await Journey(joining).complete(letter, "郑爽", resident_id(IDS["郑爽"])[-4:], "zheng-201")
        assert done.status_code == 200, done.text
        assert (await transfers(app))[vote.members["201"]].to_person_id is None  # the record of the import
        assert 'name="member_id"' not in (await staying.get(vote.base)).text
        assert (await cast(joining, vote)).status_code == 200
    assert {b.member_id for b in await ballots(app)} == {vote.members["201"]}


async def test_a_second_re_import_follows_the_latest_owner_and_can_give_the_vote_back(app: Litestar,
                                                                                      login: Login) -> None:
    vote = await open_vote(app, login)
    await upload_and_confirm(vote.committee, SLUG, register_file(u101=("孙丽",), u301=("吴磊",), u302=("吴磊",)),
                             confirmer=vote.second)
    first_buyer = await owner(app, login, vote, "孙丽")
    assert 'name="member_id"' in (await first_buyer.get(vote.base)).text

    # 101 is sold on to 钱进; 301 and 302 are back with 陈静 (the sale was undone).
    await upload_and_confirm(vote.committee, SLUG, register_file(u101=("钱进",)), confirmer=vote.second)
    assert 'name="member_id"' not in (await first_buyer.get(vote.base)).text
    assert (await forced_cast(first_buyer, vote, "101")).status_code == 403
    stored = await transfers(app)
    assert set(stored) == {vote.members["101"]}
    assert stored[vote.members["101"]].to_person_id == await person_id_by_name(app, vote.community_id, "钱进")
    assert (await cast(await owner(app, login, vote, "钱进"), vote)).status_code == 200
    assert (await cast(await owner(app, login, vote, "陈静"), vote)).status_code == 200

    # A third import after the latest owner voted changes nothing for that member.
    await upload_and_confirm(vote.committee, SLUG, register_file(u101=("孙丽",)), confirmer=vote.second)
    assert (await transfers(app))[vote.members["101"]].to_person_id == await person_id_by_name(
        app, vote.community_id, "钱进")
    assert sorted(await audit_actions(app)) == [
        ("title_change_moved", ["1号楼-101"]), ("title_change_moved", ["1号楼-101"]),
        ("title_change_moved", ["1号楼-301", "1号楼-302"]), ("title_change_withdrawn", ["1号楼-301", "1号楼-302"]),
    ]
    meeting_page = await vote.committee.get(vote.base)
    assert "权属变更：1号楼-101 表决权转移给新业主，新业主已投票" in meeting_page.text
    assert "钱*" in meeting_page.text and "王*" in meeting_page.text and "钱进" not in meeting_page.text


async def test_the_committee_sees_title_changes_with_masked_names(app: Litestar, login: Login) -> None:
    vote = await open_vote(app, login)
    await upload_and_confirm(vote.committee, SLUG, register_file(u101=("孙丽",)), confirmer=vote.second)
    for url in (f"/c/{SLUG}/register", vote.base):
        page = (await vote.committee.get(url)).text
        line = re.search(r'<li data-outcome="moved"[^>]*>(.*?)</li>', page, re.S)
        assert line is not None, url
        assert "权属变更：1号楼-101 表决权转移给新业主（原业主未投票）" in line.group(1)
        assert "王*" in line.group(1) and "孙*" in line.group(1)
        assert "王伟" not in page and "孙丽" not in page
    # Owners do not see the committee's list.
    buyer_page = (await (await owner(app, login, vote, "孙丽")).get(vote.base)).text
    assert "title-changes" not in buyer_page


async def test_a_cast_checked_before_the_sale_but_stored_after_it_is_refused(app: Litestar, login: Login) -> None:
    """The race: the seller's form passed the eligibility read, then the re-import moved the right before the
    insert. The cast's write transaction re-checks the right (with the member row locked) and refuses."""
    from vote.db.models import Community
    from vote.domain.ballots.services import BallotService
    from vote.lib.errors import UserError

    vote = await open_vote(app, login)
    await upload_and_confirm(vote.committee, SLUG, register_file(u101=("孙丽",)), confirmer=vote.second)
    seller_id = await person_id_by_name(app, vote.community_id, "王伟")
    question, _election = vote.meeting.motion_ids
    async with db_session(app) as db:
        community = (await db.execute(select(Community).where(Community.id == vote.community_id))).scalar_one()
        service = BallotService(db)
        try:
            await service._insert_form(community, vote.meeting.meeting_id, vote.members["101"], {question: "yes"},
                                       "r" * 32, channel="online", actor_account_id=vote.committee_creds.account_id,
                                       now=app.state.clock.now(), voter_person_id=seller_id)
        except UserError as error:
            assert error.status_code == 409 and "表决权已转移给新业主" in str(error.detail)
        else:
            raise AssertionError("the seller's late cast was stored")
    assert await ballots(app) == []


async def test_one_committee_member_alone_cannot_confirm_a_re_import_during_a_vote(app: Litestar,
                                                                                  login: Login) -> None:
    """A re-import during a vote can move votes: the member who uploaded it cannot also confirm it."""
    from tests.integration.roster.register_files import upload

    vote = await open_vote(app, login)
    uploaded = await upload(vote.committee, SLUG, register_file(u101=("孙丽",)))
    preview_url = uploaded.headers["location"]
    alone = await post_form(vote.committee, f"{preview_url}/confirm", follow_redirects=False)
    assert alone.status_code == 409 and "另一名" in alone.text
    assert await transfers(app) == {}
    assert (await post_form(vote.second, f"{preview_url}/confirm", follow_redirects=False)).status_code == 303
    assert (await transfers(app))[vote.members["101"]].outcome == "moved"
