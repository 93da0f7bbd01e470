"""Meeting pages: the list, drafting (committee), approval to publish, the meeting page, revisions.

A change of a noticed motion's text is proposed here and decided on the motion's amendments page,
like an owner's amendment (``vote.domain.approvals``: two committee members at least).
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from vote.config import Settings
from vote.domain.accounts.sessions import AuthContext
from vote.domain.approvals.schemas import ConfirmForm
from vote.domain.ballots.services import BallotService
from vote.domain.ballots.transfers import transfer_lines
from vote.domain.communities.guards import community_for
from vote.domain.meetings.schemas import InvalidForm, MeetingForm, MotionForm, MoveForm
from vote.domain.meetings.services import MeetingService, local_time
from vote.domain.meetings.snapshot import rule_preset
from vote.lib.clock import Clock
from vote.lib.i18n import _, current_language
from vote.rules import MATTERS, matter_label, threshold_summary

VIEW_ROLES = ("owner", "committee", "observer")
COMMITTEE = ("committee",)


def page(template: str, *, status_code: int = 200, **context: Any) -> Template:
    """Render a meetings/ballots template with the shared helpers (Beijing time, matter names)."""
    language = current_language.get()
    context.setdefault("local_time", local_time)
    context.setdefault("matters", [(m, matter_label(m, language)) for m in MATTERS])
    if "community" in context:
        # A published meeting keeps the preset of its notice (vote.domain.meetings.snapshot).
        meeting = context.get("meeting")
        rule = rule_preset(meeting, context["community"]) if meeting is not None else context["community"].rule_preset
        context.setdefault("thresholds", {m: threshold_summary(rule, m, language) for m in MATTERS})
    return Template(template, context=context, status_code=status_code)


def notice_text(key: str) -> str:
    """The one-line confirmation shown after an action (``?done=...``)."""
    notices = {
        "created": _("The draft meeting was created. Now add its motions."),
        "saved": _("Saved."),
        "motion_added": _("The motion was added to the agenda."),
        "approved": _("Your approval was recorded. Publication needs more committee members."),
        "already_approved": _("You had already approved; your approval counts once."),
        "published": _("The meeting was published: the notice is posted and the observer informed."),
        "demo_opened": _("Demo: voting is open now."),
    }
    return notices.get(key, "")


def _actor(auth: AuthContext | None) -> int:
    assert auth is not None  # community_for with roles has checked the login
    return auth.account_id


def _meeting_url(slug: str, meeting_id: int, done: str = "") -> str:
    return f"/c/{slug}/meetings/{meeting_id}" + (f"?done={done}" if done else "")


class MeetingController(Controller):
    """Meetings of one community."""

    path = "/c/{slug:str}/meetings"

    @get("/", name="meetings")
    async def index(self, slug: FromPath[str], db_session: NamedDependency[AsyncSession],
                    auth: NamedDependency[AuthContext | None], meeting_service: NamedDependency[MeetingService],
                    clock: NamedDependency[Clock]) -> Template:
        """The community's meetings (drafts for the committee only)."""
        community = await community_for(db_session, slug, auth, *VIEW_ROLES)
        committee = auth is not None and auth.has_role(community.id, "committee")
        meetings = await meeting_service.list_meetings(community, include_drafts=committee, now=clock.now())
        return page("meetings/list.html", community=community, meetings=meetings, is_committee=committee)

    @get("/current", name="meeting_current")
    async def current(self, slug: FromPath[str], db_session: NamedDependency[AsyncSession],
                      auth: NamedDependency[AuthContext | None], ballot_service: NamedDependency[BallotService],
                      clock: NamedDependency[Clock]) -> Redirect:
        """Straight to the meeting open for voting (the hub's "vote now" link), else to the list."""
        community = await community_for(db_session, slug, auth, *VIEW_ROLES)
        meeting = await ballot_service.current_meeting(community, auth, clock.now())
        return Redirect(path=_meeting_url(slug, meeting.id) if meeting else f"/c/{slug}/meetings/", status_code=303)

    @get("/new", name="meeting_new")
    async def new(self, slug: FromPath[str], db_session: NamedDependency[AsyncSession],
                  auth: NamedDependency[AuthContext | None], meeting_service: NamedDependency[MeetingService],
                  clock: NamedDependency[Clock]) -> Template:
        """The blank draft form."""
        community = await community_for(db_session, slug, auth, *COMMITTEE)
        return page("meetings/meeting_form.html", community=community, meeting=None, errors={},
                    form=meeting_service.new_meeting_form(community, clock.now()),
                    buildings=await meeting_service.buildings(community))

    @post("/", status_code=303)
    async def create(self, slug: FromPath[str], db_session: NamedDependency[AsyncSession],
                     auth: NamedDependency[AuthContext | None], meeting_service: NamedDependency[MeetingService],
                     clock: NamedDependency[Clock],
                     data: Annotated[MeetingForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Template | Redirect:
        """Create the draft; on errors show the form again with what was typed."""
        community = await community_for(db_session, slug, auth, *COMMITTEE)
        try:
            meeting = await meeting_service.create_meeting(community, data, _actor(auth), clock.now())
        except InvalidForm as invalid:
            return page("meetings/meeting_form.html", status_code=422, community=community, meeting=None,
                        errors=invalid.errors, form=data, buildings=await meeting_service.buildings(community))
        return Redirect(path=_meeting_url(slug, meeting.id, "created"), status_code=303)

    @get("/{meeting_id:int}", name="meeting")
    async def detail(self, slug: FromPath[str], meeting_id: FromPath[int], db_session: NamedDependency[AsyncSession],
                     auth: NamedDependency[AuthContext | None], ballot_service: NamedDependency[BallotService],
                     clock: NamedDependency[Clock], settings: NamedDependency[Settings],
                     done: FromQuery[str] = "") -> Template:
        """The notice and the motions; the owner's ballot form while voting is open; the committee's tools."""
        community = await community_for(db_session, slug, auth, *VIEW_ROLES)
        ballot_page = await ballot_service.page(community, meeting_id, auth, clock.now())
        is_committee = auth is not None and auth.has_role(community.id, "committee")
        transfers = await transfer_lines(db_session, community, meeting_id=meeting_id) if is_committee else []
        return page("meetings/detail.html", community=community, page=ballot_page, view=ballot_page.view,
                    notice=notice_text(done), demo=settings.demo_mode, auth=auth, transfers=transfers,
                    is_committee=is_committee,
                    is_observer=auth is not None and auth.has_role(community.id, "observer"),
                    errors={}, ballot=None)

    @get("/{meeting_id:int}/edit", name="meeting_edit")
    async def edit(self, slug: FromPath[str], meeting_id: FromPath[int], db_session: NamedDependency[AsyncSession],
                   auth: NamedDependency[AuthContext | None],
                   meeting_service: NamedDependency[MeetingService]) -> Template:
        """The draft's settings form."""
        community = await community_for(db_session, slug, auth, *COMMITTEE)
        meeting = await meeting_service.meeting(community, meeting_id)
        return page("meetings/meeting_form.html", community=community, meeting=meeting, errors={},
                    form=meeting_service.meeting_form(meeting), buildings=await meeting_service.buildings(community))

    @post("/{meeting_id:int}/edit", status_code=303)
    async def update(self, slug: FromPath[str], meeting_id: FromPath[int], db_session: NamedDependency[AsyncSession],
                     auth: NamedDependency[AuthContext | None], meeting_service: NamedDependency[MeetingService],
                     clock: NamedDependency[Clock],
                     data: Annotated[MeetingForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Template | Redirect:
        """Save the draft's settings."""
        community = await community_for(db_session, slug, auth, *COMMITTEE)
        try:
            await meeting_service.update_meeting(community, meeting_id, data, _actor(auth), clock.now())
        except InvalidForm as invalid:
            meeting = await meeting_service.meeting(community, meeting_id)
            return page("meetings/meeting_form.html", status_code=422, community=community, meeting=meeting,
                        errors=invalid.errors, form=data, buildings=await meeting_service.buildings(community))
        return Redirect(path=_meeting_url(slug, meeting_id, "saved"), status_code=303)

    @get("/{meeting_id:int}/motions/new", name="motion_new")
    async def new_motion(self, slug: FromPath[str], meeting_id: FromPath[int],
                         db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
                         meeting_service: NamedDependency[MeetingService]) -> Template:
        """The blank motion form."""
        community = await community_for(db_session, slug, auth, *COMMITTEE)
        meeting = await meeting_service.meeting(community, meeting_id)
        return page("meetings/motion_form.html", community=community, meeting=meeting, motion=None, errors={},
                    form=MotionForm())

    @post("/{meeting_id:int}/motions", status_code=303)
    async def add_motion(self, slug: FromPath[str], meeting_id: FromPath[int],
                         db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
                         meeting_service: NamedDependency[MeetingService], clock: NamedDependency[Clock],
                         data: Annotated[MotionForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Template | Redirect:
        """Append a motion to the draft's agenda."""
        community = await community_for(db_session, slug, auth, *COMMITTEE)
        try:
            await meeting_service.add_motion(community, meeting_id, data, _actor(auth), clock.now())
        except InvalidForm as invalid:
            meeting = await meeting_service.meeting(community, meeting_id)
            return page("meetings/motion_form.html", status_code=422, community=community, meeting=meeting,
                        motion=None, errors=invalid.errors, form=data)
        return Redirect(path=_meeting_url(slug, meeting_id, "motion_added"), status_code=303)

    @get("/{meeting_id:int}/motions/{motion_id:int}", name="motion")
    async def motion(self, slug: FromPath[str], meeting_id: FromPath[int], motion_id: FromPath[int],
                     db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
                     meeting_service: NamedDependency[MeetingService], clock: NamedDependency[Clock]) -> Template:
        """One motion: its text, the threshold of its matter, and every revision with what changed."""
        community = await community_for(db_session, slug, auth, *VIEW_ROLES)
        committee = auth is not None and auth.has_role(community.id, "committee")
        motion_page = await meeting_service.motion_page(community, meeting_id, motion_id, drafts=committee,
                                                        now=clock.now())
        return page("meetings/motion.html", community=community, motion_page=motion_page, is_committee=committee)

    @get("/{meeting_id:int}/motions/{motion_id:int}/edit", name="motion_edit")
    async def edit_motion(self, slug: FromPath[str], meeting_id: FromPath[int], motion_id: FromPath[int],
                          db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
                          meeting_service: NamedDependency[MeetingService]) -> Template:
        """The motion form: every field while draft, only the text (a new revision) once published."""
        community = await community_for(db_session, slug, auth, *COMMITTEE)
        meeting, view = await meeting_service.motion(community, meeting_id, motion_id)
        return page("meetings/motion_form.html", community=community, meeting=meeting, motion=view, errors={},
                    form=meeting_service.motion_form(view))

    @post("/{meeting_id:int}/motions/{motion_id:int}/edit", status_code=303)
    async def update_motion(self, slug: FromPath[str], meeting_id: FromPath[int], motion_id: FromPath[int],
                            db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
                            meeting_service: NamedDependency[MeetingService], clock: NamedDependency[Clock],
                            data: Annotated[MotionForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Template | Redirect:
        """Save a draft motion; for a published one, propose a new text for the committee to approve."""
        community = await community_for(db_session, slug, auth, *COMMITTEE)
        try:
            proposal = await meeting_service.update_motion(community, meeting_id, motion_id, data, _actor(auth),
                                                           clock.now())
        except InvalidForm as invalid:
            meeting, view = await meeting_service.motion(community, meeting_id, motion_id)
            return page("meetings/motion_form.html", status_code=422, community=community, meeting=meeting,
                        motion=view, errors=invalid.errors, form=data)
        if proposal is None:
            return Redirect(path=_meeting_url(slug, meeting_id, "saved"), status_code=303)
        return Redirect(path=f"/c/{slug}/motions/{motion_id}/amendments#amendment-{proposal.id}", status_code=303)

    @post("/{meeting_id:int}/motions/{motion_id:int}/move", status_code=303)
    async def move_motion(self, slug: FromPath[str], meeting_id: FromPath[int], motion_id: FromPath[int],
                          db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
                          meeting_service: NamedDependency[MeetingService], clock: NamedDependency[Clock],
                          data: Annotated[MoveForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Redirect:
        """Move a draft motion up or down."""
        community = await community_for(db_session, slug, auth, *COMMITTEE)
        await meeting_service.move_motion(community, meeting_id, motion_id, data.direction, _actor(auth), clock.now())
        return Redirect(path=_meeting_url(slug, meeting_id) + f"#motion-{motion_id}", status_code=303)

    @post("/{meeting_id:int}/motions/{motion_id:int}/remove", status_code=303)
    async def remove_motion(self, slug: FromPath[str], meeting_id: FromPath[int], motion_id: FromPath[int],
                            db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
                            meeting_service: NamedDependency[MeetingService], clock: NamedDependency[Clock]) -> Redirect:
        """Take a motion off the draft's agenda."""
        community = await community_for(db_session, slug, auth, *COMMITTEE)
        await meeting_service.remove_motion(community, meeting_id, motion_id, _actor(auth), clock.now())
        return Redirect(path=_meeting_url(slug, meeting_id, "saved"), status_code=303)

    @post("/{meeting_id:int}/approve", status_code=303)
    async def approve(self, slug: FromPath[str], meeting_id: FromPath[int], db_session: NamedDependency[AsyncSession],
                      auth: NamedDependency[AuthContext | None], meeting_service: NamedDependency[MeetingService],
                      clock: NamedDependency[Clock],
                      data: Annotated[ConfirmForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Template | Redirect:
        """This committee member approves publication (after the confirmation page); the majority publishes."""
        community = await community_for(db_session, slug, auth, *COMMITTEE)
        if not data.confirmed:
            view = await meeting_service.publication_check(community, meeting_id, clock.now())
            assert view.approvals is not None
            return page("approvals/confirm.html", status_code=200, community=community, status=view.approvals,
                        account_id=_actor(auth), heading=_("Approve publication of this notice"),
                        subject_title=view.meeting.title, back=_meeting_url(slug, meeting_id),
                        action=_meeting_url(slug, meeting_id) + "/approve",
                        consequence=_("the notice is published to every owner and the observer, and the agenda and "
                                      "texts are frozen."))
        outcome = await meeting_service.approve_publication(community, meeting_id, _actor(auth), clock.now())
        done = "published" if outcome.published else "already_approved" if outcome.already_approved else "approved"
        return Redirect(path=_meeting_url(slug, meeting_id, done), status_code=303)

    @post("/{meeting_id:int}/demo-open", status_code=303)
    async def demo_open(self, slug: FromPath[str], meeting_id: FromPath[int], db_session: NamedDependency[AsyncSession],
                        auth: NamedDependency[AuthContext | None], meeting_service: NamedDependency[MeetingService],
                        clock: NamedDependency[Clock], settings: NamedDependency[Settings]) -> Redirect:
        """Demo mode only: open voting now instead of waiting for the notice period."""
        if not settings.demo_mode:
            raise NotFoundException()
        community = await community_for(db_session, slug, auth, *COMMITTEE)
        await meeting_service.demo_open_now(community, meeting_id, _actor(auth), clock.now())
        return Redirect(path=_meeting_url(slug, meeting_id, "demo_opened"), status_code=303)
