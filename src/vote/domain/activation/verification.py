"""In-person verification at the office: one committee member records, a different one approves.

The approval makes the owner the member's nominated voter (a co-owner taking over needs the
co-owners' written agreement among the documents) and issues a new letter, or links the member to
the owner's existing account. The database refuses an approval by the requester, too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from litestar.exceptions import NotFoundException
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from vote.config import Settings
from vote.db.engine import begin_write
from vote.db.models import (
    Account,
    Building,
    Community,
    Member,
    Person,
    RegisterVersion,
    Role,
    Unit,
    UnitOwner,
    Verification,
)
from vote.domain.accounts.sessions import AuthContext
from vote.domain.activation.services import (
    Letter,
    MemberCard,
    UnitLine,
    activated_persons,
    current_version,
    issue_codes,
    make_letters,
    member_cards,
    member_in_version,
    parse_valid_days,
    squash,
)
from vote.domain.audit.services import record
from vote.lib.errors import UserError
from vote.lib.i18n import _

CONSENT_DOCUMENT = "co_owner_consent"


def document_labels() -> dict[str, str]:
    """The documents an owner may show at the office, in the visitor's language (types, never numbers)."""
    return {
        "id_card": _("Resident ID card"),
        "property_certificate": _("Real estate ownership certificate"),
        "purchase_contract": _("Purchase contract"),
        "household_register": _("Household register"),
        "passport": _("Passport or travel permit"),
        CONSENT_DOCUMENT: _("Co-owners' written agreement on who votes"),
    }


@dataclass(frozen=True)
class UnitMatch:
    """A unit found by the committee's search, with its member's owners (clear names: verification screen)."""

    unit: UnitLine
    card: MemberCard
    activated: set[int]


@dataclass(frozen=True)
class PendingVerification:
    """A verification as listed for the committee."""

    verification: Verification
    person: Person
    card: MemberCard | None
    requested_by: str
    decided_by: str | None
    takeover_from: Person | None

    @property
    def document_keys(self) -> list[str]:
        """The document types shown, as stored."""
        return [d for d in self.verification.documents.split(",") if d]


@dataclass(frozen=True)
class VerificationPage:
    """The committee's in-person verification page."""

    query: str
    matches: list[UnitMatch]
    pending: list[PendingVerification]
    decided: list[PendingVerification]


@dataclass(frozen=True)
class ApprovalResult:
    """What an approval did: a new letter, or the member linked to the owner's existing account."""

    letter: Letter | None
    linked_account: bool
    takeover: bool


class VerificationError(Exception):
    """A verification request that cannot be recorded; the page is shown again with ``message``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class VerificationService:
    """In-person identity checks at the office: one committee member records, a different one approves."""

    RECENT = 20

    def __init__(self, db: AsyncSession, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    async def page(self, community: Community, query: str) -> VerificationPage:
        """Search units by number (``101``, ``1号楼101``), plus pending and recent verifications."""
        query = squash(query)
        version = await current_version(self.db, community.id)
        matches: list[UnitMatch] = []
        if query and version is not None:
            unit_rows = await self.db.execute(
                select(Unit.id, Unit.member_id)
                .join(Building, Building.id == Unit.building_id)
                .where(Unit.register_version_id == version.id, Unit.member_id.is_not(None),
                       or_(Unit.number == query, (Building.name + Unit.number) == query))
                .order_by(Building.position, Building.name, Unit.number)
                .limit(50)
            )
            found = unit_rows.all()
            cards = await member_cards(self.db, version.id, {row.member_id for row in found})
            activated = await activated_persons(self.db, {p.id for c in cards.values() for p in c.owners})
            for unit_id, member_id in found:
                card = cards[member_id]
                if card.member.developer:
                    continue
                unit = next(u for u in card.units if u.unit_id == unit_id)
                matches.append(UnitMatch(unit, card, activated))
        pending = await self._listed(community, version, Verification.status == "pending", None)
        decided = await self._listed(community, version, Verification.status != "pending", self.RECENT)
        return VerificationPage(query, matches, pending, decided)

    async def request(
        self, community: Community, actor: AuthContext, unit_id: str, person_id: str, documents: list[str],
        now: datetime,
    ) -> Verification:
        """Record that an owner of the unit showed documents at the office; it waits for a second member."""
        labels = document_labels()
        chosen = [d for d in dict.fromkeys(documents) if d in labels]
        if not chosen:
            raise VerificationError(_("Tick the documents the owner showed."))
        await begin_write(self.db)
        version = await current_version(self.db, community.id)
        if version is None or not unit_id.isdigit() or not person_id.isdigit():
            raise NotFoundException()
        row = (
            await self.db.execute(
                select(Unit.member_id, Person)
                .join(UnitOwner, UnitOwner.unit_id == Unit.id)
                .join(Person, Person.id == UnitOwner.person_id)
                .where(Unit.id == int(unit_id), Unit.register_version_id == version.id,
                       Person.id == int(person_id), Person.community_id == community.id)
            )
        ).one_or_none()
        if row is None or row[0] is None:
            raise NotFoundException()
        member_id, person = row
        member = await self.db.get(Member, member_id)
        assert member is not None
        if member.voter_person_id not in (None, person.id) and CONSENT_DOCUMENT not in chosen:
            await self.db.commit()  # nothing was written; ends the write transaction without expiring objects
            raise VerificationError(_("This unit already has another nominated voter. To make this owner the voter "
                                      "instead, the co-owners' written agreement must be among the documents."))
        if member.voter_person_id == person.id and await activated_persons(self.db, {person.id}):
            await self.db.commit()  # nothing was written; ends the write transaction without expiring objects
            raise VerificationError(_("This owner already has an account and is the unit's voter: nothing to verify."))
        duplicate = (
            await self.db.execute(
                select(Verification.id).where(Verification.community_id == community.id,
                                              Verification.person_id == person.id,
                                              Verification.member_id == member.id,
                                              Verification.status == "pending")
            )
        ).first()
        if duplicate:
            await self.db.commit()  # nothing was written; ends the write transaction without expiring objects
            raise VerificationError(_("A verification of this owner is already waiting for approval."))
        verification = Verification(
            community_id=community.id, person_id=person.id, member_id=member.id, status="pending",
            documents=",".join(chosen), requested_by_account_id=actor.account_id, requested_at=now,
        )
        self.db.add(verification)
        await self.db.flush()
        await record(self.db, at=now, action="verification_requested", community_id=community.id,
                     actor_account_id=actor.account_id, object_type="verification", object_id=verification.id,
                     detail={"person_id": person.id, "member_id": member.id, "documents": chosen})
        await self.db.commit()
        return verification

    async def approve(
        self, community: Community, actor: AuthContext, verification_id: int, now: datetime, *, valid_days: str
    ) -> ApprovalResult:
        """The second member approves: the owner becomes the member's voter and gets a new letter
        (or, with an account already, the member is linked to it)."""
        days = parse_valid_days(valid_days)
        await begin_write(self.db)
        verification = await self._pending(community, verification_id, actor)
        version = await current_version(self.db, community.id)
        member = (await member_in_version(self.db, verification.member_id, version)
                  if version and verification.member_id else None)
        card = (await member_cards(self.db, version.id, [member.id])).get(member.id) if member and version else None
        if card is None or all(p.id != verification.person_id for p in card.owners):
            raise UserError(_("This owner no longer owns the unit in the current register. Reject the request."), 409)
        person = next(p for p in card.owners if p.id == verification.person_id)
        previous_voter = card.member.voter_person_id
        takeover = previous_voter is not None and previous_voter != person.id
        card.member.voter_person_id = person.id
        account = (
            await self.db.execute(select(Account).where(Account.person_id == person.id).order_by(Account.id).limit(1))
        ).scalar_one_or_none()
        letter = None
        if account is not None:
            has_role = (
                await self.db.execute(select(Role.id).where(Role.account_id == account.id,
                                                            Role.community_id == community.id, Role.role == "owner"))
            ).first()
            if not has_role:
                self.db.add(Role(account_id=account.id, community_id=community.id, role="owner", granted_at=now))
        else:
            codes, _revoked = await issue_codes(self.db, community.id, [card.member], now, days)
            letter = make_letters(self.settings, {card.member.id: card}, codes, now + timedelta(days=days))[0]
        verification.status = "approved"
        verification.approved_by_account_id = actor.account_id
        verification.decided_at = now
        verification.account_id = account.id if account else None
        await record(self.db, at=now, action="verification_approved", community_id=community.id,
                     actor_account_id=actor.account_id, object_type="verification", object_id=verification.id,
                     detail={"person_id": person.id, "member_id": card.member.id, "letter": letter is not None,
                             "linked_account_id": account.id if account else None,
                             "previous_voter_person_id": previous_voter})
        if takeover or previous_voter is None:
            await record(self.db, at=now, action="member_voter_nominated", community_id=community.id,
                         actor_account_id=actor.account_id, object_type="member", object_id=card.member.id,
                         detail={"person_id": person.id, "previous_person_id": previous_voter,
                                 "verification_id": verification.id})
        await self.db.commit()
        return ApprovalResult(letter=letter, linked_account=account is not None, takeover=takeover)

    async def reject(self, community: Community, actor: AuthContext, verification_id: int, now: datetime) -> None:
        """A second member rejects the request (for example, the documents did not match)."""
        await begin_write(self.db)
        verification = await self._pending(community, verification_id, actor)
        verification.status = "rejected"
        verification.approved_by_account_id = actor.account_id
        verification.decided_at = now
        await record(self.db, at=now, action="verification_rejected", community_id=community.id,
                     actor_account_id=actor.account_id, object_type="verification", object_id=verification.id,
                     detail={"person_id": verification.person_id, "member_id": verification.member_id})
        await self.db.commit()

    async def _pending(self, community: Community, verification_id: int, actor: AuthContext) -> Verification:
        verification = (
            await self.db.execute(
                select(Verification).where(Verification.id == verification_id,
                                           Verification.community_id == community.id)
            )
        ).scalar_one_or_none()
        if verification is None:
            raise NotFoundException()
        if verification.status != "pending":
            raise UserError(_("This verification has already been decided."), 409)
        if verification.requested_by_account_id == actor.account_id:
            raise UserError(_("You recorded this verification yourself. A different committee member must "
                              "approve or reject it (two-person rule)."), 403)
        return verification

    async def _listed(
        self, community: Community, version: RegisterVersion | None, condition: ColumnElement[bool], limit: int | None
    ) -> list[PendingVerification]:
        requester = Account.__table__.alias("requester")
        decider = Account.__table__.alias("decider")
        query = (
            select(Verification, Person, requester.c.login, decider.c.login)
            .join(Person, Person.id == Verification.person_id)
            .join(requester, requester.c.id == Verification.requested_by_account_id)
            .outerjoin(decider, decider.c.id == Verification.approved_by_account_id)
            .where(Verification.community_id == community.id, condition)
            .order_by(Verification.requested_at.desc(), Verification.id.desc())
        )
        if limit:
            query = query.limit(limit)
        rows = (await self.db.execute(query)).all()
        cards: dict[int, MemberCard] = {}
        if version is not None:
            current: dict[int, int] = {}
            for verification, *_rest in rows:
                if verification.member_id is not None:
                    member = await member_in_version(self.db, verification.member_id, version)
                    if member is not None:
                        current[verification.member_id] = member.id
            by_current = await member_cards(self.db, version.id, set(current.values()))
            cards = {old: by_current[new] for old, new in current.items() if new in by_current}
        listed = []
        for verification, person, requested_by, decided_by in rows:
            card = cards.get(verification.member_id) if verification.member_id else None
            voter = card.voter if card else None
            takeover = voter if voter is not None and voter.id != person.id and verification.status == "pending" else None
            listed.append(PendingVerification(verification, person, card, requested_by, decided_by, takeover))
        return listed
