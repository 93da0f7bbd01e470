"""Dependency providers for the accounts domain."""

from __future__ import annotations

from litestar.di import NamedDependency

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from vote.domain.accounts.services import AccountService
from vote.domain.accounts.sessions import AuthContext


def provide_auth(request: Request) -> AuthContext | None:
    """The current AuthContext (None when anonymous)."""
    return request.scope.get("state", {}).get("auth")


def provide_account_service(request: Request, db_session: NamedDependency[AsyncSession]) -> AccountService:
    """An AccountService bound to this request's database session."""
    state = request.app.state
    return AccountService(db_session, state.totp_box, state.login_limiter)
