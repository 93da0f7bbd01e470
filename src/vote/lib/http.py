"""Small HTTP helpers: safe redirect targets, client address, htmx request headers (htmx 4)."""

from __future__ import annotations

from http.cookies import SimpleCookie

from litestar import Request
from litestar.types import Scope


MAX_ID = 2**31 - 1  # database ids are 32-bit on PostgreSQL


def parse_id(text: str) -> int | None:
    """A database id typed in a form or query (ASCII digits, 1 .. 2^31-1), else None."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


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
