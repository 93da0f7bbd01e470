"""The ledger's pages and downloads: checkpoints and leaf hashes (public), openings (inspection), the
checkpoint list for observers and the committee, the deployment's public key.

What each download holds (docs/ledger.md):

- ``checkpoints.json`` (anyone, once the meeting is published): every signed checkpoint of the meeting's
  log, oldest first, with the deployment's public key.
- ``leaves.json`` (anyone): the leaf hashes in log order. A leaf hash reveals nothing: it covers a random
  nonce, so no choice can be guessed from it.
- ``openings.json`` (inspectors after the FINAL result: the rule of ``result.json``): each leaf opened, with
  the unit it was cast for (the unit ids of ``result.json``), so that ``vote verify`` can recount them;
  sorted by unit, without positions, so that it does not reveal the order of casting.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vote.db.models import Community, Meeting
from vote.db.models.ledger import LedgerCheckpoint
from vote.domain.results.services import ResultService
from vote.ledger import services as ledger
from vote.ledger.checkpoint import key_id
from vote.ledger.leaf import leaf_to_dict


@dataclass(frozen=True)
class JsonDownload:
    """A JSON document and its file name."""

    filename: str
    document: dict[str, Any]

    def body(self) -> bytes:
        """The document as UTF-8 JSON."""
        return (json.dumps(self.document, ensure_ascii=False, indent=1) + "\n").encode()


@dataclass(frozen=True)
class PublicKey:
    """The deployment's signing key as shown on the public pages."""

    hex: str
    key_id: str


@dataclass(frozen=True)
class LedgerPage:
    """A meeting's ledger as observers and the committee see it: its checkpoints and the key."""

    meeting: Meeting
    origin: str
    checkpoints: list[LedgerCheckpoint]
    key: PublicKey | None
    final_id: int | None


async def deployment_key(db: Any) -> PublicKey | None:
    """The public key and its id, or None before the first checkpoint created it."""
    raw = await ledger.public_key(db)
    return PublicKey(raw.hex(), key_id(raw)) if raw else None


class LedgerService(ResultService):
    """The ledger's downloads and pages (the meeting access rules are the result's)."""

    async def checkpoints_download(self, community: Community, meeting_id: int, now: datetime) -> JsonDownload:
        """Every signed checkpoint of the meeting, oldest first (public once the meeting is published)."""
        meeting = await self._meeting(community, meeting_id, now)
        rows = await ledger.checkpoints(self.db, meeting.id)
        key = await ledger.public_key(self.db)
        document = {"meeting": meeting.id, "origin": ledger.meeting_origin(community.slug, meeting.id),
                    "public_key": key.hex() if key else None,
                    "checkpoints": [ledger.published(row, key) for row in rows] if key else []}
        return JsonDownload(f"checkpoints-{meeting.id}.json", document)

    async def leaves_download(self, community: Community, meeting_id: int, now: datetime) -> JsonDownload:
        """The meeting's leaf hashes in log order (public: no choice, no member)."""
        meeting = await self._meeting(community, meeting_id, now)
        hashes = await ledger.leaf_hashes(self.db, meeting.id)
        return JsonDownload(f"leaves-{meeting.id}.json", {
            "meeting": meeting.id, "origin": ledger.meeting_origin(community.slug, meeting.id),
            "leaves": [h.hex() for h in hashes],
        })

    async def openings_download(self, community: Community, meeting_id: int, roles: frozenset[str],
                                now: datetime) -> JsonDownload:
        """Each leaf opened with its unit, for inspection after the final result (404 otherwise)."""
        meeting = await self._inspectable_meeting(community, meeting_id, roles, now)
        _units, first_unit = await self._scenario_units(meeting, community)
        # By unit and without positions: a leaf's position is its casting order (docs/secrecy.md).
        leaves = sorted(
            ({"unit": first_unit.get(opening.member_id), **leaf_to_dict(opening.leaf)}
             for opening in await ledger.openings(self.db, meeting.id)),
            key=lambda item: (item["unit"] is None, item["unit"] or "", item["motion"], item["member"]),
        )
        return JsonDownload(f"openings-{meeting.id}.json", {"meeting": meeting.id, "leaves": leaves})

    async def ledger_page(self, community: Community, meeting_id: int, now: datetime) -> LedgerPage:
        """The meeting's checkpoints for the observers' and committee's page."""
        meeting = await self._meeting(community, meeting_id, now)
        final = await ledger.final_checkpoint(self.db, meeting.id)
        return LedgerPage(meeting=meeting, origin=ledger.meeting_origin(community.slug, meeting.id),
                          checkpoints=await ledger.checkpoints(self.db, meeting.id),
                          key=await deployment_key(self.db), final_id=final.id if final else None)

    async def ensure_key(self, now: datetime) -> PublicKey:
        """The deployment's public key, generating the key pair at first use."""
        from vote.db.engine import write_transaction

        async with write_transaction(self.db):
            signer = await ledger.signer(self.db, now)
        return PublicKey(signer.public_key.hex(), signer.key_id)
