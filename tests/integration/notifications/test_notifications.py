"""The outbox: notify() for other areas, the in-app list and read state, delivery by SMS and e-mail."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar import Litestar
from sqlalchemy import select

from tests.conftest import TEST_SECRET
from tests.integration.meetings.conftest import Login, login, world  # noqa: F401 - shared fixtures
from tests.support.factories import VotingWorld, db_session
from tests.support.http import post_form
from vote.__main__ import main
from vote.db.engine import Database, begin_write
from vote.db.models import Notification
from vote.domain.notifications.senders import LogSmsSender, Senders, SmtpEmailSender, smtp_sender
from vote.domain.notifications.services import Delivery, notify


class RecordingSms:
    """An SMS gateway stand-in that keeps what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, phone: str, text: str) -> None:
        self.sent.append((phone, text))


class BrokenEmail:
    """An e-mail server that is down."""

    async def send(self, to: str, subject: str, body: str) -> None:
        raise ConnectionRefusedError("smtp down")


async def queue(app: Litestar, account_ids: list[int], kind: str, title: str, url: str = "/c/garden/meetings/",
                **extra: str) -> None:
    """Queue a notification the way other areas do, in a committed write transaction."""
    async with db_session(app) as db:
        await begin_write(db)
        await notify(db, account_ids=account_ids, kind=kind, payload={"title": title, "url": url, **extra},
                     now=app.state.clock.now())
        await db.commit()


async def test_list_unread_count_open_and_read_all(app: Litestar, world: VotingWorld, login: Login) -> None:
    await queue(app, [world.owner.account_id, world.owner2.account_id], "notice", "2026 年第一次业主大会会议通知")
    await queue(app, [world.owner.account_id], "result", "表决结果公告", url="/c/garden")
    owner = await login(world.owner)
    page = await owner.get("/notifications")
    assert page.status_code == 200
    assert "2 条未读" in page.text
    assert "会议通知" in page.text and "表决结果" in page.text
    assert page.text.index("表决结果公告") < page.text.index("2026 年第一次业主大会会议通知")  # newest first
    async with db_session(app) as db:
        result_id = (await db.execute(select(Notification.id).where(Notification.kind == "result"))).scalar_one()
    opened = await post_form(owner, f"/notifications/{result_id}/open", follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == "/c/garden"
    assert "1 条未读" in (await owner.get("/notifications")).text
    # Someone else's notification is not found.
    owner2 = await login(world.owner2)
    assert (await post_form(owner2, f"/notifications/{result_id}/open")).status_code == 404
    await post_form(owner, "/notifications/read-all")
    assert "没有未读通知" in (await owner.get("/notifications")).text
    assert "1 条未读" in (await owner2.get("/notifications")).text


async def test_notify_rejects_foreign_links_and_unknown_kinds(app: Litestar, world: VotingWorld) -> None:
    async with db_session(app) as db:
        await begin_write(db)
        with pytest.raises(ValueError):
            await notify(db, account_ids=[world.owner.account_id], kind="notice",
                         payload={"title": "x", "url": "https://evil.example/"}, now=app.state.clock.now())
        with pytest.raises(ValueError):
            await notify(db, account_ids=[world.owner.account_id], kind="spam",
                         payload={"title": "x", "url": "/"}, now=app.state.clock.now())
        await db.rollback()


async def test_delivery_sends_sms_for_formal_kinds_and_records_each_channel(
    app: Litestar, world: VotingWorld, login: Login
) -> None:
    owner = await login(world.owner)
    saved = await post_form(owner, "/notifications/settings", {"email": "wang1@example.org", "sms": "on"})
    assert saved.status_code == 200 and "已保存" in saved.text
    committee_id = world.committee[0].account_id
    await queue(app, [world.owner.account_id, committee_id], "notice", "会议通知：更换大门")
    await queue(app, [world.owner.account_id], "reply", "更换大门", event="post_reply")
    sms = RecordingSms()
    database = Database.from_settings(app.state.settings)
    try:
        delivery = Delivery(database.sessionmaker, Senders(sms=sms, email=BrokenEmail()), "https://vote.example",
                            "zh_CN", app.state.clock)
        assert await delivery.run() == 1
        assert await delivery.run() == 0  # nothing is sent twice
    finally:
        await database.dispose()
    assert len(sms.sent) == 1
    phone, text = sms.sent[0]
    assert phone.startswith("138") and "会议通知" in text and "https://vote.example/c/garden/meetings/" in text
    async with db_session(app) as db:
        rows = {(n.account_id, n.kind): n for n in (await db.execute(select(Notification))).scalars()}
    notice = rows[(world.owner.account_id, "notice")]
    assert (notice.sms_status, notice.email_status) == ("sent", "failed")
    reply = rows[(world.owner.account_id, "reply")]
    assert (reply.sms_status, reply.email_status) == ("off", "failed")  # replies never go by SMS
    assert (rows[(committee_id, "notice")].sms_status, rows[(committee_id, "notice")].email_status) == ("off", "off")


async def test_sms_can_be_switched_off_and_bad_addresses_are_refused(app: Litestar, world: VotingWorld,
                                                                     login: Login) -> None:
    owner = await login(world.owner)
    page = await owner.get("/notifications/settings")
    assert 'name="sms" value="on" checked' in page.text
    refused = await post_form(owner, "/notifications/settings", {"email": "not an address", "sms": "on"})
    assert refused.status_code == 422 and 'value="not an address"' in refused.text
    await post_form(owner, "/notifications/settings", {"email": ""})
    await queue(app, [world.owner.account_id], "result", "结果")
    async with db_session(app) as db:
        row = (await db.execute(select(Notification))).scalar_one()
    assert (row.sms_status, row.email_status) == ("off", "off")


async def test_log_sms_sender_masks_the_phone(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="vote.notifications"):
        await LogSmsSender().send("13812345678", "【示范花园小区】会议通知")
    assert "138****5678" in caplog.text and "13812345678" not in caplog.text
    assert "会议通知" in caplog.text


@pytest.fixture
async def smtp_server() -> AsyncIterator[tuple[int, list[bytes]]]:
    """A minimal SMTP server on loopback that accepts every message and keeps its DATA."""
    received: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 test ready\r\n")
        data: list[bytes] | None = None
        while line := await reader.readline():
            if data is not None:
                if line == b".\r\n":
                    received.append(b"".join(data))
                    data = None
                    writer.write(b"250 queued\r\n")
                else:
                    data.append(line)
            elif line[:4].upper() == b"EHLO":
                writer.write(b"250-test\r\n250 8BITMIME\r\n")
            elif line[:4].upper() == b"DATA":
                data = []
                writer.write(b"354 go ahead\r\n")
            elif line[:4].upper() == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 ok\r\n")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield port, received
    server.close()
    await server.wait_closed()


async def test_smtp_sender_delivers_a_plain_text_mail(smtp_server: tuple[int, list[bytes]]) -> None:
    port, received = smtp_server
    assert smtp_sender(None, 25, None, None, "vote@example.org") is None  # not configured: no e-mail
    sender = smtp_sender("127.0.0.1", port, None, None, "vote@example.org")
    assert isinstance(sender, SmtpEmailSender)
    await sender.send("wang1@example.org", "【示范花园小区】会议通知", "请查看：https://vote.example/c/garden")
    assert len(received) == 1
    message = received[0].decode()
    assert "To: wang1@example.org" in message and "From: vote@example.org" in message
    assert "Subject: =?utf-8?" in message  # the Chinese subject is encoded, not mangled


async def test_the_deliver_command_sends_what_is_pending_once(
    app: Litestar, world: VotingWorld, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture, tmp_path: Path,
) -> None:
    """``vote notifications deliver`` (cron): the log SMS sender gets each formal notice, masked, once."""
    await queue(app, [world.owner.account_id, world.owner2.account_id], "notice", "会议通知：更换电梯")
    for name, value in {"VOTE_DATABASE_URL": app.state.settings.database_url, "VOTE_SECRET_KEY": TEST_SECRET,
                        "VOTE_ENV": "test", "VOTE_DATA_DIR": str(tmp_path)}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("VOTE_SMTP_HOST", raising=False)
    capsys.readouterr()
    with caplog.at_level(logging.INFO, logger="vote.notifications"):
        assert await asyncio.to_thread(main, ["notifications", "deliver"]) == 0
    assert "notifications: 2 sent, 0 failed" in capsys.readouterr().out
    assert caplog.text.count("会议通知：更换电梯") == 2 and "****" in caplog.text
    async with db_session(app) as db:
        statuses = {(n.sms_status, n.email_status) for n in (await db.execute(select(Notification))).scalars()}
    assert statuses == {("sent", "off")}  # no SMTP configured: e-mail is off, not pending forever
    assert await asyncio.to_thread(main, ["notifications", "deliver"]) == 0
    assert "notifications: 0 sent, 0 failed" in capsys.readouterr().out
