"""Ballot pages: the owner's ballot (choose, confirm, receipt), paper ballots, live turnout."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from vote.domain.accounts.sessions import AuthContext
from vote.domain.ballots.schemas import BallotInput
from vote.db.models import Community
from vote.domain.ballots.services import (
    AlreadyVoted,
    BallotService,
    InvalidBallot,
    PaperPage,
    already_voted,
    spoiled_reasons,
)
from vote.domain.communities.guards import community_for
from vote.domain.meetings.controllers import page
from vote.lib.clock import Clock
from vote.lib.http import is_htmx, parse_id
from vote.lib.i18n import _

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _base(slug: str, meeting_id: int) -> str:
    return f"/c/{slug}/meetings/{meeting_id}"


def _form_again(template: str, invalid: InvalidBallot, action: str, status_code: int, **context: Any) -> Template:
    """The ballot form again with the choices kept and the problems marked."""
    return page(template, status_code=status_code, view=invalid.page.view, voted=[], form_member=invalid.member,
                form_action=action, idempotency_key=invalid.ballot.idempotency_key, errors=invalid.errors,
                ballot=invalid.ballot, notice="", notice_kind="", **context)


def _paper_notice(done: str) -> str:
    """The line shown on the paper screen after an action (``?done=...``)."""
    return {
        "entered": _("The paper ballot was recorded. It counts once a second committee member confirms it. "
                     "Find the next unit."),
        "confirmed": _("The paper ballot was confirmed and cast."),
        "rejected": _("The paper ballot entry was rejected; nothing was cast."),
    }.get(done, "")


class BallotController(Controller):
    """Casting and watching the turnout of one meeting."""

    path = "/c/{slug:str}/meetings/{meeting_id:int}"

    @get("/ballot", name="ballot")
    async def ballot(self, slug: FromPath[str], meeting_id: FromPath[int], db_session: NamedDependency[AsyncSession],
                     auth: NamedDependency[AuthContext | None], ballot_service: NamedDependency[BallotService],
                     clock: NamedDependency[Clock], done: FromQuery[str] = "") -> Template:
        """The owner's ballot form, or "voted" with the receipt codes."""
        community = await community_for(db_session, slug, auth, "owner")
        ballot_page = await ballot_service.page(community, meeting_id, auth, clock.now())
        notice = _("Your ballot has been cast.") if done == "cast" and ballot_page.voted_members else ""
        return page("ballots/ballot.html", community=community, view=ballot_page.view,
                    voted=ballot_page.voted_members, form_member=ballot_page.form_member,
                    form_action=_base(slug, meeting_id) + "/ballot", idempotency_key=ballot_page.idempotency_key,
                    errors={}, ballot=None, notice=notice, notice_kind="ok")

    @post("/ballot", status_code=200)
    async def review(self, slug: FromPath[str], meeting_id: FromPath[int], db_session: NamedDependency[AsyncSession],
                     auth: NamedDependency[AuthContext | None], ballot_service: NamedDependency[BallotService],
                     clock: NamedDependency[Clock], data: FormData) -> Template:
        """Step 2: repeat the choices in plain words for confirmation (or show the form again to change)."""
        community = await community_for(db_session, slug, auth, "owner")
        assert auth is not None
        ballot = BallotInput.from_form(data)
        base = _base(slug, meeting_id)
        if data.get("action") == "change":
            ballot_page, member = await ballot_service.owner_form(community, meeting_id, auth, ballot, clock.now())
            return page("ballots/ballot.html", community=community, view=ballot_page.view, voted=[],
                        form_member=member, form_action=base + "/ballot", idempotency_key=ballot.idempotency_key,
                        errors={}, ballot=ballot, notice="", notice_kind="")
        try:
            review = await ballot_service.review(community, meeting_id, auth, ballot, clock.now())
        except InvalidBallot as invalid:
            return _form_again("ballots/ballot.html", invalid, base + "/ballot", 422, community=community)
        return page("ballots/review.html", community=community, review=review,
                    cast_action=base + "/ballot/cast", change_action=base + "/ballot")

    @post("/ballot/cast", status_code=303)
    async def cast(self, slug: FromPath[str], meeting_id: FromPath[int], db_session: NamedDependency[AsyncSession],
                   auth: NamedDependency[AuthContext | None], ballot_service: NamedDependency[BallotService],
                   clock: NamedDependency[Clock], data: FormData) -> Template | Redirect:
        """Step 3: cast, then the receipt page; a retried form gets the same receipts, a second form the
        existing ones."""
        community = await community_for(db_session, slug, auth, "owner")
        assert auth is not None
        base = _base(slug, meeting_id)
        try:
            await ballot_service.cast(community, meeting_id, auth, BallotInput.from_form(data), clock.now())
        except InvalidBallot as invalid:
            return _form_again("ballots/ballot.html", invalid, base + "/ballot", 422, community=community)
        except AlreadyVoted as already:
            return self._already(already, community=community, form_member=None, form_action="")
        return Redirect(path=base + "/ballot?done=cast", status_code=303)

    @get("/paper", name="paper_ballot", cache=False)
    async def paper(self, slug: FromPath[str], meeting_id: FromPath[int], db_session: NamedDependency[AsyncSession],
                    auth: NamedDependency[AuthContext | None], ballot_service: NamedDependency[BallotService],
                    clock: NamedDependency[Clock], building_id: FromQuery[str] = "", number: FromQuery[str] = "",
                    done: FromQuery[str] = "") -> Template:
        """Committee: find a unit (whether its member voted, never how), type in its paper ballot, and
        confirm the entries of the other committee members."""
        community = await community_for(db_session, slug, auth, "committee")
        assert auth is not None
        paper = await ballot_service.paper_page(
            community, meeting_id, auth, parse_id(building_id), number, clock.now()
        )
        return self._paper_page(community, paper, searched=bool(number.strip()), notice=_paper_notice(done))

    @post("/paper", status_code=200)
    async def paper_review(self, slug: FromPath[str], meeting_id: FromPath[int],
                           db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
                           ballot_service: NamedDependency[BallotService], clock: NamedDependency[Clock],
                           data: FormData) -> Template:
        """Repeat the paper ballot typed in, before it is recorded (or show the form again to change)."""
        community = await community_for(db_session, slug, auth, "committee")
        assert auth is not None
        ballot = BallotInput.from_form(data)
        base = _base(slug, meeting_id)
        if data.get("action") == "change":
            ballot_page, unit = await ballot_service.paper_form(community, meeting_id, auth, ballot, clock.now())
            return page("ballots/paper_form.html", community=community, view=ballot_page.view, member=unit,
                        action=base + "/paper", idempotency_key=ballot.idempotency_key, errors={}, ballot=ballot,
                        reasons=spoiled_reasons())
        try:
            review = await ballot_service.paper_review(community, meeting_id, auth, ballot, clock.now())
        except InvalidBallot as invalid:
            return self._paper_form_again(community, invalid, base + "/paper")
        return page("ballots/paper_review.html", community=community, review=review,
                    enter_action=base + "/paper/entries", change_action=base + "/paper")

    @post("/paper/entries", status_code=303)
    async def paper_enter(self, slug: FromPath[str], meeting_id: FromPath[int],
                          db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
                          ballot_service: NamedDependency[BallotService], clock: NamedDependency[Clock],
                          data: FormData) -> Template | Redirect:
        """Record the paper ballot as an entry for a second committee member; back to the search for the next."""
        community = await community_for(db_session, slug, auth, "committee")
        assert auth is not None
        try:
            await ballot_service.enter_paper(community, meeting_id, auth, BallotInput.from_form(data), clock.now())
        except InvalidBallot as invalid:
            return self._paper_form_again(community, invalid, _base(slug, meeting_id) + "/paper")
        return Redirect(path=_base(slug, meeting_id) + "/paper?done=entered", status_code=303)

    @get("/paper/entries/{entry_id:int}", name="paper_entry", cache=False)
    async def paper_entry(self, slug: FromPath[str], meeting_id: FromPath[int], entry_id: FromPath[int],
                          db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
                          ballot_service: NamedDependency[BallotService], clock: NamedDependency[Clock]) -> Template:
        """A second committee member checks a pending entry against the paper ballot."""
        community = await community_for(db_session, slug, auth, "committee")
        assert auth is not None
        confirmation = await ballot_service.paper_entry(community, meeting_id, entry_id, auth, clock.now())
        action = f"{_base(slug, meeting_id)}/paper/entries/{entry_id}"
        return page("ballots/paper_confirm.html", community=community, confirmation=confirmation,
                    confirm_action=action + "/confirm", reject_action=action + "/reject",
                    back=_base(slug, meeting_id) + "/paper")

    @post("/paper/entries/{entry_id:int}/confirm", status_code=303)
    async def paper_confirm(self, slug: FromPath[str], meeting_id: FromPath[int], entry_id: FromPath[int],
                            db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
                            ballot_service: NamedDependency[BallotService], clock: NamedDependency[Clock]) -> Redirect:
        """Confirm a pending entry: its ballots are cast (by the database, while voting is open)."""
        community = await community_for(db_session, slug, auth, "committee")
        assert auth is not None
        await ballot_service.confirm_paper(community, meeting_id, entry_id, auth, clock.now())
        return Redirect(path=_base(slug, meeting_id) + "/paper?done=confirmed", status_code=303)

    @post("/paper/entries/{entry_id:int}/reject", status_code=303)
    async def paper_reject(self, slug: FromPath[str], meeting_id: FromPath[int], entry_id: FromPath[int],
                           db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
                           ballot_service: NamedDependency[BallotService], clock: NamedDependency[Clock],
                           data: FormData) -> Redirect:
        """Reject a pending entry with a reason; nothing is cast."""
        community = await community_for(db_session, slug, auth, "committee")
        assert auth is not None
        await ballot_service.reject_paper(community, meeting_id, entry_id, auth, str(data.get("reason", "")),
                                          clock.now())
        return Redirect(path=_base(slug, meeting_id) + "/paper?done=rejected", status_code=303)

    @staticmethod
    def _paper_page(community: Community, paper: PaperPage, *, searched: bool, notice: str) -> Template:
        return page("ballots/paper.html", community=community, view=paper.view, buildings=paper.buildings,
                    building_id=paper.building_id, number=paper.number, searched=searched, found=paper.found,
                    form_member=paper.form_member, pending=paper.pending, idempotency_key=paper.idempotency_key,
                    errors={}, ballot=None, reasons=spoiled_reasons(), notice=notice)

    @staticmethod
    def _paper_form_again(community: Community, invalid: InvalidBallot, action: str) -> Template:
        """The paper form again with the answers kept and the problems marked."""
        return page("ballots/paper_form.html", status_code=422, community=community, view=invalid.page.view,
                    member=invalid.member, action=action, idempotency_key=invalid.ballot.idempotency_key,
                    errors=invalid.errors, ballot=invalid.ballot, reasons=spoiled_reasons())

    @get("/turnout", name="turnout", cache=False)
    async def turnout(self, request: Request, slug: FromPath[str], meeting_id: FromPath[int],
                      db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
                      ballot_service: NamedDependency[BallotService], clock: NamedDependency[Clock]) -> Template:
        """Participation so far against the quorum line; the fragment alone for htmx polling."""
        community = await community_for(db_session, slug, auth, "committee", "observer")
        turnout = await ballot_service.turnout(community, meeting_id, clock.now())
        template = "ballots/_turnout.html" if is_htmx(request) else "ballots/turnout.html"
        return page(template, community=community, turnout=turnout)

    @staticmethod
    def _already(already: AlreadyVoted, **context: Any) -> Template:
        """The member had voted already: say so, with the existing receipts."""
        return page("ballots/ballot.html", status_code=409, view=already.view, voted=[already.member],
                    idempotency_key="", errors={}, ballot=None, notice=already_voted(), notice_kind="error",
                    **context)
