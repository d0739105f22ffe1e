"""Spike alerts: when each program's channels were last checked, the incidents, and the hourly aggregates.

``alert_checks`` is the timed row of the check (``handlers.alerts.schedule``):
a check claims the program's next run by a compare-and-set on ``checked_at``,
so two processes, a late timer or a restart check once. ``alert_incidents``
holds one row per incident: ``open_key`` names its channel and kind while it
is open and is NULL once it closed, and is unique, so a channel has at most
one open incident of a kind even when two checks race (NULLs never collide,
on SQLite and PostgreSQL alike). ``alert_hours`` is the rollup of completed
clock hours per channel that the baseline is read from, and ``alert_rollups``
how far it reaches per program (kept up by ``handlers.alerts.rollup``)."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    CursorResult,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Table,
    case,
    cast as sql_cast,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage import members
from storage.models import Base, BigId, Member, Message
from storage.upsert import POSTGRESQL, dialect, insert_for

NEGATIVE, VOLUME = "negative", "volume"
KINDS = (NEGATIVE, VOLUME)
SCORED_LABELS = ("negative", "neutral", "positive")
HOUR = timedelta(hours=1)


class AlertCheck(Base):
    """The last check of a program's channels (its time is the end of the hour it looked at)."""

    __tablename__ = "alert_checks"
    program_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(DateTime)


class AlertIncident(Base):
    """One spike in one channel, from the check that raised it to the one that saw it subside. The numbers
    are the raising check's: ``value`` is the negative share (0..1) or the message count of the hour,
    over ``messages`` (scored messages for the share), against the baseline's ``mean`` and ``std``."""

    __tablename__ = "alert_incidents"
    __table_args__ = (Index("ix_alert_incident_opened", "program_id", "opened_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    program_id: Mapped[str] = mapped_column(String(40))
    platform: Mapped[str] = mapped_column(String(16))
    community_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(12))
    open_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    value: Mapped[float] = mapped_column(Float)
    messages: Mapped[int] = mapped_column(Integer)
    mean: Mapped[float] = mapped_column(Float)
    std: Mapped[float] = mapped_column(Float)
    z: Mapped[float] = mapped_column(Float)
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The statistic at the check that closed it.
    closing_value: Mapped[float | None] = mapped_column(Float)
    closing_z: Mapped[float | None] = mapped_column(Float)


def open_key(program_id: str, platform: str, community_id: str, channel_id: str, kind: str) -> str:
    return f"{program_id}:{platform}:{community_id}:{channel_id}:{kind}"


# ---- the check's timed row -----------------------------------------------------------------------------


async def last_checks(session: AsyncSession, program_ids: Sequence[str]) -> dict[str, datetime]:
    rows = await session.execute(select(AlertCheck.program_id, AlertCheck.checked_at)
                                 .where(AlertCheck.program_id.in_(sorted(program_ids))))
    return dict(rows.tuples().all())


async def claim_check(session: AsyncSession, program_id: str, previous: datetime | None, now: datetime) -> bool:
    """Move the program's last check from ``previous`` (None: it never ran) to ``now``; True only for the
    one caller, in whichever process, whose write did it."""
    if previous is None:
        insert = insert_for(session, cast(Table, AlertCheck.__table__))
        result = await session.execute(insert.values(program_id=program_id, checked_at=now)
                                       .on_conflict_do_nothing(index_elements=["program_id"]))
    else:
        result = await session.execute(update(AlertCheck).where(AlertCheck.program_id == program_id,
                                                                AlertCheck.checked_at == previous)
                                       .values(checked_at=now))
    return cast(CursorResult[Any], result).rowcount == 1


# ---- hourly aggregates ----------------------------------------------------------------------------------


class AlertHour(Base):
    """One channel's counts in one completed clock hour (``hour`` is its start, UTC): the rollup the check's
    baseline is read from (``handlers.alerts.rollup``)."""

    __tablename__ = "alert_hours"
    program_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    hour: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    community_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    messages: Mapped[int] = mapped_column(Integer)
    scored: Mapped[int] = mapped_column(Integer)
    negative: Mapped[int] = mapped_column(Integer)


class AlertRollup(Base):
    """How far a program's rollup reaches: every clock hour of ``[rolled_from, rolled_until)`` is in
    ``alert_hours`` (an hour without messages has no row). The next roll-up looks for messages stored into
    or scored in those hours since: ids above ``scan_from_id`` (the highest id of the roll-up before this
    one; ``max_id`` is this one's), ``scored_at`` from ``scanned_at`` (this roll-up's time) on, less a
    slack."""

    __tablename__ = "alert_rollups"
    program_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    rolled_from: Mapped[datetime] = mapped_column(DateTime)
    rolled_until: Mapped[datetime] = mapped_column(DateTime)
    scan_from_id: Mapped[int] = mapped_column(BigInteger)
    max_id: Mapped[int] = mapped_column(BigInteger)
    scanned_at: Mapped[datetime] = mapped_column(DateTime)


# The messages scored since a time, for the roll-up to find hours whose labels changed after they were rolled
# up (late scoring, a rescore). Partial: a message is stored unscored, so ingest never writes this index; the
# sentiment worker's write of a result does.
Index("ix_message_scored", Message.scored_at, sqlite_where=Message.scored_at.is_not(None),
      postgresql_where=Message.scored_at.is_not(None))


@dataclass(frozen=True)
class Bucket:
    """One channel's counts in one hour of a check: ``hours_ago`` 0 is the last hour before the check,
    1, 2, ... the baseline's clock hours going back (see ``handlers.alerts.rollup.Window``)."""

    platform: str
    community_id: str
    channel_id: str
    hours_ago: int
    messages: int
    scored: int
    negative: int


@dataclass(frozen=True)
class HourCounts:
    """One channel's counts in the clock hour starting at ``hour``, as the messages say now."""

    platform: str
    community_id: str
    channel_id: str
    hour: datetime
    messages: int
    scored: int
    negative: int


def _hour_index(session: AsyncSession, start: datetime) -> Any:
    """Whole hours from ``start`` (a whole second) to a message, in the database's own arithmetic: exact
    seconds, so a message on an hour's boundary falls in the hour it starts, as ``[start, end)`` reads."""
    if dialect(session) == POSTGRESQL:
        return sql_cast(func.floor(func.extract("epoch", Message.created_at - literal(start, DateTime)) / 3600),
                        Integer)
    epoch = calendar.timegm(start.timetuple())
    return (sql_cast(func.strftime("%s", Message.created_at), Integer) - epoch) // 3600


def _scored() -> Any:
    return func.sum(case((Message.sentiment_label.in_(SCORED_LABELS), 1), else_=0))


def _negative() -> Any:
    return func.sum(case((Message.sentiment_label == NEGATIVE, 1), else_=0))


def _in_program(program_id: str, start: datetime, end: datetime) -> tuple[Any, ...]:
    return Message.program_id == program_id, Message.created_at >= start, Message.created_at < end


async def count_hours(session: AsyncSession, program_id: str, start: datetime,
                      end: datetime) -> list[HourCounts]:
    """Counts per channel and clock hour of ``[start, end)`` (whole hours) straight from the messages: one
    grouped query over the (program_id, created_at) index's range."""
    inner = (select(Message.platform, Message.community_id, Message.channel_id,
                    _hour_index(session, start).label("slot"), Message.sentiment_label)
             .where(*_in_program(program_id, start, end)).subquery())
    rows = await session.execute(
        select(inner.c.platform, inner.c.community_id, inner.c.channel_id, inner.c.slot, func.count(),
               func.sum(case((inner.c.sentiment_label.in_(SCORED_LABELS), 1), else_=0)),
               func.sum(case((inner.c.sentiment_label == NEGATIVE, 1), else_=0)))
        .group_by(inner.c.platform, inner.c.community_id, inner.c.channel_id, inner.c.slot))
    return [HourCounts(p, c, ch, start + int(slot) * HOUR, int(n), int(s or 0), int(neg or 0))
            for p, c, ch, slot, n, s, neg in rows.tuples()]


async def last_hour(session: AsyncSession, program_id: str, start: datetime, end: datetime) -> list[Bucket]:
    """The check's last hour ``[start, end)`` per channel, live from the messages (``hours_ago`` 0)."""
    rows = await session.execute(
        select(Message.platform, Message.community_id, Message.channel_id, func.count(), _scored(),
               _negative()).where(*_in_program(program_id, start, end))
        .group_by(Message.platform, Message.community_id, Message.channel_id))
    return [Bucket(p, c, ch, 0, int(n), int(s or 0), int(neg or 0)) for p, c, ch, n, s, neg in rows.tuples()]


async def rolled_hours(session: AsyncSession, program_id: str, start: datetime,
                       end: datetime) -> list[Bucket]:
    """The rollup's hours of ``[start, end)`` as baseline buckets: the hour ending at ``end`` is 1 hour
    ago."""
    rows = await session.execute(
        select(AlertHour.platform, AlertHour.community_id, AlertHour.channel_id, AlertHour.hour,
               AlertHour.messages, AlertHour.scored, AlertHour.negative)
        .where(AlertHour.program_id == program_id, AlertHour.hour >= start, AlertHour.hour < end))
    return [Bucket(p, c, ch, (end - hour) // HOUR, n, s, neg) for p, c, ch, hour, n, s, neg in rows.tuples()]


async def rollup_of(session: AsyncSession, program_id: str) -> AlertRollup | None:
    return await session.get(AlertRollup, program_id)


async def max_message_id(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.max(Message.id))) or 0)


async def changed_hours(session: AsyncSession, program_id: str, start: datetime, end: datetime,
                        after_id: int, scored_since: datetime) -> set[datetime]:
    """Clock hours of ``[start, end)`` holding a message stored with an id above ``after_id`` or scored at
    ``scored_since`` or later. Each half of the query has one index to read the few rows it names (the
    newest ids, the newest scores), none of the window's range that the planners might otherwise pick;
    the program and the hours are picked out here."""
    rows = await session.execute(
        select(Message.program_id, Message.created_at).where(Message.id > after_id)
        .union_all(select(Message.program_id, Message.created_at).where(Message.scored_at >= scored_since)))
    return {at.replace(minute=0, second=0, microsecond=0) for pid, at in rows.tuples()
            if pid == program_id and start <= at < end}


async def replace_hours(session: AsyncSession, program_id: str, start: datetime, end: datetime,
                        counts: Sequence[HourCounts]) -> None:
    """Make the rollup's hours of ``[start, end)`` the given counts (hours without messages: no row)."""
    await session.execute(delete(AlertHour).where(AlertHour.program_id == program_id, AlertHour.hour >= start,
                                                  AlertHour.hour < end))
    if counts:
        await session.execute(insert(AlertHour), [
            {"program_id": program_id, "platform": c.platform, "community_id": c.community_id,
             "channel_id": c.channel_id, "hour": c.hour, "messages": c.messages, "scored": c.scored,
             "negative": c.negative} for c in counts])


async def extend_reach(session: AsyncSession, program_id: str, start: datetime, end: datetime,
                       scan_from_id: int, max_id: int, scanned_at: datetime) -> None:
    """Count the hours ``[start, end)`` just rolled up in the reach when they adjoin it, or start the reach
    with them (and the scan marks given) when there is none: a roll-up cut off midway keeps what it did."""
    upsert = insert_for(session, cast(Table, AlertRollup.__table__))
    await session.execute(upsert.values(program_id=program_id, rolled_from=start, rolled_until=end,
                                        scan_from_id=scan_from_id, max_id=max_id, scanned_at=scanned_at)
                          .on_conflict_do_nothing(index_elements=["program_id"]))
    mine = AlertRollup.program_id == program_id
    await session.execute(update(AlertRollup).where(mine, AlertRollup.rolled_until == start)
                          .values(rolled_until=end))
    await session.execute(update(AlertRollup).where(mine, AlertRollup.rolled_from == end)
                          .values(rolled_from=start))


async def save_rollup(session: AsyncSession, program_id: str, rolled_from: datetime, rolled_until: datetime,
                      scan_from_id: int, max_id: int, scanned_at: datetime) -> None:
    """Record how far the rollup reaches and the marks to scan from next time (never backwards: a slower
    process that rolled up an older window leaves a newer reach alone), and drop its hours before
    ``rolled_from`` (out of every later window)."""
    values = {"rolled_from": rolled_from, "rolled_until": rolled_until, "scan_from_id": scan_from_id,
              "max_id": max_id, "scanned_at": scanned_at}
    upsert = insert_for(session, cast(Table, AlertRollup.__table__))
    await session.execute(upsert.values(program_id=program_id, **values)
                          .on_conflict_do_update(index_elements=["program_id"], set_=values,
                                                 where=AlertRollup.rolled_until <= rolled_until))
    await session.execute(delete(AlertHour).where(AlertHour.program_id == program_id,
                                                  AlertHour.hour < rolled_from))


async def forget_rollup(session: AsyncSession, program_id: str) -> None:
    """Drop a rollup that shares no hour with the window (a downtime longer than it): it starts afresh."""
    await session.execute(delete(AlertHour).where(AlertHour.program_id == program_id))
    await session.execute(delete(AlertRollup).where(AlertRollup.program_id == program_id))


@dataclass(frozen=True)
class Sample:
    text: str
    author: str
    at: datetime
    p_negative: float | None


async def samples(session: AsyncSession, program_id: str, platform: str, community_id: str, channel_id: str,
                  start: datetime, end: datetime, kind: str, limit: int = 3) -> list[Sample]:
    """Messages of one channel in [start, end) to show with an alert: the most negative ones for a negative
    spike, the most recent ones for a volume spike."""
    query = (select(Message.text, members.holder_name(), Message.created_at, Message.p_negative)
             .join(Member, Member.id == Message.member_id)
             .where(Message.program_id == program_id, Message.platform == platform,
                    Message.community_id == community_id, Message.channel_id == channel_id,
                    Message.created_at >= start, Message.created_at < end, Message.text != ""))
    if kind == NEGATIVE:
        query = query.where(Message.sentiment_label == NEGATIVE).order_by(Message.p_negative.desc(),
                                                                           Message.created_at.desc())
    else:
        query = query.order_by(Message.created_at.desc(), Message.id.desc())
    rows = await session.execute(query.limit(limit))
    return [Sample(text, author or "", at, p) for text, author, at, p in rows.tuples()]


# ---- incidents ------------------------------------------------------------------------------------------


async def open_incidents(session: AsyncSession, program_id: str) -> list[AlertIncident]:
    rows = await session.scalars(select(AlertIncident).where(AlertIncident.program_id == program_id,
                                                             AlertIncident.open_key.is_not(None))
                                 .order_by(AlertIncident.id))
    return list(rows)


async def open_incident(session: AsyncSession, **values: Any) -> bool:
    """Record a new open incident; False when one is already open for its channel and kind."""
    key = open_key(values["program_id"], values["platform"], values["community_id"], values["channel_id"],
                   values["kind"])
    insert = insert_for(session, cast(Table, AlertIncident.__table__))
    result = await session.execute(insert.values(open_key=key, **values)
                                   .on_conflict_do_nothing(index_elements=["open_key"]))
    return cast(CursorResult[Any], result).rowcount == 1


async def close_incident(session: AsyncSession, incident_id: int, now: datetime, value: float, z: float) -> bool:
    """Close an open incident (compare-and-set on its being open); False when it was already closed."""
    result = await session.execute(update(AlertIncident)
                                   .where(AlertIncident.id == incident_id, AlertIncident.open_key.is_not(None))
                                   .values(open_key=None, closed_at=now, closing_value=value, closing_z=z))
    return cast(CursorResult[Any], result).rowcount == 1


async def incidents_between(session: AsyncSession, program_id: str, start: datetime,
                            end: datetime) -> list[AlertIncident]:
    """Incidents of the program that were open at some moment of [start, end), oldest first."""
    rows = await session.scalars(
        select(AlertIncident).where(AlertIncident.program_id == program_id, AlertIncident.opened_at < end,
                                    or_(AlertIncident.closed_at.is_(None), AlertIncident.closed_at >= start))
        .order_by(AlertIncident.opened_at, AlertIncident.id))
    return list(rows)
