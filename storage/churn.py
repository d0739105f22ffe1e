"""The aggregates churn risk reads (``handlers.churn``): one pass over a program's recent messages.

No table of its own. A member's messages over the lookback are counted per
weekly bucket ending at ``now`` (bucket 0 is the last 7 days), so the
database does the counting and Python only sees one row per member,
whatever the number of messages. The bucket boundaries are bind parameters,
not date arithmetic on columns, so the statements run on SQLite and
PostgreSQL alike. The messages are read from the covering index
``ix_message_program_time`` alone, grouped by account one week at a time;
the rows of the accounts are then folded into their members, joined to
``members`` only then (a lookup per account, not per message).

Messages of an account merged away by ``/link`` count for the member it was
merged into (a member holds at most one account per platform, so a merge
chain is one step long).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Subquery,
    case,
    cast,
    func,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Balance, EngagementState, Member, Message

WEEK = timedelta(days=7)
NEGATIVE = "negative"
SCORED_LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Activity:
    """One member's messages over the lookback: totals, first and last time, and per week (index 0 =
    the 7 days before ``now``) the messages, the scored ones and the negative ones."""

    member_id: int
    messages: int
    first_at: datetime
    last_at: datetime
    weekly: tuple[int, ...]
    scored: tuple[int, ...]
    negative: tuple[int, ...]


@dataclass(frozen=True)
class Streak:
    streak: int
    streak_day: date | None


async def activity(session: AsyncSession, program_id: str, now: datetime, weeks: int,
                   member_ids: Sequence[int] | None = None) -> list[Activity]:
    """Members with a message in the program in the ``weeks`` weeks before ``now`` (optionally only
    ``member_ids``), in member order."""
    query = _by_member(_by_account(program_id, now, weeks, member_ids), weeks)
    rows = await (await session.connection()).execute(query)
    return [Activity(row[0], row[1], row[2], row[3], row[4::3], row[5::3], row[6::3]) for row in rows]


def _messages(program_id: str, start: datetime, end: datetime, member_ids: Sequence[int] | None) -> list[Any]:
    """The WHERE terms: the program's messages of [start, end) (of ``member_ids``' accounts only)."""
    where = [Message.program_id == program_id, Message.created_at >= start, Message.created_at < end]
    if member_ids is not None:
        merged = aliased(Member)
        ids = list(member_ids)
        accounts = select(merged.id).where(merged.id.in_(ids) | merged.merged_into.in_(ids))
        where.append(Message.member_id.in_(accounts))
    return where


def _by_account(program_id: str, now: datetime, weeks: int, member_ids: Sequence[int] | None) -> Subquery:
    """One row per account: messages, first, last, then per week messages, scored and negative. Each
    week is grouped on its own (a range of the covering index per week, glued by UNION ALL), which
    costs both databases less than grouping the whole lookback at once: SQLite sorts eight small sets
    instead of one large one, and no message is tested against every week. The rows of an account
    (one per week it was active in) are then spread over the weeks."""
    at, label = Message.created_at, Message.sentiment_label
    edges = [now - WEEK * k for k in range(weeks + 1)]
    parts = [select(Message.member_id, literal_column(str(k)).label("week"),
                    _int(func.count()).label("messages"),
                    _int(func.count().filter(label.in_(SCORED_LABELS))).label("scored"),
                    _int(func.count().filter(label == NEGATIVE)).label("negative"),
                    func.min(at).label("first"), func.max(at).label("last"))
             .where(*_messages(program_id, edges[k + 1], edges[k], member_ids)).group_by(Message.member_id)
             for k in range(weeks)]
    per_week = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    w = per_week.c
    spread = [_int(func.sum(case((w.week == k, getattr(w, column)), else_=0))).label(f"{column}_{k}")
              for k in range(weeks) for column in ("messages", "scored", "negative")]
    return (select(w.member_id, _int(func.sum(w.messages)).label("messages"),
                   func.min(w.first).label("first"), func.max(w.last).label("last"), *spread)
            .group_by(w.member_id).subquery())


def _by_member(accounts: Subquery, weeks: int) -> Select[Any]:
    """Accounts folded into their member (the one they were merged into, if any), in member order: a
    lookup in ``members`` per account, not per message."""
    a = accounts.c
    owner = func.coalesce(Member.merged_into, a.member_id)
    sums = [func.sum(getattr(a, f"{column}_{k}"))
            for k in range(weeks) for column in ("messages", "scored", "negative")]
    return (select(owner, func.sum(a.messages), func.min(a.first), func.max(a.last), *sums)
            .join_from(accounts, Member, Member.id == a.member_id).group_by(owner).order_by(owner))


def _int(count: ColumnElement[Any]) -> ColumnElement[int]:
    """A count as a plain integer: PostgreSQL sums integers into a bigint but bigints (what count and
    sum return) into an arbitrary-precision numeric, slower to add up and to send (as text to decode
    into Decimals, 25 of them per member)."""
    return cast(count, Integer)


async def negative_share(session: AsyncSession, program_id: str, now: datetime, weeks: int) -> float:
    """The program's share of negative messages among the scored ones over the lookback."""
    label = Message.sentiment_label
    row = (await session.execute(select(func.sum(case((label == NEGATIVE, 1), else_=0)), func.count())
                                 .where(Message.program_id == program_id, label.in_(SCORED_LABELS),
                                        Message.created_at >= now - WEEK * weeks, Message.created_at < now))).one()
    return int(row[0] or 0) / int(row[1]) if row[1] else 0.0


async def streaks(session: AsyncSession, program_id: str,
                  member_ids: Sequence[int] | None = None) -> dict[int, Streak]:
    """Each member's last streak (length and the day it last grew) from the rule state: of the whole
    program in one query (a digest ranks everyone), or of a few members."""
    query = select(EngagementState.member_id, EngagementState.streak, EngagementState.streak_day) \
        .where(EngagementState.program_id == program_id, EngagementState.streak > 1)
    if member_ids is not None:
        query = query.where(EngagementState.member_id.in_(list(member_ids)))
    return {m: Streak(int(s or 0), d) for m, s, d in await session.execute(query)}


async def balances(session: AsyncSession, program_id: str,
                   member_ids: Sequence[int] | None = None) -> dict[int, int]:
    """Members with points left (the ones expiry can touch) and their balance."""
    query = select(Balance.member_id, Balance.balance).where(Balance.program_id == program_id, Balance.balance > 0)
    if member_ids is not None:
        query = query.where(Balance.member_id.in_(list(member_ids)))
    return {m: int(b) for m, b in await session.execute(query)}
