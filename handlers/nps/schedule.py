"""Scheduled NPS rounds as a ``TimedJobs`` source: one timer per program with ``nps.enabled``.

The rows are the schedule: the next round is due at the first slot
(``nps.time`` on a ``nps.weekday``, if set, in the program's time zone) at
least ``every_days`` after the last round's slot; before any round, at the
first slot after the program was first seen with NPS on (kept in
``runtime_state``, so a restart does not move it). A bot that was down
across several slots sends one round, for the latest slot passed, never one
per slot. A changed schedule applies from the next round.

Firing starts the round with an insert keyed by (program, slot), so two
processes or a late timer start it once. Members are then asked in chunks:
each chunk's asks are committed (one per member and round) before their DMs
go out, so a round resumed after a crash (``sending``) carries on with the
members not asked yet and never asks anyone twice; a crash between a
commit and the DMs loses those DMs (at most once, as for every notice).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.config_model import NpsSettings, Program
from handlers.daily import NEVER_RAN, local_day
from handlers.nps.survey import question
from handlers.replies import Notify
from handlers.timers import Due
from storage import nps, runtime_state
from storage.models import KeyValue

if TYPE_CHECKING:
    from handlers.core import Core

log = structlog.get_logger(__name__)
CHUNK = 500
SINCE = "nps:since:{program}"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _at(day: date, settings: NpsSettings, zone: str) -> datetime:
    hour, minute = (int(part) for part in settings.time.split(":"))
    return datetime.combine(day, time(hour, minute), ZoneInfo(zone)).astimezone(UTC).replace(tzinfo=None)


def _first_slot(day: date, settings: NpsSettings, zone: str, after: datetime | None = None) -> datetime:
    """The first slot on ``day`` or later (and strictly after ``after``, if given)."""
    while True:
        if settings.weekday is None or WEEKDAYS[day.weekday()] == settings.weekday:
            slot = _at(day, settings, zone)
            if after is None or slot > after:
                return slot
        day += timedelta(days=1)


def next_slot(settings: NpsSettings, zone: str, previous: datetime | None, since: datetime) -> datetime:
    """The slot of the round after the one due at ``previous`` (None: the first after ``since``)."""
    if previous is None:
        return _first_slot(local_day(since, zone), settings, zone, after=since)
    return _first_slot(local_day(previous, zone) + timedelta(days=settings.every_days), settings, zone)


def latest_slot(settings: NpsSettings, zone: str, previous: datetime | None, since: datetime,
                now: datetime) -> datetime | None:
    """The last slot due by ``now`` after ``previous`` (None when none is due yet): a round missed while
    the bot was down is sent once, for the latest slot."""
    slot = next_slot(settings, zone, previous, since)
    if slot > now:
        return None
    while (following := next_slot(settings, zone, slot, since)) <= now:
        slot = following
    return slot


async def _since(session: AsyncSession, program: Program, now: datetime) -> datetime:
    """When the program was first seen with NPS on: recorded by the first caller ever."""
    key = SINCE.format(program=program.id)
    await runtime_state.claim(session, key, now.isoformat())
    row = await session.get(KeyValue, key)
    assert row is not None
    return datetime.fromisoformat(row.value)


class NpsTimers:
    """One timer per program with NPS on, keyed by the program id (see the module docstring)."""

    name = "nps"

    def __init__(self, core: Core) -> None:
        self.core = core

    def _programs(self) -> dict[str, Program]:
        return {p.id: p for p in self.core.settings.programs if p.nps.enabled}

    async def pending(self) -> list[Due]:
        async with self.core.db.unit_of_work() as session:
            return [await _due(session, program) for program in self._programs().values()]

    async def fire(self, key: str, now: datetime) -> None:
        program = self._programs().get(key)
        if program is None:
            return
        survey_id = await self.core.db.run(lambda s: _survey(s, program, now))
        if survey_id is None:
            return
        asked = 0
        while batch := await self.core.db.run(lambda s: _ask_chunk(s, program, survey_id, now)):
            asked += len(batch)
            for notice in batch:
                await self.core.notify(notice)
        await self.core.db.run(lambda s: nps.finish_survey(s, survey_id, now))
        log.info("nps survey sent", program=program.id, survey=survey_id, asked=asked)


async def _due(session: AsyncSession, program: Program) -> Due:
    """A round left ``sending`` is due at once; before the first-seen time is recorded, so is the
    program (its first run records it); else the next slot."""
    last = await nps.last_survey(session, program.id)
    if last is not None and last.status == nps.SENDING:
        return Due(program.id, last.due_at)
    since = await session.get(KeyValue, SINCE.format(program=program.id))
    if since is None:
        return Due(program.id, NEVER_RAN)
    return Due(program.id, next_slot(program.nps, program.timezone, last.due_at if last else None,
                                     datetime.fromisoformat(since.value)))


async def _survey(session: AsyncSession, program: Program, now: datetime) -> int | None:
    """The round to send now: one left ``sending`` by a crash, or a new one if a slot is due."""
    last = await nps.last_survey(session, program.id)
    if last is not None and last.status == nps.SENDING:
        return last.id
    since = await _since(session, program, now)
    slot = latest_slot(program.nps, program.timezone, last.due_at if last else None, since, now)
    return None if slot is None else await nps.start_survey(session, program.id, slot, now)


async def _ask_chunk(session: AsyncSession, program: Program, survey_id: int, now: datetime) -> list[Notify]:
    """Ask the next members of the round (committed with the caller's unit of work); their DMs."""
    settings = program.nps
    members = await nps.to_ask(session, program.id, survey_id, now - timedelta(days=settings.active_days),
                               now - timedelta(days=settings.cooldown_days), CHUNK)
    asked = await nps.ask_many(session, program.id, survey_id, members, now)
    accounts = await nps.accounts(session, list(asked))
    notices = []
    for member, response_id in sorted(asked.items()):
        text, buttons = question(program, program.locale, response_id)
        notices.append(Notify(accounts.get(member, ()), text, buttons, program.id))
    return notices
