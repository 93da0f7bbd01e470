"""Merkle tree hashing, inclusion and consistency proofs (RFC 6962 / RFC 9162 §2.1, SHA-256).

``root``, ``inclusion_proof`` and ``consistency_proof`` take the LEAF HASHES (``leaf_hash(data)``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n >= 2)."""
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


def _levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """Every level of the tree bottom-up; an odd last node is carried up unchanged (RFC 6962 shape)."""
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        level = levels[-1]
        up = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            up.append(level[-1])
        levels.append(up)
    return levels


def root(leaves: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of the leaf hashes; the empty tree is SHA-256 of nothing."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    return _levels(leaves)[-1][0]


def _subroot(levels: list[list[bytes]], start: int, size: int) -> bytes:
    """The hash of the complete subtree of ``size`` (a power of two) leaves starting at ``start``."""
    level = size.bit_length() - 1
    return levels[level][start >> level]


def _range_root(levels: list[list[bytes]], start: int, end: int) -> bytes:
    """MTH(D[start:end]) from precomputed levels of the whole tree (start aligned as in RFC 6962)."""
    n = end - start
    if n & (n - 1) == 0 and start % n == 0:
        return _subroot(levels, start, n)
    k = _split(n)
    return node_hash(_range_root(levels, start, start + k), _range_root(levels, start + k, end))


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of ``leaves`` (RFC 6962 PATH)."""
    if not 0 <= index < len(leaves):
        raise ValueError(f"index {index} outside a tree of {len(leaves)} leaves")
    levels = _levels(leaves)
    proof: list[bytes] = []
    start, end = 0, len(leaves)
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            proof.append(_range_root(levels, start + k, end))
            end = start + k
        else:
            proof.append(_range_root(levels, start, start + k))
            start += k
    return list(reversed(proof))


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """True when ``proof`` shows leaf hash ``leaf`` at ``index`` in a tree of ``size`` with ``root`` (RFC 9162 §2.1.3.2)."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def consistency_proof(old_size: int, leaves: Sequence[bytes]) -> list[bytes]:
    """The proof that the tree of the first ``old_size`` leaves is a prefix of the tree of ``leaves`` (RFC 6962 PROOF)."""
    n = len(leaves)
    if not 0 <= old_size <= n:
        raise ValueError(f"old size {old_size} outside 0..{n}")
    if old_size == 0 or old_size == n:
        return []
    levels = _levels(leaves)

    def subproof(m: int, start: int, end: int, complete: bool) -> list[bytes]:
        size = end - start
        if m == size:
            return [] if complete else [_range_root(levels, start, end)]
        k = _split(size)
        if m <= k:
            return subproof(m, start, start + k, complete) + [_range_root(levels, start + k, end)]
        return subproof(m - k, start + k, end, False) + [_range_root(levels, start, start + k)]

    return subproof(old_size, 0, n, True)


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes,
                       proof: Sequence[bytes]) -> bool:
    """True when ``proof`` shows the tree (old_size, old_root) is a prefix of (new_size, new_root) (RFC 9162 §2.1.4.2)."""
    if old_size < 0 or old_size > new_size:
        return False
    if old_size == new_size:
        return old_root == new_root and not proof
    if old_size == 0:
        return not proof
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root
