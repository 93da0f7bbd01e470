"""The ledger tests share the meetings tests' fixtures (a voting community, logged-in clients) and have
helpers to cast over HTTP, sign checkpoints and check the downloads as `vote verify` does."""

from __future__ import annotations

import base64
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.integration.ballots.test_ballot_casting import ballot_form
from tests.integration.meetings.conftest import login, world  # noqa: F401 - fixtures re-exported
from tests.support.factories import PublishedMeeting, db_session
from tests.support.http import post_form
from vote.ledger import checkpoint as cp
from vote.ledger import merkle
from vote.ledger import services as ledger
from vote.ledger.leaf import leaf_bytes, leaf_from_dict


async def cast(client: AsyncTestClient, meeting: PublishedMeeting, question: str = "yes",
               candidates: list[int] | None = None) -> str:
    """Cast the owner's ballot over HTTP; the receipt page's HTML."""
    base = f"/c/garden/meetings/{meeting.meeting_id}"
    page = await client.get(base)
    response = await post_form(client, f"{base}/ballot/cast", ballot_form(page.text, meeting, question,
                                                                          candidates or [0]))
    assert response.status_code == 200, response.text
    return response.text


async def sign_checkpoints(app: Litestar) -> dict[int, tuple[int, int]]:
    """One round of the scheduler's checkpoint step at the app clock's time."""
    async with db_session(app) as db:
        return (await ledger.checkpoint_open_meetings(db, app.state.clock.now())).signed


def first_failure(checkpoints: dict[str, Any], leaves: dict[str, Any], key: bytes | None = None) -> str | None:
    """What `vote verify --checkpoints --leaves` checks, with the pure functions: every signature (with the
    file's key, and ``key`` when given), every checkpoint's root over the first ``size`` leaves, and each
    consecutive pair consistent. The first failure in words, or None."""
    public = bytes.fromhex(checkpoints["public_key"])
    if key is not None and public != key:
        return "the file's public key is not the deployment's"
    hashes = [bytes.fromhex(h) for h in leaves["leaves"]]
    previous: cp.Checkpoint | None = None
    for data in checkpoints["checkpoints"]:
        head, signature, _key_id = cp.checkpoint_from_dict(data)
        if not cp.verify(public, head, signature):
            return f"checkpoint of size {head.size}: bad signature"
        if head.size > len(hashes) or merkle.root(hashes[:head.size]) != head.root:
            return f"checkpoint of size {head.size}: the leaves do not give its root"
        if previous is not None:
            proof = merkle.consistency_proof(previous.size, hashes[:head.size])
            if not merkle.verify_consistency(previous.size, head.size, previous.root, head.root, proof):
                return f"checkpoints of size {previous.size} and {head.size} are not consistent"
        previous = head
    return None


def openings_failure(openings: dict[str, Any], leaves: dict[str, Any], size: int) -> str | None:
    """The openings hash to exactly the first ``size`` leaves, each once (as a whole: they carry no position)."""
    hashes = sorted(leaves["leaves"][:size])
    opened = sorted(merkle.leaf_hash(leaf_bytes(leaf_from_dict({k: v for k, v in o.items() if k != "unit"}))).hex()
                    for o in openings["leaves"])
    if opened != hashes:
        return "the openings do not open exactly the final checkpoint's leaves"
    return None


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
