"""Aggregate queries behind the brand-team digest (``handlers.digest.build`` assembles them).

Every figure is computed by the database (GROUP BY, COUNT DISTINCT, sums of
0/1 flags) and comes back as a handful of rows, so a digest over a million
messages moves kilobytes, not the messages. The statements are the same on
SQLite and PostgreSQL: local days (program time zone, daylight saving
included) are worked out in Python as UTC ranges (``buckets``), so the SQL
only compares times. Expressions with bound values are grouped through a
subquery's columns: PostgreSQL would not accept the same expression in SELECT
and GROUP BY with different parameters.

"Chat messages" leave out the ``messages`` rows that only carry a UGC
submission's text for scoring (``refusal = 'ugc'``): those are content, not
conversation, and would count a submission twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    Select,
    and_,
    case,
    distinct,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Balance, Identity, LedgerEntry, Member, Message, Reason
from storage.ugc import REJECTED, UgcSubmission
from storage.upsert import POSTGRESQL, dialect

LABELS = ("negative", "neutral", "positive")
UNSCORED = "unscored"
# Not issuance: a refund returns spent points, a merge moves points between two accounts of one person.
NOT_ISSUED = (Reason.REWARD_REFUND.value, Reason.LINK_MERGE_IN.value)
MERGES = (Reason.LINK_MERGE_IN.value, Reason.LINK_MERGE_OUT.value)
SPENDING = (Reason.REWARD_REDEEM.value, Reason.REWARD_REFUND.value)
UTC = ZoneInfo("UTC")
REPORT_WORK_MEM = "64MB"


async def for_reports(session: AsyncSession) -> None:
    """Make this transaction fit for the digest's queries. On PostgreSQL that is turning JIT compilation
    off (``SET LOCAL``: until the transaction ends): the per-day UNION ALL below has a high planner cost,
    which triggers JIT, and compiling sixty small aggregates took PostgreSQL 15 about fifty seconds for a
    query that runs in under one. And raising ``work_mem`` (also until the transaction ends): at the
    default 4 MB, grouping a million messages by member (churn risk, activity) spills its hash tables
    to disk, which took churn risk's pass from about 1.4 s to 3 s at 1,000,000 messages."""
    if dialect(session) == POSTGRESQL:
        await session.execute(text("SET LOCAL jit = off"))
        await session.execute(text(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'"))


def chat(program_id: str, start: datetime, end: datetime) -> ColumnElement[bool]:
    """The program's chat messages created in [start, end)."""
    return and_(Message.program_id == program_id, Message.created_at >= start, Message.created_at < end,
                Message.refusal.is_distinct_from("ugc"))


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def _total(value: object) -> int:
    return int(value or 0)


# -- volume, actives and sentiment per local day ------------------------------------------------------


@dataclass(frozen=True)
class Bucket:
    """One local day of one period, as a UTC range (clipped to the period when it does not start or end
    at midnight)."""

    current: bool
    day: date
    start: datetime
    end: datetime


def buckets(timezone: str, start: datetime, split: datetime, end: datetime) -> list[Bucket]:
    """The local days of [start, split) (the previous period) and [split, end) (the current one).
    Computed here with zoneinfo, daylight-saving changes included, so the SQL only compares times."""
    return _days_of(timezone, start, split, False) + _days_of(timezone, split, end, True)


def _days_of(timezone: str, start: datetime, end: datetime, current: bool) -> list[Bucket]:
    zone, out = ZoneInfo(timezone), []
    day = start.replace(tzinfo=UTC).astimezone(zone).date()
    low = start
    while low < end:
        high = min(end, _midnight_utc(day + timedelta(days=1), zone))
        out.append(Bucket(current, day, low, high))
        day, low = day + timedelta(days=1), high
    return out


def _midnight_utc(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class DayRow:
    current: bool
    day: date
    messages: int
    members: int
    negative: int
    neutral: int
    positive: int


@dataclass(frozen=True)
class GroupRow:
    current: bool
    platform: str
    community_id: str
    language: str | None
    label: str  # negative, neutral, positive or unscored
    messages: int


def _per_bucket(parts: list[Select[Any]]) -> Any:
    return union_all(*parts) if len(parts) > 1 else parts[0]


async def days_and_groups(session: AsyncSession, program_id: str,
                          spans: list[Bucket]) -> tuple[list[DayRow], list[GroupRow]]:
    """Chat messages of each local day (volume, distinct members and the three labels; the rest is
    unscored), and by period, community, language and label (the caller folds those into per-community
    and per-language mixes). Two statements, each one SELECT per day glued by UNION ALL (a range of
    the covering index ``ix_message_program_time``): many small sorts cost SQLite less than one over the
    whole range. The first counts each label per (day, community, language), which gives each day's
    volume and labels as well; the second only the distinct members of each day."""
    keys = (Message.platform, Message.community_id, Message.language)
    labels = [func.count().filter(Message.sentiment_label == label) for label in LABELS]
    parts = [select(literal_column(str(i)), *keys, func.count(), *labels)
             .where(chat(program_id, b.start, b.end)).group_by(*keys) for i, b in enumerate(spans)]
    rows = await session.execute(_per_bucket(parts))
    grouped = [(i, platform, community, language, _by_label(total, by_label))
               for i, platform, community, language, total, *by_label in rows]
    members = [select(literal_column(str(i)), func.count(distinct(Message.member_id)))
               .where(chat(program_id, b.start, b.end)) for i, b in enumerate(spans)]
    distinct_members = {r[0]: r[1] for r in await session.execute(_per_bucket(members))}
    days: dict[int, dict[str, int]] = {}
    for i, _, _, _, counts in grouped:
        day = days.setdefault(i, dict.fromkeys((*LABELS, UNSCORED), 0))
        for label, n in counts.items():
            day[label] += n
    day_rows = [DayRow(spans[i].current, spans[i].day, sum(c.values()), distinct_members.get(i, 0),
                       c["negative"], c["neutral"], c["positive"]) for i, c in sorted(days.items())]
    group_rows = [GroupRow(spans[i].current, platform, community, language, label, n)
                  for i, platform, community, language, counts in grouped for label, n in counts.items() if n]
    return day_rows, group_rows


def _by_label(total: int, labelled: list[int]) -> dict[str, int]:
    """Messages per label (``LABELS`` in order, then the unscored rest) from a group's total and its
    labelled counts."""
    return {**dict(zip(LABELS, labelled, strict=True)), UNSCORED: total - sum(labelled)}


# -- who was active -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityCounts:
    """Member counts of one period (see ``handlers.digest.model.Activity`` for the definitions)."""

    active: int
    new: int
    returning: int
    lapsed: int
    previously_active: int
    weekly: int
    monthly: int


async def activity(session: AsyncSession, program_id: str, start: datetime,
                   end: datetime) -> tuple[ActivityCounts, ActivityCounts]:
    """Counts for [start, end) and for the period of the same length before it (which needs the one
    before that too), from one pass that reduces the messages to a row per member of the spans they
    were active in. The spans lie between every edge the counts need (the three periods, the 7 and 30
    days ending with each of the last two), each grouped by member on its own (a range of the covering
    index per span, glued by UNION ALL: smaller sorts for SQLite). Whether a member's first message of
    the pass is their first ever (new members) is looked up once per member, and only for those whose
    first message of the pass falls in either period."""
    length = end - start
    s0, s1 = start - 2 * length, start - length
    week, month = timedelta(days=7), timedelta(days=30)
    low = min(s0, start - month)
    edges = sorted({low, s0, s1, start, start - week, start - month, end - week, end - month, end})
    spans = list(zip(edges, edges[1:], strict=False))
    at = Message.created_at
    parts = [select(Message.member_id, literal_column(str(i)).label("span"), func.min(at).label("first"))
             .where(chat(program_id, a, b)).group_by(Message.member_id) for i, (a, b) in enumerate(spans)]
    rows = _per_bucket(parts).subquery()
    r = rows.c

    def active(a: datetime, b: datetime) -> ColumnElement[int]:
        """How many of the member's spans lie inside [a, b): more than none means active then."""
        return func.count().filter(r.span.in_([i for i, (x, y) in enumerate(spans) if x >= a and y <= b]))

    earlier = aliased(Message)
    never_before = ~exists().where(earlier.program_id == program_id, earlier.member_id == r.member_id,
                                   earlier.created_at < low, earlier.refusal.is_distinct_from("ugc"))
    per_member = select(
        r.member_id,
        active(start, end).label("p2"), active(s1, start).label("p1"), active(s0, s1).label("p0"),
        active(end - week, end).label("w2"), active(end - month, end).label("m2"),
        active(start - week, start).label("w1"), active(start - month, start).label("m1"),
        func.min(r.first).label("first"), _flag(and_(func.min(r.first) >= s1, never_before)).label("fresh"),
    ).group_by(r.member_id).subquery()
    m = per_member.c
    row = (await session.execute(select(
        *(func.count().filter(c > 0) for c in (m.p2, m.p1, m.p0)),
        func.count().filter(and_(m.p2 > 0, m.p1 > 0)), func.count().filter(and_(m.p1 > 0, m.p0 > 0)),
        func.count().filter(and_(m.fresh == 1, m.first >= start)),
        func.count().filter(and_(m.fresh == 1, m.first < start)),
        *(func.count().filter(c > 0) for c in (m.w2, m.m2, m.w1, m.m1))))).one()
    p2, p1, p0, back2, back1, new2, new1, w2, m2, w1, m1 = (_total(v) for v in row)
    return (ActivityCounts(p1, new1, back1, p0 - back1, p0, w1, m1),
            ActivityCounts(p2, new2, back2, p1 - back2, p1, w2, m2))


# -- the most positive and negative messages ---------------------------------------------------------


@dataclass(frozen=True)
class HighlightRow:
    message_id: int
    text: str
    author: str | None
    platform: str
    community_id: str
    channel_id: str
    platform_message_id: str
    created_at: datetime
    score: float
    ugc_id: int | None
    permalink: str | None


def display_name() -> ScalarSelect[str]:
    """The name shown for the ``members`` row of the enclosing query: the first identity of whoever holds
    the account now (following a ``/link`` merge)."""
    holder = func.coalesce(Member.merged_into, Member.id)
    return select(Identity.display_name).where(Identity.member_id == holder).order_by(Identity.id).limit(1) \
        .scalar_subquery()


async def extremes(session: AsyncSession, program_id: str, start: datetime, end: datetime, label: str,
                   limit: int) -> list[HighlightRow]:
    """The messages of [start, end) labelled ``label`` with the highest probability of it, newest first
    among equals; a UGC submission's text row comes with the submission (rejected ones are left out).
    The ``limit`` messages are picked first and only they are joined to their authors' names."""
    score = Message.p_positive if label == "positive" else Message.p_negative
    order = (score.desc(), Message.created_at.desc(), Message.id.desc())
    top = (select(Message.id, Message.text, Message.member_id, Message.platform, Message.community_id,
                  Message.channel_id, Message.platform_message_id, Message.created_at, score.label("score"),
                  UgcSubmission.id.label("ugc_id"), UgcSubmission.permalink)
           .outerjoin(UgcSubmission, UgcSubmission.message_id == Message.id)
           .where(Message.program_id == program_id, Message.created_at >= start, Message.created_at < end,
                  Message.sentiment_label == label, score.is_not(None),
                  or_(UgcSubmission.id.is_(None), UgcSubmission.status != REJECTED))
           .order_by(*order).limit(limit).subquery())
    t = top.c
    query = (select(t.id, t.text, display_name(), t.platform, t.community_id, t.channel_id,
                    t.platform_message_id, t.created_at, t.score, t.ugc_id, t.permalink)
             .join(Member, Member.id == t.member_id)
             .order_by(t.score.desc(), t.created_at.desc(), t.id.desc()))
    return [HighlightRow(*r) for r in await session.execute(query)]


async def recent_texts(session: AsyncSession, program_id: str, start: datetime, end: datetime,
                       limit: int) -> list[str]:
    """The texts of the latest ``limit`` chat messages of [start, end): the sample terms are counted on."""
    query = select(Message.text).where(chat(program_id, start, end)) \
        .order_by(Message.created_at.desc()).limit(limit)
    return list(await session.scalars(query))


# -- points -------------------------------------------------------------------------------------------


def _entries(program_id: str, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(LedgerEntry.program_id == program_id, LedgerEntry.created_at >= start,
                LedgerEntry.created_at < end)


def _issued(program_id: str, start: datetime, end: datetime) -> ColumnElement[bool]:
    """Credits of [start, end); refunds and merges move points that were issued before, so they are not
    issuance."""
    return and_(_entries(program_id, start, end), LedgerEntry.delta > 0, LedgerEntry.reason.not_in(NOT_ISSUED))


async def points_issued(session: AsyncSession, program_id: str, start: datetime,
                        end: datetime) -> list[tuple[str, int, int]]:
    """(reason, points, entries) of the points issued in [start, end), most points first."""
    query = select(LedgerEntry.reason, func.sum(LedgerEntry.delta), func.count()) \
        .where(_issued(program_id, start, end)).group_by(LedgerEntry.reason)
    rows = [(r[0], _total(r[1]), r[2]) for r in await session.execute(query)]
    return sorted(rows, key=lambda r: (-r[1], r[0]))


async def points_issued_total(session: AsyncSession, program_id: str, start: datetime, end: datetime) -> int:
    """All points issued in [start, end): one sum, no grouping, for the period compared against."""
    return _total(await session.scalar(select(func.sum(LedgerEntry.delta)).where(_issued(program_id, start, end))))


async def points_spent(session: AsyncSession, program_id: str, start: datetime, end: datetime) -> int:
    """Points spent on rewards in [start, end), net of the refunds of rejected redemptions."""
    total = await session.scalar(select(func.sum(LedgerEntry.delta)).where(
        _entries(program_id, start, end), LedgerEntry.reason.in_(SPENDING)))
    return -_total(total)


def _tier(lifetime: ColumnElement[int], tiers: Sequence[tuple[str, int]]) -> ColumnElement[str]:
    whens = [(lifetime >= floor, literal(name)) for name, floor in reversed(tiers[1:])]
    return case(*whens, else_=literal(tiers[0][0])) if whens else literal(tiers[0][0])


async def tier_moves(session: AsyncSession, program_id: str, start: datetime, end: datetime,
                     tiers: Sequence[tuple[str, int]]) -> list[tuple[str, str, int]]:
    """(from tier, to tier, members) for members whose lifetime points at ``end`` put them in another
    tier than at ``start``. Lifetime at a time is the member's lifetime now (``balances``) less what
    changed since, so only entries from ``start`` on are read, not each member's whole history: those of
    the period in one range of the covering index ``ix_ledger_program_time``, then, for each member who
    moved in it, the entries after ``end`` (an index seek per member). Accounts merged away by
    ``/link`` are left out (their survivor moves)."""
    change = LedgerEntry.lifetime_delta
    later = aliased(LedgerEntry)
    after = select(func.coalesce(func.sum(later.lifetime_delta), 0)).where(
        later.program_id == program_id, later.member_id == LedgerEntry.member_id, later.created_at >= end,
        later.lifetime_delta != 0).scalar_subquery()
    during = (select(LedgerEntry.member_id, func.sum(change).label("during"), after.label("after"))
              .where(_entries(program_id, start, end), change != 0)
              .group_by(LedgerEntry.member_id).having(func.sum(change) != 0).subquery())
    at_end = Balance.lifetime - during.c.after
    named = (select(_tier(at_end - during.c.during, tiers).label("old"), _tier(at_end, tiers).label("new"))
             .select_from(during)
             .join(Balance, and_(Balance.program_id == program_id, Balance.member_id == during.c.member_id))
             .join(Member, Member.id == during.c.member_id)
             .where(during.c.during != 0, Member.merged_into.is_(None)).subquery())
    query = select(named.c.old, named.c.new, func.count()).where(named.c.old != named.c.new) \
        .group_by(named.c.old, named.c.new)
    return [(r[0], r[1], r[2]) for r in await session.execute(query)]


@dataclass(frozen=True)
class ContributorRow:
    member_id: int
    name: str | None
    points: int
    messages: int
    lifetime: int


async def top_contributors(session: AsyncSession, program_id: str, start: datetime, end: datetime,
                           limit: int) -> list[ContributorRow]:
    """The members who earned the most lifetime points in [start, end) (merges are not earning), with
    their chat messages in the period and their lifetime points now."""
    earned = (select(LedgerEntry.member_id, func.sum(LedgerEntry.lifetime_delta).label("points"))
              .where(_entries(program_id, start, end), LedgerEntry.reason.not_in(MERGES))
              .group_by(LedgerEntry.member_id).subquery())
    top = (await session.execute(
        select(earned.c.member_id, earned.c.points, func.coalesce(Balance.lifetime, 0))
        .join(Member, Member.id == earned.c.member_id)
        .outerjoin(Balance, and_(Balance.program_id == program_id, Balance.member_id == earned.c.member_id))
        .where(Member.merged_into.is_(None), earned.c.points > 0)
        .order_by(earned.c.points.desc(), earned.c.member_id).limit(limit))).all()
    ids = [r[0] for r in top]
    counts = await _message_counts(session, program_id, start, end, ids)
    names = await _names(session, ids)
    return [ContributorRow(m, names.get(m), int(points), counts.get(m, 0), int(lifetime))
            for m, points, lifetime in top]


async def _message_counts(session: AsyncSession, program_id: str, start: datetime, end: datetime,
                          member_ids: list[int]) -> dict[int, int]:
    if not member_ids:
        return {}
    rows = await session.execute(select(Message.member_id, func.count())
                                 .where(chat(program_id, start, end), Message.member_id.in_(member_ids))
                                 .group_by(Message.member_id))
    return {r[0]: r[1] for r in rows}


async def _names(session: AsyncSession, member_ids: list[int]) -> dict[int, str]:
    """Each member's first identity's display name."""
    if not member_ids:
        return {}
    rows = await session.execute(select(Identity.member_id, Identity.display_name)
                                 .where(Identity.member_id.in_(member_ids)).order_by(Identity.id.desc()))
    return {r[0]: r[1] for r in rows}
