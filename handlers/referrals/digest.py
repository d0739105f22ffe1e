"""The digest's referral funnel: links made and joins in the period, where those joins stand now, against the
period before (``storage.referrals.funnel``, a handful of grouped counts)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.config_model import Program
from handlers.digest.model import Period, Section
from handlers.i18n import translate
from storage import referrals
from storage.referrals import QUALIFIED


def _stage(row: dict[str, object], locale: str) -> str:
    """A funnel row's name: the stage, then its detail (an attribution, a rejection reason) as stored; a
    detail row is shown only when it counted something in either period."""
    stage = translate(f"digest.referrals.stage.{row['stage']}", locale)
    return f"{stage}: {row['detail']}" if row["detail"] else stage


async def section(session: AsyncSession, program: Program, period: Period, locale: str) -> Section | None:
    now = await referrals.funnel(session, program.id, period.start, period.end)
    if not now.links_created and not now.joins:
        return None
    before = period.previous
    previous = {(r["stage"], r["detail"]): r["count"] for r in
                (await referrals.funnel(session, program.id, before.start, before.end)).rows()}
    rows = tuple((_stage(r, locale), f"{r['count']:,}", f"{previous.get((r['stage'], r['detail']), 0):,}")
                 for r in now.rows() if not r["detail"] or r["count"] or previous.get((r["stage"], r["detail"])))
    headline = translate("digest.referrals.headline", locale, joins=now.referred,
                         qualified=now.statuses.get(QUALIFIED, 0))
    return Section(key="referrals", title=translate("digest.referrals.title", locale), headline=headline,
                   columns=tuple(translate(f"digest.referrals.{c}", locale) for c in ("stage", "count", "previous")),
                   rows=rows)
