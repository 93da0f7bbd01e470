"""Every user-facing message has a Chinese translation; English is the message id itself."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from vote.lib import i18n

ROOT = Path(__file__).resolve().parents[2]
METHOD_MAP = [("src/**.py", "python"), ("templates/**.html", "jinja2")]


def extracted_messages() -> dict[str, str]:
    """msgid -> where it was found, for every message in code and templates."""
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(str(ROOT), METHOD_MAP):
        if filename.startswith(("src/vote/devtools", "tests")):
            continue
        msgid = message if isinstance(message, str) else message[0]
        found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def test_every_message_is_translated_to_chinese() -> None:
    messages = extracted_messages()
    assert len(messages) > 20, "extraction found suspiciously few messages"
    catalog = i18n.catalog("zh_CN")
    missing = {msgid: where for msgid, where in messages.items() if msgid not in catalog}
    assert not missing, "untranslated (add them to src/vote/locale/zh_CN/LC_MESSAGES/*.po):\n" + "\n".join(
        f"  {where}: {msgid!r}" for msgid, where in sorted(missing.items(), key=lambda kv: kv[1])
    )


def test_gettext_follows_the_current_language() -> None:
    token = i18n.current_language.set("zh_CN")
    try:
        assert i18n.gettext("Log in") == "登录"
        i18n.current_language.set("en")
        assert i18n.gettext("Log in") == "Log in"
    finally:
        i18n.current_language.reset(token)


def test_a_message_in_several_area_catalogs_has_one_translation() -> None:
    """Area catalogs are merged: a message translated twice differently would depend on merge order."""
    translations: dict[str, dict[str, str]] = {}
    for po in sorted((ROOT / "src/vote/locale/zh_CN/LC_MESSAGES").glob("*.po")):
        with po.open("rb") as handle:
            for message in read_po(handle):
                if message.id:
                    msgid = message.id if isinstance(message.id, str) else message.id[0]
                    translations.setdefault(msgid, {})[po.name] = str(message.string)
    conflicting = {msgid: found for msgid, found in translations.items() if len(set(found.values())) > 1}
    assert not conflicting, f"translated differently in different catalogs: {conflicting}"
