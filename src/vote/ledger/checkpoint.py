"""Signed checkpoints (tree heads): origin, size, root and time, signed with Ed25519."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

HEADER = "vote-ledger/v1"


class CheckpointError(ValueError):
    """A checkpoint dict that is not well formed; the message names the field."""


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: the log's origin, its size, its root and when it was signed (UTC, whole seconds)."""

    origin: str
    size: int
    root: bytes
    timestamp: datetime


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def checkpoint_body(cp: Checkpoint) -> bytes:
    """The signed text: header, origin, size, root (base64) and time, one per line."""
    root = base64.b64encode(cp.root).decode()
    return f"{HEADER}\n{cp.origin}\n{cp.size}\n{root}\n{_iso(cp.timestamp)}\n".encode()


def sign(private_key: Ed25519PrivateKey, cp: Checkpoint) -> bytes:
    """The Ed25519 signature of the checkpoint's body."""
    return private_key.sign(checkpoint_body(cp))


def verify(public_key: bytes, cp: Checkpoint, signature: bytes) -> bool:
    """True when ``signature`` is the key's signature of the checkpoint."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, checkpoint_body(cp))
    except (InvalidSignature, ValueError):
        return False
    return True


def key_id(public_key: bytes) -> str:
    """Hex of the first 8 bytes of SHA-256 of the raw public key."""
    return hashlib.sha256(public_key).digest()[:8].hex()


def checkpoint_to_dict(cp: Checkpoint, signature: bytes, public_key: bytes) -> dict[str, Any]:
    """The checkpoint as published."""
    return {"origin": cp.origin, "size": cp.size, "root": cp.root.hex(), "timestamp": _iso(cp.timestamp),
            "key_id": key_id(public_key), "signature": base64.b64encode(signature).decode()}


def checkpoint_from_dict(data: Any) -> tuple[Checkpoint, bytes, str]:
    """A published checkpoint back: (checkpoint, signature, key id), checking every field."""
    if not isinstance(data, dict):
        raise CheckpointError("checkpoint: expected an object")
    origin = data.get("origin")
    if not isinstance(origin, str) or not origin or "\n" in origin:
        raise CheckpointError("origin: expected a one-line string")
    size = data.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise CheckpointError("size: expected a non-negative integer")
    try:
        root = bytes.fromhex(data.get("root") or "")
    except (TypeError, ValueError):
        raise CheckpointError("root: expected 64 hex characters") from None
    if len(root) != 32:
        raise CheckpointError("root: expected 64 hex characters")
    stamp = data.get("timestamp")
    try:
        if not isinstance(stamp, str) or not stamp.endswith("Z"):
            raise ValueError
        timestamp = datetime.fromisoformat(stamp[:-1]).replace(tzinfo=UTC)
    except ValueError:
        raise CheckpointError("timestamp: expected ISO 8601 UTC ending in Z") from None
    kid = data.get("key_id")
    if not isinstance(kid, str) or len(kid) != 16:
        raise CheckpointError("key_id: expected 16 hex characters")
    try:
        signature = base64.b64decode(data.get("signature") or "", validate=True)
    except (TypeError, binascii.Error):
        raise CheckpointError("signature: expected base64") from None
    if len(signature) != 64:
        raise CheckpointError("signature: expected 64 bytes in base64")
    return Checkpoint(origin=origin, size=size, root=root, timestamp=timestamp), signature, kid
