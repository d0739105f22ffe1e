"""Campaigns: multiplier windows as rows, member-day announcements, and what campaigns paid.

A window row is its own timer: ``start_at``/``end_at`` with ``status``
scheduled -> running -> ended, each step a compare-and-set, so two
processes, a late timer and a restart announce each step once. Earning
never reads the status: a posting is multiplied when its own time falls in
``[start_at, end_at)``, so a late timer or a restart mid-window changes no
points. ``/campaign end`` moves ``end_at`` to now.

What a campaign paid is read back from the ledger, whose entries name it:
a multiplied entry's note starts with ``campaign:<id> x<multiplier>`` (or
``member-day:<name> x<multiplier>``), see ``handlers.campaigns.multiplier``.

``member_day_runs`` holds one row per member day that started (announced,
or missed while the bot was down), claimed by an insert that only one
caller wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    UniqueConstraint,
    bindparam,
    case,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Balance, Base, BigId, LedgerEntry, Reason
from storage.upsert import insert_for

SCHEDULED, RUNNING, ENDED = "scheduled", "running", "ended"
PENDING = (SCHEDULED, RUNNING)
MULTIPLIER = "multiplier"
ANNOUNCED, MISSED = "announced", "missed"
HUNDRED = Decimal(100)


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        Index("ix_campaign_program_end", "program_id", "end_at"),
        Index("ix_campaign_status", "status", "id"),
        UniqueConstraint("program_id", "source_event", name="uq_campaign_source_event"),
        CheckConstraint("end_at >= start_at", name="ck_campaign_window"),
        CheckConstraint("multiplier_hundredths > 0", name="ck_campaign_multiplier_positive"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    program_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(100))
    # 2x is 200, 1.5x is 150: exact, and comparable in SQL on every backend.
    multiplier_hundredths: Mapped[int] = mapped_column(Integer)
    scope: Mapped[str] = mapped_column(String(12))
    start_at: Mapped[datetime] = mapped_column(DateTime)
    end_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(12))
    created_by: Mapped[str] = mapped_column(String(64))
    # The create command's platform event: a redelivered command creates nothing twice.
    source_event: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # Set by /campaign end: who ended it early (the window's end_at moved to that moment).
    ended_by: Mapped[str | None] = mapped_column(String(64))

    @property
    def multiplier(self) -> Decimal:
        return Decimal(self.multiplier_hundredths) / HUNDRED


class MemberDayRun(Base):
    """A member day that began: announced, or ``missed`` (the bot was down all that day)."""

    __tablename__ = "member_day_runs"
    program_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    status: Mapped[str] = mapped_column(String(12))
    at: Mapped[datetime] = mapped_column(DateTime)


@dataclass(frozen=True)
class Window:
    """A window as earning reads it."""

    id: int
    multiplier: Decimal
    scope: str
    start_at: datetime
    end_at: datetime


async def windows(session: AsyncSession, program_id: str, start: datetime, end: datetime) -> list[Window]:
    """Windows of the program in effect at any moment of ``[start, end]`` (one read per batch, through a
    statement built once: every message batch, reaction and approval runs it)."""
    rows = await session.execute(_WINDOWS, {"program": program_id, "start": start, "end": end})
    return [Window(r.id, Decimal(r.multiplier_hundredths) / HUNDRED, r.scope, r.start_at, r.end_at)
            for r in rows]


_WINDOWS = select(Campaign.id, Campaign.multiplier_hundredths, Campaign.scope, Campaign.start_at,
                  Campaign.end_at) \
    .where(Campaign.program_id == bindparam("program"), Campaign.end_at > bindparam("start"),
           Campaign.start_at <= bindparam("end"), Campaign.kind == MULTIPLIER).order_by(Campaign.id)


async def by_source_event(session: AsyncSession, program_id: str, source: str) -> Campaign | None:
    return await session.scalar(select(Campaign).where(Campaign.program_id == program_id,
                                                       Campaign.source_event == source))


async def in_program(session: AsyncSession, program_id: str, campaign_id: int,
                     lock: bool = False) -> Campaign | None:
    stmt = select(Campaign).where(Campaign.program_id == program_id, Campaign.id == campaign_id)
    return await session.scalar(stmt.with_for_update() if lock else stmt)


async def listed(session: AsyncSession, program_id: str, limit: int) -> list[Campaign]:
    """The newest campaigns first."""
    rows = await session.scalars(select(Campaign).where(Campaign.program_id == program_id)
                                 .order_by(Campaign.id.desc()).limit(limit))
    return list(rows)


async def current(session: AsyncSession, program_id: str, now: datetime, limit: int) -> list[Campaign]:
    """Windows running at ``now`` or still to come, soonest first."""
    rows = await session.scalars(select(Campaign).where(
        Campaign.program_id == program_id, Campaign.end_at > now, Campaign.end_at > Campaign.start_at)
                                 .order_by(Campaign.start_at, Campaign.id).limit(limit))
    return list(rows)


async def overlapping(session: AsyncSession, program_id: str, start: datetime,
                      end: datetime) -> list[Campaign]:
    """Windows that were in effect at some moment of ``[start, end)``, in start order."""
    rows = await session.scalars(select(Campaign).where(
        Campaign.program_id == program_id, Campaign.end_at > start, Campaign.start_at < end,
        Campaign.end_at > Campaign.start_at)
                                 .order_by(Campaign.start_at, Campaign.id))
    return list(rows)


async def pending(session: AsyncSession, program_ids: list[str]) -> list[Campaign]:
    rows = await session.scalars(select(Campaign).where(Campaign.program_id.in_(program_ids),
                                                        Campaign.status.in_(PENDING)).order_by(Campaign.id))
    return list(rows)


async def start_due(session: AsyncSession, campaign_id: int, now: datetime) -> bool:
    """scheduled -> running once the start passed (and the window is not over); True for the one mover."""
    moved = await session.execute(update(Campaign).where(
        Campaign.id == campaign_id, Campaign.status == SCHEDULED, Campaign.start_at <= now,
        Campaign.end_at > now)
        .values(status=RUNNING))
    return bool(moved.rowcount)  # type: ignore[attr-defined]


async def end_due(session: AsyncSession, campaign_id: int, now: datetime) -> str | None:
    """scheduled or running -> ended once the end passed; the status it left, for the one mover."""
    row = await session.scalar(select(Campaign.status).where(
        Campaign.id == campaign_id, Campaign.status.in_(PENDING), Campaign.end_at <= now))
    if row is None:
        return None
    moved = await session.execute(update(Campaign).where(Campaign.id == campaign_id, Campaign.status == row)
                                  .values(status=ENDED))
    return row if moved.rowcount else None  # type: ignore[attr-defined]


async def end_now(session: AsyncSession, campaign_id: int, now: datetime, actor: str) -> None:
    """The window stops applying at ``now``; one that had not begun never applies."""
    await session.execute(update(Campaign).where(Campaign.id == campaign_id).values(
        end_at=now, start_at=case((Campaign.start_at > now, now), else_=Campaign.start_at), ended_by=actor))


@dataclass(frozen=True)
class Effect:
    """What entries naming one campaign (or member day) added up to."""

    points: int = 0
    members: int = 0
    messages: int = 0
    reactions: int = 0
    submissions: int = 0


def _effect(row: object) -> Effect:
    return Effect(*(int(getattr(row, name) or 0) for name in ("points", "members", "messages", "reactions",
                                                                "submissions")))


def _counted(reason: Reason) -> ColumnElement[int]:
    return func.sum(case((LedgerEntry.reason == str(reason), 1), else_=0))


def _effect_columns() -> tuple[ColumnElement[int], ...]:
    return (func.sum(LedgerEntry.delta).label("points"),
            func.count(LedgerEntry.member_id.distinct()).label("members"),
            _counted(Reason.MESSAGE).label("messages"),
            (_counted(Reason.REACTION) - _counted(Reason.REACTION_REVERSED)).label("reactions"),
            _counted(Reason.UGC_APPROVED).label("submissions"))


def note_prefix(campaign_id: int) -> str:
    """How a multiplied entry's note starts when the window applied (``multiplier.note``)."""
    return f"campaign:{campaign_id} x"


async def effect(session: AsyncSession, program_id: str, campaign_id: int,
                 start: datetime | None = None, end: datetime | None = None) -> Effect:
    """Points the campaign's entries added (reaction takebacks subtract), optionally in ``[start, end)``."""
    stmt = select(*_effect_columns()).where(
        LedgerEntry.program_id == program_id, LedgerEntry.note.like(note_prefix(campaign_id) + "%"))
    if start is not None and end is not None:
        stmt = stmt.where(LedgerEntry.created_at >= start, LedgerEntry.created_at < end)
    return _effect((await session.execute(stmt)).one())


def _like(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def member_day_note(name: str) -> str:
    """The note of a member day's flat bonus; its multiplied entries' notes start with this and `` x``."""
    return f"member-day:{name}"


async def member_day_effect(session: AsyncSession, program_id: str, name: str, start: datetime,
                            end: datetime) -> Effect:
    """A member day's multiplied entries and flat bonuses in ``[start, end)``."""
    note = member_day_note(name)
    stmt = select(*_effect_columns()).where(
        LedgerEntry.program_id == program_id, LedgerEntry.created_at >= start, LedgerEntry.created_at < end,
        ((LedgerEntry.reason == str(Reason.MEMBER_DAY_BONUS)) & (LedgerEntry.note == note))
        | LedgerEntry.note.like(_like(note + " x"), escape="\\"))
    return _effect((await session.execute(stmt)).one())


async def claim_member_day(session: AsyncSession, program_id: str, name: str, day: date, status: str,
                           now: datetime) -> bool:
    """Record that the member day began; True for the one caller that wrote the row."""
    stmt = insert_for(session, MemberDayRun.__table__).values(program_id=program_id, name=name, day=day,
                                                               status=status, at=now)
    done = await session.execute(stmt.on_conflict_do_nothing(index_elements=["program_id", "name", "day"]))
    return bool(done.rowcount)  # type: ignore[attr-defined]


async def last_member_day(session: AsyncSession, program_id: str, name: str) -> date | None:
    """The latest recorded date of a member day (announced or missed)."""
    return await session.scalar(select(func.max(MemberDayRun.day)).where(
        MemberDayRun.program_id == program_id, MemberDayRun.name == name))


async def lifetimes(session: AsyncSession, program_id: str, member_ids: set[int]) -> dict[int, int]:
    """Lifetime points of these members (tiers follow them); a member who never earned is absent."""
    rows = await session.execute(select(Balance.member_id, Balance.lifetime).where(
        Balance.program_id == program_id, Balance.member_id.in_(sorted(member_ids))))
    return {r.member_id: r.lifetime for r in rows}
