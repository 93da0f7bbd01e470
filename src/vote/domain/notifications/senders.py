"""Delivery channels behind small interfaces: e-mail over SMTP, SMS through a pluggable sender.

The default SMS sender writes the message to the log with the phone number masked; a deployment
with an SMS gateway provides its own ``SmsSender``. E-mail is sent only when SMTP is configured.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import anyio.to_thread

from vote.config import Settings
from vote.lib.masking import mask_phone

logger = logging.getLogger("vote.notifications")
SMTP_TIMEOUT_SECONDS = 20


class EmailSender(Protocol):
    """Sends one plain-text e-mail; raises on failure."""

    async def send(self, to: str, subject: str, body: str) -> None:
        """Deliver the message to ``to``."""


class SmsSender(Protocol):
    """Sends one text message; raises on failure."""

    async def send(self, phone: str, text: str) -> None:
        """Deliver ``text`` to ``phone``."""


class LogSmsSender:
    """The default SMS sender: writes the message to the log, with the phone number masked."""

    async def send(self, phone: str, text: str) -> None:
        """Log the message instead of sending it."""
        logger.info("sms to %s: %s", mask_phone(phone), text)


class SmtpEmailSender:
    """Plain-text e-mail through an SMTP server (STARTTLS when the server offers it)."""

    def __init__(self, host: str, port: int, user: str | None, password: str | None, sender: str) -> None:
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.sender = sender

    def _send_blocking(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(message)

    async def send(self, to: str, subject: str, body: str) -> None:
        """Send off the event loop (smtplib blocks)."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        await anyio.to_thread.run_sync(self._send_blocking, message)


@dataclass(frozen=True)
class Senders:
    """The channels a deployment delivers through; ``email`` is None when SMTP is not configured."""

    sms: SmsSender
    email: EmailSender | None = None


def smtp_sender(
    host: str | None, port: int, user: str | None, password: str | None, sender: str | None
) -> SmtpEmailSender | None:
    """An SMTP sender for explicit parameters, or None when host or sender address is missing."""
    if not host or not sender:
        return None
    return SmtpEmailSender(host, port, user, password, sender)


def senders_for(settings: Settings) -> Senders:
    """The deployment's senders: SMTP from the ``VOTE_SMTP_*`` settings when set, SMS to the log."""
    email = smtp_sender(
        settings.smtp_host or None,
        settings.smtp_port,
        settings.smtp_user or None,
        settings.smtp_password or None,
        settings.smtp_from or None,
    )
    return Senders(sms=LogSmsSender(), email=email)
