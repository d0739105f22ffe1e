"""The digest's redemptions section: what was redeemed in the period, per reward, and where it stands now."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.config_model import Program
from handlers.digest.model import Period, Section
from handlers.i18n import translate
from storage import rewards

COLUMNS = ("reward", "count", "pending", "fulfilled", "rejected", "points")


async def section(session: AsyncSession, program: Program, period: Period, locale: str) -> Section | None:
    redeemed = await rewards.redeemed_between(session, program.id, period.start, period.end)
    if not redeemed:
        return None
    before = period.previous
    previous = sum(r.redemptions for r in await rewards.redeemed_between(session, program.id, before.start, before.end))
    headline = translate("digest.rewards.headline", locale, count=sum(r.redemptions for r in redeemed),
                         points=sum(r.points for r in redeemed), previous=previous)
    return Section(key="redemptions", title=translate("digest.rewards.title", locale), headline=headline,
                   columns=tuple(translate(f"digest.rewards.{c}", locale) for c in COLUMNS),
                   rows=tuple((r.reward, f"{r.redemptions:,}", f"{r.pending:,}", f"{r.fulfilled:,}",
                               f"{r.rejected:,}", f"{r.points:,}") for r in redeemed))
