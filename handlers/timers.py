"""Timed work as the core declares it; ``bot.scheduler`` arms the timers.

The database is the source of truth: a timed thing is a row with a due time
and a status. A ``TimedJobs`` source lists the rows still to run and runs one
by key; running is idempotent (a compare-and-set on the status, payouts with
ledger idempotency keys), so a restart, a late timer or a double fire
changes nothing twice. The scheduler re-reads ``pending`` at start-up and
whenever a use case reports ``TimersChanged``; it never pickles jobs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


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
