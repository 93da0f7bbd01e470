"""The ballot ledger: an append-only Merkle log per meeting with signed checkpoints (docs/ledger.md).

The modules imported here are pure Python (no database, no web): ``merkle`` (RFC 6962 / RFC 9162
trees and proofs), ``leaf`` (what a ballot's leaf commits to, its canonical bytes) and ``checkpoint``
(signed tree heads, Ed25519). ``vote verify`` (``verify_cli``) checks a meeting's downloads with them,
offline.
"""

from vote.ledger.checkpoint import (
    Checkpoint,
    CheckpointError,
    checkpoint_body,
    checkpoint_from_dict,
    checkpoint_to_dict,
    key_id,
    public_key_bytes,
    sign,
    verify,
)
from vote.ledger.leaf import Leaf, LeafError, leaf_bytes, leaf_from_dict, leaf_to_dict
from vote.ledger.merkle import (
    EMPTY_ROOT,
    Tree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
    "EMPTY_ROOT", "Checkpoint", "CheckpointError", "Leaf", "LeafError", "Tree", "checkpoint_body", "checkpoint_from_dict",
    "checkpoint_to_dict", "consistency_proof", "inclusion_proof", "key_id", "leaf_bytes", "leaf_from_dict",
    "leaf_hash", "leaf_to_dict", "node_hash", "public_key_bytes", "root", "sign", "verify", "verify_consistency",
    "verify_inclusion",
]
