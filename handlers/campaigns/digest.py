"""The digest's campaigns section: the windows and member days of the period and the points issued
under each in it (registered in ``handlers.digest.sections.BUILDERS``).

Points are those of the ledger entries that name the campaign (the whole
multiplied amount, reaction takebacks subtracted; a member day's flat
bonuses included), made inside the period.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.campaigns import member_days
from handlers.campaigns.multiplier import shown
from handlers.config_model import MemberDay, Program
from handlers.contests import inputs
from handlers.daily import local_day
from handlers.digest.model import Period, Section
from handlers.i18n import translate
from storage import campaigns

COLUMNS = ("campaign", "when", "multiplier", "points", "members")


def _dates(day: MemberDay, period: Period) -> list[date]:
    first = local_day(period.start, period.timezone)
    last = local_day(period.end - timedelta(microseconds=1), period.timezone)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)
            if member_days.falls_on(day, first + timedelta(days=n))]


def _what(locale: str, multiplier: str | None, bonus: int | None, scope: str) -> str:
    if multiplier is not None:
        return f"{multiplier}x {translate(f'campaign.scope.{scope}', locale)}"
    return f"+{bonus:,}"


async def section(session: AsyncSession, program: Program, period: Period, locale: str) -> Section | None:
    rows: list[tuple[str, ...]] = []
    total = 0
    for window in await campaigns.overlapping(session, program.id, period.start, period.end):
        paid = await campaigns.effect(session, program.id, window.id, period.start, period.end)
        total += paid.points
        when = f"{inputs.shown_time(window.start_at, program.timezone)} - " \
               f"{inputs.shown_time(window.end_at, program.timezone)}"
        rows.append((f"#{window.id} {window.title}", when,
                     _what(locale, shown(window.multiplier), None, window.scope),
                     f"{paid.points:,}", f"{paid.members:,}"))
    for day in program.campaigns.member_days:
        dates = _dates(day, period)
        if not dates:
            continue
        paid = await campaigns.member_day_effect(session, program.id, day.name, period.start, period.end)
        total += paid.points
        multiplier = shown(day.multiplier) if day.multiplier is not None else None
        rows.append((day.name, ", ".join(d.isoformat() for d in dates),
                     _what(locale, multiplier, day.bonus, day.scope), f"{paid.points:,}",
                     f"{paid.members:,}"))
    if not rows:
        return None
    return Section("campaigns", translate("campaign.digest_title", locale),
                   translate("campaign.digest_headline", locale, points=total, count=len(rows)),
                   tuple(translate(f"campaign.digest_{c}", locale) for c in COLUMNS), tuple(rows),
                   translate("campaign.digest_note", locale))
