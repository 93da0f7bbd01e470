"""In-person verification: one committee member records, a different one approves (two-person rule)."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from tests.conftest import BASE_URL
from tests.integration.activation.conftest import (
    LETTER_CODE,
    LI_JIA,
    LI_YI,
    Garden,
    Journey,
    login,
    member_of_unit,
)
from tests.support.factories import create_account, create_community, create_register, db_session
from tests.support.http import post_form
from vote.db.models import AuditEvent, Member, Person, Unit, Verification


async def _unit_id(app: Litestar, garden: Garden, number: str) -> int:
    async with db_session(app) as db:
        return (
            await db.execute(select(Unit.id).where(Unit.register_version_id == garden.version_id, Unit.number == number))
        ).scalar_one()


async def _person_id(app: Litestar, garden: Garden, name: str) -> int:
    async with db_session(app) as db:
        return (
            await db.execute(select(Person.id).where(Person.name == name, Person.community_id == garden.community_id))
        ).scalar_one()


async def _record(client: AsyncTestClient, app: Litestar, garden: Garden, number: str, name: str,
                  documents: list[str]):  # noqa: ANN202
    return await post_form(client, "/c/garden/verifications", {
        "unit_id": str(await _unit_id(app, garden, number)), "person_id": str(await _person_id(app, garden, name)),
        "documents": documents, "unit": number,
    }, follow_redirects=False)


async def test_a_second_committee_member_approves_and_the_owner_gets_a_letter(
    app: Litestar, client: AsyncTestClient, garden: Garden
) -> None:
    await login(client, garden.committee1)
    search = await client.get("/c/garden/verifications", params={"unit": "1号楼 102"})
    assert search.status_code == 200
    assert "王2" in search.text  # the committee's verification screen shows the registered name
    assert "002X" in search.text and "王3" not in search.text
    recorded = await _record(client, app, garden, "102", "王2", ["id_card", "property_certificate"])
    assert recorded.status_code == 303
    page = await client.get(recorded.headers["location"])
    assert "已登记" in page.text and "须由另一位委员批准" in page.text
    (verification_id,) = [int(v) for v in re.findall(r'id="verification-(\d+)"', page.text)]
    assert f"/verifications/{verification_id}/approve" not in page.text  # no approve button for the recorder

    own = await post_form(client, f"/c/garden/verifications/{verification_id}/approve")
    assert own.status_code == 403 and "双人复核" in own.text
    own_reject = await post_form(client, f"/c/garden/verifications/{verification_id}/reject")
    assert own_reject.status_code == 403

    async with AsyncTestClient(app=app, base_url=BASE_URL) as second:
        await login(second, garden.committee2)
        pending = await second.get("/c/garden/verifications")
        assert "王2" in pending.text and "居民身份证" in pending.text and "committee1" in pending.text
        assert f"/verifications/{verification_id}/approve" in pending.text
        approved = await post_form(second, f"/c/garden/verifications/{verification_id}/approve", {"valid_days": "30"})
        assert approved.status_code == 200 and "已批准" in approved.text
        (code,) = LETTER_CODE.findall(approved.text)
        again = await post_form(second, f"/c/garden/verifications/{verification_id}/approve")
        assert again.status_code == 409

    async with AsyncTestClient(app=app, base_url=BASE_URL) as owner:
        assert (await Journey(owner).complete(code, "王2", "002X", login="wang2")).status_code == 200
    async with db_session(app) as db:
        verification = await db.get(Verification, verification_id)
        assert verification is not None and verification.status == "approved"
        assert verification.requested_by_account_id == garden.committee1.account_id
        assert verification.approved_by_account_id == garden.committee2.account_id
        assert verification.documents == "id_card,property_certificate"
        actions = (await db.execute(select(AuditEvent.action))).scalars().all()
        assert "verification_requested" in actions and "verification_approved" in actions


async def test_the_database_refuses_an_approval_by_the_requester(app: Litestar, garden: Garden) -> None:
    async with db_session(app) as db:
        person = (await db.execute(select(Person).where(Person.name == "王1"))).scalar_one()
        verification = Verification(
            community_id=garden.community_id, person_id=person.id, documents="id_card",
            requested_by_account_id=garden.committee1.account_id, requested_at=app.state.clock.now(),
        )
        db.add(verification)
        await db.commit()
        with pytest.raises(IntegrityError):
            await db.execute(
                update(Verification).where(Verification.id == verification.id)
                .values(status="approved", approved_by_account_id=garden.committee1.account_id)
            )
            await db.commit()


async def test_a_co_owner_takes_over_only_with_the_co_owners_agreement(
    app: Litestar, client: AsyncTestClient, garden: Garden
) -> None:
    member_id = await member_of_unit(app, garden.version_id, "201")
    async with db_session(app) as db:
        li_jia = (await db.execute(select(Person).where(Person.name == LI_JIA[0]))).scalar_one()
        await db.execute(update(Member).where(Member.id == member_id).values(voter_person_id=li_jia.id))
        await db.commit()
    await login(client, garden.committee1)
    refused = await _record(client, app, garden, "201", LI_YI[0], ["id_card"])
    assert refused.status_code == 422 and "书面协议" in refused.text
    assert re.search(r'value="id_card" checked', refused.text)  # what was ticked is kept
    nothing = await _record(client, app, garden, "201", LI_YI[0], [])
    assert nothing.status_code == 422 and "请勾选" in nothing.text
    recorded = await _record(client, app, garden, "201", LI_YI[0], ["id_card", "co_owner_consent"])
    assert recorded.status_code == 303
    duplicate = await _record(client, app, garden, "201", LI_YI[0], ["id_card", "co_owner_consent"])
    assert duplicate.status_code == 422 and "等待审批" in duplicate.text

    async with AsyncTestClient(app=app, base_url=BASE_URL) as second:
        await login(second, garden.committee2)
        pending = await second.get("/c/garden/verifications")
        assert "取代李甲" in pending.text
        (verification_id,) = [int(v) for v in re.findall(r'id="verification-(\d+)"', pending.text)]
        approved = await post_form(second, f"/c/garden/verifications/{verification_id}/approve")
        assert approved.status_code == 200 and "表决人" in approved.text
        (code,) = LETTER_CODE.findall(approved.text)
    async with db_session(app) as db:
        member = await db.get(Member, member_id)
        li_yi = (await db.execute(select(Person).where(Person.name == LI_YI[0]))).scalar_one()
        assert member is not None and member.voter_person_id == li_yi.id
        assert "member_voter_nominated" in (await db.execute(select(AuditEvent.action))).scalars().all()
    async with AsyncTestClient(app=app, base_url=BASE_URL) as owner:
        # The former voter can no longer use the new letter; the new voter can.
        assert "推选" in (await Journey(owner).identity(code, *LI_JIA)).text
        assert (await Journey(owner).complete(code, *LI_YI, login="liyi")).status_code == 200


async def test_a_second_member_rejects(app: Litestar, client: AsyncTestClient, garden: Garden) -> None:
    await login(client, garden.committee1)
    recorded = await _record(client, app, garden, "103", "王3", ["purchase_contract"])
    verification_id = int(re.search(r"recorded=(\d+)", recorded.headers["location"]).group(1))
    async with AsyncTestClient(app=app, base_url=BASE_URL) as second:
        await login(second, garden.committee2)
        rejected = await post_form(second, f"/c/garden/verifications/{verification_id}/reject", follow_redirects=False)
        assert rejected.status_code == 303
        page = await second.get("/c/garden/verifications")
        assert "已驳回" in page.text and "没有待批准的核验" in page.text
    async with db_session(app) as db:
        verification = await db.get(Verification, verification_id)
        assert verification is not None and verification.status == "rejected"


async def test_verifications_stay_inside_their_community(app: Litestar, client: AsyncTestClient, garden: Garden) -> None:
    await login(client, garden.committee1)
    recorded = await _record(client, app, garden, "104", "王4", ["id_card"])
    verification_id = int(re.search(r"recorded=(\d+)", recorded.headers["location"]).group(1))
    other_id = await create_community(app, slug="other", name="别的小区")
    await create_register(app, other_id)
    other_committee = await create_account(app, "other-committee", community_id=other_id, roles=("committee",))
    owner = await create_account(app, "owner", community_id=garden.community_id, roles=("owner",))
    async with AsyncTestClient(app=app, base_url=BASE_URL) as visitor:
        await login(visitor, other_committee)
        assert (await post_form(visitor, f"/c/garden/verifications/{verification_id}/approve")).status_code == 403
        assert (await post_form(visitor, f"/c/other/verifications/{verification_id}/approve")).status_code == 404
        assert (await post_form(visitor, f"/c/other/verifications/{verification_id}/reject")).status_code == 404
        # Recording a verification in its own community for this community's unit and person: not found.
        response = await post_form(visitor, "/c/other/verifications", {
            "unit_id": str(await _unit_id(app, garden, "105")), "person_id": str(await _person_id(app, garden, "王5")),
            "documents": ["id_card"],
        })
        assert response.status_code == 404
    async with AsyncTestClient(app=app, base_url=BASE_URL) as visitor:
        await login(visitor, owner)
        assert (await post_form(visitor, f"/c/garden/verifications/{verification_id}/approve")).status_code == 403
        assert (await post_form(visitor, "/c/garden/verifications", {"documents": ["id_card"]})).status_code == 403
    async with db_session(app) as db:
        verification = await db.get(Verification, verification_id)
        assert verification is not None and verification.status == "pending"
