"""Activation letters, the owner's activation journey and in-person verification (two-person rule).

A letter carries a single-use, expiring code for one voting member. Only the code's SHA-256 is stored,
so the clear code exists only in the response that generated it: the committee prints the letters
from that page, and a lost letter is replaced by a new one (which revokes the old code).

Codes belong to a member of a register version; members keep their key across re-imports (the same
set of owners), so a letter stays good after a re-import as long as the member still exists.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from litestar.exceptions import NotFoundException
from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vote.config import Settings
from vote.db.engine import begin_write
from vote.db.models import (
    Account,
    ActivationCode,
    AuditEvent,
    Building,
    Community,
    Member,
    Person,
    RecoveryCode,
    RegisterVersion,
    Role,
    Unit,
    UnitOwner,
    Verification,
)
from vote.domain.accounts import sessions, totp
from vote.domain.accounts.services import IpLimiter, new_recovery_codes, recovery_digest
from vote.domain.accounts.sessions import AuthContext
from vote.domain.activation.codes import code_digest, format_code, new_code, normalize_code, qr_data_uri
from vote.domain.audit.services import record
from vote.domain.communities.services import CommunityService
from vote.lib.crypto import SecretBox
from vote.lib.errors import UserError
from vote.lib.i18n import _
from vote.lib.masking import mask_name
from vote.lib.security import hash_password

DEFAULT_VALID_DAYS = 60
MAX_VALID_DAYS = 365
JOURNEY_TTL = timedelta(minutes=30)
MAX_IDENTITY_FAILURES = 5
PASSWORD_MIN = 10
PASSWORD_MAX = 256
LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,31}$")
CONSENT_DOCUMENT = "co_owner_consent"
IDENTITY_FAILED = "activation_identity_failed"


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


# --- read models -------------------------------------------------------------------------------


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


# --- letters (committee) ---------------------------------------------------------------------------


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


# --- the owner's journey ---------------------------------------------------------------------------


@dataclass(frozen=True)
class JourneyState:
    """What the server vouches for between steps; sealed (encrypted and authenticated) in a hidden field."""

    stage: str
    code_id: int
    issued: float
    person_id: int | None = None
    login: str = ""
    password_hash: str = ""
    totp_secret: str = ""


@dataclass(frozen=True)
class IdentityStep:
    """Step 2: the code is good; ask for name and last four of the ID number."""

    token: str
    community_name: str
    units: list[UnitLine]
    name: str = ""
    id_last4: str = ""


@dataclass(frozen=True)
class CredentialsStep:
    """Step 3: identity confirmed; choose a login name and a password."""

    token: str
    login: str
    masked_name: str


@dataclass(frozen=True)
class TotpStep:
    """Step 4: enrol the authenticator (QR and manual key) and confirm with a code."""

    token: str
    login: str
    secret: str
    qr: str


@dataclass(frozen=True)
class Stopped:
    """The journey ends here with an explanation (another nominated voter, an existing account)."""

    message: str
    show_login: bool


@dataclass(frozen=True)
class Activated:
    """Done: the new session token, the recovery codes (shown once) and where to go next."""

    session_token: str
    recovery_codes: list[str]
    login: str
    community_slug: str
    community_name: str
    auth: AuthContext | None


JourneyStep = IdentityStep | CredentialsStep | TotpStep


class JourneyError(Exception):
    """A step failed: show ``message`` on ``step`` again, or on the code page when ``step`` is None."""

    def __init__(self, message: str, step: JourneyStep | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.step = step
        self.status = status


class ActivationService:
    """The owner's activation: code → identity → login and password → authenticator → recovery codes."""

    def __init__(self, db: AsyncSession, settings: Settings, totp_box: SecretBox, limiter: IpLimiter) -> None:
        self.db = db
        self.settings = settings
        self.totp_box = totp_box
        self.limiter = limiter
        self.state_box = SecretBox(settings.secret_key, "activation-journey")

    async def check_code(self, raw_code: str, ip: str, now: datetime) -> IdentityStep:
        """Step 1: a usable code leads to the identity check."""
        if self.limiter.blocked(ip):
            raise JourneyError(_("Too many failed attempts from this device. Please wait a few minutes."), status=429)
        normalized = normalize_code(raw_code)
        code = None
        if normalized is not None:
            code = (
                await self.db.execute(select(ActivationCode).where(ActivationCode.code_hash == code_digest(normalized)))
            ).scalar_one_or_none()
        if code is None:
            self.limiter.fail(ip)
            raise JourneyError(_("This activation code is not valid. Please compare it with your letter."))
        card, community = await self._usable(code, now)
        return self._identity_step(self._seal(JourneyState("identity", code.id, now.timestamp())), community, card)

    async def verify_identity(self, token: str, name: str, id_last4: str, now: datetime) -> CredentialsStep | Stopped:
        """Step 2: the name and last four ID characters must be those of one owner of the member."""
        state = self._open(token, "identity", now)
        await begin_write(self.db)
        code = await self._code(state)
        card, community = await self._usable(code, now)
        wanted_name, wanted_last4 = squash(name), squash(id_last4).upper()
        person = next(
            (p for p in card.owners if wanted_name and squash(p.name) == wanted_name and p.id_last4.upper() == wanted_last4),
            None,
        )
        if person is None:
            raise await self._identity_failed(code, community, now,
                                              self._identity_step(token, community, card, name, id_last4))
        voter = card.member.voter_person_id
        if voter is not None and voter != person.id:
            await record(self.db, at=now, action="activation_refused", community_id=community.id,
                         object_type="activation_code", object_id=code.id,
                         detail={"reason": "another_nominated_voter", "member_id": card.member.id})
            await self.db.commit()
            return Stopped(_("This unit already has a nominated voter: co-owners vote through one person. "
                             "To change who votes, please contact the owners' committee."), show_login=False)
        account = (
            await self.db.execute(select(Account).where(Account.person_id == person.id).order_by(Account.id).limit(1))
        ).scalar_one_or_none()
        if account is not None:
            return await self._link_existing(code, card, community, person, account, now)
        await self.db.commit()  # nothing was written; the objects stay loaded
        return CredentialsStep(
            token=self._seal(JourneyState("credentials", code.id, now.timestamp(), person_id=person.id)),
            login=await self._suggest_login(card),
            masked_name=mask_name(person.name),
        )

    async def choose_credentials(
        self, token: str, login: str, password: str, password_again: str, now: datetime
    ) -> TotpStep:
        """Step 3: check the login name and password; hash the password (no transaction is open)."""
        state = self._open(token, "credentials", now)
        code = await self._code(state)
        await self._usable(code, now)
        person = await self.db.get(Person, state.person_id)
        login = login.strip().lower()
        retry = CredentialsStep(token=token, login=login, masked_name=mask_name(person.name) if person else "")
        if not LOGIN_PATTERN.match(login):
            raise JourneyError(_("A login name has 3 to 32 characters: lower-case letters, digits, dots, dashes "
                                 "or underscores, starting with a letter or digit."), retry, 422)
        if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
            raise JourneyError(_("The password must have at least 10 characters."), retry, 422)
        if password != password_again:
            raise JourneyError(_("The two passwords are not the same."), retry, 422)
        if await self._login_taken(login):
            raise JourneyError(_("This login name is already taken. Please choose another one."), retry, 422)
        # End the read transaction before hashing: nothing is held across Argon2.
        await self.db.commit()
        password_hash = await hash_password(password)
        secret = totp.new_secret()
        next_state = JourneyState("totp", code.id, now.timestamp(), person_id=state.person_id, login=login,
                                  password_hash=password_hash, totp_secret=secret)
        return self._totp_step(self._seal(next_state), next_state)

    async def confirm_totp(self, token: str, code_text: str, now: datetime, old_session: str | None) -> Activated:
        """Step 4: a correct authenticator code creates the account, uses up the letter and logs in."""
        state = self._open(token, "totp", now)
        step = totp.matching_step(state.totp_secret, code_text, now)
        if step is None:
            raise JourneyError(_("That code is not correct. Type the 6 digits your authenticator shows now."),
                               self._totp_step(token, state), 422)
        await begin_write(self.db)
        claimed = await self.db.execute(
            update(ActivationCode)
            .where(
                ActivationCode.id == state.code_id,
                ActivationCode.used_at.is_(None),
                ActivationCode.revoked_at.is_(None),
                ActivationCode.expires_at > now,
            )
            .values(used_at=now)
        )
        if claimed.rowcount != 1:
            await self.db.rollback()
            await self._usable(await self._code(state), now)
            raise JourneyError(_("This activation code is not valid. Please compare it with your letter."))
        code = await self._code(state)
        community = await self.db.get(Community, code.community_id)
        version = await current_version(self.db, code.community_id)
        member = await member_in_version(self.db, code.member_id, version) if version else None
        person = await self.db.get(Person, state.person_id)
        if member is None or community is None or person is None or not await self._owns(person.id, member.id):
            await self.db.rollback()
            raise JourneyError(_("This letter no longer matches the owner register. Please ask the owners' "
                                 "committee for a new letter."))
        retry = self._credentials_retry(state, person, now)
        if await self._login_taken(state.login):
            await self.db.rollback()
            raise JourneyError(_("This login name is already taken. Please choose another one."), retry, 422)
        if (await self.db.execute(select(Account.id).where(Account.person_id == person.id))).first():
            await self.db.rollback()
            raise JourneyError(_("You already have an account. Please log in with it."))
        nominated = await self.db.execute(
            update(Member)
            .where(Member.id == member.id,
                   or_(Member.voter_person_id.is_(None), Member.voter_person_id == person.id))
            .values(voter_person_id=person.id)
        )
        if nominated.rowcount != 1:
            await self.db.rollback()
            raise JourneyError(_("This unit already has a nominated voter: co-owners vote through one person. "
                                 "To change who votes, please contact the owners' committee."))
        try:
            return await self._create_account(state, step, code, community, member, person, now, old_session)
        except IntegrityError:
            await self.db.rollback()
            raise JourneyError(_("This login name is already taken. Please choose another one."), retry, 422) from None

    async def _create_account(
        self, state: JourneyState, step: int, code: ActivationCode, community: Community, member: Member,
        person: Person, now: datetime, old_session: str | None,
    ) -> Activated:
        """The activated account, its recovery codes, the owner role, the audit entries and a new session."""
        account = Account(
            login=state.login, display_name=mask_name(person.name), person_id=person.id,
            password_hash=state.password_hash, totp_secret=self.totp_box.seal(state.totp_secret),
            totp_last_step=step, created_at=now, activated_at=now,
        )
        self.db.add(account)
        await self.db.flush()
        recovery = new_recovery_codes()
        self.db.add_all(RecoveryCode(account_id=account.id, code_hash=recovery_digest(c)) for c in recovery)
        self.db.add(Role(account_id=account.id, community_id=community.id, role="owner", granted_at=now))
        await self.db.execute(
            update(ActivationCode).where(ActivationCode.id == code.id).values(used_by_account_id=account.id)
        )
        await record(self.db, at=now, action="account_activated", community_id=community.id,
                     actor_account_id=account.id, object_type="account", object_id=account.id,
                     detail={"member_id": member.id, "activation_code_id": code.id, "via": "letter"})
        session_token = await sessions.create_session(self.db, account.id, now, old_session)
        await record(self.db, at=now, action="login", actor_account_id=account.id, object_type="account",
                     object_id=account.id, detail={"via": "activation"})
        await self.db.commit()
        auth = await sessions.load_auth(self.db, session_token, now, self.settings)
        return Activated(session_token, recovery, account.login, community.slug, community.name, auth)

    # -- helpers

    def _seal(self, state: JourneyState) -> str:
        return self.state_box.seal(json.dumps(asdict(state)))

    def _open(self, token: str, stage: str, now: datetime) -> JourneyState:
        opened = self.state_box.open(token) if token else None
        try:
            state = JourneyState(**json.loads(opened)) if opened else None
        except (TypeError, ValueError):
            state = None
        if state is None or state.stage != stage:
            raise JourneyError(_("Please start again with the code from your letter."))
        if now.timestamp() - state.issued > JOURNEY_TTL.total_seconds():
            raise JourneyError(_("This activation took too long and has expired. Please start again with the "
                                 "code from your letter."))
        return state

    async def _code(self, state: JourneyState) -> ActivationCode:
        code = await self.db.get(ActivationCode, state.code_id, populate_existing=True)
        if code is None:
            raise JourneyError(_("Please start again with the code from your letter."))
        return code

    async def _usable(self, code: ActivationCode, now: datetime) -> tuple[MemberCard, Community]:
        """The member card (current register) and community of a usable code; else a clear error."""
        if code.used_at is not None:
            raise JourneyError(_("This activation code has already been used. If you activated your account, "
                                 "please log in."))
        if code.revoked_at is not None:
            raise JourneyError(_("This activation code is no longer valid: it was replaced by a newer letter or "
                                 "blocked after too many wrong answers. Please contact the owners' committee."))
        if code.expires_at <= now:
            raise JourneyError(_("This activation code has expired. Please ask the owners' committee for a new "
                                 "letter."))
        community = await self.db.get(Community, code.community_id)
        version = await current_version(self.db, code.community_id)
        member = await member_in_version(self.db, code.member_id, version) if version else None
        card = (await member_cards(self.db, version.id, [member.id])).get(member.id) if member and version else None
        if card is None or community is None:
            raise JourneyError(_("This letter no longer matches the owner register. Please ask the owners' "
                                 "committee for a new letter."))
        return card, community

    def _identity_step(
        self, token: str, community: Community, card: MemberCard, name: str = "", id_last4: str = ""
    ) -> IdentityStep:
        return IdentityStep(token, community.name, card.units, name, id_last4)

    def _totp_step(self, token: str, state: JourneyState) -> TotpStep:
        uri = totp.provisioning_uri(state.totp_secret, state.login)
        return TotpStep(token=token, login=state.login, secret=state.totp_secret, qr=qr_data_uri(uri))

    def _credentials_retry(self, state: JourneyState, person: Person, now: datetime) -> CredentialsStep:
        token = self._seal(JourneyState("credentials", state.code_id, now.timestamp(), person_id=person.id))
        return CredentialsStep(token=token, login=state.login, masked_name=mask_name(person.name))

    async def _identity_failed(
        self, code: ActivationCode, community: Community, now: datetime, retry: IdentityStep
    ) -> JourneyError:
        """Count a wrong answer in the audit log (the fifth revokes the code); the error to show."""
        failures = (
            await self.db.execute(
                select(func.count(AuditEvent.id)).where(
                    AuditEvent.action == IDENTITY_FAILED,
                    AuditEvent.object_type == "activation_code",
                    AuditEvent.object_id == str(code.id),
                )
            )
        ).scalar_one() + 1
        await record(self.db, at=now, action=IDENTITY_FAILED, community_id=community.id,
                     object_type="activation_code", object_id=code.id, detail={"attempt": failures})
        if failures >= MAX_IDENTITY_FAILURES:
            code.revoked_at = now
            await record(self.db, at=now, action="activation_code_revoked", community_id=community.id,
                         object_type="activation_code", object_id=code.id,
                         detail={"reason": "too_many_identity_failures"})
            await self.db.commit()
            return JourneyError(_("Too many wrong answers: this activation code is now blocked. Please contact the "
                                  "owners' committee."), status=403)
        await self.db.commit()
        left = MAX_IDENTITY_FAILURES - failures
        return JourneyError(
            _("The name or the last 4 characters of the ID number do not match the register for this letter. "
              "Attempts left: {left}.").format(left=left),
            retry,
            422,
        )

    async def _link_existing(
        self, code: ActivationCode, card: MemberCard, community: Community, person: Person, account: Account,
        now: datetime,
    ) -> Stopped:
        """The owner already has an account: attach this member to it when it has no voter, then log in."""
        if card.member.voter_person_id is not None:
            await self.db.rollback()
            return Stopped(_("You already have an account. Please log in with it."), show_login=True)
        card.member.voter_person_id = person.id
        code.used_at = now
        code.used_by_account_id = account.id
        has_role = (
            await self.db.execute(
                select(Role.id).where(Role.account_id == account.id, Role.community_id == community.id,
                                      Role.role == "owner")
            )
        ).first()
        if not has_role:
            self.db.add(Role(account_id=account.id, community_id=community.id, role="owner", granted_at=now))
        await record(self.db, at=now, action="activation_linked", community_id=community.id,
                     object_type="account", object_id=account.id,
                     detail={"member_id": card.member.id, "activation_code_id": code.id})
        await self.db.commit()
        return Stopped(_("You already have an account. This unit's vote is now linked to it. Please log in."),
                       show_login=True)

    async def _owns(self, person_id: int, member_id: int) -> bool:
        owner = await self.db.execute(
            select(UnitOwner.person_id).join(Unit, Unit.id == UnitOwner.unit_id)
            .where(Unit.member_id == member_id, UnitOwner.person_id == person_id).limit(1)
        )
        return owner.first() is not None

    async def _login_taken(self, login: str) -> bool:
        return (await self.db.execute(select(Account.id).where(Account.login == login))).first() is not None

    async def _suggest_login(self, card: MemberCard) -> str:
        """A free login name from the first unit, e.g. ``1-101`` for 1号楼 101."""
        base = "owner"
        if card.units:
            unit = card.units[0]
            parts = [re.sub(r"[^a-z0-9]", "", part.lower()) for part in (unit.building, unit.number)]
            joined = "-".join(p for p in parts if p)
            if joined:
                base = joined if len(joined) >= 3 else f"owner-{joined}"
        candidate, n = base, 1
        while await self._login_taken(candidate):
            n += 1
            candidate = f"{base}-{n}"
        return candidate


# --- in-person verification (committee) ---------------------------------------------------------


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

