"""The owner's activation journey through the real pages: from a letter code to a logged-in owner."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from tests.conftest import BASE_URL
from tests.integration.activation.conftest import (
    LI_JIA,
    LI_YI,
    OWNER_PASSWORD,
    WANG1,
    Garden,
    Journey,
    issue_letter,
    member_of_unit,
    recovery_codes,
    token_of,
    totp_code,
)
from tests.support.factories import create_account, db_session
from tests.support.http import post_form
from vote.db.models import Account, ActivationCode, AuditEvent, Member, Person, Role
from vote.domain.accounts.sessions import SESSION_COOKIE
from vote.domain.activation.codes import code_digest, normalize_code
from vote.domain.audit.services import verify_chain


async def test_an_owner_activates_from_the_letter_and_is_logged_in(
    app: Litestar, client: AsyncTestClient, garden: Garden
) -> None:
    code = await issue_letter(app, garden, "101")
    page = await client.get(f"/activate?code={code}")
    assert page.status_code == 200 and f'value="{code}"' in page.text

    # Typed sloppily: lower case, spaces instead of dashes.
    step2 = await post_form(client, "/activate", {"code": " " + code.lower().replace("-", " ") + " "})
    assert step2.status_code == 200
    assert "1号楼 101" in step2.text and "核对身份" in step2.text

    step3 = await post_form(client, "/activate/identity",
                            {"token": token_of(step2), "name": " 王 1 ", "id_last4": WANG1[1].lower()})
    assert step3.status_code == 200
    assert 'name="login" value="1-101"' in step3.text  # the suggested login name
    assert "王*" in step3.text and "王1" not in step3.text

    step4 = await post_form(client, "/activate/credentials", {
        "token": token_of(step3), "login": "Wang-101", "password": OWNER_PASSWORD, "password_again": OWNER_PASSWORD,
    })
    assert step4.status_code == 200 and 'src="data:image/svg+xml' in step4.text
    done = await post_form(client, "/activate/totp", {"token": token_of(step4), "code": totp_code(step4)})
    assert done.status_code == 200, done.text
    codes = recovery_codes(done)
    assert len(codes) == 10
    assert SESSION_COOKIE in done.headers["set-cookie"] and "HttpOnly" in done.headers["set-cookie"]

    community_page = await client.get("/c/garden")
    assert "wang-101" in community_page.text or "王*" in community_page.text
    assert "业主" in community_page.text  # the owner role badge

    async with db_session(app) as db:
        account = (await db.execute(select(Account).where(Account.login == "wang-101"))).scalar_one()
        person = await db.get(Person, account.person_id)
        assert person is not None and person.name == "王1"
        assert account.activated_at is not None and account.display_name == "王*"
        roles = (await db.execute(select(Role.role).where(Role.account_id == account.id))).scalars().all()
        assert roles == ["owner"]
        stored = (await db.execute(
            select(ActivationCode).where(ActivationCode.code_hash == code_digest(normalize_code(code) or ""))
        )).scalar_one()
        assert stored.used_at is not None and stored.used_by_account_id == account.id
        member = await db.get(Member, await member_of_unit(app, garden.version_id, "101"))
        assert member is not None and member.voter_person_id == person.id
        assert (await verify_chain(db)).ok
        details = [json.dumps(d, ensure_ascii=False) for d in (await db.execute(select(AuditEvent.detail))).scalars()]
        actions = set((await db.execute(select(AuditEvent.action))).scalars())
        assert {"account_activated", "login"} <= actions
        assert not any("王1" in d or "001X" in d for d in details), "clear personal data in the audit log"

    # The new owner can log in again later with the password and a recovery code.
    async with AsyncTestClient(app=app, base_url=BASE_URL) as other:
        again = await post_form(other, "/login", {"login": "wang-101", "password": OWNER_PASSWORD, "code": codes[0]},
                                follow_redirects=False)
        assert again.status_code == 303


async def test_a_wrong_code_is_refused_with_a_clear_message(client: AsyncTestClient, garden: Garden) -> None:
    for typed in ("ABCD-EFGH-JKMN-PQRS", "too short", ""):
        response = await post_form(client, "/activate", {"code": typed})
        assert response.status_code == 400
        assert "激活码无效" in response.text
        assert f'value="{typed}"' in response.text  # what was typed is kept


async def test_wrong_name_or_last4_counts_down_and_the_fifth_blocks_the_code(
    app: Litestar, client: AsyncTestClient, garden: Garden
) -> None:
    code = await issue_letter(app, garden, "101")
    journey = Journey(client)
    wrong_name = await journey.identity(code, "王2", WANG1[1])
    assert wrong_name.status_code == 422 and "不一致" in wrong_name.text and "4" in wrong_name.text
    assert 'value="王2"' in wrong_name.text
    wrong_last4 = await journey.identity(code, WANG1[0], "002X")
    assert wrong_last4.status_code == 422 and "3" in wrong_last4.text
    # Another owner's correct identity is still wrong for this letter.
    assert (await journey.identity(code, LI_JIA[0], LI_JIA[1])).status_code == 422
    assert (await journey.identity(code, WANG1[0], "0000")).status_code == 422
    blocked = await journey.identity(code, WANG1[0], "1111")
    assert blocked.status_code == 403 and "已被锁定" in blocked.text
    # Even the right answer no longer works: the code is revoked.
    response = await journey.code(code)
    assert response.status_code == 400 and "不再有效" in response.text
    async with db_session(app) as db:
        actions = (await db.execute(select(AuditEvent.action))).scalars().all()
        assert actions.count("activation_identity_failed") == 5
        assert "activation_code_revoked" in actions


async def test_an_expired_code_is_refused(app: Litestar, client: AsyncTestClient, garden: Garden) -> None:
    code = await issue_letter(app, garden, "101", valid_days="60")
    app.state.clock.advance(timedelta(days=59))
    assert (await post_form(client, "/activate", {"code": code})).status_code == 200
    app.state.clock.advance(timedelta(days=1, seconds=1))
    response = await post_form(client, "/activate", {"code": code})
    assert response.status_code == 400 and "已过期" in response.text


async def test_a_used_code_cannot_be_used_again(app: Litestar, client: AsyncTestClient, garden: Garden) -> None:
    code = await issue_letter(app, garden, "102")
    assert (await Journey(client).complete(code, "王2", "002X", "wang2")).status_code == 200
    async with AsyncTestClient(app=app, base_url=BASE_URL) as other:
        response = await Journey(other).code(code)
    assert response.status_code == 400 and "已被使用" in response.text


async def test_a_replaced_letter_no_longer_works(app: Litestar, client: AsyncTestClient, garden: Garden) -> None:
    old = await issue_letter(app, garden, "101")
    new = await issue_letter(app, garden, "101")
    response = await Journey(client).code(old)
    assert response.status_code == 400 and "不再有效" in response.text
    assert (await Journey(client).code(new)).status_code == 200


async def test_a_step_expires_after_thirty_minutes(app: Litestar, client: AsyncTestClient, garden: Garden) -> None:
    code = await issue_letter(app, garden, "101")
    step2 = await Journey(client).code(code)
    app.state.clock.advance(timedelta(minutes=31))
    response = await post_form(client, "/activate/identity",
                               {"token": token_of(step2), "name": WANG1[0], "id_last4": WANG1[1]})
    assert response.status_code == 400 and "超时" in response.text


async def test_a_forged_step_token_is_refused(app: Litestar, client: AsyncTestClient, garden: Garden) -> None:
    code = await issue_letter(app, garden, "101")
    step3 = await Journey(client).identity(code, WANG1[0], WANG1[1])
    token = token_of(step3)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    response = await post_form(client, "/activate/credentials", {
        "token": forged, "login": "mallory", "password": OWNER_PASSWORD, "password_again": OWNER_PASSWORD,
    })
    assert response.status_code == 400 and "重新开始" in response.text
    # A token of an earlier step cannot skip ahead either.
    response = await post_form(client, "/activate/totp", {"token": token, "code": "123456"})
    assert response.status_code == 400 and "重新开始" in response.text


async def test_bad_credentials_and_a_wrong_totp_code_are_asked_again(
    app: Litestar, client: AsyncTestClient, garden: Garden
) -> None:
    await create_account(app, "taken")
    code = await issue_letter(app, garden, "101")
    step3 = await Journey(client).identity(code, WANG1[0], WANG1[1])
    token = token_of(step3)
    short = await post_form(client, "/activate/credentials",
                            {"token": token, "login": "wang1", "password": "short", "password_again": "short"})
    assert short.status_code == 422 and "至少 10 个字符" in short.text and 'value="wang1"' in short.text
    mismatch = await post_form(client, "/activate/credentials", {
        "token": token, "login": "wang1", "password": OWNER_PASSWORD, "password_again": OWNER_PASSWORD + "x",
    })
    assert mismatch.status_code == 422 and "不一致" in mismatch.text
    taken = await post_form(client, "/activate/credentials", {
        "token": token, "login": "Taken", "password": OWNER_PASSWORD, "password_again": OWNER_PASSWORD,
    })
    assert taken.status_code == 422 and "已被使用" in taken.text
    bad_login = await post_form(client, "/activate/credentials", {
        "token": token, "login": "王一", "password": OWNER_PASSWORD, "password_again": OWNER_PASSWORD,
    })
    assert bad_login.status_code == 422
    step4 = await post_form(client, "/activate/credentials", {
        "token": token, "login": "wang1", "password": OWNER_PASSWORD, "password_again": OWNER_PASSWORD,
    })
    right = totp_code(step4)
    wrong = await post_form(client, "/activate/totp",
                            {"token": token_of(step4), "code": f"{(int(right) + 1) % 1_000_000:06d}"})
    assert wrong.status_code == 422 and 'id="totp-key"' in wrong.text
    async with db_session(app) as db:
        assert (await db.execute(select(func.count(Account.id)).where(Account.login == "wang1"))).scalar_one() == 0
    done = await post_form(client, "/activate/totp", {"token": token_of(wrong), "code": right})
    assert done.status_code == 200 and len(recovery_codes(done)) == 10


async def test_a_co_owner_cannot_take_over_the_nominated_voter(
    app: Litestar, client: AsyncTestClient, garden: Garden
) -> None:
    member_id = await member_of_unit(app, garden.version_id, "201")
    async with db_session(app) as db:
        li_jia = (await db.execute(select(Person).where(Person.name == "李甲"))).scalar_one()
        member = await db.get(Member, member_id)
        assert member is not None and member.voter_person_id is None  # co-owners have not nominated yet
        member.voter_person_id = li_jia.id  # now they have: 李甲 votes
        await db.commit()
    code = await issue_letter(app, garden, "201")
    refused = await Journey(client).identity(code, *LI_YI)
    assert refused.status_code == 200 and "推选" in refused.text and "业委会" in refused.text
    assert "/activate/credentials" not in refused.text
    # The nominated voter can still use the same letter.
    done = await Journey(client).complete(code, *LI_JIA, login="lijia")
    assert done.status_code == 200
    # Once the voter is activated, the committee issues no letter the other co-owner could use.
    response = await post_form(client, "/logout", follow_redirects=False)
    assert response.status_code == 303
    async with db_session(app) as db:
        accounts = (await db.execute(select(Account.person_id).where(Account.person_id.is_not(None)))).scalars().all()
        assert accounts == [li_jia.id]


async def test_the_first_co_owner_to_activate_becomes_the_voter(
    app: Litestar, client: AsyncTestClient, garden: Garden
) -> None:
    code = await issue_letter(app, garden, "201")
    step3 = await Journey(client).credentials(code, *LI_YI, login="liyi")
    assert step3.status_code == 200
    assert (await post_form(client, "/activate/totp",
                            {"token": token_of(step3), "code": totp_code(step3)})).status_code == 200
    async with db_session(app) as db:
        member = await db.get(Member, await member_of_unit(app, garden.version_id, "201"))
        li_yi = (await db.execute(select(Person).where(Person.name == "李乙"))).scalar_one()
        assert member is not None and member.voter_person_id == li_yi.id


async def test_an_owner_with_an_account_is_sent_to_log_in(app: Litestar, client: AsyncTestClient, garden: Garden) -> None:
    code = await issue_letter(app, garden, "101")
    async with db_session(app) as db:
        wang1 = (await db.execute(select(Person).where(Person.name == "王1"))).scalar_one()
    await create_account(app, "wang1-existing", community_id=garden.community_id, roles=("owner",), person_id=wang1.id)
    response = await Journey(client).identity(code, *WANG1)
    assert response.status_code == 200 and "您已有账户" in response.text and 'href="/login"' in response.text
    assert "/activate/credentials" not in response.text
    async with db_session(app) as db:
        assert (await db.execute(select(func.count(Account.id)).where(Account.person_id == wang1.id))).scalar_one() == 1


async def test_a_co_owned_unit_without_voter_is_linked_to_the_owners_existing_account(
    app: Litestar, client: AsyncTestClient, garden: Garden
) -> None:
    async with db_session(app) as db:
        li_jia = (await db.execute(select(Person).where(Person.name == "李甲"))).scalar_one()
    await create_account(app, "lijia", person_id=li_jia.id)
    code = await issue_letter(app, garden, "201")
    response = await Journey(client).identity(code, *LI_JIA)
    assert response.status_code == 200 and "已关联到您的账户" in response.text and 'href="/login"' in response.text
    async with db_session(app) as db:
        member = await db.get(Member, await member_of_unit(app, garden.version_id, "201"))
        assert member is not None and member.voter_person_id == li_jia.id
        account = (await db.execute(select(Account).where(Account.login == "lijia"))).scalar_one()
        roles = (await db.execute(select(Role.role).where(Role.account_id == account.id,
                                                          Role.community_id == garden.community_id))).scalars().all()
        assert roles == ["owner"]
    assert "已被使用" in (await Journey(client).code(code)).text


async def test_one_code_two_concurrent_submissions_make_exactly_one_account(
    app: Litestar, garden: Garden
) -> None:
    code = await issue_letter(app, garden, "101")
    async with AsyncTestClient(app=app, base_url=BASE_URL) as first, \
            AsyncTestClient(app=app, base_url=BASE_URL) as second:
        pages = [await Journey(c).credentials(code, *WANG1, login=login)
                 for c, login in ((first, "wang-a"), (second, "wang-b"))]
        results = await asyncio.gather(*(
            post_form(c, "/activate/totp", {"token": token_of(p), "code": totp_code(p)})
            for c, p in ((first, pages[0]), (second, pages[1]))
        ))
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 400], [r.text[:300] for r in results]
    assert "已被使用" in next(r for r in results if r.status_code == 400).text
    async with db_session(app) as db:
        wang1 = (await db.execute(select(Person).where(Person.name == "王1"))).scalar_one()
        assert (await db.execute(select(func.count(Account.id)).where(Account.person_id == wang1.id))).scalar_one() == 1
