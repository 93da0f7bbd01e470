"""Activation pages: the owner's journey (public) and the committee's letters and verifications."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from vote.config import Settings
from vote.domain.accounts import sessions
from vote.domain.accounts.sessions import AuthContext
from vote.domain.activation.schemas import (
    CodeForm,
    CredentialsForm,
    DecisionForm,
    IdentityForm,
    LettersForm,
    MemberLetterForm,
    TotpForm,
    VerificationForm,
)
from vote.domain.activation.journey import (
    ActivationService,
    CredentialsStep,
    IdentityStep,
    JourneyError,
    JourneyStep,
    Stopped,
    TotpStep,
)
from vote.domain.activation.services import DEFAULT_VALID_DAYS, LetterService
from vote.domain.activation.verification import VerificationError, VerificationService, document_labels
from vote.domain.communities.guards import community_for
from vote.domain.meetings.services import local_time
from vote.lib.clock import Clock
from vote.lib.http import client_ip
from vote.lib.i18n import current_language

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
STEP_TEMPLATES: dict[type, str] = {
    IdentityStep: "activation/identity.html",
    CredentialsStep: "activation/credentials.html",
    TotpStep: "activation/totp.html",
}


def render_step(step: JourneyStep | None, *, error: str | None = None, status: int = 200, code: str = "") -> Template:
    """A journey page: the step's form (or the code page when ``step`` is None), with an error if any."""
    if step is None:
        return Template("activation/start.html", context={"code": code, "error": error}, status_code=status)
    return Template(STEP_TEMPLATES[type(step)], context={"step": step, "error": error}, status_code=status)


def render_error(error: JourneyError, code: str = "") -> Template:
    """Show a failed step again with its message."""
    return render_step(error.step, error=error.message, status=error.status, code=code)


def committee_page(template: str, context: dict, status: int = 200) -> Template:
    """A committee page; times are shown in Beijing time."""
    return Template(template, context={**context, "local_time": local_time}, status_code=status)


def letters_in_letter_language(settings: Settings) -> None:
    """Letters go to owners' doors: print them in the deployment's language (Chinese) whatever the UI language."""
    current_language.set(settings.default_language)


class ActivationController(Controller):
    """The owner's activation journey: public, phone-first, every step a plain form."""

    @get("/activate", name="activate")
    async def start(self, code: FromQuery[str] = "") -> Template:
        """Step 1: enter the code from the letter (``?code=`` from the QR code prefills it)."""
        return render_step(None, code=code)

    @post("/activate", status_code=200)
    async def submit_code(
        self, request: Request, data: Annotated[CodeForm, FORM], activation_service: NamedDependency[ActivationService],
        clock: NamedDependency[Clock],
    ) -> Template:
        """Check the code; a good one leads to the identity check."""
        try:
            return render_step(await activation_service.check_code(data.code, client_ip(request), clock.now()))
        except JourneyError as error:
            return render_error(error, code=data.code)

    @post("/activate/identity", status_code=200)
    async def submit_identity(
        self, data: Annotated[IdentityForm, FORM], activation_service: NamedDependency[ActivationService],
        clock: NamedDependency[Clock],
    ) -> Template:
        """Step 2: name and last four characters of the ID number."""
        try:
            result = await activation_service.verify_identity(data.token, data.name, data.id_last4, clock.now())
        except JourneyError as error:
            return render_error(error)
        if isinstance(result, Stopped):
            return Template("activation/stopped.html", context={"stopped": result})
        return render_step(result)

    @post("/activate/credentials", status_code=200)
    async def submit_credentials(
        self, data: Annotated[CredentialsForm, FORM], activation_service: NamedDependency[ActivationService],
        clock: NamedDependency[Clock],
    ) -> Template:
        """Step 3: login name and password."""
        try:
            step = await activation_service.choose_credentials(
                data.token, data.login, data.password, data.password_again, clock.now()
            )
        except JourneyError as error:
            return render_error(error)
        return render_step(step)

    @post("/activate/totp", status_code=200)
    async def submit_totp(
        self, request: Request, data: Annotated[TotpForm, FORM], activation_service: NamedDependency[ActivationService],
        settings: NamedDependency[Settings], clock: NamedDependency[Clock],
    ) -> Template:
        """Step 4: confirm the authenticator; done: recovery codes, and the owner is logged in."""
        try:
            done = await activation_service.confirm_totp(
                data.token, data.code, clock.now(), request.cookies.get(sessions.SESSION_COOKIE)
            )
        except JourneyError as error:
            return render_error(error)
        # This very page already belongs to the new session (the header shows the owner logged in).
        request.scope.setdefault("state", {})["auth"] = done.auth
        response = Template("activation/done.html", context={"done": done})
        response.cookies.append(sessions.session_cookie(settings, done.session_token))
        return response


class CommitteeActivationController(Controller):
    """The committee's activation letters and in-person verifications of one community."""

    path = "/c/{slug:str}"

    @get("/activation", name="activation_overview")
    async def overview(
        self, slug: FromPath[str], db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
        letter_service: NamedDependency[LetterService], clock: NamedDependency[Clock],
    ) -> Template:
        """Members of the current register, who has activated, and the letter forms."""
        community = await community_for(db_session, slug, auth, "committee")
        overview = await letter_service.overview(community, clock.now())
        return committee_page("activation/overview.html", {
            "community": community, "overview": overview, "default_days": DEFAULT_VALID_DAYS,
        })

    @post("/activation/letters", status_code=200)
    async def generate_letters(
        self, slug: FromPath[str], data: Annotated[LettersForm, FORM], db_session: NamedDependency[AsyncSession],
        auth: NamedDependency[AuthContext | None], letter_service: NamedDependency[LetterService],
        settings: NamedDependency[Settings], clock: NamedDependency[Clock],
    ) -> Template:
        """Generate letters and show them for printing (the codes are shown this once)."""
        community = await community_for(db_session, slug, auth, "committee")
        letters = await letter_service.generate(
            community, auth, clock.now(), valid_days=data.valid_days, building_id=data.building_id,
            replace_valid=bool(data.replace_valid),
        )
        letters_in_letter_language(settings)
        return committee_page("activation/letters.html", {"community": community, "letters": letters, "notice": None})

    @post("/activation/members/{member_id:int}/letter", status_code=200)
    async def member_letter(
        self, slug: FromPath[str], member_id: FromPath[int], data: Annotated[MemberLetterForm, FORM],
        db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
        letter_service: NamedDependency[LetterService], settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
    ) -> Template:
        """A replacement letter for one member; its previous unused code stops working."""
        community = await community_for(db_session, slug, auth, "committee")
        letter = await letter_service.generate_for_member(community, auth, member_id, clock.now(),
                                                          valid_days=data.valid_days)
        letters_in_letter_language(settings)
        return committee_page("activation/letters.html", {"community": community, "letters": [letter], "notice": None})

    @get("/verifications", name="verifications")
    async def verifications(
        self, slug: FromPath[str], db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
        verification_service: NamedDependency[VerificationService], unit: FromQuery[str] = "",
        recorded: FromQuery[int | None] = None,
    ) -> Template:
        """Find an owner by unit, record what they showed; pending checks wait for a second member."""
        community = await community_for(db_session, slug, auth, "committee")
        page = await verification_service.page(community, unit)
        return committee_page("activation/verifications.html", {
            "community": community, "page": page, "labels": document_labels(), "error": None, "form": None,
            "recorded": recorded, "me": auth.account_id if auth else None, "default_days": DEFAULT_VALID_DAYS,
        })

    @post("/verifications", status_code=303)
    async def record_verification(
        self, slug: FromPath[str], data: Annotated[VerificationForm, FORM], db_session: NamedDependency[AsyncSession],
        auth: NamedDependency[AuthContext | None], verification_service: NamedDependency[VerificationService],
        clock: NamedDependency[Clock],
    ) -> Redirect | Template:
        """Record an in-person check; it needs another committee member's approval."""
        community = await community_for(db_session, slug, auth, "committee")
        try:
            verification = await verification_service.request(
                community, auth, data.unit_id, data.person_id, data.document_keys, clock.now()
            )
        except VerificationError as error:
            page = await verification_service.page(community, data.unit)
            return committee_page("activation/verifications.html", {
                "community": community, "page": page, "labels": document_labels(), "error": error.message,
                "form": data, "recorded": None, "me": auth.account_id if auth else None,
                "default_days": DEFAULT_VALID_DAYS,
            }, 422)
        query = urlencode({"unit": data.unit, "recorded": verification.id})
        return Redirect(path=f"/c/{community.slug}/verifications?{query}", status_code=303)

    @post("/verifications/{verification_id:int}/approve", status_code=200)
    async def approve_verification(
        self, slug: FromPath[str], verification_id: FromPath[int], data: Annotated[DecisionForm, FORM],
        db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
        verification_service: NamedDependency[VerificationService], settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
    ) -> Template:
        """Second member approves: a new letter for the owner, or the unit linked to their account."""
        community = await community_for(db_session, slug, auth, "committee")
        result = await verification_service.approve(community, auth, verification_id, clock.now(),
                                                     valid_days=data.valid_days)
        letters_in_letter_language(settings)
        return committee_page("activation/letters.html", {
            "community": community, "letters": [result.letter] if result.letter else [], "notice": result,
        })

    @post("/verifications/{verification_id:int}/reject", status_code=303)
    async def reject_verification(
        self, slug: FromPath[str], verification_id: FromPath[int], db_session: NamedDependency[AsyncSession],
        auth: NamedDependency[AuthContext | None], verification_service: NamedDependency[VerificationService],
        clock: NamedDependency[Clock],
    ) -> Redirect:
        """Second member rejects the request."""
        community = await community_for(db_session, slug, auth, "committee")
        await verification_service.reject(community, auth, verification_id, clock.now())
        return Redirect(path=f"/c/{community.slug}/verifications", status_code=303)
