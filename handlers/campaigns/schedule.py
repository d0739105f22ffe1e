"""Campaign announcements as ``TimedJobs`` sources: window starts and ends, and member days.

Windows (``CampaignTimers``): one timer per window still scheduled or
running, due at its start, then at its end. ``fire`` moves the row by a
compare-and-set on its status and only the mover announces, so a restart, a
late timer or two processes announce once. Points never depend on these
steps: a posting is multiplied by its own time (``handlers.campaigns.multiplier``),
so a restart in the middle of a window has nothing to re-arm but the end
announcement. A window that began and ended while the bot was down is
closed without announcements.

Member days (``MemberDayTimers``): one timer per configured member day, due
at local midnight of its next date after the last one recorded in
``member_day_runs``. Firing records the latest date on or before today:
``announced`` (and announced, by the one caller whose insert won) when it
is today, ``missed`` when the day went by while the bot was down (nothing
stale is announced). Announcements go out after the commit: a crash in
between loses the message, never repeats it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.campaigns import member_days
from handlers.campaigns.multiplier import shown
from handlers.config_model import MemberDay, Program
from handlers.contests import inputs
from handlers.daily import day_start, local_day
from handlers.i18n import translate
from handlers.timers import Due, StartEndRows
from storage import campaigns
from storage.campaigns import ANNOUNCED, MISSED, RUNNING, SCHEDULED, Campaign

if TYPE_CHECKING:
    from handlers.core import Core

log = structlog.get_logger(__name__)
# Due at once for a member day never recorded: the first run records where the program stands.
NEVER_RAN = datetime(1970, 1, 1)
SEPARATOR = "|"


def _scope(program: Program, scope: str) -> str:
    return translate(f"campaign.scope.{scope}", program.locale)


def start_text(program: Program, row: Campaign) -> str:
    return translate("campaign.announce_start", program.locale, title=row.title,
                     multiplier=shown(row.multiplier), scope=_scope(program, row.scope),
                     end=inputs.shown_time(row.end_at, program.timezone))


def end_text(program: Program, row: Campaign, paid: campaigns.Effect) -> str:
    return translate("campaign.announce_end", program.locale, title=row.title, points=paid.points,
                     members=paid.members)


def member_day_text(program: Program, day: MemberDay) -> str:
    if day.multiplier is not None:
        return translate("campaign.announce_member_day_multiplier", program.locale, name=day.name,
                         multiplier=shown(day.multiplier), scope=_scope(program, day.scope),
                         zone=program.timezone)
    return translate("campaign.announce_member_day_bonus", program.locale, name=day.name, bonus=day.bonus,
                     zone=program.timezone)


class CampaignTimers(StartEndRows):
    name = "campaigns"
    model = Campaign
    scheduled = SCHEDULED

    async def rows(self, session: AsyncSession, programs: list[str]) -> Sequence[Campaign]:
        return await campaigns.pending(session, programs)

    async def fire(self, key: str, now: datetime) -> None:
        campaign_id = int(key)
        program = await self.program_of(campaign_id)
        if program is None:
            return
        started = await self.core.db.run(lambda s: _start(s, program.id, campaign_id, now))
        if started is not None:
            log.info("campaign started", program=program.id, campaign=campaign_id)
            await self.core.announce(program, start_text(program, started))
        ended = await self.core.db.run(lambda s: _end(s, program.id, campaign_id, now))
        if ended is not None:
            log.info("campaign ended", program=program.id, campaign=campaign_id, points=ended[1].points)
            await self.core.announce(program, end_text(program, *ended))


async def _start(session: AsyncSession, program_id: str, campaign_id: int, now: datetime) -> Campaign | None:
    if not await campaigns.start_due(session, campaign_id, now):
        return None
    return await campaigns.in_program(session, program_id, campaign_id)


async def _end(session: AsyncSession, program_id: str, campaign_id: int,
               now: datetime) -> tuple[Campaign, campaigns.Effect] | None:
    """The ended window and what it paid, when this caller ended a window that had started."""
    if await campaigns.end_due(session, campaign_id, now) != RUNNING:
        return None
    row = await campaigns.in_program(session, program_id, campaign_id)
    if row is None:
        return None
    return row, await campaigns.effect(session, program_id, campaign_id)


def _latest_on_or_before(day: MemberDay, today: date) -> date:
    for back in range(member_days.HORIZON_DAYS):
        candidate = today - timedelta(days=back)
        if member_days.falls_on(day, candidate):
            return candidate
    raise ValueError(f"member day {day.name!r} has no date within {member_days.HORIZON_DAYS} days of {today}")


class MemberDayTimers:
    name = "member-days"

    def __init__(self, core: Core) -> None:
        self.core = core

    def _definitions(self) -> dict[str, tuple[Program, MemberDay]]:
        return {f"{p.id}{SEPARATOR}{d.name}": (p, d) for p in self.core.settings.programs
                for d in p.campaigns.member_days}

    async def pending(self) -> list[Due]:
        found = self._definitions()
        if not found:
            return []
        due = []
        async with self.core.db.unit_of_work() as session:
            for key, (program, day) in found.items():
                last = await campaigns.last_member_day(session, program.id, day.name)
                at = NEVER_RAN if last is None else day_start(
                    member_days.next_on_or_after(day, last + timedelta(days=1)), program.timezone)
                due.append(Due(key, at))
        return due

    async def fire(self, key: str, now: datetime) -> None:
        found = self._definitions().get(key)
        if found is None:
            return
        program, day = found
        today = local_day(now, program.timezone)
        latest = _latest_on_or_before(day, today)
        status = ANNOUNCED if latest == today else MISSED
        claimed = await self.core.db.run(
            lambda s: campaigns.claim_member_day(s, program.id, day.name, latest, status, now))
        if claimed and status == ANNOUNCED:
            log.info("member day started", program=program.id, member_day=day.name, day=today.isoformat())
            await self.core.announce(program, member_day_text(program, day))
