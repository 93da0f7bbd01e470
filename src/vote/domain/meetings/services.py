"""Meetings: drafting, the committee's approval to publish, publication (the notice) and read models.

A meeting is drafted by the committee, published once a majority of the committee (and at least two
people) approved it, and from then on its agenda and texts are frozen: a change of text is a new
revision (``revisions.revise_motion``) that restarts the notice clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from markupsafe import Markup
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vote.db.engine import begin_write
from vote.db.models import (
    Amendment,
    Building,
    Community,
    Meeting,
    Motion,
    MotionOption,
    MotionRevision,
    RegisterVersion,
)
from vote.domain.approvals.services import (
    MEETING_PUBLISH,
    ApprovalStatus,
    approval_status,
    approve,
    lock_subject,
    withdraw,
)
from vote.domain.audit.services import record
from vote.domain.meetings.lifecycle import Phase, phase
from vote.domain.meetings.markdown import render_markdown
from vote.domain.meetings.revisions import latest_revision, propose_revision, revise_motion, revision_diff
from vote.domain.meetings.schemas import InvalidForm, MeetingForm, MotionForm
from vote.domain.meetings.scope import scope_building_ids, scoped_members
from vote.domain.meetings.snapshot import freeze_rules, rule_preset
from vote.lib.errors import UserError
from vote.lib.i18n import _, current_language
from vote.rules import MATTERS, matter_label, threshold_summary

PUBLISH_SUBJECT = MEETING_PUBLISH
# Mainland China has one time zone and no daylight saving: dates are typed and shown in UTC+8.
LOCAL_TZ = timezone(timedelta(hours=8), "CST")
LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"
MAX_TITLE = 200
MAX_BODY = 20_000
MAX_CANDIDATES = 50


# Built once (it runs on every meeting page and every cast): a statement's cache key costs like a query.
_MEETING_IN_COMMUNITY = select(Meeting).where(Meeting.id == bindparam("meeting_id"),
                                              Meeting.community_id == bindparam("community_id"))


def local_input(moment: datetime) -> str:
    """A UTC datetime as the value of a ``datetime-local`` input (Beijing time)."""
    return moment.astimezone(LOCAL_TZ).strftime(LOCAL_INPUT_FORMAT)


def local_time(moment: datetime | None, seconds: bool = False) -> str:
    """A UTC datetime shown in Beijing time, e.g. ``2026-12-08 09:00`` (``:05`` more with ``seconds``)."""
    if moment is None:
        return ""
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def parse_local(value: str) -> datetime | None:
    """A ``datetime-local`` value (Beijing time) as an aware UTC datetime, or None if malformed."""
    try:
        return datetime.strptime(value.strip()[:16], LOCAL_INPUT_FORMAT).replace(tzinfo=LOCAL_TZ).astimezone(UTC)
    except ValueError:
        return None


def _later(moment: datetime | None, first: datetime | None) -> bool:
    return moment is not None and first is not None and moment > first


def language() -> str:
    """The request's language for the rules engine's texts."""
    return current_language.get()


@dataclass(frozen=True)
class MotionView:
    """A motion with its current text, candidates and the threshold its matter needs, in plain words."""

    motion: Motion
    number: int
    revision: MotionRevision
    options: list[MotionOption]
    body_html: Markup
    matter_text: str
    threshold_text: str
    restarted: bool = False
    """True when this text was published after an earlier one: it restarted the notice period."""


@dataclass(frozen=True)
class MeetingView:
    """Everything a meeting page shows."""

    community: Community
    meeting: Meeting
    phase: Phase
    motions: list[MotionView]
    scope_text: str
    earliest_opening: datetime
    approvals: ApprovalStatus | None = None
    """Where the committee stands on publishing (drafts only)."""
    open_amendments: dict[int, int] | None = None
    """Per motion, the proposed texts awaiting the committee (noticed meetings only)."""


@dataclass(frozen=True)
class MeetingSummary:
    """A meeting in a list."""

    meeting: Meeting
    phase: Phase


@dataclass(frozen=True)
class PublishOutcome:
    """What an approval achieved."""

    published: bool
    approvals: int
    needed: int
    already_approved: bool = False


@dataclass(frozen=True)
class RevisionStep:
    """One revision of a motion with the changes from the one before (empty for the first)."""

    revision: MotionRevision
    title_diff: list[tuple[str, str]]
    body_diff: list[tuple[str, str]]


@dataclass(frozen=True)
class MotionPage:
    """A motion with its meeting and its revision history."""

    meeting: MeetingView
    motion: MotionView
    steps: list[RevisionStep]


class MeetingService:
    """Drafting, approving, publishing and reading meetings; every method is scoped to one community."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    # ----------------------------------------------------------------- reading

    async def meeting(self, community: Community, meeting_id: int) -> Meeting:
        """The meeting with this id *in this community* (another community's id is not found)."""
        meeting = (
            await self.db.execute(_MEETING_IN_COMMUNITY, {"meeting_id": meeting_id, "community_id": community.id})
        ).scalar_one_or_none()
        if meeting is None:
            raise UserError(_("This meeting does not exist."), 404)
        return meeting

    async def list_meetings(self, community: Community, *, include_drafts: bool, now: datetime) -> list[MeetingSummary]:
        """The community's meetings, newest first; drafts only for the committee."""
        query = select(Meeting).where(Meeting.community_id == community.id)
        if not include_drafts:
            query = query.where(Meeting.status != "draft")
        meetings = (await self.db.execute(query.order_by(Meeting.opens_at.desc(), Meeting.id.desc()))).scalars()
        return [MeetingSummary(m, phase(m, now)) for m in meetings]

    async def motions(self, community: Community, meeting: Meeting) -> list[MotionView]:
        """The agenda in order, each motion with its current revision and candidates."""
        motions = list(
            (await self.db.execute(select(Motion).where(Motion.meeting_id == meeting.id).order_by(Motion.position)))
            .scalars()
        )
        if not motions:
            return []
        ids = [m.id for m in motions]
        newest = (
            select(MotionRevision.motion_id, func.max(MotionRevision.number).label("number"))
            .where(MotionRevision.motion_id.in_(ids))
            .group_by(MotionRevision.motion_id)
            .subquery()
        )
        revisions = {
            r.motion_id: r
            for r in (
                await self.db.execute(
                    select(MotionRevision).join(
                        newest,
                        (newest.c.motion_id == MotionRevision.motion_id) & (newest.c.number == MotionRevision.number),
                    )
                )
            ).scalars()
        }
        first_published = dict(
            (
                await self.db.execute(
                    select(MotionRevision.motion_id, func.min(MotionRevision.published_at))
                    .where(MotionRevision.motion_id.in_(ids)).group_by(MotionRevision.motion_id)
                )
            ).all()
        )
        options: dict[int, list[MotionOption]] = {}
        for option in (
            await self.db.execute(
                select(MotionOption).where(MotionOption.motion_id.in_(ids)).order_by(MotionOption.position)
            )
        ).scalars():
            options.setdefault(option.motion_id, []).append(option)
        lang = language()
        return [
            MotionView(
                motion=m,
                number=index,
                revision=revisions[m.id],
                options=options.get(m.id, []),
                body_html=render_markdown(revisions[m.id].body_md),
                matter_text=matter_label(m.matter, lang),
                threshold_text=threshold_summary(rule_preset(meeting, community), m.matter, lang),
                restarted=_later(revisions[m.id].published_at, first_published.get(m.id)),
            )
            for index, m in enumerate(motions, start=1)
        ]

    async def view(self, community: Community, meeting_id: int, now: datetime, *, drafts: bool) -> MeetingView:
        """The meeting page's read model; a draft is found only when ``drafts`` (the committee)."""
        meeting = await self.meeting(community, meeting_id)
        if meeting.status == "draft" and not drafts:
            raise UserError(_("This meeting does not exist."), 404)
        motions = await self.motions(community, meeting)
        current = phase(meeting, now)
        approvals = await approval_status(self.db, community, PUBLISH_SUBJECT, meeting.id) if current == "draft" else None
        open_amendments = await self._open_amendments(meeting) if current == "noticed" and drafts else None
        return MeetingView(
            community=community, meeting=meeting, phase=current, motions=motions,
            scope_text=await self.scope_text(community, meeting.scope),
            earliest_opening=now + timedelta(days=community.notice_days),
            approvals=approvals, open_amendments=open_amendments,
        )

    async def motion(self, community: Community, meeting_id: int, motion_id: int) -> tuple[Meeting, MotionView]:
        """One motion of a meeting of this community, with its current text."""
        meeting = await self.meeting(community, meeting_id)
        for view in await self.motions(community, meeting):
            if view.motion.id == motion_id:
                return meeting, view
        raise UserError(_("This motion does not exist."), 404)

    async def motion_page(self, community: Community, meeting_id: int, motion_id: int, *,
                          drafts: bool, now: datetime) -> MotionPage:
        """A motion's page: current text, threshold, and its revisions with what changed."""
        view = await self.view(community, meeting_id, now, drafts=drafts)
        for motion in view.motions:
            if motion.motion.id == motion_id:
                return MotionPage(meeting=view, motion=motion, steps=await self.revision_history(motion_id))
        raise UserError(_("This motion does not exist."), 404)

    async def revision_history(self, motion_id: int) -> list[RevisionStep]:
        """Every revision of a motion, oldest first, with what changed from the previous one."""
        revisions = list(
            (
                await self.db.execute(
                    select(MotionRevision).where(MotionRevision.motion_id == motion_id).order_by(MotionRevision.number)
                )
            ).scalars()
        )
        steps: list[RevisionStep] = []
        for previous, revision in zip([None, *revisions], revisions, strict=False):
            steps.append(
                RevisionStep(
                    revision=revision,
                    title_diff=revision_diff(previous.title, revision.title) if previous else [],
                    body_diff=revision_diff(previous.body_md, revision.body_md) if previous else [],
                )
            )
        return steps

    async def buildings(self, community: Community) -> list[Building]:
        """The community's buildings, for the scope choice."""
        return list(
            (
                await self.db.execute(
                    select(Building).where(Building.community_id == community.id)
                    .order_by(Building.position, Building.name)
                )
            ).scalars()
        )

    async def scope_text(self, community: Community, scope: dict | None) -> str:
        """The scope in words: the whole community, or the chosen buildings."""
        building_ids = scope_building_ids(scope)
        if building_ids:
            names = (
                await self.db.execute(
                    select(Building.name).where(Building.community_id == community.id, Building.id.in_(building_ids))
                    .order_by(Building.position, Building.name)
                )
            ).scalars()
            return _("Owners of: {buildings}").format(buildings="、".join(names))
        if scope and scope.get("unit_ids"):
            return _("Owners of the selected units ({count})").format(count=len(scope["unit_ids"]))
        return _("All owners of the community")

    def new_meeting_form(self, community: Community, now: datetime) -> MeetingForm:
        """A blank meeting form whose window opens just after the notice period, 09:00 Beijing time."""
        start = (now + timedelta(days=community.notice_days + 1)).astimezone(LOCAL_TZ)
        start = start.replace(hour=9, minute=0, second=0, microsecond=0)
        days = min(max(7, community.voting_days_min), community.voting_days_max)
        return MeetingForm(opens_at=local_input(start), closes_at=local_input(start + timedelta(days=days)))

    def meeting_form(self, meeting: Meeting) -> MeetingForm:
        """The form filled with a meeting's current settings."""
        return MeetingForm(
            title=meeting.title, opens_at=local_input(meeting.opens_at), closes_at=local_input(meeting.closes_at),
            scope="buildings" if scope_building_ids(meeting.scope) else "all",
            building_ids=[str(i) for i in scope_building_ids(meeting.scope)],
        )

    @staticmethod
    def motion_form(view: MotionView) -> MotionForm:
        """The form filled with a motion's current text and settings."""
        return MotionForm(
            title=view.revision.title, body_md=view.revision.body_md, matter=str(view.motion.matter),
            kind=view.motion.kind, seats=str(view.motion.seats or 1),
            candidates="\n".join(o.label for o in view.options),
        )

    # ----------------------------------------------------------------- drafting

    async def create_meeting(self, community: Community, form: MeetingForm, actor_account_id: int,
                             now: datetime) -> Meeting:
        """Create a draft meeting (written consultation) from a valid form."""
        await begin_write(self.db)
        title, opens_at, closes_at, scope = await self._clean_meeting(community, form, now)
        meeting = Meeting(
            community_id=community.id, title=title, kind="written", scope=scope, status="draft",
            opens_at=opens_at, closes_at=closes_at, created_at=now, created_by_account_id=actor_account_id,
        )
        self.db.add(meeting)
        await self.db.flush()
        await record(
            self.db, at=now, action="meeting_drafted", community_id=community.id, actor_account_id=actor_account_id,
            object_type="meeting", object_id=meeting.id, detail={"title": title},
        )
        await self.db.commit()
        return meeting

    async def update_meeting(self, community: Community, meeting_id: int, form: MeetingForm, actor_account_id: int,
                             now: datetime) -> Meeting:
        """Change a draft's title, window or scope (approvals given so far are withdrawn)."""
        await begin_write(self.db)
        meeting = await self._draft(community, meeting_id)
        meeting.title, meeting.opens_at, meeting.closes_at, meeting.scope = await self._clean_meeting(
            community, form, now
        )
        await self._draft_changed(meeting, actor_account_id, now)
        await self.db.commit()
        return meeting

    async def add_motion(self, community: Community, meeting_id: int, form: MotionForm, actor_account_id: int,
                         now: datetime) -> Motion:
        """Append a motion to a draft's agenda."""
        await begin_write(self.db)
        meeting = await self._draft(community, meeting_id)
        clean = self._clean_motion(form)
        position = (
            await self.db.execute(
                select(func.coalesce(func.max(Motion.position), 0)).where(Motion.meeting_id == meeting.id)
            )
        ).scalar_one() + 1
        motion = Motion(meeting_id=meeting.id, position=position, kind=clean.kind, matter=clean.matter,
                        seats=clean.seats)
        self.db.add(motion)
        await self.db.flush()
        self.db.add(MotionRevision(motion_id=motion.id, number=1, title=clean.title, body_md=clean.body_md,
                                   created_at=now, created_by_account_id=actor_account_id))
        self.db.add_all(
            MotionOption(motion_id=motion.id, position=i, label=label) for i, label in enumerate(clean.candidates, 1)
        )
        await self._draft_changed(meeting, actor_account_id, now)
        await self.db.commit()
        return motion

    async def update_motion(self, community: Community, meeting_id: int, motion_id: int, form: MotionForm,
                            actor_account_id: int, now: datetime) -> Amendment | None:
        """Edit a motion: freely while draft (None); once noticed only its text, as a proposed revision.

        A new text of a noticed motion is not published by one member: it is proposed (an amendment by
        the committee, with the proposer's approval) and published when a committee majority approved
        it (``revisions.propose_revision``); the proposal is returned.
        """
        await begin_write(self.db)
        meeting = await lock_subject(self.db, community.id, PUBLISH_SUBJECT, meeting_id)
        assert isinstance(meeting, Meeting)
        motion = await self._motion_of(meeting, motion_id)
        if meeting.status != "draft":
            errors = {}
            if not form.title.strip():
                errors["title"] = _("A motion needs a title.")
            elif len(form.title.strip()) > MAX_TITLE:
                errors["title"] = _("The title is too long (at most 200 characters).")
            if len(form.body_md) > MAX_BODY:
                errors["body_md"] = _("The text is too long.")
            if errors:
                raise InvalidForm(errors)
            try:
                proposal = await propose_revision(self.db, community, motion_id=motion.id, title=form.title,
                                                  body_md=form.body_md, actor_account_id=actor_account_id, now=now)
            except UserError as error:
                if error.status_code != 422:
                    raise
                raise InvalidForm({"body_md": str(error.detail)}) from error
            await self.db.commit()
            return proposal
        clean = self._clean_motion(form)
        motion.kind, motion.matter, motion.seats = clean.kind, clean.matter, clean.seats
        revision = await latest_revision(self.db, motion.id)
        if revision is not None and revision.published_at is None:
            revision.title, revision.body_md = clean.title, clean.body_md
            revision.created_at, revision.created_by_account_id = now, actor_account_id
        else:
            await revise_motion(self.db, motion_id=motion.id, title=clean.title, body_md=clean.body_md,
                                actor_account_id=actor_account_id, now=now)
        await self.db.execute(delete(MotionOption).where(MotionOption.motion_id == motion.id))
        self.db.add_all(
            MotionOption(motion_id=motion.id, position=i, label=label) for i, label in enumerate(clean.candidates, 1)
        )
        await self._draft_changed(meeting, actor_account_id, now)
        await self.db.commit()
        return None

    async def move_motion(self, community: Community, meeting_id: int, motion_id: int, direction: str,
                          actor_account_id: int, now: datetime) -> None:
        """Swap a draft motion with its neighbour above (``up``) or below (``down``)."""
        await begin_write(self.db)
        meeting = await self._draft(community, meeting_id)
        motion = await self._motion_of(meeting, motion_id)
        if direction not in ("up", "down"):
            raise UserError(_("Choose up or down."), 400)
        query = select(Motion).where(Motion.meeting_id == meeting.id)
        if direction == "up":
            query = query.where(Motion.position < motion.position).order_by(Motion.position.desc())
        else:
            query = query.where(Motion.position > motion.position).order_by(Motion.position)
        neighbour = (await self.db.execute(query.limit(1))).scalar_one_or_none()
        if neighbour is not None:
            mine, theirs = motion.position, neighbour.position
            # Three steps, because (meeting_id, position) is unique at every statement.
            await self.db.execute(update(Motion).where(Motion.id == motion.id).values(position=-mine))
            await self.db.execute(update(Motion).where(Motion.id == neighbour.id).values(position=mine))
            await self.db.execute(update(Motion).where(Motion.id == motion.id).values(position=theirs))
            await self._draft_changed(meeting, actor_account_id, now)
        await self.db.commit()

    async def remove_motion(self, community: Community, meeting_id: int, motion_id: int, actor_account_id: int,
                            now: datetime) -> None:
        """Take a motion off a draft's agenda."""
        await begin_write(self.db)
        meeting = await self._draft(community, meeting_id)
        motion = await self._motion_of(meeting, motion_id)
        await self.db.execute(delete(MotionOption).where(MotionOption.motion_id == motion.id))
        await self.db.execute(delete(MotionRevision).where(MotionRevision.motion_id == motion.id))
        await self.db.execute(delete(Motion).where(Motion.id == motion.id))
        await self._draft_changed(meeting, actor_account_id, now)
        await self.db.commit()

    # ----------------------------------------------------------------- publishing

    async def publication_check(self, community: Community, meeting_id: int, now: datetime) -> MeetingView:
        """The draft as its page shows it, refused (409) when it could not be published now (confirmation page)."""
        view = await self.view(community, meeting_id, now, drafts=True)
        if view.approvals is None:
            await self._draft(community, meeting_id)  # refuses: the agenda is frozen
        await self._publication_problems(community, view.meeting, now)
        return view

    async def approve_publication(self, community: Community, meeting_id: int, actor_account_id: int,
                                  now: datetime) -> PublishOutcome:
        """Record this committee member's approval; the approval that reaches the majority publishes.

        The first approval puts the draft forward (see ``vote.domain.approvals``); a majority of the
        committee, and at least two people, must approve the draft as it stands.
        """
        await begin_write(self.db)
        meeting = await self._draft(community, meeting_id)
        version = await self._publication_problems(community, meeting, now)
        decision = await approve(self.db, community, PUBLISH_SUBJECT, meeting.id, actor_account_id, now)
        if decision.reached:
            approvers = [a.account_id for a in decision.status.approvers]
            await self._publish(community, meeting, version, approvers, actor_account_id, now)
        await self.db.commit()
        return PublishOutcome(decision.reached, decision.status.given, decision.status.needed,
                              already_approved=not decision.added)

    async def demo_open_now(self, community: Community, meeting_id: int, actor_account_id: int,
                            now: datetime) -> Meeting:
        """Demo only: move a noticed meeting's window so that voting opens now (same length)."""
        await begin_write(self.db)
        meeting = await self.meeting(community, meeting_id)
        if phase(meeting, now) != "noticed":
            raise UserError(_("Only a published meeting that has not opened yet can be opened early."), 409)
        length = meeting.closes_at - meeting.opens_at
        meeting.opens_at, meeting.closes_at = now, now + length
        await self.db.flush()
        await record(
            self.db, at=now, action="demo_voting_opened", community_id=community.id,
            actor_account_id=actor_account_id, object_type="meeting", object_id=meeting.id,
            detail={"opens_at": now.isoformat(), "closes_at": meeting.closes_at.isoformat()},
        )
        await self.db.commit()
        return meeting

    # ----------------------------------------------------------------- helpers

    async def _draft(self, community: Community, meeting_id: int) -> Meeting:
        """The draft meeting, locked: an edit and the approval that publishes never interleave."""
        meeting = await lock_subject(self.db, community.id, PUBLISH_SUBJECT, meeting_id)
        assert isinstance(meeting, Meeting)
        if meeting.status != "draft":
            raise UserError(_("This meeting has been published: its agenda is frozen. A change of a motion's text "
                              "is a new revision that restarts the notice period."), 409)
        return meeting

    async def _motion_of(self, meeting: Meeting, motion_id: int) -> Motion:
        motion = (
            await self.db.execute(select(Motion).where(Motion.id == motion_id, Motion.meeting_id == meeting.id))
        ).scalar_one_or_none()
        if motion is None:
            raise UserError(_("This motion does not exist."), 404)
        return motion

    async def _draft_changed(self, meeting: Meeting, actor_account_id: int | None, now: datetime) -> None:
        # Approvals were given to the draft as it was; a changed draft needs them again.
        await withdraw(self.db, meeting.community_id, PUBLISH_SUBJECT, [meeting.id], reason="draft_changed", now=now,
                       actor_account_id=actor_account_id)

    async def _open_amendments(self, meeting: Meeting) -> dict[int, int]:
        """Per motion of the meeting, how many proposed texts await the committee's decision."""
        return dict(
            (
                await self.db.execute(
                    select(Amendment.motion_id, func.count(Amendment.id))
                    .join(Motion, Motion.id == Amendment.motion_id)
                    .where(Motion.meeting_id == meeting.id, Amendment.kind == "amendment", Amendment.status == "open")
                    .group_by(Amendment.motion_id)
                )
            ).all()
        )

    async def _publication_problems(self, community: Community, meeting: Meeting, now: datetime) -> RegisterVersion:
        """Refuse publication with a clear message; return the register version to freeze."""
        version = (
            await self.db.execute(
                select(RegisterVersion).where(RegisterVersion.community_id == community.id)
                .order_by(RegisterVersion.number.desc()).limit(1)
            )
        ).scalar_one_or_none()
        if version is None:
            raise UserError(_("The owner register has not been imported yet: there is nobody to notify."), 409)
        count = (
            await self.db.execute(select(func.count(Motion.id)).where(Motion.meeting_id == meeting.id))
        ).scalar_one()
        if count == 0:
            raise UserError(_("Add at least one motion before publishing."), 409)
        earliest = now + timedelta(days=community.notice_days)
        if meeting.opens_at < earliest:
            raise UserError(
                _("Voting cannot open before the notice period of {days} days has passed: the earliest opening is "
                  "{date}. Move the voting window and approve again.").format(
                    days=community.notice_days, date=local_time(earliest)),
                409,
            )
        members = (
            await self.db.execute(
                select(func.count()).select_from(scoped_members(meeting, community, version.id).subquery())
            )
        ).scalar_one()
        if members == 0:
            raise UserError(_("No voting member is in this meeting's scope."), 409)
        return version

    async def _publish(self, community: Community, meeting: Meeting, version: RegisterVersion,
                       approvers: list[int], actor_account_id: int, now: datetime) -> None:
        """Post the notice: freeze the texts, the register version and the community's rules on the meeting."""
        # The settings as committed now (an operator's change waits for us or is seen), not as the request read them.
        community = (
            await self.db.execute(
                select(Community).where(Community.id == community.id).with_for_update(read=True)
                .execution_options(populate_existing=True)
            )
        ).scalar_one()
        rules = freeze_rules(meeting, community)
        meeting.status = "noticed"
        meeting.noticed_at = now
        meeting.register_version_id = version.id
        motion_ids = select(Motion.id).where(Motion.meeting_id == meeting.id).scalar_subquery()
        await self.db.execute(
            update(MotionRevision)
            .where(MotionRevision.motion_id.in_(motion_ids), MotionRevision.published_at.is_(None))
            .values(published_at=now)
        )
        await self.db.flush()
        await record(
            self.db, at=now, action="meeting_noticed", community_id=community.id, actor_account_id=actor_account_id,
            object_type="meeting", object_id=meeting.id,
            detail={
                "title": meeting.title, "register_version": version.number, "approvers": approvers,
                "opens_at": meeting.opens_at.isoformat(), "closes_at": meeting.closes_at.isoformat(),
                "scope": meeting.scope, "rules": rules.record(),
            },
        )

    async def _clean_meeting(
        self, community: Community, form: MeetingForm, now: datetime
    ) -> tuple[str, datetime, datetime, dict | None]:
        errors: dict[str, str] = {}
        title = form.title.strip()
        if not title:
            errors["title"] = _("Give the meeting a title.")
        elif len(title) > MAX_TITLE:
            errors["title"] = _("The title is too long (at most 200 characters).")
        opens_at, closes_at = parse_local(form.opens_at), parse_local(form.closes_at)
        if opens_at is None:
            errors["opens_at"] = _("Enter the date and time voting opens.")
        elif opens_at <= now:
            errors["opens_at"] = _("Voting must open in the future.")
        if closes_at is None:
            errors["closes_at"] = _("Enter the date and time voting closes.")
        if opens_at and closes_at:
            length = closes_at - opens_at
            if length < timedelta(days=community.voting_days_min) or length > timedelta(days=community.voting_days_max):
                errors["closes_at"] = _("The voting window must last between {low} and {high} days.").format(
                    low=community.voting_days_min, high=community.voting_days_max)
        scope: dict | None = None
        if form.scope == "buildings":
            known = {b.id for b in await self.buildings(community)}
            chosen: list[int] = []
            for value in form.selected_buildings():
                if value.isdigit() and int(value) in known:
                    chosen.append(int(value))
                else:
                    errors["building_ids"] = _("Choose buildings of this community.")
            if not chosen and "building_ids" not in errors:
                errors["building_ids"] = _("Choose at least one building, or the whole community.")
            scope = {"building_ids": sorted(set(chosen))}
        elif form.scope != "all":
            errors["scope"] = _("Choose who votes.")
        if errors:
            raise InvalidForm(errors)
        return title, opens_at, closes_at, scope  # type: ignore[return-value]

    @staticmethod
    def _clean_motion(form: MotionForm) -> _CleanMotion:
        errors: dict[str, str] = {}
        title = form.title.strip()
        if not title:
            errors["title"] = _("A motion needs a title.")
        elif len(title) > MAX_TITLE:
            errors["title"] = _("The title is too long (at most 200 characters).")
        if len(form.body_md) > MAX_BODY:
            errors["body_md"] = _("The text is too long.")
        matter = int(form.matter) if form.matter.strip().isdigit() else 0
        if matter not in MATTERS:
            errors["matter"] = _("Choose which of the nine matters this motion is.")
        kind = form.kind if form.kind in ("question", "election") else ""
        if not kind:
            errors["kind"] = _("Choose the kind of motion.")
        seats: int | None = None
        candidates: list[str] = []
        if kind == "election":
            candidates = form.candidate_labels()
            seats = int(form.seats) if form.seats.strip().isdigit() else 0
            if not candidates:
                errors["candidates"] = _("List the candidates, one per line.")
            elif len(candidates) > MAX_CANDIDATES or any(len(c) > 200 for c in candidates):
                errors["candidates"] = _("Too many candidates or a name that is too long.")
            elif len(set(candidates)) != len(candidates):
                errors["candidates"] = _("Each candidate may be listed only once.")
            if seats < 1 or (candidates and seats > len(candidates)):
                errors["seats"] = _("Seats must be at least 1 and at most the number of candidates.")
        if errors:
            raise InvalidForm(errors)
        return _CleanMotion(title=title, body_md=form.body_md.strip(), matter=matter, kind=kind, seats=seats,
                            candidates=candidates)


@dataclass(frozen=True)
class _CleanMotion:
    title: str
    body_md: str
    matter: int
    kind: str
    seats: int | None
    candidates: list[str]
