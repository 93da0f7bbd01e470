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
from vote.domain.ballots.services import AlreadyVoted, BallotService, InvalidBallot, already_voted
from vote.domain.communities.guards import community_for
from vote.domain.meetings.controllers import page
from vote.lib.clock import Clock
from vote.lib.http import is_htmx
from vote.lib.i18n import _

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _base(slug: str, meeting_id: int) -> str:
    return f"/c/{slug}/meetings/{meeting_id}"


def _form_again(template: str, invalid: InvalidBallot, action: str, status_code: int, **context: Any) -> Template:
    """The ballot form again with the choices kept and the problems marked."""
    return page(template, status_code=status_code, view=invalid.page.view, voted=[], form_member=invalid.member,
                form_action=action, idempotency_key=invalid.ballot.idempotency_key, errors=invalid.errors,
                ballot=invalid.ballot, notice="", notice_kind="", **context)


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
        return page("ballots/review.html", community=community, review=review, paper=False,
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

    @get("/paper", name="paper_ballot")
    async def paper(self, slug: FromPath[str], meeting_id: FromPath[int], db_session: NamedDependency[AsyncSession],
                    auth: NamedDependency[AuthContext | None], ballot_service: NamedDependency[BallotService],
                    clock: NamedDependency[Clock], building_id: FromQuery[str] = "",
                    number: FromQuery[str] = "") -> Template:
        """Committee: find a unit, then type in its member's paper ballot."""
        community = await community_for(db_session, slug, auth, "committee")
        paper = await ballot_service.paper_page(
            community, meeting_id, int(building_id) if building_id.isdigit() else None, number, clock.now()
        )
        voted = [paper.member] if paper.member and paper.member.has_voted else []
        return page("ballots/paper.html", community=community, view=paper.page.view, buildings=paper.buildings,
                    building_id=paper.building_id, number=paper.number, searched=bool(number.strip()),
                    voted=voted, form_member=paper.form_member, idempotency_key=paper.page.idempotency_key,
                    errors={}, ballot=None, notice=already_voted() if voted else "", notice_kind="error")

    @post("/paper", status_code=200)
    async def paper_review(self, slug: FromPath[str], meeting_id: FromPath[int],
                           db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
                           ballot_service: NamedDependency[BallotService], clock: NamedDependency[Clock],
                           data: FormData) -> Template:
        """Repeat the paper ballot typed in, for confirmation (or show the form again to change)."""
        community = await community_for(db_session, slug, auth, "committee")
        ballot = BallotInput.from_form(data)
        base = _base(slug, meeting_id)
        if data.get("action") == "change":
            ballot_page, member = await ballot_service.paper_form(community, meeting_id, ballot, clock.now())
            return page("ballots/ballot.html", community=community, view=ballot_page.view, voted=[],
                        form_member=member, form_action=base + "/paper", idempotency_key=ballot.idempotency_key,
                        errors={}, ballot=ballot, notice="", notice_kind="")
        try:
            review = await ballot_service.paper_review(community, meeting_id, ballot, clock.now())
        except InvalidBallot as invalid:
            return _form_again("ballots/ballot.html", invalid, base + "/paper", 422, community=community)
        return page("ballots/review.html", community=community, review=review, paper=True,
                    cast_action=base + "/paper/cast", change_action=base + "/paper")

    @post("/paper/cast", status_code=200)
    async def paper_cast(self, slug: FromPath[str], meeting_id: FromPath[int],
                         db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
                         ballot_service: NamedDependency[BallotService], clock: NamedDependency[Clock],
                         data: FormData) -> Template:
        """Store the paper ballot (channel paper, cast by this committee account) and show its receipts."""
        community = await community_for(db_session, slug, auth, "committee")
        assert auth is not None
        base = _base(slug, meeting_id)
        try:
            result = await ballot_service.cast_paper(community, meeting_id, auth.account_id,
                                                     BallotInput.from_form(data), clock.now())
        except InvalidBallot as invalid:
            return _form_again("ballots/ballot.html", invalid, base + "/paper", 422, community=community)
        except AlreadyVoted as already:
            return self._already(already, community=community, form_member=None, form_action="")
        return page("ballots/ballot.html", community=community, view=result.view, voted=[result.member],
                    form_member=None, form_action="", idempotency_key="", errors={}, ballot=None,
                    notice=_("The paper ballot was stored. Write the receipt codes on the paper ballot."),
                    notice_kind="ok")

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
