"""Ballot leaves (canonical bytes, validation) and signed checkpoints (body, signature, dict form)."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

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
from vote.ledger.merkle import leaf_hash

NONCE = "00112233445566778899aabbccddeeff"
QUESTION = Leaf(meeting_id=12, motion_id=34, member="a1b2c3", choice="yes", selected=(), mark=None, nonce=NONCE)
ELECTION = Leaf(meeting_id=12, motion_id=35, member="a1b2c3", choice="election", selected=(1, 3), mark=None,
                nonce=NONCE)


# ---- leaves ----

def test_leaf_bytes_are_canonical_and_stable() -> None:
    """These exact bytes (and so this hash) must never change: receipts already printed depend on them."""
    assert leaf_bytes(QUESTION) == (
        b'{"choice":"yes","mark":null,"meeting":12,"member":"a1b2c3","motion":34,'
        b'"nonce":"00112233445566778899aabbccddeeff","selected":[],"v":1}'
    )
    assert leaf_bytes(ELECTION) == (
        b'{"choice":"election","mark":null,"meeting":12,"member":"a1b2c3","motion":35,'
        b'"nonce":"00112233445566778899aabbccddeeff","selected":[1,3],"v":1}'
    )
    assert leaf_hash(leaf_bytes(QUESTION)) == hashlib.sha256(b"\x00" + leaf_bytes(QUESTION)).digest()


def test_leaf_dict_round_trip() -> None:
    for leaf in (QUESTION, ELECTION, replace(QUESTION, choice="abstain", mark="blank"),
                 replace(ELECTION, selected=(), mark="spoiled")):
        assert leaf_from_dict(leaf_to_dict(leaf)) == leaf
        assert leaf_from_dict({**leaf_to_dict(leaf), "index": 7}) == leaf  # a receipt carries its position


def test_every_field_changes_the_hash() -> None:
    base = leaf_hash(leaf_bytes(QUESTION))
    for changed in (replace(QUESTION, meeting_id=13), replace(QUESTION, motion_id=33), replace(QUESTION, member="a1b2c4"),
                    replace(QUESTION, choice="no"), replace(QUESTION, nonce=NONCE[:-1] + "0"),
                    replace(QUESTION, choice="abstain", mark="blank")):
        assert leaf_hash(leaf_bytes(changed)) != base


@pytest.mark.parametrize(("change", "field"), [
    ({"meeting": 0}, "meeting"), ({"meeting": True}, "meeting"), ({"motion": "34"}, "motion"),
    ({"member": "A1B2"}, "member"), ({"member": ""}, "member"), ({"choice": "maybe"}, "choice"),
    ({"selected": [2]}, "selected"), ({"selected": "1"}, "selected"), ({"mark": "torn"}, "mark"),
    ({"mark": "blank"}, "mark"), ({"nonce": "abc"}, "nonce"), ({"nonce": NONCE.upper()}, "nonce"),
    ({"v": 2}, "v"), ({"extra": 1}, "extra"),
])
def test_invalid_leaf_dicts_name_the_field(change: dict, field: str) -> None:
    with pytest.raises(LeafError) as error:
        leaf_from_dict({**leaf_to_dict(QUESTION), **change})
    assert error.value.field == field


@pytest.mark.parametrize(("selected", "field"), [([3, 1], "selected[1]"), ([1, 1], "selected[1]"),
                                                 ([-1], "selected[0]"), ([True], "selected[0]")])
def test_election_selection_must_be_sorted_positions(selected: list, field: str) -> None:
    with pytest.raises(LeafError) as error:
        leaf_from_dict({**leaf_to_dict(ELECTION), "selected": selected})
    assert error.value.field == field


def test_missing_leaf_key_is_named() -> None:
    document = leaf_to_dict(QUESTION)
    del document["nonce"]
    with pytest.raises(LeafError, match="nonce: missing"):
        leaf_from_dict(document)
    with pytest.raises(LeafError, match="leaf: must be a JSON object"):
        leaf_from_dict([])


# ---- checkpoints ----

KEY = Ed25519PrivateKey.generate()
PUBLIC = public_key_bytes(KEY)
ROOT = hashlib.sha256(b"some root").digest()
CHECKPOINT = Checkpoint(origin="vote/garden/12", size=42, root=ROOT,
                        timestamp=datetime(2026, 12, 2, 9, 0, 0, tzinfo=UTC))


def test_checkpoint_body_format_is_exact() -> None:
    assert checkpoint_body(CHECKPOINT) == (
        "vote-ledger/v1\nvote/garden/12\n42\n" + base64.b64encode(ROOT).decode() + "\n2026-12-02T09:00:00Z\n"
    ).encode()


def test_timestamp_is_utc_to_the_second() -> None:
    shanghai = timezone(timedelta(hours=8))
    local = Checkpoint(origin="vote/garden/12", size=42, root=ROOT,
                       timestamp=datetime(2026, 12, 2, 17, 0, 0, 123456, tzinfo=shanghai))
    naive = Checkpoint(origin="vote/garden/12", size=42, root=ROOT, timestamp=datetime(2026, 12, 2, 9, 0, 0))
    assert checkpoint_body(local) == checkpoint_body(naive) == checkpoint_body(CHECKPOINT)
    assert local == CHECKPOINT


def test_sign_and_verify() -> None:
    signature = sign(KEY, CHECKPOINT)
    assert len(signature) == 64
    assert verify(PUBLIC, CHECKPOINT, signature)


def test_forged_or_foreign_signatures_fail() -> None:
    signature = sign(KEY, CHECKPOINT)
    other = Ed25519PrivateKey.generate()
    assert not verify(public_key_bytes(other), CHECKPOINT, signature)  # another key
    assert not verify(PUBLIC, CHECKPOINT, sign(other, CHECKPOINT))  # signed by another key
    assert not verify(PUBLIC, CHECKPOINT, bytes([signature[0] ^ 1]) + signature[1:])  # one bit off
    for changed in (replace(CHECKPOINT, size=43), replace(CHECKPOINT, root=hashlib.sha256(b"x").digest()),
                    replace(CHECKPOINT, origin="vote/garden/13"),
                    replace(CHECKPOINT, timestamp=CHECKPOINT.timestamp + timedelta(seconds=1))):
        assert not verify(PUBLIC, changed, signature)
    assert not verify(b"short", CHECKPOINT, signature)
    assert not verify(PUBLIC, CHECKPOINT, b"")


def test_key_id_is_the_first_8_bytes_of_the_keys_sha256() -> None:
    assert key_id(PUBLIC) == hashlib.sha256(PUBLIC).hexdigest()[:16]


def test_checkpoint_dict_round_trip() -> None:
    signature = sign(KEY, CHECKPOINT)
    document = checkpoint_to_dict(CHECKPOINT, signature, PUBLIC)
    assert document == {"origin": "vote/garden/12", "size": 42, "root": ROOT.hex(), "timestamp": "2026-12-02T09:00:00Z",
                        "key_id": key_id(PUBLIC), "signature": base64.b64encode(signature).decode()}
    assert checkpoint_from_dict(document) == (CHECKPOINT, signature, key_id(PUBLIC))


@pytest.mark.parametrize(("change", "field"), [
    ({"size": -1}, "size"), ({"size": "42"}, "size"), ({"size": True}, "size"), ({"root": "ab"}, "root"),
    ({"root": ROOT.hex().upper()}, "root"), ({"timestamp": "2026-12-02 09:00:00"}, "timestamp"),
    ({"timestamp": "2026-13-02T09:00:00Z"}, "timestamp"), ({"key_id": "xyz"}, "key_id"),
    ({"signature": "not base64!"}, "signature"), ({"signature": base64.b64encode(b"x" * 63).decode()}, "signature"),
    ({"origin": "vote/garden 12"}, "origin"), ({"origin": ""}, "origin"), ({"note": "hi"}, "note"),
])
def test_invalid_checkpoint_dicts_name_the_field(change: dict, field: str) -> None:
    document = {**checkpoint_to_dict(CHECKPOINT, sign(KEY, CHECKPOINT), PUBLIC), **change}
    with pytest.raises(CheckpointError) as error:
        checkpoint_from_dict(document)
    assert error.value.field == field


@settings(max_examples=50, deadline=None)
@given(size=st.integers(0, 10**9), seconds=st.integers(0, 10**9), origin=st.from_regex(r"vote/[a-z0-9-]{1,20}/[0-9]{1,6}",
                                                                                         fullmatch=True))
def test_any_checkpoint_survives_publication(size: int, seconds: int, origin: str) -> None:
    checkpoint = Checkpoint(origin=origin, size=size, root=hashlib.sha256(str(size).encode()).digest(),
                            timestamp=datetime(2000, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds))
    parsed, signature, identifier = checkpoint_from_dict(checkpoint_to_dict(checkpoint, sign(KEY, checkpoint), PUBLIC))
    assert parsed == checkpoint and identifier == key_id(PUBLIC)
    assert verify(PUBLIC, parsed, signature)
