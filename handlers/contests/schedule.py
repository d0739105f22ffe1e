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

from collections.abc import Sequence
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.contests import announcements, winners
from handlers.timers import StartEndRows
from storage import contests
from storage.contests import SCHEDULED, Contest

log = structlog.get_logger(__name__)


class ContestTimers(StartEndRows):
    name = "contests"
    model = Contest
    scheduled = SCHEDULED

    async def rows(self, session: AsyncSession, programs: list[str]) -> Sequence[Contest]:
        return await contests.pending(session, programs)

    async def fire(self, key: str, now: datetime) -> None:
        contest_id = int(key)
        program = await self.program_of(contest_id)
        if program is None:
            return
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
