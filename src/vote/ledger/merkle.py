"""The Merkle tree of a ballot ledger: RFC 6962 §2.1 / RFC 9162 §2.1 with SHA-256 (docs/ledger.md).

Leaves and nodes are hashed with distinct prefixes, so a leaf can never pass for a node:
``leaf_hash(d) = SHA-256(0x00 || d)`` and ``node_hash(l, r) = SHA-256(0x01 || l || r)``. The tree of
``n`` leaves splits at ``k``, the largest power of two below ``n`` (left subtree complete, right the
rest), so appending leaves never changes an earlier subtree: that is what a consistency proof shows.

Every function below except ``leaf_hash`` works on LEAF HASHES (32 bytes each), never on leaf data:
``root(leaves)``, ``inclusion_proof(index, leaves)`` and ``verify_inclusion(..., leaf, ...)`` take
``leaf_hash(leaf_bytes(...))`` values. Building a root or a proof hashes each node at most once (O(n)).

    >>> leaves = [leaf_hash(bytes([i])) for i in range(5)]
    >>> verify_inclusion(3, 5, leaves[3], inclusion_proof(3, leaves), root(leaves))
    True
    >>> verify_consistency(2, 5, root(leaves[:2]), root(leaves), consistency_proof(2, leaves))
    True
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

__all__ = [
    "EMPTY_ROOT", "HASH_SIZE", "Tree", "consistency_proof", "inclusion_proof", "leaf_hash", "node_hash", "root",
    "verify_consistency", "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()  # MTH({}) = SHA-256 of the empty string


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 || data)``: the hash of one leaf's data."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``: the hash of an inner node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (``n`` ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _mth(leaves: Sequence[bytes], lo: int, hi: int) -> bytes:
    """MTH of ``leaves[lo:hi]`` (non-empty), level by level: each pair is hashed, an odd last node
    moves up unchanged. This gives the RFC's left-complete tree, with ``hi - lo - 1`` node hashes."""
    level = list(leaves[lo:hi])
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def root(leaves: Sequence[bytes]) -> bytes:
    """The Merkle tree hash (MTH) of a list of leaf hashes; the empty tree's is ``SHA-256("")``."""
    if not leaves:
        return EMPTY_ROOT
    return _mth(leaves, 0, len(leaves))


def _path(index: int, n: int, mth: Callable[[int, int], bytes]) -> list[bytes]:
    """PATH(index, D[0:n]) with ``mth(lo, hi)`` giving MTH(D[lo:hi])."""
    if not 0 <= index < n:
        raise ValueError(f"leaf index {index} is not in a tree of {n} leaves")
    path: list[bytes] = []
    lo, hi = 0, n
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            path.append(mth(lo + k, hi))
            hi = lo + k
        else:
            path.append(mth(lo, lo + k))
            lo = lo + k
    path.reverse()  # the recursion produces the top sibling first; the path lists the leaf's first
    return path


def _proof(old_size: int, n: int, mth: Callable[[int, int], bytes]) -> list[bytes]:
    """PROOF(old_size, D[0:n]) with ``mth(lo, hi)`` giving MTH(D[lo:hi])."""
    if not 0 <= old_size <= n:
        raise ValueError(f"old size {old_size} is not within a tree of {n} leaves")
    if old_size in (0, n):
        return []
    proof: list[bytes] = []
    m, lo, hi, complete = old_size, 0, n, True  # SUBPROOF(m, D[lo:hi], complete)
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            proof.append(mth(lo + k, hi))
            hi = lo + k
        else:
            proof.append(mth(lo, lo + k))
            m, lo, complete = m - k, lo + k, False
    if not complete:
        proof.append(mth(lo, hi))
    proof.reverse()  # SUBPROOF appends each sibling after the deeper part of the proof
    return proof


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """The audit path PATH(index, leaves) of RFC 6962 §2.1.1, from the leaf's sibling up to the root.

    Each step hashes only the half that does not hold the leaf, whose size halves: O(n) in all.
    Raises ``ValueError`` when ``index`` is not a position of the tree.
    """
    return _path(index, len(leaves), lambda lo, hi: _mth(leaves, lo, hi))


def consistency_proof(old_size: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(old_size, leaves) of RFC 6962 §2.1.2: shows that the first ``old_size`` leaves are a prefix.

    ``leaves`` are the NEW tree's leaf hashes. Empty for ``old_size`` 0 or ``len(leaves)`` (nothing to
    prove). Raises ``ValueError`` when ``old_size`` is negative or beyond the new tree.
    """
    return _proof(old_size, len(leaves), lambda lo, hi: _mth(leaves, lo, hi))


class Tree:
    """A log's leaf hashes with every complete subtree hashed once (O(n)), for many roots and proofs.

    Afterwards the root of any prefix, and any inclusion or consistency proof within any prefix, costs
    O(log² n) hashes: what a server answering many receipts, or ``vote verify`` checking a hundred
    checkpoints against one leaf list, needs. Results equal the module functions on ``leaves[:size]``.
    """

    def __init__(self, leaves: Sequence[bytes]) -> None:
        level = list(leaves)
        self.size = len(level)
        self.leaves: tuple[bytes, ...] = tuple(level)
        self._levels = [level]  # _levels[h][i]: the complete subtree of 2**h leaves starting at i * 2**h
        while len(level) > 1:
            level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            self._levels.append(level)

    def _range(self, lo: int, hi: int) -> bytes:
        """MTH(D[lo:hi]) for a range the RFC recursion visits (``lo`` a multiple of a power of two at
        least ``hi - lo``): its complete subtrees, largest first, folded from the right."""
        chunks: list[bytes] = []
        position, remaining = lo, hi - lo
        while remaining:
            height = remaining.bit_length() - 1
            chunks.append(self._levels[height][position >> height])
            position += 1 << height
            remaining -= 1 << height
        result = chunks.pop()
        while chunks:
            result = node_hash(chunks.pop(), result)
        return result

    def _size(self, size: int | None) -> int:
        if size is None:
            return self.size
        if not 0 <= size <= self.size:
            raise ValueError(f"size {size} is not within a tree of {self.size} leaves")
        return size

    def root(self, size: int | None = None) -> bytes:
        """The root of the first ``size`` leaves (all by default)."""
        size = self._size(size)
        return self._range(0, size) if size else EMPTY_ROOT

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """``inclusion_proof(index, leaves[:size])``."""
        return _path(index, self._size(size), self._range)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """``consistency_proof(old_size, leaves[:new_size])``."""
        return _proof(old_size, self._size(new_size), self._range)


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes | bytearray) and len(value) == HASH_SIZE


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """Whether ``proof`` shows that the leaf hash ``leaf`` is at ``index`` in the tree of ``size`` with
    ``root`` (RFC 9162 §2.1.3.2). Never raises: anything malformed is simply not a proof."""
    if not (_is_hash(leaf) and _is_hash(root) and all(_is_hash(p) for p in proof)):
        return False
    if not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    r = bytes(leaf)
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(bytes(p), r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, bytes(p))
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes,
                       proof: Sequence[bytes]) -> bool:
    """Whether ``proof`` shows that the tree (``old_size``, ``old_root``) is a prefix of the tree
    (``new_size``, ``new_root``) (RFC 9162 §2.1.4.2). Never raises.

    Equal sizes need an empty proof and equal roots; the empty tree (root ``SHA-256("")``) is a prefix
    of every tree, with an empty proof.
    """
    if not (_is_hash(old_root) and _is_hash(new_root) and all(_is_hash(p) for p in proof)):
        return False
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    path = [bytes(p) for p in proof]
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is a node of the new tree
        path.insert(0, bytes(old_root))
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
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0
