"""The digest's contest section: each contest open at some moment of the period, with its entries, votes and
winners (the results of those that ended)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.config_model import Program
from handlers.digest.model import Period, Section
from handlers.i18n import translate
from storage import contests, members
from storage.contests import CLOSED, ContestSummary

COLUMNS = ("contest", "status", "entries", "votes", "winners", "prize")


def _row(contest: ContestSummary, names: dict[int, str], locale: str) -> tuple[str, ...]:
    winners = ", ".join(names.get(m, "?") for m in contest.winner_ids) or "-"
    return (f"#{contest.id} {contest.title}", translate(f"contest.status.{contest.status}", locale),
            f"{contest.entries:,}", f"{contest.votes:,}", winners, f"{contest.prize:,}")


async def section(session: AsyncSession, program: Program, period: Period, locale: str) -> Section | None:
    ran = await contests.open_between(session, program.id, period.start, period.end)
    if not ran:
        return None
    names = await members.display_names(session, sorted({m for c in ran for m in c.winner_ids}))
    closed = sum(1 for c in ran if c.status == CLOSED)
    return Section(key="contests", title=translate("digest.contests.title", locale),
                   headline=translate("digest.contests.headline", locale, count=len(ran), closed=closed),
                   columns=tuple(translate(f"digest.contests.{c}", locale) for c in COLUMNS),
                   rows=tuple(_row(c, names, locale) for c in ran))
