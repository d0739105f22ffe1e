"""Build a program's digest for a period from SQL aggregates (``storage.analytics``).

Every figure comes for the period and for the period of the same length just
before it, so the report can show the change. The database does the counting;
this module only folds a few hundred rows into the ``Digest`` data (days with
no messages, group mixes, names, tiers). Term counting is Python work over a
sample (``handlers.digest.terms``); it runs in a worker thread while the
aggregate queries and the feature sections (``sections.BUILDERS``) run, so it
neither blocks the event loop nor adds its time to theirs.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.config_model import Program
from handlers.digest import sections, terms
from handlers.digest.links import message_link
from handlers.digest.model import (
    Activity,
    Contributor,
    Day,
    Digest,
    GroupMix,
    Highlight,
    Mix,
    Period,
    PointsByReason,
    Section,
    TierMove,
)
from handlers.tiers import tier_for
from storage import analytics
from storage.analytics import ActivityCounts, Bucket, DayRow, GroupRow, HighlightRow

HIGHLIGHTS = 5
CONTRIBUTORS = 10
UNKNOWN_LANGUAGE = "und"  # ISO 639 "undetermined": messages not scored yet


async def build(session: AsyncSession, program: Program, period: Period, now: datetime) -> Digest:
    """The digest of ``program`` for ``period``, generated at ``now``, in the program's language."""
    await analytics.for_reports(session)
    samples = await _samples(session, program, period)
    counting = asyncio.create_task(asyncio.to_thread(terms.compare, *samples))
    try:
        digest = await _aggregates(session, program, period, now)
        extra = await _sections(session, program, period)
    except BaseException:
        await asyncio.wait({counting})
        raise
    top, rising = await counting
    return replace(digest, top_terms=top, rising_terms=rising, sections=extra)


async def _samples(session: AsyncSession, program: Program, period: Period) -> tuple[list[str], list[str]]:
    """The texts terms are counted on (``terms.SAMPLE`` per period), read before the counting starts in
    its thread: a session runs one statement at a time."""
    earlier = period.previous
    return (await analytics.recent_texts(session, program.id, period.start, period.end, terms.SAMPLE),
            await analytics.recent_texts(session, program.id, earlier.start, earlier.end, terms.SAMPLE))


async def _aggregates(session: AsyncSession, program: Program, period: Period, now: datetime) -> Digest:
    """Everything but the terms and the feature sections."""
    return Digest(program_id=program.id, program_name=program.name, locale=program.locale, period=period,
                  generated_at=now, top_terms=(), rising_terms=(),
                  **await _chat_figures(session, program, period), **await _points_figures(session, program, period))


async def _chat_figures(session: AsyncSession, program: Program, period: Period) -> dict[str, Any]:
    """Activity, days, sentiment mixes and highlights: the ``Digest`` fields read from messages."""
    before = period.previous
    spans = analytics.buckets(period.timezone, before.start, period.start, period.end)
    day_rows, group_rows = await analytics.days_and_groups(session, program.id, spans)
    earlier, current = await analytics.activity(session, program.id, period.start, period.end)
    now_days = _days([b for b in spans if b.current], day_rows)
    then_days = _days([b for b in spans if not b.current], day_rows)
    return {
        "activity": _activity(current, now_days), "previous_activity": _activity(earlier, then_days),
        "mix": _sum_mix(now_days), "previous_mix": _sum_mix(then_days), "days": now_days,
        "communities": _group_mixes(group_rows, lambda r: f"{r.platform}:{r.community_id}",
                                    _community_names(program)),
        "languages": _group_mixes(group_rows, lambda r: r.language or UNKNOWN_LANGUAGE, {}),
        "most_positive": await _highlights(session, program, period, "positive"),
        "most_negative": await _highlights(session, program, period, "negative"),
    }


async def _points_figures(session: AsyncSession, program: Program, period: Period) -> dict[str, Any]:
    """Points issued and spent, tier moves and top contributors: the ``Digest`` fields read from the ledger."""
    before = period.previous
    return {
        "points_issued": tuple(PointsByReason(*r) for r in
                               await analytics.points_issued(session, program.id, period.start, period.end)),
        "previous_points_issued": await analytics.points_issued_total(session, program.id, before.start,
                                                                      before.end),
        "points_spent": await analytics.points_spent(session, program.id, period.start, period.end),
        "tier_moves": await _tier_moves(session, program, period),
        "top_contributors": await _contributors(session, program, period),
    }


async def _sections(session: AsyncSession, program: Program, period: Period) -> tuple[Section, ...]:
    """Each registered feature's section; a builder with nothing to show returns None and is skipped."""
    built = [await builder(session, program, period, program.locale) for builder in sections.BUILDERS]
    return tuple(s for s in built if s is not None)


# -- activity and days --------------------------------------------------------------------------------


def _activity(counts: ActivityCounts, days: tuple[Day, ...]) -> Activity:
    retention = counts.returning / counts.previously_active if counts.previously_active else None
    return Activity(messages=sum(d.messages for d in days), active_members=counts.active,
                    daily_active=sum(d.active_members for d in days) / len(days),
                    weekly_active=counts.weekly, monthly_active=counts.monthly, new_members=counts.new,
                    returning_members=counts.returning, lapsed_members=counts.lapsed, retention=retention)


def _sum_mix(days: tuple[Day, ...]) -> Mix:
    return Mix(*(sum(getattr(d.mix, f) for d in days) for f in ("negative", "neutral", "positive", "unscored")))


def _days(spans: list[Bucket], rows: list[DayRow]) -> tuple[Day, ...]:
    """Every local day of one period, the quiet ones as zeros (charts have no gaps, and the mean of daily
    actives counts them)."""
    found = {(r.current, r.day): r for r in rows}
    return tuple(_day(b.day, found.get((b.current, b.day))) for b in spans)


def _day(day: date, row: DayRow | None) -> Day:
    if row is None:
        return Day(day, 0, 0, Mix())
    return Day(day, row.messages, row.members,
               Mix(row.negative, row.neutral, row.positive, row.messages - row.negative - row.neutral - row.positive))


# -- groups -------------------------------------------------------------------------------------------


def _community_names(program: Program) -> dict[str, str]:
    return {f"{c.platform}:{c.id}": c.name or c.id for c in program.communities}


def _group_mixes(rows: list[GroupRow], key_of: Callable[[GroupRow], str],
                 labels: dict[str, str]) -> tuple[GroupMix, ...]:
    """Fold (period, group, label) counts into one current and one previous mix per group, busiest
    group of the period first."""
    counts: dict[tuple[str, bool], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        counts[(key_of(row), row.current)][row.label] += row.messages
    keys = {key for key, _ in counts}
    mixes = [GroupMix(k, labels.get(k, k.split(":", 1)[-1]), Mix(**counts[(k, True)]), Mix(**counts[(k, False)]))
             for k in keys]
    return tuple(sorted(mixes, key=lambda g: (-(g.mix.scored + g.mix.unscored), g.key)))


# -- highlights, tiers, contributors ------------------------------------------------------------------


async def _highlights(session: AsyncSession, program: Program, period: Period,
                      label: str) -> tuple[Highlight, ...]:
    rows = await analytics.extremes(session, program.id, period.start, period.end, label, HIGHLIGHTS)
    names = _community_names(program)
    return tuple(_highlight(r, label, names) for r in rows)


def _highlight(row: HighlightRow, label: str, communities: dict[str, str]) -> Highlight:
    key = f"{row.platform}:{row.community_id}"
    link = row.permalink if row.ugc_id is not None else \
        message_link(row.platform, row.community_id, row.channel_id, row.platform_message_id)
    return Highlight(kind="ugc" if row.ugc_id is not None else "message", text=row.text,
                     author=row.author or "?", community=communities.get(key, row.community_id), at=row.created_at,
                     label=label, score=row.score, link=link)


async def _tier_moves(session: AsyncSession, program: Program, period: Period) -> tuple[TierMove, ...]:
    """Moves between tiers, lowest starting tier first, then by destination."""
    order = [t.name for t in program.tiers]
    moves = await analytics.tier_moves(session, program.id, period.start, period.end,
                                       [(t.name, t.min_points) for t in program.tiers])
    ranked = sorted(moves, key=lambda m: (order.index(m[0]), order.index(m[1])))
    return tuple(TierMove(old, new, members) for old, new, members in ranked)


async def _contributors(session: AsyncSession, program: Program, period: Period) -> tuple[Contributor, ...]:
    rows = await analytics.top_contributors(session, program.id, period.start, period.end, CONTRIBUTORS)
    return tuple(Contributor(r.name or f"#{r.member_id}", r.points, r.messages, tier_for(program, r.lifetime))
                 for r in rows)
