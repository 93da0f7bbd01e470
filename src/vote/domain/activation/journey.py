"""The owner's activation journey: code → identity → login and password → authenticator → recovery codes.

Between steps the server vouches for what was established (which code, which person, the chosen
login, the password's hash, the new TOTP seed) in a sealed token: encrypted and authenticated under
the app secret, and expiring after 30 minutes. The client never names the member or the person.
The last step uses up the code with one conditional UPDATE, so two submissions make one account.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vote.config import Settings
from vote.db.engine import begin_write
from vote.db.models import (
    Account,
    ActivationCode,
    AuditEvent,
    Community,
    Member,
    Person,
    RecoveryCode,
    Role,
    Unit,
    UnitOwner,
)
from vote.domain.accounts import sessions, totp
from vote.domain.accounts.services import IpLimiter, new_recovery_codes, recovery_digest
from vote.domain.accounts.sessions import AuthContext
from vote.domain.activation.codes import code_digest, normalize_code, qr_data_uri
from vote.domain.activation.services import MemberCard, UnitLine, current_version, member_cards, member_in_version, squash
from vote.domain.audit.services import record
from vote.lib.crypto import SecretBox
from vote.lib.i18n import _
from vote.lib.masking import mask_name
from vote.lib.security import hash_password

JOURNEY_TTL = timedelta(minutes=30)
MAX_IDENTITY_FAILURES = 5
PASSWORD_MIN = 10
PASSWORD_MAX = 256
LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,31}$")
IDENTITY_FAILED = "activation_identity_failed"


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
