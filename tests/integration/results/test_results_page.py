"""The public result page: no login, no names, receipt check, and a download that ``vote tally`` re-tallies."""

from __future__ import annotations

import html
import json
import random
from datetime import timedelta
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from tests.support.factories import (
    MotionSpec,
    close_due_meetings,
    create_community,
    create_published_meeting,
    create_register,
    db_session,
    member_ids,
    past_window,
    record_ballot,
    stored_results,
    unit_row,
)
from tests.support.http import post_form
from vote.db.models import Building, Person
from vote.demo.seed import demo_rows
from vote.rules import format_area
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


def _as_tally_output(stored: dict) -> dict:
    """A stored count record in the ``vote tally`` output shape."""
    return {"area": format_area(stored["area_centi"]), "heads": stored["heads"]}


@pytest.mark.parametrize(("parking_counts", "building"), [(True, None), (False, "1号楼")])
async def test_the_download_retallies_to_the_published_outcome(
    app: Litestar, client: AsyncTestClient, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    parking_counts: bool, building: str | None,
) -> None:
    community_id = await create_community(app, slug="demo", parking_counts=parking_counts)
    version_id = await create_register(app, community_id, demo_rows())  # multi-unit owner, co-owners, developer
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
    for member in rng.sample(voters, k=len(voters) * 4 // 5):  # includes members out of scope
        await record_ballot(app, question_special, member, rng.choice(("yes", "yes", "yes", "no", "abstain")))
        await record_ballot(app, question_ordinary, member, rng.choice(("yes", "no", "abstain")))
        await record_ballot(app, election, member, options=tuple(rng.sample(candidates, k=rng.randint(0, 2))))

    await close_due_meetings(app)
    page = await client.get(f"/c/demo/meetings/{meeting.meeting_id}/result")
    assert page.status_code == 200
    stored = await stored_results(app, meeting.meeting_id)
    personal = await _personal_data(app)

    downloads = [(m, None, f"/c/demo/meetings/{meeting.meeting_id}/motions/{m}/result.json")
                 for m in (question_special, question_ordinary)]
    downloads += [(election, option, f"/c/demo/meetings/{meeting.meeting_id}/motions/{election}/candidates/{option}/result.json")
                  for option in candidates]
    for motion_id, option_id, url in downloads:
        assert url in page.text  # the page links every download
        response = await client.get(url)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        assert "attachment" in response.headers["content-disposition"]
        assert not [value for value in personal if value in response.text]
        path = tmp_path / f"{motion_id}-{option_id}.json"
        path.write_bytes(response.content)
        output = _retally(path, capsys)
        expected = stored[motion_id].tally
        if option_id is not None:  # a candidate's record keeps yes and abstain; scope and turnout are the election's
            candidate = next(c for c in expected["candidates"] if c["option_id"] == option_id)
            expected = {**candidate, "total": expected["total"], "participated": expected["participated"],
                        "no": {"area_centi": 0, "heads": 0}}
        assert output["outcome"] == expected["outcome"]
        for key in ("total", "participated", "yes", "no", "abstain"):
            assert output[key] == _as_tally_output(expected[key]), key
        assert [c["met"] for c in output["checks"]] == [c["met"] for c in expected["checks"]]
    scenario = json.loads((tmp_path / f"{question_special}-None.json").read_text())
    assert all(owner.startswith("o-") for unit in scenario["units"] for owner in unit.get("owners", []))
    if building:
        assert all(unit["id"].startswith(building) for unit in scenario["units"])
    else:
        assert any(unit.get("developer") for unit in scenario["units"])
        assert any(len(unit.get("owners", [])) == 2 for unit in scenario["units"])  # the co-owned flat
    if not parking_counts:
        assert not any("P-0" in unit["id"] for unit in scenario["units"])


async def test_the_public_page_shows_units_and_areas_but_no_names(app: Litestar, client: AsyncTestClient) -> None:
    community_id = await create_community(app, slug="garden")
    version_id = await create_register(app, community_id, [
        unit_row("1号楼", "101", 8950, "张三丰"),
        unit_row("1号楼", "102", 12000, "李四光", "李小光"),
        unit_row("1号楼", "103", 9125, "王五"),
    ])
    members = await member_ids(app, version_id)
    meeting = await create_published_meeting(app, community_id, version_id, [MotionSpec("选聘物业服务企业", matter=4)],
                                             **past_window(app))
    motion = meeting.motion_ids[0]
    await record_ballot(app, motion, members["1号楼/101"], "yes")
    await record_ballot(app, motion, members["1号楼/102"], "yes")
    await record_ballot(app, motion, members["1号楼/103"], "no")

    await close_due_meetings(app)
    page = html.unescape((await client.get(f"/c/garden/meetings/{meeting.meeting_id}/result")).text)
    assert "选聘物业服务企业" in page and "选聘和解聘物业服务企业或者其他管理人" in page  # the matter in plain words
    assert "<strong>通过</strong>" in page
    assert "同意的专有部分面积占参与表决的面积 209.50/300.75（69.66%），要求 > 1/2：达到" in page  # each gate with its fraction
    assert '1号楼 101 <span class="area">89.50</span>' in page and "已表决的房屋（3 户）" in page
    for value in await _personal_data(app):
        assert value not in page
    assert "张*" not in page  # not even masked: units only

    async with db_session(app) as db:
        from vote.db.models import Community

        (await db.execute(select(Community).where(Community.id == community_id))).scalar_one().disclose_voting_units = False
        await db.commit()
    hidden = (await client.get(f"/c/garden/meetings/{meeting.meeting_id}/result")).text
    assert "已表决的房屋" not in hidden and "1号楼 101" not in hidden
    scenario = (await client.get(f"/c/garden/meetings/{meeting.meeting_id}/motions/{motion}/result.json")).json()
    assert all(unit["id"].startswith("u-") for unit in scenario["units"])


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
