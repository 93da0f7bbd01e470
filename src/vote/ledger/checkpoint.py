"""Signed checkpoints: a log's size, root and time, signed with the deployment's Ed25519 key (docs/ledger.md).

The signature covers the checkpoint body, a few lines of text that anybody can rebuild from the
published checkpoint dict::

    vote-ledger/v1
    vote/garden/12
    42
    3q2+7w...base64 of the 32-byte root...=
    2026-12-02T09:00:00Z

A ballot log's origin is ``vote/<community slug>/<meeting id>``; the audit log's is
``vote/<community slug>/audit`` (or ``vote/audit`` for the deployment-wide log).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = ["BODY_HEADER", "Checkpoint", "CheckpointError", "checkpoint_body", "checkpoint_from_dict",
           "checkpoint_to_dict", "format_timestamp", "key_id", "parse_timestamp", "public_key_bytes", "sign",
           "verify"]

BODY_HEADER = "vote-ledger/v1"
_ORIGIN = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no space: one line of the body
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_HEX = re.compile(r"(?:[0-9a-f]{2})+")
_KEYS = ("origin", "size", "root", "timestamp", "key_id", "signature")


class CheckpointError(ValueError):
    """An invalid checkpoint; ``field`` names the offending key."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Checkpoint:
    """A log head. ``timestamp`` is stored in UTC to the whole second (a naive value is taken as UTC;
    microseconds are dropped), so the body rebuilt from the published dict is the body that was signed."""

    origin: str
    size: int
    root: bytes
    timestamp: datetime

    def __post_init__(self) -> None:
        if not isinstance(self.origin, str) or not _ORIGIN.fullmatch(self.origin):
            raise CheckpointError("origin", "must be printable ASCII without spaces, e.g. vote/garden/12")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0:
            raise CheckpointError("size", "must be a non-negative integer")
        if not isinstance(self.root, bytes) or len(self.root) != 32:
            raise CheckpointError("root", "must be 32 bytes (a SHA-256)")
        if not isinstance(self.timestamp, datetime):
            raise CheckpointError("timestamp", "must be a datetime")
        moment = self.timestamp if self.timestamp.tzinfo else self.timestamp.replace(tzinfo=UTC)
        object.__setattr__(self, "timestamp", moment.astimezone(UTC).replace(microsecond=0))


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC to the second, ending in ``Z``: ``2026-12-02T09:00:00Z``."""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: object, field: str = "timestamp") -> datetime:
    """The inverse of ``format_timestamp``; anything else is a ``CheckpointError``."""
    if not isinstance(text, str) or not _TIMESTAMP.fullmatch(text):
        raise CheckpointError(field, "must be a UTC time like 2026-12-02T09:00:00Z")
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise CheckpointError(field, f"not a valid date and time: {text}") from None


def checkpoint_body(cp: Checkpoint) -> bytes:
    """The signed bytes: header, origin, size, base64 root, timestamp, each line ending in ``\\n``."""
    root = base64.b64encode(cp.root).decode("ascii")
    return f"{BODY_HEADER}\n{cp.origin}\n{cp.size}\n{root}\n{format_timestamp(cp.timestamp)}\n".encode("ascii")


def public_key_bytes(private_key: Ed25519PrivateKey) -> bytes:
    """The 32 raw bytes of the public key of ``private_key``."""
    return private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def sign(private_key: Ed25519PrivateKey, cp: Checkpoint) -> bytes:
    """The 64-byte Ed25519 signature of the checkpoint's body."""
    return private_key.sign(checkpoint_body(cp))


def verify(public_key: bytes, cp: Checkpoint, signature: bytes) -> bool:
    """Whether ``signature`` is the signature of ``cp``'s body by the raw 32-byte ``public_key``."""
    if not isinstance(public_key, bytes) or len(public_key) != 32 or not isinstance(signature, bytes):
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, checkpoint_body(cp))
    except (InvalidSignature, ValueError):
        return False
    return True


def key_id(public_key: bytes) -> str:
    """A short name of a public key: hex of the first 8 bytes of its SHA-256."""
    return hashlib.sha256(public_key).digest()[:8].hex()


def checkpoint_to_dict(cp: Checkpoint, signature: bytes, public_key: bytes) -> dict[str, Any]:
    """The published form: root in hex, signature in base64, the signing key's ``key_id``."""
    return {"origin": cp.origin, "size": cp.size, "root": cp.root.hex(), "timestamp": format_timestamp(cp.timestamp),
            "key_id": key_id(public_key), "signature": base64.b64encode(signature).decode("ascii")}


def checkpoint_from_dict(data: object) -> tuple[Checkpoint, bytes, str]:
    """``(checkpoint, signature, key_id)`` from the published form; ``CheckpointError`` names the field.

    Checks the shape only; whether the signature holds is ``verify``'s business.
    """
    if not isinstance(data, Mapping):
        raise CheckpointError("checkpoint", "must be a JSON object")
    for key in data:
        if key not in _KEYS:
            raise CheckpointError(str(key), "unknown key")
    for key in _KEYS:
        if key not in data:
            raise CheckpointError(key, "missing")
    root = data["root"]
    if not isinstance(root, str) or len(root) != 64 or not _HEX.fullmatch(root):
        raise CheckpointError("root", "must be 64 lower-case hexadecimal digits")
    identifier = data["key_id"]
    if not isinstance(identifier, str) or len(identifier) != 16 or not _HEX.fullmatch(identifier):
        raise CheckpointError("key_id", "must be 16 lower-case hexadecimal digits")
    encoded = data["signature"]
    try:
        signature = base64.b64decode(encoded, validate=True) if isinstance(encoded, str) else b""
    except (binascii.Error, ValueError):
        signature = b""
    if len(signature) != 64:
        raise CheckpointError("signature", "must be the base64 of a 64-byte Ed25519 signature")
    checkpoint = Checkpoint(origin=data["origin"], size=data["size"], root=bytes.fromhex(root),
                            timestamp=parse_timestamp(data["timestamp"]))
    return checkpoint, signature, identifier
