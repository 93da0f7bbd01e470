"""Route guards and object-level permission checks."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler

from vote.domain.accounts.sessions import AuthContext


def current_auth(connection: ASGIConnection) -> AuthContext | None:
    """The request's AuthContext, or None for an anonymous visitor."""
    return connection.scope.get("state", {}).get("auth")


def requires_login(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Guard: anonymous visitors are sent to the login page."""
    if current_auth(connection) is None:
        raise NotAuthorizedException()


def requires_operator(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Guard: platform operators only."""
    auth = current_auth(connection)
    if auth is None:
        raise NotAuthorizedException()
    if not auth.is_operator:
        raise PermissionDeniedException()


def require_role(auth: AuthContext | None, community_id: int, *roles: str) -> AuthContext:
    """Object-level check: the account holds one of ``roles`` in this community (operators do not)."""
    if auth is None:
        raise NotAuthorizedException()
    if not auth.has_role(community_id, *roles):
        raise PermissionDeniedException()
    return auth
