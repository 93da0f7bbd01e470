"""Discussion of a motion, official answers, moderation, and amendments and objections.

Who speaks: verified owners (the owner role and a person in the register) and committee members;
observers read everything. A speaker is shown masked, as "3号楼 业主" (the building of their unit
in the meeting's frozen register) or "业委会". Posts are never deleted: the committee can hide one
only with a reason, shown in its place, and every moderation step is in the audit log.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from litestar.exceptions import NotAuthorizedException
from markupsafe import Markup
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vote.db.engine import begin_write
from vote.db.models import (
    Account,
    Amendment,
    Building,
    Community,
    DiscussionPost,
    Meeting,
    Motion,
    MotionRevision,
    RegisterVersion,
    Unit,
    UnitOwner,
)
from vote.domain.accounts.sessions import AuthContext
from vote.domain.approvals.services import (
    AMENDMENT_ADOPT,
    MEETING_PUBLISH,
    ApprovalStatus,
    approval_status,
    approve,
    committee_member_ids,
    lock_subject,
    withdraw,
)
from vote.domain.audit.services import record
from vote.domain.deliberation.markdown import render_post
from vote.domain.meetings.lifecycle import Phase, phase
from vote.domain.meetings.markdown import render_markdown
from vote.domain.meetings.revisions import DiffOp, latest_revision, revise_motion, revision_diff
from vote.domain.meetings.services import MAX_BODY, MAX_TITLE, MeetingService, RevisionStep
from vote.domain.notifications.services import notify
from vote.lib.errors import UserError
from vote.lib.i18n import _

VIEW_ROLES = ("owner", "committee", "observer")
MAX_POST_CHARS = 2000
MAX_REASON_CHARS = 500
POSTS_PER_PAGE = 20
# Five contributions (posts and amendments) per ten minutes and account, counted in the database
# so the limit holds across server processes.
RATE_LIMIT_COUNT = 5
RATE_LIMIT_WINDOW = timedelta(minutes=10)
AMENDABLE_PHASES: frozenset[Phase] = frozenset({"draft", "noticed"})


@asynccontextmanager
async def writing(db: AsyncSession) -> AsyncIterator[None]:
    """A write transaction (``BEGIN IMMEDIATE`` on SQLite), committed when the block succeeds.

    A read transaction left open by the request (the community lookup) is ended first, so the write
    transaction really starts as one. On an error nothing is committed and the request's session
    rolls back when the request ends; the objects already loaded stay usable for the error page.
    """
    await begin_write(db)
    yield
    await db.commit()


def speaker_role(auth: AuthContext | None, community_id: int) -> str | None:
    """How the account speaks here: ``committee``, ``owner`` (verified: linked to a person), or None."""
    if auth is None:
        return None
    if auth.has_role(community_id, "committee"):
        return "committee"
    if auth.has_role(community_id, "owner") and auth.person_id is not None:
        return "owner"
    return None


async def current_register_id(db: AsyncSession, community_id: int) -> int | None:
    """The id of the community's newest register version."""
    return (
        await db.execute(
            select(RegisterVersion.id).where(RegisterVersion.community_id == community_id)
            .order_by(RegisterVersion.number.desc()).limit(1)
        )
    ).scalar_one_or_none()


async def building_of(db: AsyncSession, person_id: int | None, register_version_id: int | None) -> str | None:
    """The building of the person's unit in that register version (a flat's before a shop's or a parking space's)."""
    if person_id is None or register_version_id is None:
        return None
    return (
        await db.execute(
            select(Building.name)
            .join(Unit, Unit.building_id == Building.id)
            .join(UnitOwner, UnitOwner.unit_id == Unit.id)
            .where(UnitOwner.person_id == person_id, Unit.register_version_id == register_version_id)
            .order_by((Unit.kind != "flat"), Building.position, Building.name)
            .limit(1)
        )
    ).scalar_one_or_none()


async def check_rate_limit(db: AsyncSession, account_id: int, now: datetime) -> None:
    """Refuse a sixth contribution within the window; call inside the write transaction."""
    # Lock the account's row so that two concurrent posts on PostgreSQL are counted one after the other
    # (SQLite's BEGIN IMMEDIATE serialises writers already).
    await db.execute(select(Account.id).where(Account.id == account_id).with_for_update())
    since = now - RATE_LIMIT_WINDOW
    posts = (
        await db.execute(
            select(func.count(DiscussionPost.id)).where(
                DiscussionPost.author_account_id == account_id, DiscussionPost.created_at > since
            )
        )
    ).scalar_one()
    amendments = (
        await db.execute(
            select(func.count(Amendment.id)).where(Amendment.author_account_id == account_id,
                                                   Amendment.created_at > since)
        )
    ).scalar_one()
    if posts + amendments >= RATE_LIMIT_COUNT:
        raise UserError(
            _("You have posted %(count)d times in the last %(minutes)d minutes. Please wait a little before "
              "posting again.") % {"count": RATE_LIMIT_COUNT, "minutes": RATE_LIMIT_WINDOW.seconds // 60},
            429,
        )


async def committee_account_ids(db: AsyncSession, community_id: int) -> list[int]:
    """The committee's members (``vote.domain.approvals``: active accounts with the committee role)."""
    return await committee_member_ids(db, community_id)


def clean_text(text: str, *, limit: int, empty: str, too_long: str) -> str:
    """Strip ``text``; refuse it (422) when empty or longer than ``limit`` characters."""
    text = text.strip()
    if not text:
        raise UserError(empty, 422)
    if len(text) > limit:
        raise UserError(too_long, 422)
    return text


@dataclass(frozen=True)
class MotionContext:
    """A motion as the visitor sees it: its meeting, current text, phase, and what the visitor may do."""

    community: Community
    meeting: Meeting
    motion: Motion
    revision: MotionRevision
    phase: Phase
    speaker: str | None
    is_committee: bool

    @property
    def body_html(self) -> Markup:
        """The current text, rendered and sanitised."""
        return render_markdown(self.revision.body_md)

    @property
    def can_post(self) -> bool:
        """Verified owners and the committee may post until the meeting's result is final."""
        return self.speaker is not None and self.phase != "final"

    @property
    def amendable(self) -> bool:
        """Amendments and objections are taken while the motion is a draft or in its notice period."""
        return self.phase in AMENDABLE_PHASES

    @property
    def can_amend(self) -> bool:
        """The visitor may propose an amendment or objection now."""
        return self.speaker is not None and self.amendable

    @property
    def discussion_url(self) -> str:
        """The discussion page of this motion."""
        return f"/c/{self.community.slug}/motions/{self.motion.id}/discussion"

    @property
    def amendments_url(self) -> str:
        """The amendments page of this motion."""
        return f"/c/{self.community.slug}/motions/{self.motion.id}/amendments"


@dataclass(frozen=True)
class PostView:
    """A post ready to show: its HTML is None when the committee hid it."""

    post: DiscussionPost
    body_html: Markup | None

    @property
    def official(self) -> bool:
        """True for a reply the committee marked as its official answer."""
        return self.post.official_at is not None


@dataclass(frozen=True)
class Thread:
    """A top-level post and its replies (official answers first, then oldest first)."""

    post: PostView
    replies: list[PostView] = field(default_factory=list)


@dataclass(frozen=True)
class DiscussionPage:
    """One page of a motion's discussion, oldest thread first."""

    context: MotionContext
    threads: list[Thread]
    page: int
    pages: int
    total: int

    @property
    def has_more(self) -> bool:
        """True when later threads follow on the next page."""
        return self.page < self.pages


@dataclass(frozen=True)
class Posted:
    """Where a new post landed: its thread and the page that shows it."""

    post: DiscussionPost
    thread_id: int
    page: int


def _view(post: DiscussionPost) -> PostView:
    return PostView(post, None if post.hidden_at else render_post(post.body_md))


class DiscussionService:
    """Reading and writing a motion's discussion; every lookup goes through the community."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def motion_context(self, community: Community, motion_id: int, auth: AuthContext | None,
                             now: datetime) -> MotionContext:
        """The motion with this id in this community; a draft only for the committee (else 404)."""
        row = (
            await self.db.execute(
                select(Motion, Meeting).join(Meeting, Meeting.id == Motion.meeting_id)
                .where(Motion.id == motion_id, Meeting.community_id == community.id)
            )
        ).one_or_none()
        is_committee = auth is not None and auth.has_role(community.id, "committee")
        if row is None or (row[1].status == "draft" and not is_committee):
            raise UserError(_("This motion does not exist."), 404)
        motion, meeting = row
        revision = await latest_revision(self.db, motion.id)
        if revision is None:
            raise UserError(_("This motion does not exist."), 404)
        return MotionContext(
            community=community, meeting=meeting, motion=motion, revision=revision, phase=phase(meeting, now),
            speaker=speaker_role(auth, community.id), is_committee=is_committee,
        )

    async def page(self, community: Community, motion_id: int, auth: AuthContext | None, page: int,
                   now: datetime) -> DiscussionPage:
        """Threads of one page (``POSTS_PER_PAGE`` top-level posts) with all their replies."""
        context = await self.motion_context(community, motion_id, auth, now)
        total = (
            await self.db.execute(
                select(func.count(DiscussionPost.id)).where(
                    DiscussionPost.motion_id == motion_id, DiscussionPost.parent_id.is_(None)
                )
            )
        ).scalar_one()
        pages = max(1, -(-total // POSTS_PER_PAGE))
        page = min(max(1, page), pages)
        tops = list(
            (
                await self.db.execute(
                    select(DiscussionPost)
                    .where(DiscussionPost.motion_id == motion_id, DiscussionPost.parent_id.is_(None))
                    .order_by(DiscussionPost.id).offset((page - 1) * POSTS_PER_PAGE).limit(POSTS_PER_PAGE)
                )
            ).scalars()
        )
        replies = await self._replies([t.id for t in tops])
        threads = [Thread(_view(top), replies.get(top.id, [])) for top in tops]
        return DiscussionPage(context=context, threads=threads, page=page, pages=pages, total=total)

    async def thread(self, community: Community, thread_id: int, auth: AuthContext | None,
                     now: datetime) -> tuple[MotionContext, Thread]:
        """One thread (a top-level post of this community) with its replies."""
        top = await self._post(community, thread_id)
        if top.parent_id is not None:
            top = await self._post(community, top.parent_id)
        context = await self.motion_context(community, top.motion_id, auth, now)
        replies = await self._replies([top.id])
        return context, Thread(_view(top), replies.get(top.id, []))

    async def thread_page(self, thread: DiscussionPost) -> int:
        """The page of the discussion that shows this top-level post."""
        before = (
            await self.db.execute(
                select(func.count(DiscussionPost.id)).where(
                    DiscussionPost.motion_id == thread.motion_id, DiscussionPost.parent_id.is_(None),
                    DiscussionPost.id < thread.id,
                )
            )
        ).scalar_one()
        return before // POSTS_PER_PAGE + 1

    async def last_page(self, community: Community, motion_id: int, auth: AuthContext | None,
                        now: datetime) -> DiscussionPage:
        """The last page of the discussion (where a new comment appears)."""
        return await self.page(community, motion_id, auth, 10**9, now)

    async def post(self, community: Community, motion_id: int, auth: AuthContext | None, body: str,
                   parent_id: int | None, now: datetime) -> Posted:
        """Add a comment, or a reply to one; the author of the comment replied to is notified."""
        if auth is None:
            raise NotAuthorizedException()
        async with writing(self.db):
            context = await self.motion_context(community, motion_id, auth, now)
            if context.speaker is None:
                raise UserError(_("Only verified owners and committee members can take part in the discussion."),
                                403)
            if not context.can_post:
                raise UserError(_("The discussion of this motion is closed."), 409)
            body = clean_text(
                body, limit=MAX_POST_CHARS, empty=_("Please write something before posting."),
                too_long=_("A post can be at most %(limit)d characters long.") % {"limit": MAX_POST_CHARS},
            )
            parent = None
            if parent_id is not None:
                parent = await self._post(community, parent_id)
                if parent.parent_id is not None:  # one level of replies: answer the thread
                    parent = await self._post(community, parent.parent_id)
                if parent.motion_id != motion_id:
                    raise UserError(_("This post does not exist."), 404)
                if parent.hidden_at is not None:
                    raise UserError(_("This post was hidden by the owners' committee and takes no replies."), 409)
            await check_rate_limit(self.db, auth.account_id, now)
            building = None
            if context.speaker == "owner":
                version_id = context.meeting.register_version_id or await current_register_id(self.db, community.id)
                building = await building_of(self.db, auth.person_id, version_id)
            post = DiscussionPost(
                community_id=community.id, motion_id=motion_id, parent_id=parent.id if parent else None,
                author_account_id=auth.account_id, author_role=context.speaker, author_building=building,
                body_md=body, created_at=now,
            )
            self.db.add(post)
            await self.db.flush()
            thread = parent or post
            page = await self.thread_page(thread)
            if parent is not None and parent.author_account_id != auth.account_id:
                await notify(
                    self.db, account_ids=[parent.author_account_id], kind="reply", now=now,
                    community_id=community.id,
                    payload={"title": context.revision.title, "event": "post_reply",
                             "url": f"{context.discussion_url}?page={page}#post-{post.id}"},
                )
        return Posted(post=post, thread_id=thread.id, page=page)

    async def toggle_official(self, community: Community, post_id: int, auth: AuthContext | None,
                              now: datetime) -> Posted:
        """Mark a committee reply as the official answer to its question (or unmark it); one per question."""
        async with writing(self.db):
            post = await self._post(community, post_id)
            context = await self.motion_context(community, post.motion_id, auth, now)
            if not context.is_committee or auth is None:
                raise UserError(_("Only the owners' committee can do this."), 403)
            if post.parent_id is None or post.author_role != "committee" or post.hidden_at is not None:
                raise UserError(_("Only a visible reply written by the committee can be its official answer."), 409)
            question = await self._post(community, post.parent_id)
            marking = post.official_at is None
            if marking:
                await self.db.execute(
                    update(DiscussionPost).where(DiscussionPost.parent_id == question.id)
                    .values(official_at=None, official_by_account_id=None)
                )
                post.official_at, post.official_by_account_id = now, auth.account_id
            else:
                post.official_at, post.official_by_account_id = None, None
            await self.db.flush()
            await record(
                self.db, at=now, action="post_official_answer" if marking else "post_official_answer_withdrawn",
                community_id=community.id, actor_account_id=auth.account_id, object_type="discussion_post",
                object_id=post.id, detail={"motion_id": post.motion_id, "question_id": question.id},
            )
            page = await self.thread_page(question)
            if marking and question.author_account_id != auth.account_id:
                await notify(
                    self.db, account_ids=[question.author_account_id], kind="reply", now=now,
                    community_id=community.id,
                    payload={"title": context.revision.title, "event": "official_answer",
                             "url": f"{context.discussion_url}?page={page}#post-{post.id}"},
                )
        return Posted(post=post, thread_id=question.id, page=page)

    async def hide(self, community: Community, post_id: int, auth: AuthContext | None, reason: str,
                   now: datetime) -> Posted:
        """Hide a post with a public reason (the text stays in the database); audited."""
        async with writing(self.db):
            post = await self._post(community, post_id)
            context = await self.motion_context(community, post.motion_id, auth, now)
            if not context.is_committee or auth is None:
                raise UserError(_("Only the owners' committee can do this."), 403)
            reason = clean_text(
                reason, limit=MAX_REASON_CHARS, empty=_("Please give the reason for hiding this post."),
                too_long=_("The reason can be at most %(limit)d characters long.") % {"limit": MAX_REASON_CHARS},
            )
            if post.hidden_at is not None:
                raise UserError(_("This post is already hidden."), 409)
            post.hidden_at, post.hidden_reason, post.hidden_by_account_id = now, reason, auth.account_id
            await self.db.flush()
            await record(
                self.db, at=now, action="post_hidden", community_id=community.id, actor_account_id=auth.account_id,
                object_type="discussion_post", object_id=post.id,
                detail={"motion_id": post.motion_id, "reason": reason},
            )
            thread_id = post.parent_id or post.id
            page = await self.thread_page(await self._post(community, thread_id))
        return Posted(post=post, thread_id=thread_id, page=page)

    async def _post(self, community: Community, post_id: int) -> DiscussionPost:
        post = (
            await self.db.execute(
                select(DiscussionPost).where(DiscussionPost.id == post_id, DiscussionPost.community_id == community.id)
            )
        ).scalar_one_or_none()
        if post is None:
            raise UserError(_("This post does not exist."), 404)
        return post

    async def _replies(self, thread_ids: list[int]) -> dict[int, list[PostView]]:
        if not thread_ids:
            return {}
        replies: dict[int, list[PostView]] = {}
        rows = (
            await self.db.execute(
                select(DiscussionPost).where(DiscussionPost.parent_id.in_(thread_ids))
                .order_by(DiscussionPost.official_at.is_(None), DiscussionPost.id)
            )
        ).scalars()
        for reply in rows:
            assert reply.parent_id is not None
            replies.setdefault(reply.parent_id, []).append(_view(reply))
        return replies


@dataclass(frozen=True)
class AmendmentView:
    """An amendment or objection, with its proposed text's changes against the text it was written for."""

    amendment: Amendment
    comment_html: Markup
    title_diff: list[DiffOp]
    body_diff: list[DiffOp]
    base_number: int | None
    revision_number: int | None
    approvals: ApprovalStatus | None = None
    """Where the committee stands on adopting it (open amendments once the notice is published)."""


@dataclass(frozen=True)
class AmendmentPage:
    """The amendments page: the motion, its revisions with what changed, and the amendments."""

    context: MotionContext
    steps: list[RevisionStep]
    amendments: list[AmendmentView]
    viewer_id: int | None = None


@dataclass(frozen=True)
class Adoption:
    """What a committee member's "adopt" did: approved (``adopted`` False) or adopted the text."""

    amendment: Amendment
    status: ApprovalStatus | None
    adopted: bool
    added: bool = True


class AmendmentService:
    """Proposing, adopting and declining amendments and objections while a motion is in its notice period."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db
        self.discussion = DiscussionService(db)

    async def page(self, community: Community, motion_id: int, auth: AuthContext | None,
                   now: datetime) -> AmendmentPage:
        """The motion's revisions (each with its diff) and its amendments, newest first."""
        context = await self.discussion.motion_context(community, motion_id, auth, now)
        steps = await MeetingService(self.db).revision_history(motion_id)
        revisions = {step.revision.id: step.revision for step in steps}
        amendments = (
            await self.db.execute(
                select(Amendment).where(Amendment.motion_id == motion_id, Amendment.community_id == community.id)
                .order_by(Amendment.id.desc())
            )
        ).scalars()
        views = []
        for amendment in amendments:
            base = revisions.get(amendment.base_revision_id or -1) or context.revision
            adopted = revisions.get(amendment.revision_id or -1)
            proposed_title = amendment.proposed_title or base.title
            approvals = None
            if amendment.kind == "amendment" and (amendment.status == "adopted" or
                                                  (amendment.status == "open" and context.phase == "noticed")):
                approvals = await approval_status(self.db, community, AMENDMENT_ADOPT, amendment.id)
            views.append(AmendmentView(
                amendment=amendment,
                comment_html=render_post(amendment.comment),
                title_diff=revision_diff(base.title, proposed_title) if proposed_title != base.title else [],
                body_diff=revision_diff(base.body_md, amendment.proposed_body_md)
                if amendment.proposed_body_md is not None else [],
                base_number=base.number,
                revision_number=adopted.number if adopted else None,
                approvals=approvals,
            ))
        return AmendmentPage(context=context, steps=list(reversed(steps)), amendments=views,
                             viewer_id=auth.account_id if auth else None)

    async def adoption(self, community: Community, amendment_id: int, auth: AuthContext | None,
                       now: datetime) -> tuple[AmendmentView, MotionContext]:
        """One open amendment with its changes and the committee's approvals (the confirmation page)."""
        amendment, context = await self._open_for_committee(community, amendment_id, auth, now)
        page = await self.page(community, amendment.motion_id, auth, now)
        view = next(v for v in page.amendments if v.amendment.id == amendment.id)
        return view, context

    async def propose(self, community: Community, motion_id: int, auth: AuthContext | None, *, kind: str,
                      title: str, body: str, comment: str, now: datetime) -> Amendment:
        """An amendment (new text, optionally a new title) or an objection (a reasoned text)."""
        if auth is None:
            raise NotAuthorizedException()
        async with writing(self.db):
            context = await self.discussion.motion_context(community, motion_id, auth, now)
            if context.speaker is None:
                raise UserError(_("Only verified owners and committee members can propose amendments."), 403)
            if not context.amendable:
                raise UserError(_("Amendments and objections are taken only before voting opens."), 409)
            if kind not in ("amendment", "objection"):
                raise UserError(_("Please choose an amendment or an objection."), 422)
            proposed_title = proposed_body = None
            if kind == "amendment":
                proposed_title = title.strip() or None
                if proposed_title and len(proposed_title) > MAX_TITLE:
                    raise UserError(_("The title is too long (at most 200 characters)."), 422)
                proposed_body = clean_text(body, limit=MAX_BODY, empty=_("Please write the text you propose."),
                                           too_long=_("The text is too long."))
                if (proposed_title or context.revision.title) == context.revision.title and \
                        proposed_body == context.revision.body_md.strip():
                    raise UserError(_("The proposed text is the same as the current text."), 422)
                comment = comment.strip()
                if len(comment) > MAX_POST_CHARS:
                    raise UserError(_("A post can be at most %(limit)d characters long.") % {"limit": MAX_POST_CHARS},
                                    422)
            else:
                comment = clean_text(
                    comment, limit=MAX_POST_CHARS, empty=_("Please explain your objection."),
                    too_long=_("A post can be at most %(limit)d characters long.") % {"limit": MAX_POST_CHARS},
                )
            await check_rate_limit(self.db, auth.account_id, now)
            building = None
            if context.speaker == "owner":
                version_id = context.meeting.register_version_id or await current_register_id(self.db, community.id)
                building = await building_of(self.db, auth.person_id, version_id)
            amendment = Amendment(
                community_id=community.id, motion_id=motion_id, base_revision_id=context.revision.id, kind=kind,
                author_account_id=auth.account_id, author_role=context.speaker, author_building=building,
                proposed_title=proposed_title, proposed_body_md=proposed_body, comment=comment, status="open",
                created_at=now,
            )
            self.db.add(amendment)
            await self.db.flush()
            await record(
                self.db, at=now, action=f"{kind}_proposed", community_id=community.id,
                actor_account_id=auth.account_id, object_type="amendment", object_id=amendment.id,
                detail={"motion_id": motion_id, "base_revision": context.revision.number},
            )
        return amendment

    async def adopt(self, community: Community, amendment_id: int, auth: AuthContext | None,
                    now: datetime) -> Adoption:
        """A committee member adopts an amendment, or approves adopting it once the notice is out.

        In a draft (owners see nothing yet) one member adopts it as the next draft revision, and the
        draft's publication approvals are withdrawn. Once the notice is published, the text changes only
        on a committee decision (``vote.domain.approvals``): the first "adopt" proposes the adoption and
        counts as its first approval; the approval that reaches the majority publishes the text as the
        next revision, restarting the notice; approvals given to other proposed texts of the motion are
        then withdrawn (the text they would replace has changed).
        """
        async with writing(self.db):
            await lock_subject(self.db, community.id, AMENDMENT_ADOPT, amendment_id)
            amendment, context = await self._open_for_committee(community, amendment_id, auth, now)
            assert auth is not None
            if amendment.kind != "amendment" or amendment.proposed_body_md is None:
                raise UserError(_("An objection has no text to adopt; answer it instead."), 409)
            if not context.amendable:
                raise UserError(_("Voting has opened: the text of this motion can no longer be changed."), 409)
            status: ApprovalStatus | None = None
            if context.phase == "noticed":
                decision = await approve(self.db, community, AMENDMENT_ADOPT, amendment.id, auth.account_id, now)
                status = decision.status
                if not decision.reached:
                    return Adoption(amendment=amendment, status=status, adopted=False, added=decision.added)
            revision = await revise_motion(
                self.db, motion_id=amendment.motion_id, title=amendment.proposed_title or context.revision.title,
                body_md=amendment.proposed_body_md, actor_account_id=auth.account_id, now=now, approval=status,
            )
            amendment.status, amendment.decided_at, amendment.decided_by_account_id = "adopted", now, auth.account_id
            amendment.revision_id = revision.id
            await self.db.flush()
            await record(
                self.db, at=now, action="amendment_adopted", community_id=community.id,
                actor_account_id=auth.account_id, object_type="amendment", object_id=amendment.id,
                detail={"motion_id": amendment.motion_id, "revision": revision.number,
                        "approvers": [a.account_id for a in status.approvers] if status else [auth.account_id]},
            )
            if status is None:
                await withdraw(self.db, community.id, MEETING_PUBLISH, [context.meeting.id], reason="draft_changed",
                               now=now, actor_account_id=auth.account_id)
            others = list(
                (
                    await self.db.execute(
                        select(Amendment.id).where(Amendment.motion_id == amendment.motion_id,
                                                   Amendment.status == "open", Amendment.id != amendment.id)
                    )
                ).scalars()
            )
            await withdraw(self.db, community.id, AMENDMENT_ADOPT, others, reason="text_changed", now=now,
                           actor_account_id=auth.account_id)
            await self._tell_author(context, amendment, "amendment_adopted", auth.account_id, revision.title, now)
        return Adoption(amendment=amendment, status=status, adopted=True)

    async def decline(self, community: Community, amendment_id: int, auth: AuthContext | None, reason: str,
                      now: datetime) -> Amendment:
        """Decline an amendment, or answer an objection, with a public reason."""
        async with writing(self.db):
            await lock_subject(self.db, community.id, AMENDMENT_ADOPT, amendment_id)
            amendment, context = await self._open_for_committee(community, amendment_id, auth, now)
            assert auth is not None
            reason = clean_text(
                reason, limit=MAX_POST_CHARS, empty=_("Please give the committee's reason."),
                too_long=_("The reason can be at most %(limit)d characters long.") % {"limit": MAX_POST_CHARS},
            )
            amendment.status = "declined" if amendment.kind == "amendment" else "answered"
            amendment.decided_at, amendment.decided_by_account_id = now, auth.account_id
            amendment.decision_reason = reason
            await self.db.flush()
            action = "amendment_declined" if amendment.kind == "amendment" else "objection_answered"
            await record(
                self.db, at=now, action=action, community_id=community.id, actor_account_id=auth.account_id,
                object_type="amendment", object_id=amendment.id,
                detail={"motion_id": amendment.motion_id, "reason": reason},
            )
            await self._tell_author(context, amendment, action, auth.account_id, context.revision.title, now)
        return amendment

    async def _open_for_committee(self, community: Community, amendment_id: int, auth: AuthContext | None,
                                  now: datetime) -> tuple[Amendment, MotionContext]:
        amendment = (
            await self.db.execute(
                select(Amendment).where(Amendment.id == amendment_id, Amendment.community_id == community.id)
            )
        ).scalar_one_or_none()
        if amendment is None:
            raise UserError(_("This amendment does not exist."), 404)
        context = await self.discussion.motion_context(community, amendment.motion_id, auth, now)
        if not context.is_committee:
            raise UserError(_("Only the owners' committee can do this."), 403)
        if amendment.status != "open":
            raise UserError(_("The committee has already decided on this."), 409)
        return amendment, context

    async def _tell_author(self, context: MotionContext, amendment: Amendment, event: str, actor_id: int,
                           title: str, now: datetime) -> None:
        if amendment.author_account_id == actor_id:
            return
        await notify(
            self.db, account_ids=[amendment.author_account_id], kind="reply", now=now,
            community_id=context.community.id,
            payload={"title": title, "event": event, "url": f"{context.amendments_url}#amendment-{amendment.id}"},
        )
