"""Server-side browser sessions: lookup on every request, rotation at login, timeouts, logout.

The cookie holds a random token; the database keeps only its SHA-256. Idle (30 min) and absolute
(12 h) timeouts are enforced here, on the server, whatever the cookie says.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from litestar.datastructures import Cookie
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vote.config import Settings
from vote.db.engine import write_transaction
from vote.db.models import Account, Notification, Role, WebSession
from vote.lib.http import read_cookie
from vote.lib.security import new_token, token_digest

SESSION_COOKIE = "vote_session"
logger = logging.getLogger("vote.sessions")
TOUCH_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True)
class AuthContext:
    """Who is making the request and what they may do where."""

    account_id: int
    login: str
    display_name: str
    is_operator: bool
    session_hash: str
    person_id: int | None = None
    roles: dict[int, frozenset[str]] = field(default_factory=dict)
    unread_notifications: int = 0

    def has_role(self, community_id: int, *roles: str) -> bool:
        """True when the account holds one of ``roles`` in the community."""
        held = self.roles.get(community_id, frozenset())
        return any(role in held for role in roles)


def session_cookie(settings: Settings, value: str, *, expire: bool = False) -> Cookie:
    """The session cookie: HttpOnly, SameSite=Lax, Secure when configured."""
    return Cookie(
        key=SESSION_COOKIE,
        value=value,
        path="/",
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        max_age=0 if expire else None,
    )


async def create_session(db: AsyncSession, account_id: int, now: datetime, old_token: str | None) -> str:
    """Start a new session for the account (a fresh id: rotation) and end the old one, if any."""
    if old_token:
        await db.execute(delete(WebSession).where(WebSession.id_hash == token_digest(old_token)))
    token = new_token()
    db.add(WebSession(id_hash=token_digest(token), account_id=account_id, created_at=now, last_seen_at=now))
    return token


async def end_session(db: AsyncSession, token: str | None) -> None:
    """Invalidate a session server-side (logout)."""
    if token:
        await db.execute(delete(WebSession).where(WebSession.id_hash == token_digest(token)))


async def end_all_sessions(db: AsyncSession, account_id: int) -> None:
    """Invalidate every session of an account (password change, lock by the committee)."""
    await db.execute(delete(WebSession).where(WebSession.account_id == account_id))


# Built once: constructing a statement and its cache key costs about as much as running it.
_UNREAD = (
    select(func.count(Notification.id))
    .where(Notification.account_id == Account.id, Notification.read_at.is_(None))
    .scalar_subquery()
)
_AUTH_QUERY = (
    select(WebSession.created_at, WebSession.last_seen_at, Account.id, Account.login, Account.display_name,
           Account.is_operator, Account.is_active, Account.person_id, _UNREAD, Role.community_id, Role.role)
    .join(Account, Account.id == WebSession.account_id)
    .outerjoin(Role, Role.account_id == Account.id)
    .where(WebSession.id_hash == bindparam("digest"))
)


async def load_auth(db: AsyncSession, token: str, now: datetime, settings: Settings) -> AuthContext | None:
    """Resolve a cookie token to an AuthContext, enforcing the idle and absolute timeouts.

    One statement on every request: the session, its account, the roles (one row each) and the
    unread count. ``last_seen_at`` is written at most once per ``TOUCH_INTERVAL``.
    """
    digest = token_digest(token)
    rows = (await db.execute(_AUTH_QUERY, {"digest": digest})).all()
    if not rows:
        return None
    created_at, last_seen_at, account_id, login, display_name, is_operator, is_active, person_id, unread_count = (
        rows[0][:9]
    )
    idle = timedelta(minutes=settings.session_idle_minutes)
    absolute = timedelta(hours=settings.session_absolute_hours)
    if not is_active or now - last_seen_at > idle or now - created_at > absolute:
        async with write_transaction(db):
            await db.execute(delete(WebSession).where(WebSession.id_hash == digest))
        return None
    if now - last_seen_at > TOUCH_INTERVAL:
        async with write_transaction(db):
            await db.execute(update(WebSession).where(WebSession.id_hash == digest).values(last_seen_at=now))
    roles: dict[int, set[str]] = {}
    for row in rows:
        if row.community_id is not None:
            roles.setdefault(row.community_id, set()).add(row.role)
    return AuthContext(
        unread_notifications=unread_count,
        account_id=account_id,
        login=login,
        display_name=display_name,
        is_operator=is_operator,
        session_hash=digest,
        person_id=person_id,
        roles={cid: frozenset(r) for cid, r in roles.items()},
    )


def session_middleware(app: ASGIApp) -> ASGIApp:
    """Put ``auth`` (AuthContext or None) into ``scope["state"]`` for every HTTP request."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path", "").startswith("/static/"):
            await app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state["auth"] = None
        token = read_cookie(scope, SESSION_COOKIE)
        if token:
            litestar_app = scope["litestar_app"]
            settings: Settings = litestar_app.state.settings
            try:
                async with litestar_app.state.db.sessionmaker() as db:
                    state["auth"] = await load_auth(db, token, litestar_app.state.clock.now(), settings)
            except Exception:  # noqa: BLE001 - a session store failure must not take the page down
                logger.exception("could not load the session; treating the request as anonymous")
        await app(scope, receive, send)

    return middleware
