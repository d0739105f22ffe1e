"""The digest's UGC section: submissions made in the period, by where they stand now, against the period before."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.config_model import Program
from handlers.digest.model import Period, Section
from handlers.i18n import translate
from storage import ugc
from storage.ugc import APPROVED, FEATURED, STATUSES


async def section(session: AsyncSession, program: Program, period: Period, locale: str) -> Section | None:
    now = await ugc.status_counts(session, program.id, period.start, period.end)
    if not now:
        return None
    before = period.previous
    previous = await ugc.status_counts(session, program.id, before.start, before.end)
    rows = tuple((translate(f"ugc.status.{status}", locale), f"{now.get(status, 0):,}", f"{previous.get(status, 0):,}")
                 for status in STATUSES)
    headline = translate("digest.ugc.headline", locale, total=sum(now.values()), previous=sum(previous.values()),
                         shown=now.get(APPROVED, 0) + now.get(FEATURED, 0))
    return Section(key="ugc", title=translate("digest.ugc.title", locale), headline=headline,
                   columns=tuple(translate(f"digest.ugc.{c}", locale) for c in ("status", "count", "previous")),
                   rows=rows)
