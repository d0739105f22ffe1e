"""Pending referrals as a ``TimedJobs`` source: the scheduler runs each one's check at its ``due_at``.

The rows are the timers (``storage.referrals.pending``), so a restart between
a join and its qualification re-arms from them and runs at once whatever fell
due while the bot was down. Notices go out after the commit: a crash in
between loses the message, never the payout or the status change.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from handlers.referrals import qualify
from handlers.timers import Due
from storage import referrals
from storage.referrals import ReferralJoin

if TYPE_CHECKING:
    from handlers.core import Core


class ReferralTimers:
    name = "referrals"

    def __init__(self, core: Core) -> None:
        self.core = core

    async def pending(self) -> list[Due]:
        programs = [p.id for p in self.core.settings.programs]
        async with self.core.db.unit_of_work() as session:
            rows = await referrals.pending(session, programs)
        return [Due(str(join_id), due_at) for join_id, due_at in rows]

    async def fire(self, key: str, now: datetime) -> None:
        join_id = int(key)
        async with self.core.db.unit_of_work() as session:
            row = await session.get(ReferralJoin, join_id)
            program_id = row.program_id if row is not None else None
        if program_id not in {p.id for p in self.core.settings.programs}:
            return
        program = self.core.settings.program(str(program_id))
        await self.core.publish(await self.core.db.run(lambda session: qualify.check(session, program, join_id, now)))
