"""Timed work that runs once a local day per program (points expiry, birthdays, win-back nudges).

The timed row is the last local day a program's run completed (a
``runtime_state`` mark); it falls due at the start of the next day in the
program's time zone. ``fire`` runs the days not yet done, up to
``catch_up_days`` of them (a bot down over a birthday still greets, late),
then marks today done. The mark only moves forward and each day's work is
idempotent itself, so a late or duplicate timer runs nothing twice.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from handlers.config_model import Program
from handlers.timers import Due
from storage import runtime_state

if TYPE_CHECKING:
    from handlers.core import Core

# Due at once for a program that never ran (the scheduler runs rows already due at start-up).
NEVER_RAN = datetime(1970, 1, 1)


def day_start(day: date, zone: str) -> datetime:
    """Local midnight starting ``day``, as naive UTC."""
    return datetime.combine(day, time(), ZoneInfo(zone)).astimezone(UTC).replace(tzinfo=None)


def local_day(moment: datetime, zone: str) -> date:
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).date()


class DailyTimers:
    """Subclasses set ``name`` and ``catch_up_days`` and say which programs run (``enabled``) and
    what a day's run does (``run_day``)."""

    name = "daily"
    catch_up_days = 1

    def __init__(self, core: Core) -> None:
        self.core = core

    def enabled(self, program: Program) -> bool:
        raise NotImplementedError

    async def run_day(self, program: Program, day: date, now: datetime) -> None:
        raise NotImplementedError

    def done_key(self, program_id: str) -> str:
        return f"{self.name}:done:{program_id}"

    def _programs(self) -> dict[str, Program]:
        return {p.id: p for p in self.core.settings.programs if self.enabled(p)}

    async def pending(self) -> list[Due]:
        due = []
        async with self.core.db.unit_of_work() as session:
            for program in self._programs().values():
                last = await runtime_state.last_done(session, self.done_key(program.id))
                at = NEVER_RAN if last is None else \
                    day_start(date.fromisoformat(last) + timedelta(days=1), program.timezone)
                due.append(Due(program.id, at))
        return due

    async def fire(self, key: str, now: datetime) -> None:
        program = self._programs().get(key)
        if program is None:
            return
        today = local_day(now, program.timezone)
        last = await self.core.db.run(lambda s: runtime_state.last_done(s, self.done_key(program.id)))
        day = today if last is None else \
            max(date.fromisoformat(last) + timedelta(days=1), today - timedelta(days=self.catch_up_days - 1))
        while day <= today:
            await self.run_day(program, day, now)
            day += timedelta(days=1)
        await self.core.db.run(lambda s: runtime_state.mark_done(s, self.done_key(program.id), today.isoformat()))
