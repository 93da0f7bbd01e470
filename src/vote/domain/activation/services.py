"""Activation letters for the committee, and the register read models the activation area shares.

A letter carries a single-use, expiring code for one voting member. Only the code's SHA-256 is stored,
so the clear code exists only in the response that generated it: the committee prints the letters
from that page, and a lost letter is replaced by a new one (which revokes the old code).

Codes belong to a member of a register version; members keep their key across re-imports (the same
set of owners), so a letter stays good after a re-import as long as the member still exists.
The owner's journey is in ``journey.py``, in-person verification in ``verification.py``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from litestar.exceptions import NotFoundException
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vote.config import Settings
from vote.db.engine import begin_write
from vote.db.models import (
    Account,
    ActivationCode,
    Building,
    Community,
    Member,
    Person,
    RegisterVersion,
    Unit,
    UnitOwner,
)
from vote.domain.accounts.sessions import AuthContext
from vote.domain.activation.codes import code_digest, format_code, new_code, qr_data_uri
from vote.domain.audit.services import record
from vote.domain.communities.services import CommunityService
from vote.lib.errors import UserError
from vote.lib.i18n import _

DEFAULT_VALID_DAYS = 60
MAX_VALID_DAYS = 365


def parse_valid_days(text: str) -> int:
    """How long new letters stay valid: 1 to 365 days, 60 when left empty."""
    text = text.strip()
    if not text:
        return DEFAULT_VALID_DAYS
    if not text.isdigit() or not 1 <= int(text) <= MAX_VALID_DAYS:
        raise UserError(_("A letter must stay valid for 1 to 365 days."), 422)
    return int(text)


def squash(text: str) -> str:
    """A name compared without any whitespace (full-width spaces included)."""
    return "".join(text.split())


@dataclass(frozen=True)
class UnitLine:
    """One unit as a letter or a list shows it."""

    unit_id: int
    building: str
    number: str
    kind: str
    area_centi: int


@dataclass
class MemberCard:
    """A voting member with its units and owners (templates mask the names where required)."""

    member: Member
    units: list[UnitLine] = field(default_factory=list)
    owners: list[Person] = field(default_factory=list)

    @property
    def voter(self) -> Person | None:
        """The nominated voter among the owners, if any."""
        return next((p for p in self.owners if p.id == self.member.voter_person_id), None)


@dataclass(frozen=True)
class Letter:
    """One printable activation letter: the clear code exists only here."""

    card: MemberCard
    code: str
    url: str
    qr: str
    expires_at: datetime


@dataclass(frozen=True)
class MemberStatus:
    """A member on the committee's activation list."""

    card: MemberCard
    activated: bool
    code_state: str  # none, valid, used, expired, revoked
    code_expires_at: datetime | None


@dataclass(frozen=True)
class ActivationOverview:
    """The committee's activation page."""

    version: RegisterVersion | None
    members: list[MemberStatus]
    buildings: list[Building]

    @property
    def activated(self) -> int:
        """How many members have an activated voter."""
        return sum(1 for m in self.members if m.activated)


async def current_version(db: AsyncSession, community_id: int) -> RegisterVersion | None:
    """The community's newest register version."""
    return await CommunityService(db).current_register(community_id)


async def member_cards(db: AsyncSession, version_id: int, member_ids: Collection[int] | None = None) -> dict[int, MemberCard]:
    """Members of a register version (all, or those in ``member_ids``) with units and owners, in unit order."""
    member_query = select(Member).where(Member.register_version_id == version_id)
    unit_query = (
        select(Unit, Building.name)
        .join(Building, Building.id == Unit.building_id)
        .where(Unit.register_version_id == version_id, Unit.member_id.is_not(None))
        .order_by(Building.position, Building.name, Unit.number)
    )
    owner_query = (
        select(Unit.member_id, Person)
        .join(UnitOwner, UnitOwner.unit_id == Unit.id)
        .join(Person, Person.id == UnitOwner.person_id)
        .where(Unit.register_version_id == version_id)
        .order_by(Person.id)
    )
    if member_ids is not None:
        member_query = member_query.where(Member.id.in_(member_ids))
        unit_query = unit_query.where(Unit.member_id.in_(member_ids))
        owner_query = owner_query.where(Unit.member_id.in_(member_ids))
    members = {m.id: MemberCard(m) for m in (await db.execute(member_query)).scalars()}
    ordered: dict[int, MemberCard] = {}
    for unit, building in (await db.execute(unit_query)).all():
        card = members.get(unit.member_id)
        if card is None:
            continue
        card.units.append(UnitLine(unit.id, building, unit.number, unit.kind, unit.area_centi))
        ordered.setdefault(card.member.id, card)
    for member_id, person in (await db.execute(owner_query)).all():
        card = members.get(member_id)
        if card is not None and all(p.id != person.id for p in card.owners):
            card.owners.append(person)
    ordered.update((k, v) for k, v in members.items() if k not in ordered)
    return ordered


async def member_in_version(db: AsyncSession, member_id: int, version: RegisterVersion) -> Member | None:
    """The member of ``version`` with the same owner set (key) as member ``member_id`` of any version."""
    key = (await db.execute(select(Member.key).where(Member.id == member_id))).scalar_one_or_none()
    if key is None:
        return None
    return (
        await db.execute(select(Member).where(Member.register_version_id == version.id, Member.key == key))
    ).scalar_one_or_none()


async def activated_persons(db: AsyncSession, person_ids: Collection[int]) -> set[int]:
    """The persons among ``person_ids`` who already have an activated account."""
    if not person_ids:
        return set()
    rows = await db.execute(
        select(Account.person_id).where(Account.person_id.in_(person_ids), Account.activated_at.is_not(None))
    )
    return {pid for pid in rows.scalars() if pid is not None}


async def issue_codes(
    db: AsyncSession, community_id: int, members: Sequence[Member], now: datetime, valid_days: int
) -> tuple[dict[int, str], int]:
    """New codes for ``members`` (in the caller's write transaction); unused older codes of the same
    members, in any register version, are revoked. Returns the clear codes by member id and how many
    codes were revoked."""
    if not members:
        return {}, 0
    same_members = (
        select(Member.id)
        .join(RegisterVersion, RegisterVersion.id == Member.register_version_id)
        .where(RegisterVersion.community_id == community_id, Member.key.in_({m.key for m in members}))
    )
    revoked = await db.execute(
        update(ActivationCode)
        .where(
            ActivationCode.community_id == community_id,
            ActivationCode.member_id.in_(same_members),
            ActivationCode.used_at.is_(None),
            ActivationCode.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    expires = now + timedelta(days=valid_days)
    codes = {m.id: new_code() for m in members}
    db.add_all(
        ActivationCode(community_id=community_id, member_id=member_id, code_hash=code_digest(code), created_at=now,
                       expires_at=expires)
        for member_id, code in codes.items()
    )
    await db.flush()
    return codes, revoked.rowcount or 0


def make_letters(settings: Settings, cards: dict[int, MemberCard], codes: dict[int, str], expires_at: datetime) -> list[Letter]:
    """Letters in unit order; each carries the activation URL as text and as a QR code."""
    letters = []
    for member_id, card in cards.items():
        if member_id not in codes:
            continue
        code = format_code(codes[member_id])
        url = f"{settings.base_url.rstrip('/')}/activate?code={code}"
        letters.append(Letter(card=card, code=code, url=url, qr=qr_data_uri(url), expires_at=expires_at))
    return letters


class LetterService:
    """The committee's activation page and letter generation."""

    def __init__(self, db: AsyncSession, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    async def overview(self, community: Community, now: datetime) -> ActivationOverview:
        """Every member of the current register with its activation state and latest letter."""
        version = await current_version(self.db, community.id)
        buildings = await CommunityService(self.db).buildings(community.id)
        if version is None:
            return ActivationOverview(None, [], buildings)
        cards = [c for c in (await member_cards(self.db, version.id)).values() if not c.member.developer]
        activated = await activated_persons(self.db, {c.member.voter_person_id for c in cards if c.member.voter_person_id})
        latest: dict[str, ActivationCode] = {}
        rows = await self.db.execute(
            select(ActivationCode, Member.key)
            .join(Member, Member.id == ActivationCode.member_id)
            .where(ActivationCode.community_id == community.id)
            .order_by(ActivationCode.created_at, ActivationCode.id)
        )
        for code, key in rows.all():
            latest[key] = code
        statuses = []
        for card in cards:
            code = latest.get(card.member.key)
            statuses.append(
                MemberStatus(
                    card=card,
                    activated=card.member.voter_person_id in activated,
                    code_state=_code_state(code, now),
                    code_expires_at=code.expires_at if code else None,
                )
            )
        return ActivationOverview(version, statuses, buildings)

    async def generate(
        self, community: Community, actor: AuthContext, now: datetime, *, valid_days: str, building_id: str,
        replace_valid: bool,
    ) -> list[Letter]:
        """Letters for every member without an activated voter (optionally one building; by default
        skipping members whose letter is still valid). Returns them for printing, once."""
        days = parse_valid_days(valid_days)
        await begin_write(self.db)
        version = await current_version(self.db, community.id)
        if version is None:
            raise UserError(_("The owner register has not been imported yet."), 409)
        cards = {k: c for k, c in (await member_cards(self.db, version.id)).items() if not c.member.developer}
        if building_id.strip():
            building = await self._building(community, building_id)
            cards = {k: c for k, c in cards.items() if any(u.building == building.name for u in c.units)}
        activated = await activated_persons(self.db, {c.member.voter_person_id for c in cards.values()
                                                      if c.member.voter_person_id})
        cards = {k: c for k, c in cards.items() if c.member.voter_person_id not in activated}
        if not replace_valid:
            covered = await self._keys_with_valid_code(community.id, now)
            cards = {k: c for k, c in cards.items() if c.member.key not in covered}
        codes, revoked = await issue_codes(self.db, community.id, [c.member for c in cards.values()], now, days)
        await record(
            self.db, at=now, action="activation_letters_generated", community_id=community.id,
            actor_account_id=actor.account_id, object_type="register_version", object_id=version.id,
            detail={"member_ids": sorted(codes), "revoked": revoked, "valid_days": days},
        )
        await self.db.commit()
        return make_letters(self.settings, cards, codes, now + timedelta(days=days))

    async def generate_for_member(
        self, community: Community, actor: AuthContext, member_id: int, now: datetime, *, valid_days: str
    ) -> Letter:
        """A replacement letter for one member of the current register (revokes its unused code)."""
        days = parse_valid_days(valid_days)
        await begin_write(self.db)
        version = await current_version(self.db, community.id)
        card = (await member_cards(self.db, version.id, [member_id])).get(member_id) if version else None
        if card is None or card.member.developer:
            raise NotFoundException()
        voter = card.member.voter_person_id
        if voter is not None and await activated_persons(self.db, {voter}):
            raise UserError(_("This member's voter has already activated an account; no letter is needed."), 409)
        codes, revoked = await issue_codes(self.db, community.id, [card.member], now, days)
        await record(
            self.db, at=now, action="activation_letter_generated", community_id=community.id,
            actor_account_id=actor.account_id, object_type="member", object_id=member_id,
            detail={"revoked": revoked, "valid_days": days},
        )
        await self.db.commit()
        return make_letters(self.settings, {member_id: card}, codes, now + timedelta(days=days))[0]

    async def _building(self, community: Community, building_id: str) -> Building:
        building = None
        if building_id.strip().isdigit():
            building = (
                await self.db.execute(
                    select(Building).where(Building.id == int(building_id), Building.community_id == community.id)
                )
            ).scalar_one_or_none()
        if building is None:
            raise NotFoundException()
        return building

    async def _keys_with_valid_code(self, community_id: int, now: datetime) -> set[str]:
        rows = await self.db.execute(
            select(Member.key)
            .join(ActivationCode, ActivationCode.member_id == Member.id)
            .where(
                ActivationCode.community_id == community_id,
                ActivationCode.used_at.is_(None),
                ActivationCode.revoked_at.is_(None),
                ActivationCode.expires_at > now,
            )
        )
        return set(rows.scalars())


def _code_state(code: ActivationCode | None, now: datetime) -> str:
    if code is None:
        return "none"
    if code.used_at is not None:
        return "used"
    if code.revoked_at is not None:
        return "revoked"
    if code.expires_at <= now:
        return "expired"
    return "valid"
