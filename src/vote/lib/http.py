"""Small HTTP helpers: safe redirect targets, client address, htmx request headers (htmx 4)."""

from __future__ import annotations

from http.cookies import SimpleCookie

from litestar import Request
from litestar.types import Scope


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site absolute paths are followed after login or a language switch."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def client_ip(request: Request) -> str:
    """The peer address (a reverse proxy in front must be configured to pass the real one)."""
    return request.client.host if request.client else "unknown"


def is_htmx(request: Request) -> bool:
    """True for requests made by htmx."""
    return request.headers.get("hx-request") == "true"


def read_cookie(scope: Scope, name: str) -> str | None:
    """One cookie's value from the raw ASGI headers."""
    for header, value in scope.get("headers", []):
        if header == b"cookie":
            jar = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed cookie header is treated as absent
                return None
            if name in jar:
                return jar[name].value
    return None
