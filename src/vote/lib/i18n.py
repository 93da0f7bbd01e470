"""Translations: English message ids, a zh_CN catalog, the request's language in a context variable.

Chinese is the default language of the product; English is the message id itself. Catalogs are read
from the ``.po`` files at start-up (no compiled ``.mo`` files to keep in sync).
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

from litestar.types import ASGIApp, Receive, Scope, Send

from vote.config import LANGUAGES
from vote.lib.http import read_cookie

LANGUAGE_COOKIE = "vote_lang"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}

current_language: ContextVar[str] = ContextVar("current_language", default="zh_CN")


@lru_cache(maxsize=None)
def catalog(language: str) -> dict[str, str | tuple[str, ...]]:
    """The translated, non-fuzzy messages of ``language`` (empty for the source language, English).

    Every ``*.po`` file in the language's folder is read, so each area of the product can keep its
    own file (``messages.po``, ``roster.po``, ...).
    """
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    messages: dict[str, str | tuple[str, ...]] = {}
    if language == "en" or not folder.is_dir():
        return messages
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as handle:
            po = read_po(handle, locale=language)
        for message in po:
            if not message.id or message.fuzzy or not message.string:
                continue
            key = message.id if isinstance(message.id, str) else message.id[0]
            messages[key] = message.string if isinstance(message.string, str) else tuple(message.string)
    return messages


def gettext(message: str) -> str:
    """Translate ``message`` into the current language."""
    translated = catalog(current_language.get()).get(message)
    return translated if isinstance(translated, str) and translated else message


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message with a plural form (Chinese has one form)."""
    translated = catalog(current_language.get()).get(singular)
    if isinstance(translated, tuple) and translated:
        return translated[0]
    return singular if n == 1 else plural


_ = gettext


def negotiate(cookie_value: str | None, default: str) -> str:
    """Pick the request's language: an explicit choice in the cookie, else the deployment default."""
    if cookie_value in LANGUAGES:
        return cookie_value
    return default


def language_middleware(app: ASGIApp) -> ASGIApp:
    """Set the request's language from the cookie (default: the deployment's default, zh_CN)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            default = scope["litestar_app"].state.settings.default_language
            current_language.set(negotiate(read_cookie(scope, LANGUAGE_COOKIE), default))
        await app(scope, receive, send)

    return middleware
