"""Timed work as the core declares it; ``bot.scheduler`` arms the timers.

The database is the source of truth: a timed thing is a row with a due time
and a status. A ``TimedJobs`` source lists the rows still to run and runs one
by key; running is idempotent (a compare-and-set on the status, payouts with
ledger idempotency keys), so a restart, a late timer or a double fire
changes nothing twice. The scheduler re-reads ``pending`` at start-up and
whenever a use case reports ``TimersChanged``; it never pickles jobs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.config_model import Program

if TYPE_CHECKING:
    from handlers.core import Core


@dataclass(frozen=True)
class Due:
    """One pending timed row: ``key`` is what ``fire`` gets back; ``at`` is naive UTC."""

    key: str
    at: datetime


class TimedJobs(Protocol):
    name: str

    async def pending(self) -> list[Due]:
        """Every row still waiting to run, due or not (opens its own unit of work)."""

    async def fire(self, key: str, now: datetime) -> None:
        """Run one row if it is still due at ``now``; a second call for the same row does nothing."""


class StartEndRows:
    """A source whose rows (contests, campaign windows) fall due at ``start_at`` while still
    ``scheduled`` and at ``end_at`` after; subclasses say where the rows are and what firing does."""

    name = "start-end"
    model: Any  # an ORM class with id, program_id, status, start_at and end_at
    scheduled = "scheduled"

    def __init__(self, core: Core) -> None:
        self.core = core

    async def rows(self, session: AsyncSession, programs: list[str]) -> Sequence[Any]:
        raise NotImplementedError

    async def pending(self) -> list[Due]:
        programs = [p.id for p in self.core.settings.programs]
        async with self.core.db.unit_of_work() as session:
            found = await self.rows(session, programs)
        return [Due(str(r.id), r.start_at if r.status == self.scheduled else r.end_at) for r in found]

    async def program_of(self, row_id: int) -> Program | None:
        """The configured program a row belongs to; None when the row is gone or its program is no
        longer in the config (nothing to fire)."""
        async with self.core.db.unit_of_work() as session:
            row = await session.get(self.model, row_id)
            program_id = row.program_id if row is not None else None
        return next((p for p in self.core.settings.programs if p.id == program_id), None)
