"""Owners' proposals: support per member, exact thresholds in AND and OR mode, notification, withdrawal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from litestar import Litestar
from sqlalchemy import select, update

from tests.integration.meetings.conftest import Login
from tests.support.factories import (
    Credentials,
    VotingWorld,
    create_account,
    create_community,
    create_register,
    db_session,
    person_id_by_name,
    unit_row,
)
from tests.support.http import post_form
from vote.db.engine import begin_write
from vote.db.models import AuditEvent, Community, Notification, Proposal, ProposalSupport
from vote.domain.deliberation.proposals import Progress

# Ten flats: 甲 100.00 m², 乙 99.99 m², eight more of 100.00 m²: 10 heads, 999.99 m².
# 甲 + 乙 are exactly 20% of the heads but 199.99 / 999.99 < 20% of the area.
NAMES = ["甲", "乙", "丙", "丁", "戊", "己", "庚", "辛", "壬", "癸"]
ROWS = [unit_row("3号楼", f"{i + 1}01", 9999 if name == "乙" else 10000, f"业主{name}") for i, name in enumerate(NAMES)]


@pytest.fixture
async def proposal_world(app: Litestar, request: pytest.FixtureRequest) -> dict[str, Credentials]:
    """Community "garden" with the ten-flat register, owner accounts 甲 乙 丙, a committee member, an observer."""
    mode = getattr(request, "param", "and")
    community_id = await create_community(app, slug="garden", proposal_mode=mode, proposal_threshold_pct=20)
    await create_register(app, community_id, ROWS)
    people = {
        name: await create_account(app, f"owner-{i}", community_id=community_id, roles=("owner",),
                                   person_id=await person_id_by_name(app, community_id, f"业主{name}"))
        for i, name in enumerate(NAMES[:3])
    }
    people["committee"] = await create_account(app, "committee", community_id=community_id, roles=("committee",))
    people["observer"] = await create_account(app, "observer", community_id=community_id, roles=("observer",))
    return people


async def open_proposal(client: object, title: str = "请召开临时会议讨论停车费") -> int:
    """Open a proposal through the form; its id."""
    response = await post_form(client, "/c/garden/proposals/", {  # type: ignore[arg-type]
        "kind": "extraordinary_meeting", "title": title, "body": "停车费上涨需要全体业主讨论。",
    })
    assert response.status_code == 200, response.text
    return int(str(response.url).rstrip("/").rsplit("/", 1)[1])


def test_progress_is_exact_at_the_boundary() -> None:
    exactly = Progress(heads=2, heads_total=10, area_centi=20_000, area_total=100_000, threshold_pct=20, mode="and")
    assert exactly.heads_met and exactly.area_met and exactly.met  # "以上" includes the number
    short_area = Progress(heads=2, heads_total=10, area_centi=19_999, area_total=100_000, threshold_pct=20,
                          mode="and")
    assert short_area.heads_met and not short_area.area_met and not short_area.met
    assert Progress(2, 10, 19_999, 100_000, 20, "or").met
    assert not Progress(1, 10, 19_999, 100_000, 20, "or").met
    assert not Progress(0, 0, 0, 0, 20, "or").met  # an empty register reaches nothing
    assert (exactly.heads_needed, Progress(0, 7, 0, 99_999, 20, "and").area_needed) == (2, 20_000)
    assert Progress(0, 7, 0, 99_999, 20, "and").heads_needed == 2  # 20% of 7 = 1.4: two owners


@pytest.mark.parametrize("proposal_world", ["and"], indirect=True)
async def test_and_mode_needs_both_area_and_heads(app: Litestar, proposal_world: dict[str, Credentials],
                                                  login: Login) -> None:
    first, second, third = [await login(proposal_world[name]) for name in NAMES[:3]]
    proposal_id = await open_proposal(first)
    page = (await first.get(f"/c/garden/proposals/{proposal_id}")).text
    assert "1</strong> / 10" in page and "您已联署该提议" in page
    assert '<progress max="10" value="1">' in page and '<progress max="99999" value="10000">' in page
    assert "style=" not in page.split("<main", 1)[1]
    assert "3号楼 业主" in page and "业主甲" not in page

    assert (await post_form(second, f"/c/garden/proposals/{proposal_id}/support")).status_code == 200
    page = (await second.get(f"/c/garden/proposals/{proposal_id}")).text
    assert "2</strong> / 10" in page and "199.99</strong> / 999.99" in page
    assert "已达到法定比例" not in page  # 20% of the heads, but 19.999% of the area
    async with db_session(app) as db:
        assert (await db.execute(select(Proposal.status))).scalar_one() == "open"

    assert (await post_form(third, f"/c/garden/proposals/{proposal_id}/support")).status_code == 200
    page = (await third.get(f"/c/garden/proposals/{proposal_id}")).text
    async with db_session(app) as db:
        proposal = (await db.execute(select(Proposal))).scalar_one()
        notes = list((await db.execute(select(Notification).order_by(Notification.account_id))).scalars())
        met_event = (await db.execute(select(AuditEvent).where(AuditEvent.action == "proposal_threshold_met"))
                     ).scalar_one()
    assert proposal.status == "met" and proposal.met_at is not None
    assert proposal.meeting_due_at == proposal.met_at + timedelta(days=15)
    assert "业委会应当在" in page and "前召开会议" in page
    recipients = {n.account_id: n for n in notes}
    assert set(recipients) == {proposal_world["committee"].account_id, proposal_world["甲"].account_id}
    assert all(n.kind == "proposal_threshold" for n in notes)
    # The author's phone is in the register: the SMS went out after the response; the committee has none.
    assert recipients[proposal_world["甲"].account_id].sms_status == "sent"
    assert recipients[proposal_world["committee"].account_id].sms_status == "off"
    assert met_event.detail["heads"] == 3 and met_event.detail["area_centi"] == 29999

    committee = await login(proposal_world["committee"])
    inbox = await committee.get("/notifications")
    assert "业主提议达到法定比例" in inbox.text and "请召开临时会议讨论停车费" in inbox.text


@pytest.mark.parametrize("proposal_world", ["or"], indirect=True)
async def test_or_mode_is_met_by_heads_alone(app: Litestar, proposal_world: dict[str, Credentials],
                                             login: Login) -> None:
    first, second = await login(proposal_world["甲"]), await login(proposal_world["乙"])
    proposal_id = await open_proposal(first)
    listing = (await first.get("/c/garden/proposals/")).text
    assert "征集联署中" in listing and "或专有部分面积的 20%" in listing
    await post_form(second, f"/c/garden/proposals/{proposal_id}/support")
    async with db_session(app) as db:
        assert (await db.execute(select(Proposal.status))).scalar_one() == "met"
    # Once the request is made, support can no longer be withdrawn.
    refused = await post_form(second, f"/c/garden/proposals/{proposal_id}/withdraw")
    assert refused.status_code == 409 and "联署不能再撤回" in refused.text


async def test_support_can_be_withdrawn_before_the_threshold(app: Litestar, proposal_world: dict[str, Credentials],
                                                             login: Login) -> None:
    first, second = await login(proposal_world["甲"]), await login(proposal_world["乙"])
    proposal_id = await open_proposal(first)
    await post_form(second, f"/c/garden/proposals/{proposal_id}/support")
    again = await post_form(second, f"/c/garden/proposals/{proposal_id}/support")
    assert again.status_code == 409
    withdrawn = await post_form(second, f"/c/garden/proposals/{proposal_id}/withdraw")
    assert withdrawn.status_code == 200
    assert "1</strong> / 10" in withdrawn.text and "我联署该提议" in withdrawn.text
    observer = await login(proposal_world["observer"])
    assert (await observer.get(f"/c/garden/proposals/{proposal_id}")).status_code == 200
    assert (await post_form(observer, f"/c/garden/proposals/{proposal_id}/support")).status_code == 403
    async with db_session(app) as db:
        actions = list((await db.execute(select(AuditEvent.action).where(AuditEvent.action.like("proposal%"))
                                         .order_by(AuditEvent.id))).scalars())
    assert actions == ["proposal_opened", "proposal_supported", "proposal_support_withdrawn"]


async def test_one_support_per_member_whatever_the_co_owners(app: Litestar, world: VotingWorld,
                                                            login: Login) -> None:
    second_co_owner = await create_account(app, "garden-coowner2", community_id=world.community_id,
                                           roles=("owner",),
                                           person_id=await person_id_by_name(app, world.community_id, "李乙"))
    async with db_session(app) as db:  # a high threshold, so that the proposal stays open
        await begin_write(db)
        await db.execute(update(Community).values(proposal_threshold_pct=60))
        await db.commit()
    proposal_id = await open_proposal(await login(world.owner))
    assert (await post_form(await login(world.co_owner), f"/c/garden/proposals/{proposal_id}/support")
            ).status_code == 200
    refused = await post_form(await login(second_co_owner), f"/c/garden/proposals/{proposal_id}/support")
    assert refused.status_code == 409
    assert "您这一户已经联署了该提议" in refused.text
    async with db_session(app) as db:
        supports = (await db.execute(select(ProposalSupport.member_id))).scalars().all()
    assert len(supports) == len(set(supports)) == 2


async def test_a_proposal_form_keeps_what_was_typed(proposal_world: dict[str, Credentials], login: Login) -> None:
    owner = await login(proposal_world["甲"])
    response = await post_form(owner, "/c/garden/proposals/", {"kind": "agenda_item", "title": " ",
                                                               "body": "保留的说明"})
    assert response.status_code == 422
    assert "请填写提议的标题" in response.text and ">保留的说明</textarea>" in response.text
    committee = await login(proposal_world["committee"])
    assert (await committee.get("/c/garden/proposals/new")).status_code == 403
    hub = await committee.get("/c/garden")  # the committee's card on the community page
    assert 'href="/c/garden/proposals/"' in hub.text and "业主提议及联署情况" in hub.text
