"""TOTP (RFC 6238) with replay protection: a step, once used, can never log in again."""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp
from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from vote.db.models import Account

STEP_SECONDS = 30


def new_secret() -> str:
    """A fresh base32 TOTP seed."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, login: str, issuer: str = "vote") -> str:
    """The otpauth:// URI an authenticator app scans."""
    return pyotp.TOTP(secret).provisioning_uri(name=login, issuer_name=issuer)


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (current or previous) whose code equals ``code``, else None."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in (current, current - 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


async def claim_step(db: AsyncSession, account_id: int, step: int) -> bool:
    """Atomically record ``step`` as used; False if it (or a later step) was used already.

    A single conditional UPDATE decides, so two concurrent logins with the same code cannot both win.
    """
    result = await db.execute(
        update(Account)
        .where(Account.id == account_id)
        .where(or_(Account.totp_last_step.is_(None), Account.totp_last_step < step))
        .values(totp_last_step=step)
    )
    return result.rowcount == 1


def code_at(secret: str, step: int) -> str:
    """The code for a given time step (used by the demo page and by tests)."""
    return pyotp.TOTP(secret).at(step * STEP_SECONDS)
