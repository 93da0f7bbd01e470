"""The notification outbox: queue in the caller's transaction, read in the app, deliver by e-mail and SMS.

``notify`` is what other areas call: it writes one row per recipient inside the caller's write
transaction, so a notification exists exactly when the action that caused it was committed.
Delivery happens afterwards, outside any transaction (``Delivery.run``): rows are claimed with a
conditional update, so two workers never send the same message twice.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar.background_tasks import BackgroundTask
from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vote.db.engine import begin_write
from vote.db.models import Account, Community, Notification, NotificationPreference, Person
from vote.db.models.deliberation import NOTIFICATION_KINDS
from vote.domain.notifications.senders import Senders
from vote.lib import i18n
from vote.lib.clock import Clock
from vote.lib.errors import UserError
from vote.lib.http import safe_next
from vote.lib.i18n import _

logger = logging.getLogger("vote.notifications")

PAGE_SIZE = 30
DELIVERY_BATCH = 100
# Text messages cost money and interrupt: only the formal steps of an assembly go out by SMS.
SMS_KINDS = frozenset({"notice", "result", "proposal_threshold"})
SMS_TITLE_CHARS = 40
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_EMAIL_LENGTH = 254


def kind_label(kind: str) -> str:
    """The translated name of a notification kind."""
    return {
        "notice": _("Meeting notice"),
        "result": _("Voting result"),
        "reply": _("Reply"),
        "proposal_threshold": _("Owners' proposal reached its threshold"),
    }.get(kind, kind)


def event_text(event: str | None) -> str:
    """The translated sentence for a known ``payload["event"]`` (empty for none or an unknown one)."""
    if not event:
        return ""
    return {
        "post_reply": _("Someone replied to your comment."),
        "official_answer": _("The owners' committee answered your question."),
        "amendment_adopted": _("The owners' committee adopted your amendment; the motion has a new revision."),
        "amendment_declined": _("The owners' committee declined your amendment and gave its reason."),
        "objection_answered": _("The owners' committee answered your objection."),
        "proposal_threshold": _("Enough owners support this proposal: the committee must call a meeting."),
    }.get(event, "")


async def notify(
    db: AsyncSession,
    *,
    account_ids: Iterable[int],
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    community_id: int | None = None,
) -> list[Notification]:
    """Queue one notification per account in the caller's write transaction (the caller commits).

    ``payload`` needs ``title`` (shown as is, so no personal data) and ``url`` (a path on this site);
    an optional ``event`` picks a translated sentence (see ``event_text``). Channels are chosen now:
    e-mail when the account gave an address, SMS for formal kinds when the register has a phone.
    """
    if kind not in NOTIFICATION_KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    title, url = payload.get("title"), payload.get("url")
    if not isinstance(title, str) or not title or not isinstance(url, str) or safe_next(url, "") != url:
        raise ValueError("payload needs a non-empty 'title' and a same-site 'url' path")
    recipients = sorted(set(account_ids))
    if not recipients:
        return []
    emails = dict(
        (await db.execute(
            select(NotificationPreference.account_id, NotificationPreference.email)
            .where(NotificationPreference.account_id.in_(recipients))
        )).all()
    )
    sms_off = set(
        (await db.execute(
            select(NotificationPreference.account_id)
            .where(NotificationPreference.account_id.in_(recipients), NotificationPreference.sms_enabled.is_(False))
        )).scalars()
    )
    phones = dict(
        (await db.execute(
            select(Account.id, Person.phone).join(Person, Person.id == Account.person_id)
            .where(Account.id.in_(recipients))
        )).all()
    )
    rows = [
        Notification(
            account_id=account_id,
            community_id=community_id,
            kind=kind,
            payload=dict(payload),
            created_at=now,
            email_status="pending" if emails.get(account_id) else "off",
            sms_status="pending" if kind in SMS_KINDS and phones.get(account_id) and account_id not in sms_off
            else "off",
        )
        for account_id in recipients
    ]
    db.add_all(rows)
    await db.flush()
    return rows


@dataclass(frozen=True)
class Outgoing:
    """One claimed message on one channel, with everything needed to send it."""

    notification_id: int
    channel: str
    address: str
    kind: str
    payload: dict[str, Any]
    community_name: str


@dataclass
class Delivery:
    """Sends what the outbox holds, after the request that queued it has been answered."""

    sessionmaker: async_sessionmaker[AsyncSession]
    senders: Senders
    base_url: str
    language: str
    clock: Clock

    def task(self) -> BackgroundTask:
        """A background task for a response: ``Redirect(..., background=delivery.task())``."""
        return BackgroundTask(self.run)

    async def run(self, limit: int = DELIVERY_BATCH) -> int:
        """Deliver up to ``limit`` pending messages per channel; return how many were sent."""
        try:
            claimed = await self._claim(limit)
            if not claimed:
                return 0
            outcomes = [(item, await self._send(item)) for item in claimed]
            await self._finish(outcomes)
            return sum(1 for _item, ok in outcomes if ok)
        except Exception:  # noqa: BLE001 - delivery must never take a page down; the rows stay visible
            logger.exception("notification delivery failed")
            return 0

    async def drain(self) -> tuple[int, int]:
        """Deliver everything pending, batch after batch (``vote notifications deliver``): (sent, failed).

        Unlike ``run`` it lets errors of the database through: a cron job should fail loudly.
        """
        sent = failed = 0
        while claimed := await self._claim(DELIVERY_BATCH):
            outcomes = [(item, await self._send(item)) for item in claimed]
            await self._finish(outcomes)
            delivered = sum(1 for _item, ok in outcomes if ok)
            sent, failed = sent + delivered, failed + len(outcomes) - delivered
        return sent, failed

    async def _claim(self, limit: int) -> list[Outgoing]:
        async with self.sessionmaker() as db:
            pending = (
                await db.execute(
                    select(Notification.id)
                    .where(or_(Notification.email_status == "pending", Notification.sms_status == "pending"))
                    .limit(1)
                )
            ).first()
            if pending is None:
                return []
            await db.commit()  # end the read so the claim starts as a write transaction
            await begin_write(db)
            if self.senders.email is None:
                # No SMTP configured: say so on the row instead of keeping it pending forever.
                await db.execute(
                    update(Notification).where(Notification.email_status == "pending").values(email_status="off")
                )
                email_ids: list[int] = []
            else:
                email_ids = await self._claim_channel(db, Notification.email_status, limit)
            sms_ids = await self._claim_channel(db, Notification.sms_status, limit)
            outgoing: list[Outgoing] = []
            if email_ids or sms_ids:
                rows = (
                    await db.execute(
                        select(Notification, NotificationPreference.email, Person.phone, Community.name)
                        .join(Account, Account.id == Notification.account_id)
                        .outerjoin(NotificationPreference, NotificationPreference.account_id == Account.id)
                        .outerjoin(Person, Person.id == Account.person_id)
                        .outerjoin(Community, Community.id == Notification.community_id)
                        .where(Notification.id.in_(set(email_ids) | set(sms_ids)))
                        .order_by(Notification.id)
                    )
                ).all()
                for notification, email, phone, community_name in rows:
                    for channel, ids, address in (("email", email_ids, email), ("sms", sms_ids, phone)):
                        if notification.id in ids:
                            outgoing.append(Outgoing(notification.id, channel, address or "", notification.kind,
                                                     dict(notification.payload), community_name or ""))
            await db.commit()
            return outgoing

    @staticmethod
    async def _claim_channel(db: AsyncSession, status_column: Any, limit: int) -> list[int]:
        candidates = select(Notification.id).where(status_column == "pending").order_by(Notification.id).limit(limit)
        result = await db.execute(
            update(Notification)
            .where(Notification.id.in_(candidates.scalar_subquery()), status_column == "pending")
            .values({status_column.key: "sending"})
            .returning(Notification.id)
        )
        return list(result.scalars())

    async def _send(self, item: Outgoing) -> bool:
        token = i18n.current_language.set(self.language)
        try:
            label = kind_label(item.kind)
            title = str(item.payload["title"])
            link = self.base_url.rstrip("/") + str(item.payload["url"])
            prefix = f"【{item.community_name}】" if item.community_name else ""
            if not item.address:
                return False
            if item.channel == "sms":
                short = title if len(title) <= SMS_TITLE_CHARS else title[: SMS_TITLE_CHARS - 1] + "…"
                await self.senders.sms.send(item.address, f"{prefix}{label}：{short} {link}")
            else:
                assert self.senders.email is not None
                sentence = event_text(item.payload.get("event"))
                body = "\n\n".join(part for part in (sentence, title, link) if part)
                await self.senders.email.send(item.address, f"{prefix}{label}：{title}", body)
            return True
        except Exception:  # noqa: BLE001 - a failed channel is recorded on the row, the others go on
            logger.warning("could not deliver notification %s by %s", item.notification_id, item.channel,
                           exc_info=True)
            return False
        finally:
            i18n.current_language.reset(token)

    async def _finish(self, outcomes: list[tuple[Outgoing, bool]]) -> None:
        now = self.clock.now()
        async with self.sessionmaker() as db:
            await begin_write(db)
            for item, ok in outcomes:
                status = "sent" if ok else "failed"
                if item.channel == "email":
                    values = {"email_status": status, "email_at": now}
                else:
                    values = {"sms_status": status, "sms_at": now}
                await db.execute(update(Notification).where(Notification.id == item.notification_id).values(values))
            await db.commit()


@dataclass(frozen=True)
class NotificationPage:
    """One page of an account's notifications, newest first."""

    items: list[Notification]
    unread: int
    page: int
    has_more: bool


@dataclass(frozen=True)
class Preferences:
    """An account's delivery choices, and whether the register has a phone number for it."""

    email: str
    sms_enabled: bool
    has_phone: bool


class NotificationService:
    """An account's own notifications and delivery preferences."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def unread_count(self, account_id: int) -> int:
        """How many notifications the account has not opened yet."""
        return (
            await self.db.execute(
                select(func.count(Notification.id)).where(
                    Notification.account_id == account_id, Notification.read_at.is_(None)
                )
            )
        ).scalar_one()

    async def page(self, account_id: int, page: int) -> NotificationPage:
        """The account's notifications, newest first, ``PAGE_SIZE`` per page."""
        page = max(1, page)
        rows = list(
            (
                await self.db.execute(
                    select(Notification)
                    .where(Notification.account_id == account_id)
                    .order_by(Notification.id.desc())
                    .offset((page - 1) * PAGE_SIZE)
                    .limit(PAGE_SIZE + 1)
                )
            ).scalars()
        )
        return NotificationPage(rows[:PAGE_SIZE], await self.unread_count(account_id), page, len(rows) > PAGE_SIZE)

    async def open(self, account_id: int, notification_id: int, now: datetime) -> str:
        """Mark one of the account's notifications read and return where it points."""
        await begin_write(self.db)
        notification = (
            await self.db.execute(
                select(Notification).where(Notification.id == notification_id, Notification.account_id == account_id)
            )
        ).scalar_one_or_none()
        if notification is None:
            await self.db.rollback()
            raise UserError(_("This notification does not exist."), 404)
        if notification.read_at is None:
            notification.read_at = now
        target = safe_next(str(notification.payload.get("url", "")), "/notifications")
        await self.db.commit()
        return target

    async def mark_all_read(self, account_id: int, now: datetime) -> int:
        """Mark every unread notification of the account read; return how many there were."""
        await begin_write(self.db)
        result = await self.db.execute(
            update(Notification)
            .where(Notification.account_id == account_id, Notification.read_at.is_(None))
            .values(read_at=now)
        )
        await self.db.commit()
        return result.rowcount or 0

    async def preferences(self, account_id: int) -> Preferences:
        """The account's e-mail address and SMS choice (SMS is on until switched off)."""
        preference = await self.db.get(NotificationPreference, account_id)
        phone = (
            await self.db.execute(
                select(Person.phone).join(Account, Account.person_id == Person.id).where(Account.id == account_id)
            )
        ).scalar_one_or_none()
        return Preferences(
            email=(preference.email or "") if preference else "",
            sms_enabled=preference.sms_enabled if preference else True,
            has_phone=bool(phone),
        )

    async def save_preferences(self, account_id: int, email: str, sms_enabled: bool, now: datetime) -> Preferences:
        """Store the account's e-mail address (blank: no e-mail) and SMS choice."""
        email = email.strip()
        if email and (len(email) > MAX_EMAIL_LENGTH or not EMAIL_PATTERN.fullmatch(email)):
            raise UserError(_("Please enter a valid e-mail address, or leave it blank."), 422)
        await begin_write(self.db)
        preference = await self.db.get(NotificationPreference, account_id)
        if preference is None:
            preference = NotificationPreference(account_id=account_id, updated_at=now)
            self.db.add(preference)
        preference.email = email or None
        preference.sms_enabled = sms_enabled
        preference.updated_at = now
        await self.db.commit()
        return await self.preferences(account_id)
