"""vote.ledger.merkle against the RFC 6962 reference vectors and a naive recursive reference.

The vectors are the 8-leaf reference tree that Certificate Transparency and transparency-dev/merkle
publish: its roots for every size and its known inclusion and consistency proofs.
"""

from __future__ import annotations

import hashlib
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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

LEAF_DATA = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
)]
LEAVES = [leaf_hash(data) for data in LEAF_DATA]
ROOTS = {
    0: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}
# (0-based leaf index, tree size, proof)
INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (0, 1, []),
]
# (old size, new size, proof)
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]


# ---- a straightforward reference: the RFC's recursive definitions, word for word ----

def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return d[0]
    k = _k(len(d))
    return hashlib.sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:])).digest()


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return ref_path(m, d[:k]) + [ref_mth(d[k:])]
    return ref_path(m - k, d[k:]) + [ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [ref_mth(d)]
    k = _k(len(d))
    if m <= k:
        return ref_subproof(m, d[:k], b) + [ref_mth(d[k:])]
    return ref_subproof(m - k, d[k:], False) + [ref_mth(d[:k])]


def ref_proof(m: int, d: list[bytes]) -> list[bytes]:
    return [] if m in (0, len(d)) else ref_subproof(m, d, True)


def _leaves(n: int, salt: int = 0) -> list[bytes]:
    return [leaf_hash(f"{salt}:{i}".encode()) for i in range(n)]


def _flip(value: bytes, bit: int = 0) -> bytes:
    return bytes([value[0] ^ (1 << bit)]) + value[1:]


# ---- the published vectors ----

def test_hash_prefixes_distinguish_leaves_from_nodes() -> None:
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    assert EMPTY_ROOT.hex() == ROOTS[0]


@pytest.mark.parametrize("size", sorted(ROOTS))
def test_reference_roots(size: int) -> None:
    assert root(LEAVES[:size]).hex() == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_reference_inclusion_proofs(index: int, size: int, proof: list[str]) -> None:
    got = inclusion_proof(index, LEAVES[:size])
    assert [p.hex() for p in got] == proof
    assert verify_inclusion(index, size, LEAVES[index], [bytes.fromhex(p) for p in proof], bytes.fromhex(ROOTS[size]))


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_reference_consistency_proofs(old: int, new: int, proof: list[str]) -> None:
    got = consistency_proof(old, LEAVES[:new])
    assert [p.hex() for p in got] == proof
    assert verify_consistency(old, new, bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new]),
                              [bytes.fromhex(p) for p in proof])


@pytest.mark.parametrize(("index", "size", "proof"), [v for v in INCLUSION if v[2]])
def test_corrupted_reference_inclusion_proofs_fail(index: int, size: int, proof: list[str]) -> None:
    """The probes transparency-dev runs against every known-good proof."""
    path = [bytes.fromhex(p) for p in proof]
    good_root, leaf = bytes.fromhex(ROOTS[size]), LEAVES[index]
    some_hash = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")
    probes = [
        (index - 1, size, leaf, path, good_root), (index + 1, size, leaf, path, good_root),
        (index ^ 2, size, leaf, path, good_root), (index, size * 2, leaf, path, good_root),
        (index, size // 2, leaf, path, good_root), (index, size, leaf_hash(b"WrongLeaf"), path, good_root),
        (index, size, leaf, path, EMPTY_ROOT), (index, size, leaf, path, some_hash),
        (index, size, leaf, [*path, b""], good_root), (index, size, leaf, [*path, good_root], good_root),
        (index, size, leaf, [b"", *path], good_root), (index, size, leaf, [good_root, *path], good_root),
        (index, size, leaf, path[:-1], good_root),
    ]
    if len(path) > 1:
        probes.append((index, size, leaf, [path[0], some_hash, *path[1:]], good_root))
    for i in range(len(path)):
        probes.append((index, size, leaf, [*path[:i], _flip(path[i], 3), *path[i + 1:]], good_root))
    for probe in probes:
        assert not verify_inclusion(*probe), probe


@pytest.mark.parametrize(("old", "new", "proof"), [v for v in CONSISTENCY if v[2]])
def test_corrupted_reference_consistency_proofs_fail(old: int, new: int, proof: list[str]) -> None:
    path = [bytes.fromhex(p) for p in proof]
    r1, r2 = bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new])
    wrong = hashlib.sha256(b"WrongRoot").digest()
    probes = [
        (old - 1, new, r1, r2, path), (old + 1, new, r1, r2, path), (old ^ 2, new, r1, r2, path),
        (old, new * 2, r1, r2, path), (old, new // 2, r1, r2, path),
        (old, new, wrong, r2, path), (old, new, r1, wrong, path), (old, new, r2, r1, path), (old, new, r1, r2, []),
        (old, new, r1, r2, [*path, b""]), (old, new, r1, r2, [*path, r1]), (old, new, r1, r2, [*path, r2]),
        (old, new, r1, r2, [b"", *path]), (old, new, r1, r2, [r1, *path]), (old, new, r1, r2, [r2, *path]),
        (old, new, r1, r2, [path[0], *path]), (old, new, r1, r2, path[:-1]),
    ]
    for i in range(len(path)):
        probes.append((old, new, r1, r2, [*path[:i], _flip(path[i], 4), *path[i + 1:]]))
    for probe in probes:
        assert not verify_consistency(*probe), probe


def test_trivial_consistency_cases() -> None:
    some, other = leaf_hash(b"a"), leaf_hash(b"b")
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert verify_consistency(0, 5, EMPTY_ROOT, some, [])
    assert verify_consistency(1, 1, some, some, [])
    assert not verify_consistency(1, 1, some, other, [])  # same size, another root: a rewrite
    assert not verify_consistency(0, 1, some, other, [])  # an empty tree has only the empty root
    assert not verify_consistency(1, 0, some, EMPTY_ROOT, [])  # time travel
    assert not verify_consistency(2, 1, some, other, [])
    assert not verify_consistency(1, 2, some, other, [])  # a non-trivial claim needs a proof
    assert not verify_consistency(1, 1, some, some, [EMPTY_ROOT])  # trivial claims take no proof


def test_bad_positions_are_refused() -> None:
    with pytest.raises(ValueError, match="not in a tree"):
        inclusion_proof(3, LEAVES[:3])
    with pytest.raises(ValueError, match="not in a tree"):
        inclusion_proof(-1, LEAVES[:3])
    with pytest.raises(ValueError, match="not within"):
        consistency_proof(4, LEAVES[:3])
    assert not verify_inclusion(0, 0, LEAVES[0], [], EMPTY_ROOT)
    assert not verify_inclusion(-1, 1, LEAVES[0], [], LEAVES[0])
    assert not verify_inclusion(0, 1, b"short", [], b"short")


# ---- property tests against the reference, over sizes that are mostly not powers of two ----

@settings(max_examples=150, deadline=None)
@given(size=st.integers(min_value=0, max_value=140), salt=st.integers(0, 1000))
def test_root_matches_reference(size: int, salt: int) -> None:
    leaves = _leaves(size, salt)
    assert root(leaves) == ref_mth(leaves)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), size=st.integers(min_value=1, max_value=140))
def test_inclusion_matches_reference_and_verifies(data: st.DataObject, size: int) -> None:
    leaves = _leaves(size)
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(index, leaves)
    assert proof == ref_path(index, leaves)
    tree_root = root(leaves)
    assert verify_inclusion(index, size, leaves[index], proof, tree_root)
    # any tampering fails: another leaf, another position, another size, another root, a changed step
    assert not verify_inclusion(index, size, leaf_hash(b"forged"), proof, tree_root)
    if size > 1:
        other = data.draw(st.integers(0, size - 1).filter(lambda i: i != index))
        assert not verify_inclusion(other, size, leaves[index], proof, tree_root)
        assert not verify_inclusion(index, size, leaves[other], proof, tree_root)
        step = data.draw(st.integers(0, len(proof) - 1))
        assert not verify_inclusion(index, size, leaves[index],
                                    [*proof[:step], _flip(proof[step]), *proof[step + 1:]], tree_root)
        assert not verify_inclusion(index, size, leaves[index], proof[:-1], tree_root)
    assert not verify_inclusion(index, size + 1, leaves[index], proof, root([*leaves, leaf_hash(b"x")]))
    assert not verify_inclusion(index, size, leaves[index], proof, _flip(tree_root))
    assert not verify_inclusion(index, size, leaves[index], [*proof, tree_root], tree_root)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), new=st.integers(min_value=1, max_value=140))
def test_consistency_matches_reference_and_verifies(data: st.DataObject, new: int) -> None:
    leaves = _leaves(new)
    old = data.draw(st.integers(0, new))
    proof = consistency_proof(old, leaves)
    assert proof == ref_proof(old, leaves)
    old_root, new_root = root(leaves[:old]), root(leaves)
    assert verify_consistency(old, new, old_root, new_root, proof)
    if 0 < old < new:
        assert not verify_consistency(old, new, _flip(old_root), new_root, proof)
        assert not verify_consistency(old, new, old_root, _flip(new_root), proof)
        step = data.draw(st.integers(0, len(proof) - 1))
        assert not verify_consistency(old, new, old_root, new_root, [*proof[:step], _flip(proof[step]), *proof[step + 1:]])
        assert not verify_consistency(old, new, old_root, new_root, proof[:-1])
        assert not verify_consistency(old, new * 2, old_root, new_root, proof)
        # the log was rewritten below the old size: the old head is no prefix of the new tree
        position = data.draw(st.integers(0, old - 1))
        rewritten = [*leaves[:position], leaf_hash(b"changed"), *leaves[position + 1:]]
        assert not verify_consistency(old, new, old_root, root(rewritten), consistency_proof(old, rewritten))


@settings(max_examples=60, deadline=None)
@given(size=st.integers(min_value=2, max_value=80), data=st.data())
def test_deleted_or_reordered_leaf_breaks_consistency(size: int, data: st.DataObject) -> None:
    leaves = _leaves(size)
    old = data.draw(st.integers(1, size - 1))
    position = data.draw(st.integers(0, old - 1))
    deleted = leaves[:position] + leaves[position + 1:] + [leaf_hash(b"padding")]
    assert not verify_consistency(old, size, root(leaves[:old]), root(deleted), consistency_proof(old, deleted))
    swapped = list(leaves)
    swapped[position], swapped[position + 1] = swapped[position + 1], swapped[position]
    assert not verify_consistency(old, size, root(leaves[:old]), root(swapped), consistency_proof(old, swapped))


def test_proofs_for_100k_leaves_take_well_under_a_second() -> None:
    leaves = _leaves(100_000)
    started = time.perf_counter()
    tree_root = root(leaves)
    proof = inclusion_proof(73_421, leaves)
    consistency = consistency_proof(61_000, leaves)
    elapsed = time.perf_counter() - started
    assert verify_inclusion(73_421, 100_000, leaves[73_421], proof, tree_root)
    assert verify_consistency(61_000, 100_000, root(leaves[:61_000]), tree_root, consistency)
    assert elapsed < 1.0, f"root + inclusion + consistency for 100k leaves took {elapsed:.2f} s"


@settings(max_examples=100, deadline=None)
@given(data=st.data(), n=st.integers(min_value=0, max_value=140))
def test_tree_cache_gives_the_same_roots_and_proofs(data: st.DataObject, n: int) -> None:
    leaves = _leaves(n, salt=7)
    tree = Tree(leaves)
    size = data.draw(st.integers(0, n))
    prefix = leaves[:size]
    assert tree.root(size) == ref_mth(prefix) == root(prefix)
    old = data.draw(st.integers(0, size))
    assert tree.consistency_proof(old, size) == ref_proof(old, prefix)
    if size:
        index = data.draw(st.integers(0, size - 1))
        assert tree.inclusion_proof(index, size) == ref_path(index, prefix)
    with pytest.raises(ValueError):
        tree.root(n + 1)


def test_tree_matches_the_reference_vectors() -> None:
    tree = Tree(LEAVES)
    assert [tree.root(size).hex() for size in sorted(ROOTS)] == [ROOTS[size] for size in sorted(ROOTS)]
    for index, size, proof in INCLUSION:
        assert [p.hex() for p in tree.inclusion_proof(index, size)] == proof
    for old, new, proof in CONSISTENCY:
        assert [p.hex() for p in tree.consistency_proof(old, new)] == proof


def test_tree_answers_many_proofs_quickly() -> None:
    started = time.perf_counter()
    tree = Tree(_leaves(100_000))
    proofs = [tree.inclusion_proof(i, 100_000) for i in range(0, 100_000, 100)]
    consistency = [tree.consistency_proof(old, 100_000) for old in range(1, 100_000, 1000)]
    elapsed = time.perf_counter() - started
    assert len(proofs) == 1000 and len(consistency) == 100
    assert elapsed < 1.0, f"1100 proofs over 100k leaves took {elapsed:.2f} s"
