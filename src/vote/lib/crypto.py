"""Symmetric encryption of secrets at rest (TOTP seeds), keyed from the app secret."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken


class SecretBox:
    """Fernet encryption under a key derived from the app secret and a purpose label."""

    def __init__(self, secret_key: str, purpose: str) -> None:
        digest = hashlib.sha256(f"{purpose}\x00{secret_key}".encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def seal(self, plaintext: str) -> str:
        """Encrypt ``plaintext`` to an ASCII token."""
        return self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, token: str) -> str | None:
        """Decrypt, or ``None`` when the token was not sealed under this key."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            return None
