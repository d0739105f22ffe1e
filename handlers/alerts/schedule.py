"""The spike check as a timed row: one per program with alerts on, due ``check_minutes`` after its last run.

The row is the program's last check (``alert_checks``). Running it brings the
hourly rollup up to date (``handlers.alerts.rollup``, its own short units of
work), reads the aggregates and decides (``handlers.alerts.check.assess``, a
unit of work that only reads: on PostgreSQL it takes no lock; on SQLite every
unit of work holds the write lock, kept short by reading a few thousand rows),
then claims the next run by a compare-and-set on that time in one short unit
of work with the incidents it opens and closes, so a double fire, two
processes or a restart check once and alert once. A bot that was down checks
once at start-up, on the hour before it (missed checks are moot: only the
present spike matters).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.alerts import rollup
from handlers.alerts.check import Notice, apply, assess, community_of
from handlers.alerts.rollup import Window
from handlers.config_model import Program
from handlers.timers import Due
from storage import alerts

if TYPE_CHECKING:
    from handlers.core import Core

log = structlog.get_logger(__name__)
# Due at once for a program never checked (the scheduler runs rows already due at start-up).
NEVER_RAN = datetime(1970, 1, 1)


class AlertTimers:
    name = "alerts"

    def __init__(self, core: Core) -> None:
        self.core = core

    def _programs(self) -> dict[str, Program]:
        return {p.id: p for p in self.core.settings.programs if p.alerts.enabled}

    async def pending(self) -> list[Due]:
        programs = self._programs()
        if not programs:
            return []
        async with self.core.db.unit_of_work() as session:
            last = await alerts.last_checks(session, list(programs))
        return [Due(pid, last[pid] + _interval(p) if pid in last else NEVER_RAN) for pid, p in programs.items()]

    async def fire(self, key: str, now: datetime) -> None:
        program = self._programs().get(key)
        if program is None:
            return
        now = now.replace(microsecond=0)  # hours are counted in whole seconds (storage.alerts)
        db = self.core.db
        previous = (await db.run(lambda session: alerts.last_checks(session, [program.id]))).get(program.id)
        if previous is not None and previous + _interval(program) > now:
            return
        window = Window.at(now, program.alerts.baseline_hours)
        await rollup.refresh(db, program.id, window)
        actions = await db.read(lambda session: assess(session, program, window))

        async def commit(session: AsyncSession) -> list[Notice]:
            if not await alerts.claim_check(session, program.id, previous, now):
                return []
            return await apply(session, program, now, actions)

        notices = await db.run(commit)
        for notice in notices:
            await self._send(program, notice)
        if notices:
            log.info("spike alerts sent", program=program.id, notices=len(notices))

    async def _send(self, program: Program, notice: Notice) -> None:
        """To the moderators' channel (``alert_channel``, else the announcement channel) of the one community
        the spiking channel belongs to: the program narrowed to that community, so no other community's
        moderators hear of it."""
        community = community_of(program, notice.platform, notice.community_id)
        if community is None:
            return
        only = program.model_copy(update={"communities": (community,)})
        await self.core.deliver(only, notice.text, (), lambda c: c.alert_channel)


def _interval(program: Program) -> timedelta:
    return timedelta(minutes=program.alerts.check_minutes)
