"""The digest's NPS section: NPS of the period with its response count, against the previous period,
and per group how many gave a reason and how many of those reasons read negative."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.config_model import Program
from handlers.digest.model import Period, Section
from handlers.i18n import translate
from storage import nps

GROUPS = ("promoters", "passives", "detractors")


def signed(value: float | None) -> str:
    """NPS as people write it: +23, -8, 0; a dash without answers."""
    if value is None:
        return "-"
    return f"{round(value):+d}" if round(value) else "0"


async def section(session: AsyncSession, program: Program, period: Period, locale: str) -> Section | None:
    """None when nobody answered in the period."""
    now = await nps.tally(session, program.id, period.start, period.end)
    if not now.responses:
        return None
    before = await nps.tally(session, program.id, period.previous.start, period.previous.end)
    whys = await nps.why_mix(session, program.id, period.start, period.end)
    rows = []
    for group in GROUPS:
        count = getattr(now, group)
        given = sum(n for (g, _), n in whys.items() if g == group)
        negative = whys.get((group, "negative"), 0)
        rows.append((translate(f"digest.nps.{group}", locale), f"{count:,}", f"{count / now.responses:.0%}",
                     f"{given:,}", f"{negative:,}"))
    note = translate("digest.nps.previous", locale, nps=signed(before.nps), responses=before.responses)
    return Section(
        key="nps", title=translate("digest.nps.title", locale),
        headline=translate("digest.nps.headline", locale, nps=signed(now.nps), responses=now.responses),
        columns=tuple(translate(f"digest.nps.{c}", locale)
                      for c in ("group", "responses", "share", "whys", "negative_whys")),
        rows=tuple(rows), note=note)
