"""Activation codes and QR codes: pure helpers, no I/O.

A code is 16 characters of Crockford's base32 (0-9 and A-Z without I, L, O, U): 16 × 5 = 80 bits of
entropy, printed as four groups of four. Entry forgives what elderly owners get wrong: case, spaces,
dashes, and the letters O, I and L typed for the digits 0 and 1. Only the SHA-256 of the normalised
code is stored.
"""

from __future__ import annotations

import hashlib
import secrets

import segno

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUPS = 4
GROUP_SIZE = 4
CODE_LENGTH = GROUPS * GROUP_SIZE
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    """A fresh normalised code (16 characters, 80 bits)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str | None:
    """The canonical form of a typed code, or None when it cannot be one."""
    squashed = "".join(text.split()).replace("-", "").upper().translate(_LOOKALIKES)
    if len(squashed) != CODE_LENGTH or any(char not in ALPHABET for char in squashed):
        return None
    return squashed


def code_digest(normalized: str) -> str:
    """What is stored: the SHA-256 of the normalised code (80 bits need no slow hash)."""
    return hashlib.sha256(normalized.encode()).hexdigest()


def format_code(normalized: str) -> str:
    """Four groups of four, dash-separated: ``7KQ2-M9XD-...``."""
    return "-".join(normalized[i : i + GROUP_SIZE] for i in range(0, CODE_LENGTH, GROUP_SIZE))


def qr_data_uri(text: str) -> str:
    """A QR code of ``text`` as an SVG ``data:`` URI (allowed by the CSP; nothing is fetched)."""
    return segno.make(text, error="m").svg_data_uri(scale=4, border=2, dark="#000", light="#fff")
