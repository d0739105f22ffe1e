"""Scheduled digests as a ``TimedJobs`` source: each program's configured digests, posted when due.

The rows are the timers (``storage.digests``). ``pending`` makes sure the
row of each schedule's next period exists (an idempotent insert derived
from config, so any process may ask) and lists the rows still to send.
``fire`` sends a row that is due: a compare-and-set moves it
``pending -> sending`` first, so two processes, a restart and a duplicate
timer send it once; then it builds the digest of the period that just
ended, renders it in a worker thread (charts are CPU work, and the unit of
work that read the data is already closed, so no database lock is held
while drawing) and posts it to each community's ``report_channel``
(``Core.deliver``).

A row that fell due while the bot was down is sent at start-up, once. If the
bot was down through several periods only the latest digest is sent: the
stale row is marked skipped, saying so in the log and on the row, and the
latest period's row is created and sent instead (a week-old digest posted
beside this week's would only confuse the brand team). A row planned under
a schedule changed since (another time or day) is skipped when it falls due,
without a digest of its own: the new schedule's rows carry on. A crash while
sending leaves the row ``sending``: at most once, never twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.clock import utcnow
from handlers.config_model import Community, DigestSchedule, Program
from handlers.digest import calendar
from handlers.digest.model import Period
from handlers.digest.produce import render
from handlers.timers import Due
from storage import digests
from storage.digests import PENDING, DigestRun

if TYPE_CHECKING:
    from handlers.core import Core

log = structlog.get_logger(__name__)
Scheduled = dict[tuple[str, str], tuple[Program, DigestSchedule]]


def report_channel(community: Community) -> str | None:
    return community.report_channel


class DigestTimers:
    name = "digests"

    def __init__(self, core: Core, clock: Callable[[], datetime] = utcnow) -> None:
        self.core = core
        # "Now" for choosing the next period; tests give the scheduler's controllable clock.
        self.clock = clock

    def _scheduled(self) -> Scheduled:
        return {(p.id, s.kind): (p, s) for p in self.core.settings.programs for s in p.digests}

    async def pending(self) -> list[Due]:
        scheduled = self._scheduled()
        if not scheduled:
            return []
        now = self.clock()
        await self.core.db.run(lambda session: _ensure_next(session, scheduled, now))
        async with self.core.db.unit_of_work() as session:
            rows = await digests.pending(session, {program_id for program_id, _ in scheduled})
        return [Due(str(row.id), row.due_at) for row in rows if (row.program_id, row.kind) in scheduled]

    async def fire(self, key: str, now: datetime) -> None:
        run_id = int(key)
        async with self.core.db.unit_of_work() as session:
            row = await session.get(DigestRun, run_id)
        found = self._scheduled().get((row.program_id, row.kind)) if row is not None else None
        if row is None or found is None or row.status != PENDING or row.due_at > now:
            return
        program, schedule = found
        latest = calendar.last_due(schedule, program.timezone, now)
        if row.period_end != latest:
            await self._skip(row, program, schedule, latest, now)
            return
        if not await self.core.db.run(lambda session: digests.claim(session, run_id, now)):
            return
        period = Period(row.period_start, row.period_end, program.timezone)
        log.info("digest due", program=program.id, kind=row.kind, start=str(period.start),
                 end=str(period.end))
        delivered, note = await self._send(program, period, now)
        await self.core.db.run(lambda session: digests.finish(session, run_id, self.clock(), delivered, note))

    async def _skip(self, row: DigestRun, program: Program, schedule: DigestSchedule, latest: datetime,
                    now: datetime) -> None:
        """A due row that is not the latest period ended: overtaken by later periods while the bot was
        down (the latest one's row is made, so it is sent instead), or left by a schedule that changed
        since (the new schedule's own rows carry on)."""
        missed = latest > row.period_end
        note = "the schedule changed since this was planned"
        if missed:
            note = (f"missed while the bot was down: only the latest digest, of the period ending "
                    f"{latest:%Y-%m-%d %H:%M} UTC, is sent")

        async def swap(session: AsyncSession) -> bool:
            skipped = await digests.skip(session, row.id, now, note)
            if skipped and missed:
                period = calendar.period_ending(schedule, program.timezone, latest)
                await digests.ensure(session, program.id, schedule.kind, period.start, period.end, now)
            return skipped

        if await self.core.db.run(swap):
            log.warning("digest skipped", reason=note, program=program.id, kind=schedule.kind,
                        period_end=str(row.period_end))

    async def _send(self, program: Program, period: Period, now: datetime) -> tuple[int, str | None]:
        """(communities that got the digest, why none did)."""
        try:
            rendered = await render(self.core, program, period, now)
        except Exception:
            log.exception("digest could not be built or rendered", program=program.id, end=str(period.end))
            return 0, "could not be built or rendered (see the log)"
        delivered = await self.core.deliver(program, rendered.summary, rendered.attachments, report_channel)
        log.info("digest delivered", program=program.id, end=str(period.end), communities=delivered)
        return delivered, None if delivered else "no community took it (see the log)"


async def _ensure_next(session: AsyncSession, scheduled: Scheduled, now: datetime) -> None:
    """The row of each schedule's next period (due after ``now``)."""
    for program, schedule in scheduled.values():
        end = calendar.next_due(schedule, program.timezone, now)
        period = calendar.period_ending(schedule, program.timezone, end)
        await digests.ensure(session, program.id, schedule.kind, period.start, period.end, now)
