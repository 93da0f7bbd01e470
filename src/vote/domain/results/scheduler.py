"""The closing job inside ``vote serve``: every few seconds, close the meetings whose window has ended,
and sign a ledger checkpoint of every meeting open for voting that needs one (voting opened, or the last
checkpoint is an hour old: ``vote.ledger.services``).

Started and stopped with the app (``create_app`` registers ``start``/``stop`` as start-up and
shutdown hooks) when ``Settings.close_due_interval_seconds`` is positive; ``vote meetings close-due``
does the same once, for cron. Several server processes may run it on one database: each close takes
the database's write lock and re-reads the meeting (``ClosingService.close``), so a meeting is closed
exactly once whoever gets there first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vote.domain.results.closing import ClosedMeeting, ClosingService
from vote.ledger import services as ledger
from vote.lib.clock import Clock

logger = logging.getLogger("vote.results.scheduler")

TRIGGER = "scheduler"


class ClosingScheduler:
    """Runs ``ClosingService.close_due`` every ``interval`` seconds on its own sessions."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, interval: float) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> list[ClosedMeeting]:
        """Close every meeting due now; failures are logged (the next round tries again)."""
        async with self.sessionmaker() as db:
            closed, failures = await ClosingService(db).close_due(self.clock.now(), trigger=TRIGGER)
        for failure in failures:
            logger.error("closing failed: %s", failure)
        async with self.sessionmaker() as db:
            run = await ledger.checkpoint_open_meetings(db, self.clock.now())
        for meeting_id, (size, checkpoint_id) in run.signed.items():
            logger.info("meeting %s: checkpoint %s signed (%s ballots)", meeting_id, checkpoint_id, size)
        return closed

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not stop the job: log it and try next round
                logger.exception("the closing job failed; retrying in %s s", self.interval)
            await asyncio.sleep(self.interval)

    async def start(self) -> None:
        """Start the job on the running event loop (app start-up)."""
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="vote-close-due")
            logger.info("closing job started: every %s s", self.interval)

    async def stop(self) -> None:
        """Stop the job and wait for it (app shutdown); a close in progress is rolled back, not half-done."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
