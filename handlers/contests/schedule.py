"""Contests as a ``TimedJobs`` source: the scheduler opens and closes them from their rows.

One timer per pending contest, keyed by its id: due at ``start_at`` while
scheduled, at ``end_at`` while open. ``fire`` moves whatever is due at
``now`` (both steps, when the bot was down through the whole contest), each
in its own unit of work with a compare-and-set on the status; only the
caller whose UPDATE moved the row announces, so two processes, a late timer
and a restart never announce or pay twice.

Announcements are sent after the commit: a crash in between loses the
message but never the state change or a prize (at-most-once announcements).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.contests import announcements, winners
from handlers.timers import Due
from storage import contests
from storage.contests import SCHEDULED, Contest

if TYPE_CHECKING:
    from handlers.core import Core

log = structlog.get_logger(__name__)


class ContestTimers:
    name = "contests"

    def __init__(self, core: Core) -> None:
        self.core = core

    async def pending(self) -> list[Due]:
        programs = [p.id for p in self.core.settings.programs]
        async with self.core.db.unit_of_work() as session:
            rows = await contests.pending(session, programs)
        return [Due(str(r.id), r.start_at if r.status == SCHEDULED else r.end_at) for r in rows]

    async def fire(self, key: str, now: datetime) -> None:
        contest_id = int(key)
        async with self.core.db.unit_of_work() as session:
            row = await session.get(Contest, contest_id)
            program_id = row.program_id if row is not None else None
        if program_id is None or program_id not in {p.id for p in self.core.settings.programs}:
            return
        program = self.core.settings.program(program_id)
        opened = await self.core.db.run(lambda s: _open(s, program.id, contest_id, now))
        if opened is not None:
            log.info("contest opened", program=program.id, contest=contest_id)
            await self.core.announce(program, *announcements.start(program, opened))
        closing = await self.core.db.run(lambda s: winners.close(s, program, contest_id, now))
        if closing is not None:
            log.info("contest closed", program=program.id, contest=contest_id, entries=len(closing.ranked),
                     winners=[w.entry_id for w in closing.wins])
            await self.core.announce(program, announcements.end(program, closing))
            for win in closing.wins:
                await self.core.publish((winners.win_notice(program.locale, closing.contest, win), *win.tier_events))


async def _open(session: AsyncSession, program_id: str, contest_id: int, now: datetime) -> Contest | None:
    """The contest, opened, if this caller's compare-and-set opened it."""
    if not await contests.open_due(session, contest_id, now):
        return None
    return await contests.in_program(session, program_id, contest_id)
