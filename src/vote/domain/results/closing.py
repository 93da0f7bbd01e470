"""Closing a meeting: decide every motion on the frozen register and start the objection period.

Closing is a job, never a side effect of reading a page: a meeting closes once its voting window has
ended, from the scheduler inside ``vote serve`` (``vote.domain.results.scheduler``) or from cron with
``vote meetings close-due``. Until then its result page says the votes are being counted. Closing is
idempotent and exactly-once even with several closers on one database (server processes, cron): it
runs in one write transaction that first takes the write lock (SQLite's ``BEGIN IMMEDIATE``; on
PostgreSQL a lock on the ballot table, which also waits for casts in flight), then re-reads the meeting
under ``FOR UPDATE``; a second closer waits for the first, finds the meeting no longer due and does
nothing. The unique ``motion_result.motion_id`` is the last line of defence.

Each motion is aggregated by ONE SQL statement over the members in the voting scope (the meeting's
frozen register version, its buildings or units, and the parking setting frozen at notice: see
``vote.domain.meetings.scope``, shared with turnout and eligibility) and decided by
``vote.rules.decide``, the same engine as ``vote tally``, under the rule preset frozen at notice
(``vote.domain.meetings.snapshot``); the objection period is the one frozen at notice. If the preset's
thresholds changed since the notice (its fingerprint differs), the meeting is not decided.

Elections (choose up to K of N candidates) are decided by ``vote.rules.decide_election``, the same
function as ``vote tally``: participants are the members who returned the election ballot, "yes"
for a candidate are the members who selected them, the other participants abstain on that
candidate. Seats go to the candidates who passed in the preset's ``seat_order`` (yes heads, then
yes area); candidates tied at the last seat are not elected and a by-election is needed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, String, cast, func, literal, null, select, text, union_all
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from vote.db.engine import begin_write
from vote.db.models import (
    Ballot,
    BallotSelection,
    Community,
    Meeting,
    Motion,
    MotionOption,
    MotionResult,
    PaperBallotEntry,
)
from vote.db.models.ballots import ELECTION
from vote.domain.audit.services import record
from vote.domain.meetings.scope import scoped_members, whole_community
from vote.domain.meetings.snapshot import MeetingRules, meeting_rules, preset_unchanged
from vote.ledger import services as ledger
from vote.lib.errors import UserError
from vote.lib.i18n import _
from vote.rules import Count, Decision, RulesError, checks_to_list, decide, decision_to_dict
from vote.rules import decide_election as rules_decide_election

logger = logging.getLogger("vote.results")

OPEN_STATUSES = ("noticed", "open")
ZERO = Count(0, 0)


@dataclass(frozen=True)
class Aggregate:
    """One motion's counts over the voting scope: the total, per choice, per election candidate, and the
    paper ballots returned blank or spoiled (within the abstentions)."""

    total: Count
    by_choice: dict[str, Count] = field(default_factory=dict)
    by_option: dict[int, Count] = field(default_factory=dict)
    by_mark: dict[str, Count] = field(default_factory=dict)

    def choice(self, name: str) -> Count:
        """The members (area and heads) who returned ``name`` (yes/no/abstain/election)."""
        return self.by_choice.get(name, ZERO)

    def mark(self, name: str) -> Count:
        """The members (area and heads) whose paper ballot was ``name`` (blank/spoiled)."""
        return self.by_mark.get(name, ZERO)


@dataclass(frozen=True)
class ClosedMeeting:
    """What a close did: the meeting and each motion's outcome."""

    meeting_id: int
    title: str
    outcomes: dict[int, str]


def is_due(meeting: Meeting, now: datetime) -> bool:
    """True when the meeting is published and its voting window has ended."""
    return meeting.status in OPEN_STATUSES and now >= meeting.closes_at


async def aggregate(db: AsyncSession, meeting: Meeting, community: Community, motion_id: int, *,
                    by_units: bool = False) -> Aggregate:
    """Count members and sum their area in scope: in total, by choice, by selected candidate and by paper mark.

    One statement of four parts. The ballots are read from the covering index on (motion, choice,
    member) and joined to their member's area in scope (``scoped_members``; ``by_units`` forces the
    unit-by-unit sum a partial scope uses, for the tests that compare the two).
    """
    members = scoped_members(meeting, community, by_units=by_units)
    # The member table alone is inlined into each part (a primary-key join); a unit sum is computed once.
    scoped = members.subquery("scoped") if not by_units and whole_community(meeting) else members.cte("scoped")
    no_option = cast(null(), Integer)
    total = select(literal("total").label("part"), cast(null(), String).label("choice"), no_option.label("option_id"),
                   func.count().label("heads"), func.sum(scoped.c.area_centi).label("area")).select_from(scoped)
    by_choice = (
        select(literal("choice"), Ballot.choice, no_option, func.count(), func.sum(scoped.c.area_centi))
        .select_from(Ballot)
        .join(scoped, scoped.c.member_id == Ballot.member_id)
        .where(Ballot.motion_id == motion_id)
        .group_by(Ballot.choice)
    )
    by_option = (
        select(literal("option"), Ballot.choice, BallotSelection.option_id, func.count(),
               func.sum(scoped.c.area_centi))
        .select_from(Ballot)
        .join(scoped, scoped.c.member_id == Ballot.member_id)
        .join(BallotSelection, BallotSelection.ballot_id == Ballot.id)
        .where(Ballot.motion_id == motion_id, Ballot.choice == ELECTION)
        .group_by(Ballot.choice, BallotSelection.option_id)
    )
    by_mark = (
        select(literal("mark"), Ballot.paper_mark, no_option, func.count(), func.sum(scoped.c.area_centi))
        .select_from(Ballot)
        .join(scoped, scoped.c.member_id == Ballot.member_id)
        # A mark goes only with these choices (a CHECK): the index narrows the rows read to the abstentions.
        .where(Ballot.motion_id == motion_id, Ballot.choice.in_(("abstain", ELECTION)),
               Ballot.paper_mark.is_not(None))
        .group_by(Ballot.paper_mark)
    )
    counts = ZERO
    choices: dict[str, Count] = {}
    options: dict[int, Count] = {}
    marks: dict[str, Count] = {}
    statement = union_all(total, by_choice, by_option, by_mark)
    for part, choice, option_id, heads, area in (await db.execute(statement)).all():
        count = Count(int(area or 0), int(heads))
        if part == "total":
            counts = count
        elif part == "choice":
            choices[choice] = count
        elif part == "mark":
            marks[choice] = count
        else:
            options[int(option_id)] = count
    return Aggregate(total=counts, by_choice=choices, by_option=options, by_mark=marks)


def count_record(count: Count) -> dict[str, int]:
    """A count as stored in ``MotionResult.tally``."""
    return {"area_centi": count.area_centi, "heads": count.heads}


def mark_records(counts: Aggregate) -> dict[str, dict[str, int]]:
    """The blank and spoiled paper ballots (counted within abstain) as stored in ``MotionResult.tally``."""
    return {"blank": count_record(counts.mark("blank")), "spoiled": count_record(counts.mark("spoiled"))}


def decision_record(decision: Decision) -> dict[str, Any]:
    """The counts and the explained checks of one decision, as stored in ``MotionResult.tally``."""
    return {
        "outcome": decision.outcome,
        "threshold_class": decision.threshold_class,
        "total": count_record(decision.total),
        "participated": count_record(decision.participated),
        "yes": count_record(decision.yes),
        "no": count_record(decision.no),
        "abstain": count_record(decision.abstain),
        "checks": decision_to_dict(decision)["checks"],
    }


def decide_question(rule: str, matter: int, counts: Aggregate) -> tuple[str, dict[str, Any]]:
    """Decide a yes/no/abstain motion; return its outcome and the tally record."""
    decision = decide(rule, matter, total=counts.total, yes=counts.choice("yes"), no=counts.choice("no"),
                      abstain=counts.choice("abstain"))
    return decision.outcome, {"kind": "question", "rule": decision.rule, "matter": matter,
                              **decision_record(decision)}


def decide_election(
    rule: str, matter: int, seats: int, options: Sequence[MotionOption], counts: Aggregate
) -> tuple[str, dict[str, Any]]:
    """Decide an election with ``vote.rules.decide_election``; return the stored outcome and tally record.

    The stored outcome keeps the column's values: ``no-quorum`` if participation failed, ``passed``
    if at least one seat was filled, else ``failed``; pages show the seats filled, never these words.
    """
    by_key = {str(option.id): option for option in options}
    election = rules_decide_election(
        rule, matter, seats, total=counts.total, participated=counts.choice("election"),
        candidates=[(key, option.label, counts.by_option.get(option.id, ZERO)) for key, option in by_key.items()],
    )
    if election.outcome == "no-quorum":
        outcome = "no-quorum"
    else:
        outcome = "passed" if election.seats_filled >= 1 else "failed"
    candidates = [
        {
            "option_id": by_key[candidate.key].id, "position": by_key[candidate.key].position,
            "label": candidate.label, "status": candidate.status, "rank": candidate.rank,
            "outcome": candidate.decision.outcome, "yes": count_record(candidate.decision.yes),
            "abstain": count_record(candidate.decision.abstain),
            "checks": checks_to_list(candidate.decision.checks, candidate.decision.area_term),
            "threshold_class": candidate.decision.threshold_class,
        }
        for candidate in election.candidates
    ]
    tally = {
        "kind": "election", "rule": election.rule, "matter": election.matter, "seats": election.seats,
        "seats_filled": election.seats_filled, "by_election_needed": election.by_election_needed,
        "outcome": election.outcome, "threshold_class": election.threshold_class,
        "total": count_record(election.total), "participated": count_record(election.participated),
        "checks": checks_to_list(election.checks, election.area_term),
        "candidates": sorted(candidates, key=lambda c: c["position"]),
    }
    return outcome, tally


class ClosingService:
    """Closes meetings whose voting window has ended."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def close(self, meeting_id: int, now: datetime, *, trigger: str,
                    actor_account_id: int | None = None) -> ClosedMeeting | None:
        """Decide every motion and move the meeting to the preliminary result, in one write transaction.

        Returns None (and changes nothing) when the meeting is not due or was closed meanwhile.
        """
        await begin_write(self.db)
        if self.db.bind.dialect.name == "postgresql":
            # Wait for casts in flight and keep new ones (and a second close) out until we commit;
            # SQLite's BEGIN IMMEDIATE already holds the single write lock.
            await self.db.execute(text("LOCK TABLE ballot IN SHARE ROW EXCLUSIVE MODE"))
        meeting = (
            await self.db.execute(
                select(Meeting).where(Meeting.id == meeting_id).with_for_update()
                .execution_options(populate_existing=True)
            )
        ).scalar_one_or_none()
        if meeting is None or not is_due(meeting, now):
            await self.db.commit()
            return None
        community = (await self.db.execute(select(Community).where(Community.id == meeting.community_id))).scalar_one()
        rules = meeting_rules(meeting, community)
        if not preset_unchanged(rules):
            await self.db.rollback()
            logger.error("meeting %s: preset %s no longer has the thresholds of the notice (hash %s)",
                         meeting_id, rules.rule_preset, rules.rule_hash)
            raise UserError(
                _("The rule preset {rule} has changed since this meeting was published, so the meeting cannot be "
                  "decided by the rules its notice announced.").format(rule=rules.rule_preset), 409)
        # The final checkpoint signs the ballots the decision counts: the ballot table is locked, and every
        # ballot has its leaf (appended in its own transaction), so the two are the same set.
        final = await ledger.checkpoint_meeting(self.db, community, meeting.id, now, audit=False)
        await self._check_ledger(meeting, final.size)
        checkpoint = {"size": final.size, "root": final.root, "id": final.id}
        outcomes = await self._decide_motions(meeting, rules, community, now, checkpoint)
        # A paper entry nobody confirmed before the close is not a ballot; the record says how many there were.
        unconfirmed = (
            await self.db.execute(
                select(func.count()).select_from(PaperBallotEntry)
                .where(PaperBallotEntry.meeting_id == meeting.id, PaperBallotEntry.status == "pending")
            )
        ).scalar_one()
        meeting.status = "preliminary"
        meeting.preliminary_at = now
        meeting.objection_until = now + timedelta(days=rules.objection_days)
        await record(
            self.db, at=now, action="meeting_closed", community_id=community.id, actor_account_id=actor_account_id,
            object_type="meeting", object_id=meeting.id,
            detail={"trigger": trigger, "register_version_id": meeting.register_version_id,
                    "rule_preset": rules.rule_preset, "rule_hash": rules.rule_hash,
                    "parking_counts": rules.parking_counts,
                    "outcomes": {str(k): v for k, v in outcomes.items()},
                    "unconfirmed_paper_entries": unconfirmed,
                    "objection_until": meeting.objection_until.isoformat(), "checkpoint": checkpoint},
        )
        await ledger.checkpoint_audit(self.db, now)
        try:
            await self.db.commit()
        except IntegrityError:
            await self.db.rollback()
            logger.info("meeting %s was closed concurrently", meeting_id)
            return None
        logger.info("meeting %s closed: %s", meeting_id, outcomes)
        return ClosedMeeting(meeting_id, meeting.title, outcomes)

    async def _check_ledger(self, meeting: Meeting, size: int) -> None:
        """Refuse to decide when the meeting's ballots are not exactly the leaves of its log."""
        ballots = (
            await self.db.execute(
                select(func.count()).select_from(Ballot).join(Motion, Motion.id == Ballot.motion_id)
                .where(Motion.meeting_id == meeting.id)
            )
        ).scalar_one()
        if ballots != size:
            await self.db.rollback()
            logger.error("meeting %s: %s ballots but %s leaves in its ledger", meeting.id, ballots, size)
            raise UserError(_("The ballots of this meeting do not match its ballot ledger, so it cannot be decided."),
                            409)

    async def _decide_motions(self, meeting: Meeting, rules: MeetingRules, community: Community,
                              now: datetime, checkpoint: dict[str, Any]) -> dict[int, str]:
        """Store one ``MotionResult`` per motion, decided by the rules frozen at notice; return motion id -> outcome."""
        if meeting.register_version_id is None:
            raise UserError(_("This meeting has no frozen owner register, so it cannot be decided."), 409)
        motions = (
            await self.db.execute(select(Motion).where(Motion.meeting_id == meeting.id).order_by(Motion.position))
        ).scalars().all()
        options = (
            await self.db.execute(
                select(MotionOption).where(MotionOption.motion_id.in_([m.id for m in motions]))
                .order_by(MotionOption.motion_id, MotionOption.position)
            )
        ).scalars().all()
        outcomes: dict[int, str] = {}
        for motion in motions:
            counts = await aggregate(self.db, meeting, community, motion.id)
            try:
                if motion.kind == "election":
                    candidates = [o for o in options if o.motion_id == motion.id]
                    outcome, tally = decide_election(rules.rule_preset, motion.matter, motion.seats or 1,
                                                     candidates, counts)
                else:
                    outcome, tally = decide_question(rules.rule_preset, motion.matter, counts)
            except RulesError as error:
                logger.error("meeting %s motion %s cannot be decided: %s", meeting.id, motion.id, error)
                raise UserError(
                    _("The motions of this meeting cannot be decided: its voting scope has no members."), 409
                ) from error
            tally.update(mark_records(counts))
            tally["scope"] = meeting.scope
            tally["parking_counts"] = rules.parking_counts
            tally["rule_hash"] = rules.rule_hash
            tally["checkpoint"] = checkpoint  # the signed ledger head these ballots are exactly
            self.db.add(MotionResult(motion_id=motion.id, register_version_id=meeting.register_version_id,
                                     rule_preset=rules.rule_preset, outcome=outcome, tally=tally,
                                     decided_at=now))
            outcomes[motion.id] = outcome
        return outcomes

    async def close_due(self, now: datetime, *, trigger: str = "cron") -> tuple[list[ClosedMeeting], list[str]]:
        """Close every meeting whose window has ended; return the closed ones and one line per failure.

        Safe to run from several processes at once: a meeting another closer got first is skipped.
        """
        due = (
            await self.db.execute(
                select(Meeting.id).where(Meeting.status.in_(OPEN_STATUSES), Meeting.closes_at <= now)
                .order_by(Meeting.closes_at, Meeting.id)
            )
        ).scalars().all()
        closed: list[ClosedMeeting] = []
        failures: list[str] = []
        for meeting_id in due:
            try:
                done = await self.close(meeting_id, now, trigger=trigger)
            except UserError as error:
                await self.db.rollback()
                failures.append(f"meeting {meeting_id}: {error.detail}")
                continue
            except OperationalError as error:
                # SQLite's write lock still held by another closer after the busy timeout: the next round retries.
                await self.db.rollback()
                failures.append(f"meeting {meeting_id}: the database is busy ({error.orig}); try again")
                continue
            if done is not None:
                closed.append(done)
        return closed, failures
