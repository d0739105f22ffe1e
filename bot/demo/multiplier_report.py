"""The demo report's campaign sections: the effect of the double-points window and of the member day
(points per active member per day, against ordinary days), the moderator's ``/campaign stats`` answer
and what the campaign timers announced.

Points per active member per day: the points members earned that local day (messages, reactions,
streak and member-day bonuses, reactions taken back subtracted) divided by the members who posted a
stored message that day, averaged over the days of each kind. Ordinary days are neither in the window
nor member days.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.demo.multipliers import WINDOW_DAYS, WINDOW_START, WINDOW_TITLE, Outcome
from bot.demo.sample import DAYS, START
from bot.demo.tables import Section
from handlers.campaigns import member_days
from handlers.config_model import Program
from storage.models import LedgerEntry, Message, Reason

EARNING = tuple(str(r) for r in (Reason.MESSAGE, Reason.REACTION, Reason.REACTION_REVERSED,
                                 Reason.STREAK_BONUS, Reason.MEMBER_DAY_BONUS))


async def _per_day(session: AsyncSession, program: Program) -> dict[date, tuple[int, int]]:
    """(points earned, members who posted) by local day."""
    zone = ZoneInfo(program.timezone)

    def day_of(at: datetime) -> date:
        return at.replace(tzinfo=UTC).astimezone(zone).date()

    points: dict[date, int] = defaultdict(int)
    for at, delta in await session.execute(select(LedgerEntry.created_at, LedgerEntry.delta).where(
            LedgerEntry.program_id == program.id, LedgerEntry.reason.in_(EARNING))):
        points[day_of(at)] += delta
    posters: dict[date, set[int]] = defaultdict(set)
    for at, member in await session.execute(select(Message.created_at, Message.member_id).where(
            Message.program_id == program.id)):
        posters[day_of(at)].add(member)
    return {d: (points[d], len(posters[d])) for d in posters}


def _mean(days: list[date], figures: dict[date, tuple[int, int]]) -> float:
    rates = [figures[d][0] / figures[d][1] for d in days if d in figures and figures[d][1]]
    return sum(rates) / len(rates) if rates else 0.0


def _row(name: str, days: list[date], figures: dict[date, tuple[int, int]],
         baseline: float) -> tuple[str, ...]:
    rate = _mean(days, figures)
    lift = f"{(rate / baseline - 1) * 100:+.0f}%" if baseline else "-"
    return name, str(len(days)), f"{rate:.1f}", f"{baseline:.1f}", lift


async def sections(session: AsyncSession, program: Program, outcome: Outcome) -> list[Section]:
    figures = await _per_day(session, program)
    month = [START.date() + timedelta(days=n) for n in range(DAYS)]
    window = [WINDOW_START.date() + timedelta(days=n) for n in range(WINDOW_DAYS)]
    member = [d for d in month if member_days.on(program, d) is not None and d not in window]
    ordinary = [d for d in month if d not in window and d not in member]
    baseline = _mean(ordinary, figures)
    rows = [_row(f"#{outcome.window_id} {WINDOW_TITLE} (2x on everything)", window, figures, baseline)]
    for definition in program.campaigns.member_days:
        days = [d for d in member if member_days.falls_on(definition, d)]
        what = f"{definition.multiplier}x" if definition.multiplier is not None \
            else f"+{definition.bonus} first message"
        rows.append(_row(f"{definition.name} ({definition.when()}, {what})", days, figures, baseline))
    columns = ("campaign", "days", "points per active member per day", "ordinary days", "lift")
    effect = Section("Campaign effect", columns, rows,
                     note="points earned that day (messages, reactions, streak and member-day bonuses) per "
                          "member who posted; ordinary days are neither in the window nor member days",
                     right=frozenset({1, 2, 3, 4}))
    said = [("moderator", "/campaign create multiplier", outcome.created),
            ("moderator", f"/campaign stats {outcome.window_id}", outcome.stats.replace("\n", " "))]
    said += [("scheduler", f"{at:%Y-%m-%d %H:%M}", f"{text} (posted in {len(where)} communities)")
             for (at, text), where in outcome.announcements.items()]
    steps = Section("Campaigns, step by step", ("who", "command or time", "the bot's answer or announcement"),
                    said, note="announcements are what the campaign timers posted (run once a day here)")
    return [effect, steps]
