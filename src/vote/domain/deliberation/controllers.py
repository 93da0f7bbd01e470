"""Deliberation pages: a motion's discussion and amendments, and the owners' proposals.

Every page works without JavaScript (forms post and redirect back); htmx enhances the inline reply
(the thread's replies are swapped in place) and "load more" (the next page's threads are appended).
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.background_tasks import BackgroundTask
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from vote.db.models import Amendment, Community
from vote.domain.accounts.sessions import AuthContext
from vote.domain.approvals.schemas import ConfirmForm
from vote.domain.communities.guards import community_for
from vote.domain.deliberation import proposals
from vote.domain.deliberation.proposals import ProposalService
from vote.domain.deliberation.schemas import AmendmentForm, PostForm, ProposalForm, ReasonForm
from vote.domain.deliberation.services import (
    MAX_POST_CHARS,
    MAX_REASON_CHARS,
    VIEW_ROLES,
    AmendmentService,
    DiscussionService,
    MotionContext,
    Posted,
    Thread,
)
from vote.domain.meetings.services import MAX_BODY, local_time
from vote.domain.notifications.services import Delivery
from vote.lib.clock import Clock
from vote.lib.errors import UserError
from vote.lib.http import is_htmx
from vote.lib.i18n import _

# Errors a form is shown again for, with what was typed; anything else is an error page.
FORM_ERRORS = frozenset({409, 422, 429})


def render(template: str, *, status_code: int = 200, background: BackgroundTask | None = None,
           **context: Any) -> Template:
    """Render a deliberation template with the shared helpers and limits."""
    context.setdefault("local_time", local_time)
    context.setdefault("proposal_kind", proposals.kind_label)
    context.setdefault("max_post", MAX_POST_CHARS)
    context.setdefault("max_reason", MAX_REASON_CHARS)
    context.setdefault("max_body", MAX_BODY)
    context.setdefault("error", None)
    return Template(template, context=context, status_code=status_code, background=background)


def replies_fragment(context: MotionContext, thread: Thread, *, status_code: int = 200, error: str | None = None,
                     text: str = "", background: BackgroundTask | None = None) -> Template:
    """A thread's replies and reply form: what htmx swaps in place after an inline reply."""
    return render("deliberation/_replies.html", status_code=status_code, background=background, ctx=context,
                  thread=thread, thread_error=error, thread_text=text)


def posted_redirect(context_url: str, posted: Posted, delivery: Delivery) -> Redirect:
    """Back to the page of the thread, at the post; notifications go out after the response."""
    return Redirect(path=f"{context_url}?page={posted.page}#post-{posted.post.id}", status_code=303,
                    background=delivery.task())


def amendment_redirect(slug: str, amendment: Amendment, delivery: Delivery | None = None) -> Redirect:
    """Back to the motion's amendments, at this one; notifications (if any) go out after the response."""
    return Redirect(path=f"/c/{slug}/motions/{amendment.motion_id}/amendments#amendment-{amendment.id}",
                    status_code=303, background=delivery.task() if delivery else None)


class DiscussionController(Controller):
    """``/c/{slug}/motions/{id}/discussion``, ``/amendments``, and the committee's moderation."""

    path = "/c/{slug:str}"

    @get("/motions/{motion_id:int}/discussion", name="motion_discussion")
    async def discussion(
        self, request: Request, slug: FromPath[str], motion_id: FromPath[int],
        db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
        discussion_service: NamedDependency[DiscussionService], clock: NamedDependency[Clock],
        page: FromQuery[int] = 1,
    ) -> Template:
        """One page of the discussion, oldest first; htmx's "load more" gets only the threads."""
        community = await community_for(db_session, slug, auth, *VIEW_ROLES)
        result = await discussion_service.page(community, motion_id, auth, page, clock.now())
        template = "deliberation/_threads.html" if is_htmx(request) else "deliberation/discussion.html"
        return render(template, result=result, ctx=result.context, form_text="", reply_to=None, reply_text="")

    @post("/motions/{motion_id:int}/discussion", status_code=303)
    async def add_post(
        self, request: Request, slug: FromPath[str], motion_id: FromPath[int],
        data: Annotated[PostForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
        db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
        discussion_service: NamedDependency[DiscussionService], clock: NamedDependency[Clock],
        delivery: NamedDependency[Delivery],
    ) -> Template | Redirect:
        """Post a comment or reply; a refused one is shown again with the reason and the text typed."""
        community = await community_for(db_session, slug, auth, *VIEW_ROLES)
        parent_id = data.parent()
        try:
            posted = await discussion_service.post(community, motion_id, auth, data.body, parent_id, clock.now())
        except UserError as error:
            if error.status_code not in FORM_ERRORS:
                raise
            return await self._form_again(request, community, motion_id, auth, discussion_service, clock, data,
                                          error)
        if is_htmx(request) and parent_id is not None:
            context, thread = await discussion_service.thread(community, posted.thread_id, auth, clock.now())
            return replies_fragment(context, thread, background=delivery.task())
        return posted_redirect(f"/c/{slug}/motions/{motion_id}/discussion", posted, delivery)

    @staticmethod
    async def _form_again(request: Request, community: Community, motion_id: int, auth: AuthContext | None,
                          discussion_service: DiscussionService, clock: Clock, data: PostForm,
                          error: UserError) -> Template:
        parent_id = data.parent()
        if parent_id is None:
            result = await discussion_service.last_page(community, motion_id, auth, clock.now())
            return render("deliberation/discussion.html", status_code=error.status_code, result=result,
                        ctx=result.context, error=error.detail, form_text=data.body, reply_to=None, reply_text="")
        context, thread = await discussion_service.thread(community, parent_id, auth, clock.now())
        if is_htmx(request):
            return replies_fragment(context, thread, status_code=error.status_code, error=error.detail,
                                    text=data.body)
        number = await discussion_service.thread_page(thread.post.post)
        result = await discussion_service.page(community, motion_id, auth, number, clock.now())
        return render("deliberation/discussion.html", status_code=error.status_code, result=result,
                    ctx=result.context, error=error.detail, form_text="", reply_to=thread.post.post.id,
                    reply_text=data.body)

    @post("/posts/{post_id:int}/official", status_code=303)
    async def official(
        self, request: Request, slug: FromPath[str], post_id: FromPath[int],
        db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
        discussion_service: NamedDependency[DiscussionService], clock: NamedDependency[Clock],
        delivery: NamedDependency[Delivery],
    ) -> Template | Redirect:
        """Committee: mark a reply as the official answer to its question, or unmark it."""
        community = await community_for(db_session, slug, auth, "committee")
        posted = await discussion_service.toggle_official(community, post_id, auth, clock.now())
        if is_htmx(request):
            context, thread = await discussion_service.thread(community, posted.thread_id, auth, clock.now())
            return replies_fragment(context, thread, background=delivery.task())
        return posted_redirect(f"/c/{slug}/motions/{posted.post.motion_id}/discussion", posted, delivery)

    @post("/posts/{post_id:int}/hide", status_code=303)
    async def hide(
        self, slug: FromPath[str], post_id: FromPath[int],
        data: Annotated[ReasonForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
        db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
        discussion_service: NamedDependency[DiscussionService], clock: NamedDependency[Clock],
        delivery: NamedDependency[Delivery],
    ) -> Redirect:
        """Committee: hide a post; the reason is shown in its place."""
        community = await community_for(db_session, slug, auth, "committee")
        posted = await discussion_service.hide(community, post_id, auth, data.reason, clock.now())
        return posted_redirect(f"/c/{slug}/motions/{posted.post.motion_id}/discussion", posted, delivery)

    @get("/motions/{motion_id:int}/amendments", name="motion_amendments")
    async def amendments(
        self, slug: FromPath[str], motion_id: FromPath[int], db_session: NamedDependency[AsyncSession],
        auth: NamedDependency[AuthContext | None], amendment_service: NamedDependency[AmendmentService],
        clock: NamedDependency[Clock],
    ) -> Template:
        """The motion's revisions with what changed, its amendments and objections, and the form."""
        community = await community_for(db_session, slug, auth, *VIEW_ROLES)
        result = await amendment_service.page(community, motion_id, auth, clock.now())
        return render("deliberation/amendments.html", result=result, ctx=result.context,
                    form=AmendmentForm(body=result.context.revision.body_md))

    @post("/motions/{motion_id:int}/amendments", status_code=303)
    async def propose(
        self, slug: FromPath[str], motion_id: FromPath[int],
        data: Annotated[AmendmentForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
        db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
        amendment_service: NamedDependency[AmendmentService], clock: NamedDependency[Clock],
    ) -> Template | Redirect:
        """Propose an amendment or an objection; a refused one is shown again as typed."""
        community = await community_for(db_session, slug, auth, *VIEW_ROLES)
        try:
            amendment = await amendment_service.propose(
                community, motion_id, auth, kind=data.kind, title=data.title, body=data.body, comment=data.comment,
                now=clock.now(),
            )
        except UserError as error:
            if error.status_code not in FORM_ERRORS:
                raise
            result = await amendment_service.page(community, motion_id, auth, clock.now())
            return render("deliberation/amendments.html", status_code=error.status_code, result=result,
                        ctx=result.context, form=data, error=error.detail)
        return amendment_redirect(slug, amendment)

    @post("/amendments/{amendment_id:int}/adopt", status_code=303)
    async def adopt(
        self, slug: FromPath[str], amendment_id: FromPath[int], db_session: NamedDependency[AsyncSession],
        auth: NamedDependency[AuthContext | None], amendment_service: NamedDependency[AmendmentService],
        clock: NamedDependency[Clock], delivery: NamedDependency[Delivery],
        data: Annotated[ConfirmForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template | Redirect:
        """Committee: adopt an amendment (in a draft), or approve adopting it (once noticed), after confirming."""
        community = await community_for(db_session, slug, auth, "committee")
        if not data.confirmed:
            view, context = await amendment_service.adoption(community, amendment_id, auth, clock.now())
            if view.approvals is not None and auth is not None:
                return render("approvals/confirm.html", community=community, status=view.approvals,
                              account_id=auth.account_id, heading=_("Adopt as a new revision"),
                              subject_title=context.revision.title,
                              back=f"{context.amendments_url}#amendment-{amendment_id}",
                              action=f"/c/{slug}/amendments/{amendment_id}/adopt",
                              consequence=_("the proposed text is published as the motion's next revision and the "
                                            "notice period restarts."))
        adoption = await amendment_service.adopt(community, amendment_id, auth, clock.now())
        return amendment_redirect(slug, adoption.amendment, delivery)

    @post("/amendments/{amendment_id:int}/decline", status_code=303)
    async def decline(
        self, slug: FromPath[str], amendment_id: FromPath[int],
        data: Annotated[ReasonForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
        db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
        amendment_service: NamedDependency[AmendmentService], clock: NamedDependency[Clock],
        delivery: NamedDependency[Delivery],
    ) -> Redirect:
        """Committee: decline an amendment (or answer an objection) with a public reason."""
        community = await community_for(db_session, slug, auth, "committee")
        amendment = await amendment_service.decline(community, amendment_id, auth, data.reason, clock.now())
        return amendment_redirect(slug, amendment, delivery)


class ProposalController(Controller):
    """``/c/{slug}/proposals``: owners' proposals and their support."""

    path = "/c/{slug:str}/proposals"

    @get("/", name="proposals")
    async def index(
        self, slug: FromPath[str], db_session: NamedDependency[AsyncSession],
        auth: NamedDependency[AuthContext | None], proposal_service: NamedDependency[ProposalService],
    ) -> Template:
        """Every proposal with its progress towards the threshold."""
        community = await community_for(db_session, slug, auth, *VIEW_ROLES)
        views = await proposal_service.for_community(community, auth)
        return render("deliberation/proposals.html", community=community, views=views,
                    can_open=await proposal_service.can_open(community, auth))

    @get("/new", name="proposal_new")
    async def new(
        self, slug: FromPath[str], db_session: NamedDependency[AsyncSession],
        auth: NamedDependency[AuthContext | None],
    ) -> Template:
        """The form to open a proposal."""
        community = await community_for(db_session, slug, auth, "owner")
        return render("deliberation/proposal_form.html", community=community, form=ProposalForm())

    @post("/", status_code=303)
    async def create(
        self, slug: FromPath[str], data: Annotated[ProposalForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
        db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
        proposal_service: NamedDependency[ProposalService], clock: NamedDependency[Clock],
        delivery: NamedDependency[Delivery],
    ) -> Template | Redirect:
        """Open a proposal; a refused one is shown again as typed."""
        community = await community_for(db_session, slug, auth, "owner")
        try:
            proposal = await proposal_service.open(community, auth, kind=data.kind, title=data.title, body=data.body,
                                                   now=clock.now())
        except UserError as error:
            if error.status_code not in FORM_ERRORS:
                raise
            return render("deliberation/proposal_form.html", status_code=error.status_code, community=community,
                        form=data, error=error.detail)
        return Redirect(path=f"/c/{slug}/proposals/{proposal.id}", status_code=303, background=delivery.task())

    @get("/{proposal_id:int}", name="proposal")
    async def detail(
        self, slug: FromPath[str], proposal_id: FromPath[int], db_session: NamedDependency[AsyncSession],
        auth: NamedDependency[AuthContext | None], proposal_service: NamedDependency[ProposalService],
    ) -> Template:
        """One proposal: its text, progress, and the support buttons."""
        community = await community_for(db_session, slug, auth, *VIEW_ROLES)
        view = await proposal_service.detail(community, proposal_id, auth)
        return render("deliberation/proposal.html", community=community, view=view)

    @post("/{proposal_id:int}/support", status_code=303)
    async def support(
        self, slug: FromPath[str], proposal_id: FromPath[int], db_session: NamedDependency[AsyncSession],
        auth: NamedDependency[AuthContext | None], proposal_service: NamedDependency[ProposalService],
        clock: NamedDependency[Clock], delivery: NamedDependency[Delivery],
    ) -> Redirect:
        """Support the proposal (once per member)."""
        community = await community_for(db_session, slug, auth, "owner")
        await proposal_service.support(community, proposal_id, auth, clock.now())
        return Redirect(path=f"/c/{slug}/proposals/{proposal_id}", status_code=303, background=delivery.task())

    @post("/{proposal_id:int}/withdraw", status_code=303)
    async def withdraw(
        self, slug: FromPath[str], proposal_id: FromPath[int], db_session: NamedDependency[AsyncSession],
        auth: NamedDependency[AuthContext | None], proposal_service: NamedDependency[ProposalService],
        clock: NamedDependency[Clock],
    ) -> Redirect:
        """Withdraw support while the threshold is not reached."""
        community = await community_for(db_session, slug, auth, "owner")
        await proposal_service.withdraw(community, proposal_id, auth, clock.now())
        return Redirect(path=f"/c/{slug}/proposals/{proposal_id}", status_code=303)
