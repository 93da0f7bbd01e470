"""Creating and configuring communities, and granting committee and observer roles (platform operators).

The web pages and ``vote community create`` share these methods, so both check the same rules.
Every change is audited in the same transaction.

The settings that decide a meeting (rule preset, parking, notice and objection days) are frozen on
each meeting when it is published (``vote.domain.meetings.snapshot``): changing them here applies to
meetings published afterwards, and the audit entry names the published meetings that keep their rules.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from datetime import datetime

from litestar.exceptions import NotFoundException
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vote.db.engine import begin_write
from vote.db.models import Account, Community, Meeting, Role
from vote.domain.approvals.services import MEETING_PUBLISH, withdraw
from vote.domain.audit.services import record
from vote.domain.operator.schemas import CommunityForm, RoleForm
from vote.lib.i18n import _
from vote.rules import MATTERS, PRESETS, Preset, threshold_summary

SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
GRANTABLE_ROLES = ("committee", "observer")
YES_NO = {"yes": True, "no": False}
MODES = ("and", "or")
# Settings frozen on a meeting at publication: a change applies to meetings published later.
FROZEN_AT_NOTICE = ("rule_preset", "parking_counts", "notice_days", "objection_days")


class FormErrors(Exception):
    """Some fields of a form are not acceptable: field name -> message (translated)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class CommunitySettings:
    """Checked settings of a community (everything but the slug)."""

    name: str
    address: str
    rule_preset: str
    notice_days: int
    objection_days: int
    voting_days_min: int
    voting_days_max: int
    parking_counts: bool
    ballot_inspection: bool
    proposal_threshold_pct: int
    proposal_mode: str


@dataclass(frozen=True)
class PresetEffect:
    """What a rule preset requires, one line per threshold class, for the settings page."""

    preset: Preset
    lines: list[str]


@dataclass(frozen=True)
class FrozenMeeting:
    """A published meeting that keeps the rules of its notice whatever the settings become."""

    id: int
    title: str
    status: str
    rule_preset: str
    parking_counts: bool
    notice_days: int
    objection_days: int


def preset_effects(language: str) -> list[PresetEffect]:
    """Every preset with its thresholds in words (each distinct threshold once, in matter order)."""
    effects = []
    for preset in PRESETS.values():
        lines: list[str] = []
        for matter in MATTERS:
            line = threshold_summary(preset, matter, language)
            if line not in lines:
                lines.append(line)
        effects.append(PresetEffect(preset, lines))
    return effects


@dataclass(frozen=True)
class RoleLine:
    """A role held in a community, with the account's login."""

    id: int
    login: str
    display_name: str
    role: str
    granted_at: datetime


def _number(form: CommunityForm, name: str, low: int, high: int, errors: dict[str, str]) -> int:
    text = getattr(form, name).strip()
    if not re.fullmatch(r"[0-9]{1,4}", text) or not low <= int(text) <= high:
        errors[name] = _("Enter a whole number from {low} to {high}.").format(low=low, high=high)
        return low
    return int(text)


def clean_settings(form: CommunityForm) -> CommunitySettings:
    """Check every setting of the form; raise ``FormErrors`` naming each bad field."""
    errors: dict[str, str] = {}
    name, address = form.name.strip(), form.address.strip()
    if not name:
        errors["name"] = _("Enter the community's name.")
    elif len(name) > 200:
        errors["name"] = _("At most {limit} characters.").format(limit=200)
    if len(address) > 300:
        errors["address"] = _("At most {limit} characters.").format(limit=300)
    if form.rule_preset not in PRESETS:
        errors["rule_preset"] = _("Unknown rule preset; choose one of: {presets}.").format(presets=", ".join(sorted(PRESETS)))
    notice = _number(form, "notice_days", 1, 365, errors)
    objection = _number(form, "objection_days", 0, 90, errors)
    window_min = _number(form, "voting_days_min", 1, 365, errors)
    window_max = _number(form, "voting_days_max", 1, 365, errors)
    if "voting_days_min" not in errors and "voting_days_max" not in errors and window_min > window_max:
        errors["voting_days_max"] = _("The longest voting window cannot be shorter than the shortest.")
    threshold = _number(form, "proposal_threshold_pct", 1, 100, errors)
    for flag in ("parking_counts", "ballot_inspection"):
        if getattr(form, flag) not in YES_NO:
            errors[flag] = _("Choose yes or no.")
    if form.proposal_mode not in MODES:
        errors["proposal_mode"] = _("Choose “and” or “or”.")
    if errors:
        raise FormErrors(errors)
    return CommunitySettings(
        name=name, address=address, rule_preset=form.rule_preset, notice_days=notice, objection_days=objection,
        voting_days_min=window_min, voting_days_max=window_max, parking_counts=YES_NO[form.parking_counts],
        ballot_inspection=YES_NO[form.ballot_inspection], proposal_threshold_pct=threshold,
        proposal_mode=form.proposal_mode,
    )


def form_for(community: Community) -> CommunityForm:
    """The edit form filled with a community's current settings."""
    values = {f.name: getattr(community, f.name) for f in fields(CommunitySettings)}
    return CommunityForm(
        slug=community.slug,
        **{k: ("yes" if v else "no") if isinstance(v, bool) else str(v) for k, v in values.items()},
    )


class CommunityAdminService:
    """The operator's work on communities and roles."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def _begin_write(self) -> None:
        # A guard or an earlier read may have opened a read transaction: start a real write one.
        await begin_write(self.db)

    async def communities(self) -> list[Community]:
        """Every community, by name."""
        return list((await self.db.execute(select(Community).order_by(Community.name, Community.id))).scalars())

    async def community(self, community_id: int) -> Community:
        """One community by id (404 when unknown)."""
        community = await self.db.get(Community, community_id)
        if community is None:
            raise NotFoundException()
        return community

    async def frozen_meetings(self, community_id: int) -> list[FrozenMeeting]:
        """The community's published meetings without a final result: they keep the rules of their notice."""
        rows = (
            await self.db.execute(
                select(Meeting).where(Meeting.community_id == community_id,
                                      Meeting.status.not_in(("draft", "final")))
                .order_by(Meeting.opens_at, Meeting.id)
            )
        ).scalars()
        return [FrozenMeeting(m.id, m.title, m.status, m.rule_preset or "", bool(m.parking_counts),
                              m.notice_days or 0, m.objection_days or 0) for m in rows]

    async def roles(self, community_id: int) -> list[RoleLine]:
        """The roles held in a community, by role and login."""
        rows = (
            await self.db.execute(
                select(Role, Account.login, Account.display_name)
                .join(Account, Account.id == Role.account_id)
                .where(Role.community_id == community_id)
                .order_by(Role.role, Account.login)
            )
        ).tuples()
        return [RoleLine(role.id, login, display, role.role, role.granted_at) for role, login, display in rows]

    async def create(self, form: CommunityForm, *, actor_account_id: int | None, now: datetime) -> Community:
        """Create a community; raise ``FormErrors`` for a bad or taken slug or bad settings."""
        slug = form.slug.strip().lower()
        errors: dict[str, str] = {}
        if not SLUG.fullmatch(slug):
            errors["slug"] = _("Use 1 to 64 lower-case letters, digits and hyphens, e.g. west-garden.")
        try:
            settings = clean_settings(form)
        except FormErrors as exc:
            errors.update(exc.errors)
        if errors:
            raise FormErrors(errors)
        await self._begin_write()
        if (await self.db.execute(select(Community.id).where(Community.slug == slug))).first() is not None:
            raise FormErrors({"slug": _("This address is already taken by another community.")})
        community = Community(slug=slug, created_at=now, **asdict(settings))
        self.db.add(community)
        try:
            await self.db.flush()
        except IntegrityError as exc:  # created by someone else a moment ago (PostgreSQL)
            await self.db.rollback()
            raise FormErrors({"slug": _("This address is already taken by another community.")}) from exc
        await record(
            self.db, at=now, action="community_created", community_id=community.id,
            actor_account_id=actor_account_id, object_type="community", object_id=community.id,
            detail={"slug": slug, **asdict(settings)},
        )
        await self.db.commit()
        return community

    async def update(self, community_id: int, form: CommunityForm, *, actor_account_id: int, now: datetime) -> Community:
        """Change a community's settings (not its address slug); the audit entry lists old and new values."""
        settings = clean_settings(form)
        await self._begin_write()
        community = await self.community(community_id)
        changes = {
            name: [getattr(community, name), value]
            for name, value in asdict(settings).items() if getattr(community, name) != value
        }
        for name, (_old, new) in changes.items():
            setattr(community, name, new)
        if changes:
            detail: dict[str, object] = {"changes": changes}
            if any(name in FROZEN_AT_NOTICE for name in changes):
                # Published meetings decide by their notice's rules: say which ones this change does not touch.
                detail["meetings_keeping_their_rules"] = [m.id for m in await self.frozen_meetings(community.id)]
                # Approvals to publish a draft were given under the old rules, which its notice would now not freeze.
                drafts = list((await self.db.execute(
                    select(Meeting.id).where(Meeting.community_id == community.id, Meeting.status == "draft")
                )).scalars())
                await withdraw(self.db, community.id, MEETING_PUBLISH, drafts, reason="rules_changed", now=now,
                               actor_account_id=actor_account_id)
            await record(
                self.db, at=now, action="community_updated", community_id=community.id,
                actor_account_id=actor_account_id, object_type="community", object_id=community.id,
                detail=detail,
            )
        await self.db.commit()
        return community

    async def grant(self, community_id: int, form: RoleForm, *, actor_account_id: int, now: datetime) -> None:
        """Give an existing account the committee or observer role in a community."""
        login = form.login.strip()
        if form.role not in GRANTABLE_ROLES:
            raise FormErrors({"role": _("Choose committee member or observer.")})
        await self._begin_write()
        await self.community(community_id)
        account = (await self.db.execute(select(Account).where(Account.login == login))).scalar_one_or_none()
        if account is None:
            raise FormErrors({"login": _("There is no account with this login name.")})
        held = await self.db.execute(
            select(Role.id).where(Role.account_id == account.id, Role.community_id == community_id, Role.role == form.role)
        )
        if held.first() is not None:
            raise FormErrors({"login": _("This account already holds this role here.")})
        role = Role(account_id=account.id, community_id=community_id, role=form.role, granted_at=now)
        self.db.add(role)
        await self.db.flush()
        await record(
            self.db, at=now, action="role_granted", community_id=community_id, actor_account_id=actor_account_id,
            object_type="account", object_id=account.id, detail={"role": form.role},
        )
        await self.db.commit()

    async def revoke(self, community_id: int, role_id: int, *, actor_account_id: int, now: datetime) -> None:
        """Take back a committee or observer role (owner roles come from activation, not from here)."""
        await self._begin_write()
        role = (
            await self.db.execute(select(Role).where(Role.id == role_id, Role.community_id == community_id))
        ).scalar_one_or_none()
        if role is None or role.role not in GRANTABLE_ROLES:
            raise NotFoundException()
        await self.db.delete(role)
        await record(
            self.db, at=now, action="role_revoked", community_id=community_id, actor_account_id=actor_account_id,
            object_type="account", object_id=role.account_id, detail={"role": role.role},
        )
        await self.db.commit()
