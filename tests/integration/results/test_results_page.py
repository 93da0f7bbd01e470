"""The public result page: no login, no names, receipt check, and a download that ``vote tally`` re-tallies."""

from __future__ import annotations

import html
import json
import random
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from tests.support.factories import (
    MotionSpec,
    PublishedMeeting,
    close_due_meetings,
    close_meeting,
    create_account,
    create_community,
    create_published_meeting,
    create_register,
    db_session,
    mark_final,
    member_ids,
    past_window,
    record_ballot,
    stored_results,
    unit_row,
)
from tests.support.http import post_form
from vote.db.models import Building, Meeting, Person
from vote.demo.seed import demo_rows
from vote.rules import Count, decide, decision_to_dict, format_area
from vote.rules.tally_cli import main as tally_main


async def _personal_data(app: Litestar) -> list[str]:
    async with db_session(app) as db:
        rows = (await db.execute(select(Person.name, Person.phone))).all()
    return [value for row in rows for value in row if value]


def _retally(path: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    """Run ``vote tally`` on a downloaded file and return its output."""
    capsys.readouterr()
    assert tally_main([str(path)]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


async def _meeting(app: Litestar, meeting_id: int) -> Meeting:
    async with db_session(app) as db:
        return (await db.execute(select(Meeting).where(Meeting.id == meeting_id))).scalar_one()


def _as_tally_output(stored: dict) -> dict:
    """A stored count record in the ``vote tally`` output shape."""
    return {"area": format_area(stored["area_centi"]), "heads": stored["heads"]}


def _count(document: dict) -> Count:
    """A scenario count (area string, heads) as a rules ``Count``."""
    return Count(int(Decimal(document["area"]) * 100), document["heads"])


async def _demo_meeting(app: Litestar, parking_counts: bool, building: str | None) -> PublishedMeeting:
    """The demo register (multi-unit owner, co-owners, developer), two questions and a 2-of-3 election, closed."""
    community_id = await create_community(app, slug="demo", parking_counts=parking_counts)
    version_id = await create_register(app, community_id, demo_rows())
    members = await member_ids(app, version_id)
    scope = None
    if building:
        async with db_session(app) as db:
            scope = {"building_ids": [(await db.execute(select(Building.id).where(Building.name == building))).scalar_one()]}
    meeting = await create_published_meeting(app, community_id, version_id, [
        MotionSpec("增加电动车充电桩", matter=8),
        MotionSpec("修改议事规则", matter=1),
        MotionSpec("增补业委会委员", matter=3, kind="election", seats=2, candidates=("赵某", "钱某", "孙某")),
    ], scope=scope, **past_window(app))
    question_special, question_ordinary, election = meeting.motion_ids
    candidates = meeting.option_ids[election]
    rng = random.Random(5)
    voters = sorted(set(members.values()))
    for member in rng.sample(voters, k=len(voters) * 4 // 5):  # includes members out of scope; cast in random order
        await record_ballot(app, question_special, member, rng.choice(("yes", "yes", "yes", "no", "abstain")))
        await record_ballot(app, question_ordinary, member, rng.choice(("yes", "no", "abstain")))
        await record_ballot(app, election, member, options=tuple(rng.sample(candidates, k=rng.randint(0, 2))))
    await close_meeting(app, meeting.meeting_id)
    return meeting


@pytest.mark.parametrize(("parking_counts", "building"), [(True, None), (False, "1号楼")])
async def test_the_public_totals_are_the_published_tally_and_add_up_gate_by_gate(
    app: Litestar, client: AsyncTestClient, parking_counts: bool, building: str | None,
) -> None:
    meeting = await _demo_meeting(app, parking_counts, building)
    page = await client.get(f"/c/demo/meetings/{meeting.meeting_id}/result")
    assert page.status_code == 200
    stored = await stored_results(app, meeting.meeting_id)
    personal = await _personal_data(app)
    for motion_id in meeting.motion_ids:
        url = f"/c/demo/meetings/{meeting.meeting_id}/motions/{motion_id}/totals.json"
        assert url in page.text  # the page links every download
        response = await client.get(url)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        assert "attachment" in response.headers["content-disposition"]
        assert not [value for value in personal if value in response.text]
        totals, tally = response.json(), stored[motion_id].tally
        assert "units" not in totals and "ballots" not in totals and "号楼" not in response.text  # nothing per unit
        assert (totals["format"], totals["kind"], totals["rule"]) == ("totals", tally["kind"], stored[motion_id].rule_preset)
        assert totals["scope"] == _as_tally_output(tally["total"])
        assert totals["participated"] == _as_tally_output(tally["participated"])
        scope, participated = _count(totals["scope"]), _count(totals["participated"])
        assert participated.area_centi <= scope.area_centi and participated.heads <= scope.heads
        if tally["kind"] == "question":
            for key in ("yes", "no", "abstain"):
                assert totals[key] == _as_tally_output(tally[key]), key
            yes, no, abstain = (_count(totals[key]) for key in ("yes", "no", "abstain"))
            assert yes + no + abstain == participated  # both dimensions
            decision = decide(totals["rule"], totals["matter"], total=scope, yes=yes, no=no, abstain=abstain)
            assert decision.outcome == totals["outcome"] == tally["outcome"]
            assert [c["met"] for c in decision_to_dict(decision)["checks"]] == [c["met"] for c in tally["checks"]]
            continue
        assert totals["seats"] == 2
        candidates = sorted(tally["candidates"], key=lambda c: c["position"])
        assert [(c["id"], c["label"]) for c in totals["candidates"]] == [("1", "赵某"), ("2", "钱某"), ("3", "孙某")]
        passed = set()
        for published, recorded in zip(totals["candidates"], candidates, strict=True):
            assert published["yes"] == _as_tally_output(recorded["yes"])
            yes = _count(published["yes"])
            assert yes.area_centi <= participated.area_centi and yes.heads <= participated.heads
            others = Count(participated.area_centi - yes.area_centi, participated.heads - yes.heads)
            decision = decide(totals["rule"], totals["matter"], total=scope, yes=yes, no=Count(0, 0), abstain=others)
            assert decision.outcome == recorded["outcome"]
            if decision.outcome == "passed":
                passed.add(published["id"])
        elected = [str(c["position"]) for c in candidates if c["status"] == "elected"]
        assert totals["outcome"] == {"elected": elected}
        assert set(elected) <= passed and len(elected) <= totals["seats"]


@pytest.mark.parametrize(("parking_counts", "building"), [(True, None), (False, "1号楼")])
async def test_an_owner_downloads_the_ballots_by_unit_after_the_final_result_and_retallies_them(
    app: Litestar, client: AsyncTestClient, login, tmp_path: Path, capsys: pytest.CaptureFixture[str],  # noqa: ANN001
    parking_counts: bool, building: str | None,
) -> None:
    meeting = await _demo_meeting(app, parking_counts, building)
    community_id = (await _meeting(app, meeting.meeting_id)).community_id
    owner = await login(await create_account(app, "owner", community_id=community_id, roles=("owner",)))
    await mark_final(app, meeting.meeting_id)
    stored = await stored_results(app, meeting.meeting_id)
    personal = await _personal_data(app)
    question_special, _question_ordinary, election = meeting.motion_ids
    page = await owner.get(f"/c/demo/meetings/{meeting.meeting_id}/result")
    for motion_id in meeting.motion_ids:
        url = f"/c/demo/meetings/{meeting.meeting_id}/motions/{motion_id}/result.json"
        assert url in page.text
        assert (await client.get(url)).status_code == 404  # never for anonymous visitors
        response = await owner.get(url)
        assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
        assert not [value for value in personal if value in response.text]
        scenario = response.json()
        unit_ids = [unit["id"] for unit in scenario["units"]]
        assert unit_ids == sorted(unit_ids) and len(set(unit_ids)) == len(unit_ids)
        ballot_units = [ballot["unit"] for ballot in scenario["ballots"]]
        assert ballot_units == sorted(ballot_units) and set(ballot_units) <= set(unit_ids)  # by unit, not cast time
        tally = stored[motion_id].tally
        if motion_id != election:
            path = tmp_path / f"{motion_id}.json"
            path.write_bytes(response.content)
            output = _retally(path, capsys)
            assert output["outcome"] == tally["outcome"]
            for key in ("total", "participated", "yes", "no", "abstain"):
                assert output[key] == _as_tally_output(tally[key]), key
            continue
        assert (scenario["kind"], scenario["seats"]) == ("election", 2)
        assert scenario["candidates"] == [{"id": "1", "label": "赵某"}, {"id": "2", "label": "钱某"},
                                          {"id": "3", "label": "孙某"}]
        assert all(len(b["selected"]) <= 2 and b["selected"] == sorted(b["selected"]) for b in scenario["ballots"])
        # The election form retallies with `vote tally` to the stored election, candidate by candidate.
        path = tmp_path / f"{motion_id}.json"
        path.write_bytes(response.content)
        output = _retally(path, capsys)
        assert (output["kind"], output["seats"], output["seats_filled"]) == ("election", 2, tally["seats_filled"])
        for key in ("total", "participated"):
            assert output[key] == _as_tally_output(tally[key]), key
        recorded = sorted(tally["candidates"], key=lambda c: c["position"])
        for computed, kept in zip(output["candidates"], recorded, strict=True):
            assert (computed["status"], computed["outcome"]) == (kept["status"], kept["outcome"])
            for key in ("yes", "abstain"):
                assert computed[key] == _as_tally_output(kept[key]), key
        assert output["elected"] == [str(c["position"]) for c in recorded if c["status"] == "elected"]
    scenario = (await owner.get(f"/c/demo/meetings/{meeting.meeting_id}/motions/{question_special}/result.json")).json()
    assert all(owner.startswith("o-") for unit in scenario["units"] for owner in unit.get("owners", []))
    if building:
        assert all(unit["id"].startswith(building) for unit in scenario["units"])
    else:
        assert any(unit.get("developer") for unit in scenario["units"])
        assert any(len(unit.get("owners", [])) == 2 for unit in scenario["units"])  # the co-owned flat
    if not parking_counts:
        assert not any("P-0" in unit["id"] for unit in scenario["units"])


async def test_the_public_page_shows_totals_but_no_unit_and_no_name(app: Litestar, client: AsyncTestClient) -> None:
    community_id = await create_community(app, slug="garden")
    version_id = await create_register(app, community_id, [
        unit_row("1号楼", "101", 8950, "张三丰"),
        unit_row("1号楼", "102", 12000, "李四光", "李小光"),
        unit_row("1号楼", "103", 9125, "王五"),
        unit_row("1号楼", "104", 9000, "赵六"),
    ])
    members = await member_ids(app, version_id)
    meeting = await create_published_meeting(app, community_id, version_id, [MotionSpec("选聘物业服务企业", matter=4)],
                                             **past_window(app))
    motion = meeting.motion_ids[0]
    await record_ballot(app, motion, members["1号楼/101"], "yes")
    await record_ballot(app, motion, members["1号楼/102"], "yes")
    await record_ballot(app, motion, members["1号楼/103"], "no")
    await close_meeting(app, meeting.meeting_id)

    for phase in ("preliminary", "final"):
        page = html.unescape((await client.get(f"/c/garden/meetings/{meeting.meeting_id}/result")).text)
        assert "选聘物业服务企业" in page and "选聘和解聘物业服务企业或者其他管理人" in page  # the matter in plain words
        assert "<strong>通过</strong>" in page
        assert "同意的专有部分面积占参与表决的面积 209.50/300.75（69.66%），要求 > 1/2：达到" in page  # each gate
        assert "已表决的房屋" not in page  # which units voted is not public: its complement names who did not
        assert "1号楼" not in page and "89.50" not in page and "90.00" not in page  # a unit, a non-voter's area
        for value in await _personal_data(app):
            assert value not in page
        assert "张*" not in page  # not even masked
        assert f"/motions/{motion}/result.json" not in page and "/result/ballots" not in page
        assert ("最终结果公布前，任何人都不能查看任何一户的表决意见" in page) == (phase == "preliminary")
        assert ("逐户表决意见不公开。本小区的业主" in page) == (phase == "final")
        await mark_final(app, meeting.meeting_id)


async def test_the_result_is_available_in_english(app: Litestar, client: AsyncTestClient) -> None:
    community_id = await create_community(app, slug="garden")
    version_id = await create_register(app, community_id, [unit_row("1号楼", "101", 10000, "甲")])
    members = await member_ids(app, version_id)
    meeting = await create_published_meeting(app, community_id, version_id, [MotionSpec("Repaint", matter=7)],
                                             **past_window(app))
    await record_ballot(app, meeting.motion_ids[0], members["1号楼/101"], "yes")
    await close_due_meetings(app)
    url = f"/c/garden/meetings/{meeting.meeting_id}/result"
    english = html.unescape((await post_form(client, "/lang", {"language": "en", "next": url})).text)
    assert "Outcome:" in english and "<strong>passed</strong>" in english
    assert "Altering or rebuilding the buildings" in english
    assert "Special matter (qualified majority)" in english
    assert "Area voting yes: 100.00 of 100.00 participating (100.00%); required ≥ 3/4: met" in english


async def test_a_receipt_code_shows_that_the_ballot_was_counted(app: Litestar, client: AsyncTestClient) -> None:
    community_id = await create_community(app, slug="garden", parking_counts=False)
    version_id = await create_register(app, community_id, [
        unit_row("1号楼", "101", 10000, "甲"),
        unit_row("1号楼", "102", 10000, "乙"),
        unit_row("车库", "P-1", 1250, "丙", kind="parking"),
    ])
    members = await member_ids(app, version_id)
    meeting = await create_published_meeting(app, community_id, version_id, [
        MotionSpec("安装门禁", matter=5),
        MotionSpec("选举委员", matter=3, kind="election", seats=1, candidates=("赵某", "钱某")),
    ])
    question, election = meeting.motion_ids
    mine = await record_ballot(app, question, members["1号楼/101"], "no", receipt="ABCD2345EF")
    elected = await record_ballot(app, election, members["1号楼/102"], options=(meeting.option_ids[election][1],))
    parking = await record_ballot(app, question, members["车库/P-1"], "yes")
    check = f"/c/garden/meetings/{meeting.meeting_id}/result/receipt"

    assert (await client.get(check, params={"code": mine})).status_code == 404  # not before the close
    app.state.clock.advance(timedelta(days=2))
    assert (await client.get(check, params={"code": mine})).status_code == 404  # nor while it is being counted
    await close_due_meetings(app)

    answer = await client.get(check, params={"code": " abcd-2345-ef "})
    assert answer.status_code == 200
    assert "您的表决票已计入结果" in answer.text and "安装门禁" in answer.text and "反对" in answer.text
    assert "投票时间" in answer.text
    assert "钱某" in (await client.get(check, params={"code": elected})).text
    assert "未计入" in (await client.get(check, params={"code": parking})).text  # parking does not count here
    unknown = await client.get(check, params={"code": "ZZZZ22223333"})
    assert "没有找到" in unknown.text and 'data-receipt="found"' not in unknown.text

    fragment = await client.get(check, params={"code": mine}, headers={"hx-request": "true"})
    assert "<html" not in fragment.text and "您的表决票已计入结果" in fragment.text
    page = (await client.get(f"/c/garden/meetings/{meeting.meeting_id}/result")).text
    assert 'name="code"' in page and f'hx-get="{check}"' in page


async def test_drafts_and_unknown_meetings_have_no_result_page(app: Litestar, client: AsyncTestClient) -> None:
    community_id = await create_community(app, slug="garden")
    version_id = await create_register(app, community_id, [unit_row("1号楼", "101", 10000, "甲")])
    meeting = await create_published_meeting(app, community_id, version_id, [MotionSpec()], **past_window(app))
    async with db_session(app) as db:
        from vote.db.models import Meeting

        (await db.execute(select(Meeting).where(Meeting.id == meeting.meeting_id))).scalar_one().status = "draft"
        await db.commit()
    assert (await client.get(f"/c/garden/meetings/{meeting.meeting_id}/result")).status_code == 404
    assert (await client.get("/c/garden/meetings/999/result")).status_code == 404
    assert (await client.get(f"/c/nowhere/meetings/{meeting.meeting_id}/result")).status_code == 404
