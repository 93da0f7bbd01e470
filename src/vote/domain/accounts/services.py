"""Login with password (Argon2id) + TOTP or a recovery code; lockout; per-IP limit; logout."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vote.db.engine import begin_write
from vote.db.models import Account, RecoveryCode
from vote.domain.accounts import sessions, totp
from vote.domain.audit.services import record
from vote.lib.crypto import SecretBox
from vote.lib.security import hash_password, verify_password

LOCK_AFTER_FAILURES = 5
MAX_LOCK = timedelta(hours=1)
RECOVERY_CODE_COUNT = 10


class LoginOutcome(Enum):
    """Why a login attempt ended as it did (the user sees one message for every failure)."""

    OK = "ok"
    INVALID = "invalid"
    LOCKED = "locked"
    RATE_LIMITED = "rate_limited"


@dataclass(frozen=True)
class LoginResult:
    """The outcome, and the new session token when it succeeded."""

    outcome: LoginOutcome
    token: str | None = None
    account_id: int | None = None


class IpLimiter:
    """Sliding-window limit on failed logins per client address (per process)."""

    def __init__(self, limit: int = 30, window_seconds: float = 600.0) -> None:
        self.limit = limit
        self.window = window_seconds
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def blocked(self, ip: str) -> bool:
        """True when the address has used up its failures for the window."""
        failures = self._failures[ip]
        cutoff = time.monotonic() - self.window
        while failures and failures[0] < cutoff:
            failures.popleft()
        return len(failures) >= self.limit

    def fail(self, ip: str) -> None:
        """Count one failed attempt."""
        self._failures[ip].append(time.monotonic())


def lock_duration(failures: int) -> timedelta:
    """Backoff: 1 min after the 5th failure, doubling with each further failure, at most 1 h."""
    if failures < LOCK_AFTER_FAILURES:
        return timedelta(0)
    return min(timedelta(minutes=2 ** (failures - LOCK_AFTER_FAILURES)), MAX_LOCK)


def recovery_digest(code: str) -> str:
    """Recovery codes are high-entropy, so a plain SHA-256 is enough to store them."""
    return hashlib.sha256(code.strip().lower().replace("-", "").replace(" ", "").encode()).hexdigest()


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """Fresh human-friendly codes like ``k7dq-2mxp-9c4t``."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return ["-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3)) for _ in range(count)]


class AccountService:
    """Everything about proving who you are."""

    def __init__(self, db: AsyncSession, box: SecretBox, limiter: IpLimiter) -> None:
        self.db = db
        self.box = box
        self.limiter = limiter

    async def login(
        self, login: str, password: str, code: str, ip: str, now: datetime, old_token: str | None
    ) -> LoginResult:
        """Check password and second factor; on success rotate the session and reset failures."""
        if self.limiter.blocked(ip):
            return LoginResult(LoginOutcome.RATE_LIMITED)
        account = (
            await self.db.execute(select(Account).where(Account.login == login.strip().lower()))
        ).scalar_one_or_none()
        stored_hash = account.password_hash if account else None
        account_id = account.id if account else None
        # End the read transaction before hashing: the write lock is never held across Argon2.
        await self.db.rollback()
        password_ok, new_hash = await verify_password(stored_hash, password)
        if account_id is None:
            self.limiter.fail(ip)
            return LoginResult(LoginOutcome.INVALID)
        await begin_write(self.db)
        account = (
            await self.db.execute(select(Account).where(Account.id == account_id))
        ).scalar_one()
        if not account.is_active:
            self.limiter.fail(ip)
            await self.db.rollback()
            return LoginResult(LoginOutcome.INVALID)
        if account.locked_until is not None and account.locked_until > now:
            self.limiter.fail(ip)
            await self.db.rollback()
            return LoginResult(LoginOutcome.LOCKED, account_id=account_id)
        second_ok = password_ok and await self._second_factor(account, code, now)
        if not second_ok:
            return await self._fail(account, ip, now)
        values: dict[str, object] = {"failed_logins": 0, "locked_until": None}
        if new_hash:
            values["password_hash"] = new_hash
        await self.db.execute(update(Account).where(Account.id == account.id).values(**values))
        token = await sessions.create_session(self.db, account.id, now, old_token)
        await record(self.db, at=now, action="login", actor_account_id=account.id, object_type="account",
                     object_id=account.id)
        await self.db.commit()
        return LoginResult(LoginOutcome.OK, token=token, account_id=account.id)

    async def _second_factor(self, account: Account, code: str, now: datetime) -> bool:
        code = code.strip()
        if len(code.replace(" ", "")) == 6 and code.replace(" ", "").isdigit():
            secret = self.box.open(account.totp_secret) if account.totp_secret else None
            step = totp.matching_step(secret, code, now) if secret else None
            return step is not None and await totp.claim_step(self.db, account.id, step)
        if not code:
            return False
        result = await self.db.execute(
            update(RecoveryCode)
            .where(RecoveryCode.account_id == account.id)
            .where(RecoveryCode.code_hash == recovery_digest(code))
            .where(RecoveryCode.used_at.is_(None))
            .values(used_at=now)
        )
        return result.rowcount == 1

    async def _fail(self, account: Account, ip: str, now: datetime) -> LoginResult:
        self.limiter.fail(ip)
        failures = account.failed_logins + 1
        lock = lock_duration(failures)
        await self.db.execute(
            update(Account)
            .where(Account.id == account.id)
            .values(failed_logins=Account.failed_logins + 1, locked_until=now + lock if lock else None)
        )
        await record(self.db, at=now, action="login_failed", actor_account_id=None, object_type="account",
                     object_id=account.id, detail={"failures": failures})
        if lock:
            await record(self.db, at=now, action="account_locked", object_type="account", object_id=account.id,
                         detail={"minutes": int(lock.total_seconds() // 60)})
        await self.db.commit()
        return LoginResult(LoginOutcome.LOCKED if lock else LoginOutcome.INVALID, account_id=account.id)

    async def logout(self, token: str | None, account_id: int | None, now: datetime) -> None:
        """End the session server-side."""
        await begin_write(self.db)
        await sessions.end_session(self.db, token)
        if account_id is not None:
            await record(self.db, at=now, action="logout", actor_account_id=account_id, object_type="account",
                         object_id=account_id)
        await self.db.commit()

    async def set_credentials(
        self, account: Account, password: str, totp_secret: str, *, password_hash: str | None = None
    ) -> list[str]:
        """Set password and TOTP seed, replace recovery codes; return the new codes (shown once).

        ``password_hash`` is the Argon2id hash of ``password`` when the caller computed it already,
        before opening its write transaction (hashing takes ~0.1 s and must not hold the write lock).
        """
        account.password_hash = password_hash or await hash_password(password)
        account.totp_secret = self.box.seal(totp_secret)
        account.totp_last_step = None
        codes = new_recovery_codes()
        await self.db.execute(
            update(RecoveryCode).where(RecoveryCode.account_id == account.id).where(RecoveryCode.used_at.is_(None))
            .values(used_at=account.created_at)
        )
        self.db.add_all(RecoveryCode(account_id=account.id, code_hash=recovery_digest(c)) for c in codes)
        return codes
