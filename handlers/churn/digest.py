"""The digest's churn-risk section: the members most at risk at the period's end, with their top factors."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.churn.score import ranking
from handlers.config_model import Program
from handlers.daily import local_day
from handlers.digest.model import Period, Section
from handlers.i18n import translate
from storage import members

TOP = 10
HIGH = 0.5


async def section(session: AsyncSession, program: Program, period: Period, locale: str) -> Section | None:
    """None when nobody was active over the lookback."""
    ranked = await ranking(session, program, period.end, TOP, HIGH)
    if not ranked.members:
        return None
    shown = ranked.top
    names = await members.display_names(session, [r.member_id for r in shown])
    rows = tuple((names.get(r.member_id, f"#{r.member_id}"), f"{r.score * 100:.0f}%",
                  local_day(r.last_active, period.timezone).isoformat(),
                  r.explain(locale) or translate("churn.none", locale)) for r in shown)
    return Section(
        key="churn", title=translate("digest.churn.title", locale),
        headline=translate("digest.churn.headline", locale, high=ranked.at_or_above, members=ranked.members,
                           threshold=round(HIGH * 100)),
        columns=tuple(translate(f"digest.churn.{c}", locale) for c in ("member", "risk", "last_active", "factors")),
        rows=rows, note=translate("digest.churn.note", locale))
