"""The rewards catalog, redemptions and points-expiry warnings: tables and the queries on them.

A reward row is the catalog entry and its stock counter together. ``stock``
is the number of units left (NULL = unlimited); a redemption takes one with a
compare-and-set (``UPDATE ... SET stock = stock - 1 WHERE stock > 0``) after
locking the row, so two redemptions of the last unit cannot both succeed on
PostgreSQL or SQLite. Config rewards carry their config id in ``slug`` and
the stock last seeded from config in ``seeded_stock`` (a restart with the
same config leaves the units already given alone); moderator-added rewards
have no slug and are named by ``#id`` or name.

A redemption moves pending -> fulfilled | rejected, each step a
compare-and-set on the status; ``idempotency_key`` is the key of its ledger
spend, so a redelivered interaction finds the redemption it already made.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ColumnElement,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    and_,
    case,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Balance, Base, BigId, LedgerEntry, Member

CONFIG, MODERATOR = "config", "moderator"
PENDING, FULFILLED, REJECTED = "pending", "fulfilled", "rejected"
STATUSES = (PENDING, FULFILLED, REJECTED)
# Redemptions that hold a unit and count against the per-member limit (a rejected one gave both back).
HELD = (PENDING, FULFILLED)
WARN_7D, WARN_1D = "7d", "1d"


class Reward(Base):
    __tablename__ = "rewards"
    __table_args__ = (
        UniqueConstraint("program_id", "slug", name="uq_reward_slug"),
        UniqueConstraint("program_id", "source_event", name="uq_reward_source_event"),
        CheckConstraint("cost > 0", name="ck_reward_cost_positive"),
        CheckConstraint("stock IS NULL OR stock >= 0", name="ck_reward_stock_non_negative"),
        Index("ix_reward_program", "program_id", "id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    program_id: Mapped[str] = mapped_column(String(40))
    # The config id of a config reward; None for one a moderator added.
    slug: Mapped[str | None] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(String(300))
    cost: Mapped[int] = mapped_column(BigInteger)
    stock: Mapped[int | None] = mapped_column(BigInteger)
    seeded_stock: Mapped[int | None] = mapped_column(BigInteger)
    min_tier: Mapped[str | None] = mapped_column(String(40))
    per_member_limit: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(12))
    # The platform event of ``/reward add``: a redelivered command adds nothing twice.
    source_event: Mapped[str | None] = mapped_column(String(100))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime)


class Redemption(Base):
    __tablename__ = "reward_redemptions"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_redemption_key"),
        Index("ix_redemption_status", "program_id", "status", "id"),
        Index("ix_redemption_member", "reward_id", "member_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    program_id: Mapped[str] = mapped_column(String(40))
    reward_id: Mapped[int] = mapped_column(ForeignKey("rewards.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    cost: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(12))
    spend_entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"))
    refund_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    note: Mapped[str | None] = mapped_column(String(500))
    reason: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64))


class ExpiryWarning(Base):
    """A warning sent to a member that points expire at the end of ``expires_on``; once per kind."""

    __tablename__ = "points_expiry_warnings"
    program_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    expires_on: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(4), primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    sent_at: Mapped[datetime] = mapped_column(DateTime)


# ---- catalog -----------------------------------------------------------------------------------


async def catalog(session: AsyncSession, program_id: str, *, retired: bool = False) -> list[Reward]:
    """The program's rewards, cheapest first (retired ones only when asked)."""
    query = select(Reward).where(Reward.program_id == program_id)
    if not retired:
        query = query.where(Reward.retired_at.is_(None))
    return list(await session.scalars(query.order_by(Reward.cost, Reward.id)))


async def in_program(session: AsyncSession, program_id: str, reward_id: int, *,
                     lock: bool = False) -> Reward | None:
    """The reward if it belongs to the program; ``lock`` takes its row lock (``FOR UPDATE``) and reads
    the latest committed version."""
    query = select(Reward).where(Reward.id == reward_id, Reward.program_id == program_id)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query.execution_options(populate_existing=True))


async def by_source_event(session: AsyncSession, program_id: str, source_event: str) -> Reward | None:
    return await session.scalar(select(Reward).where(Reward.program_id == program_id,
                                                     Reward.source_event == source_event))


async def take_unit(session: AsyncSession, reward_id: int) -> bool:
    """One unit of stock, if any is left (always, for unlimited stock); False when out of stock."""
    result = await session.execute(update(Reward).where(
        Reward.id == reward_id, or_(Reward.stock.is_(None), Reward.stock > 0))
        .values(stock=case((Reward.stock.is_(None), None), else_=Reward.stock - 1)))
    return result.rowcount == 1


async def return_unit(session: AsyncSession, reward_id: int) -> None:
    await session.execute(update(Reward).where(Reward.id == reward_id, Reward.stock.is_not(None))
                          .values(stock=Reward.stock + 1))


# ---- redemptions -------------------------------------------------------------------------------


def _same_person(member_ids: Collection[int]) -> ColumnElement[bool]:
    """The members themselves and the accounts merged into them by /link (whose redemptions are theirs)."""
    merged = select(Member.id).where(Member.merged_into.in_(list(member_ids)))
    return or_(Redemption.member_id.in_(list(member_ids)), Redemption.member_id.in_(merged))


async def held(session: AsyncSession, program_id: str, member_id: int) -> dict[int, int]:
    """Per reward, the redemptions the member holds (pending or fulfilled)."""
    rows = await session.execute(
        select(Redemption.reward_id, func.count()).where(
            Redemption.program_id == program_id, Redemption.status.in_(HELD), _same_person([member_id]))
        .group_by(Redemption.reward_id))
    return {reward_id: int(count) for reward_id, count in rows}


async def by_key(session: AsyncSession, idempotency_key: str) -> Redemption | None:
    return await session.scalar(select(Redemption).where(Redemption.idempotency_key == idempotency_key))


async def add(session: AsyncSession, redemption: Redemption) -> Redemption:
    session.add(redemption)
    await session.flush()
    return redemption


async def redemption_in_program(session: AsyncSession, program_id: str, redemption_id: int, *,
                                lock: bool = False) -> Redemption | None:
    query = select(Redemption).where(Redemption.id == redemption_id, Redemption.program_id == program_id)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query.execution_options(populate_existing=True))


async def listed(session: AsyncSession, program_id: str, status: str,
                 limit: int) -> list[tuple[Redemption, Reward]]:
    """Redemptions in one status, oldest first."""
    rows = await session.execute(select(Redemption, Reward).join(Reward, Reward.id == Redemption.reward_id)
                                 .where(Redemption.program_id == program_id, Redemption.status == status)
                                 .order_by(Redemption.id).limit(limit))
    return [(r, w) for r, w in rows.tuples()]


async def count(session: AsyncSession, program_id: str, status: str) -> int:
    return int(await session.scalar(select(func.count()).select_from(Redemption).where(
        Redemption.program_id == program_id, Redemption.status == status)) or 0)


async def pending_of(session: AsyncSession, reward_id: int) -> int:
    """Redemptions of one reward still waiting for a moderator."""
    return int(await session.scalar(select(func.count()).select_from(Redemption).where(
        Redemption.reward_id == reward_id, Redemption.status == PENDING)) or 0)


async def decide(session: AsyncSession, redemption_id: int, status: str, actor: str, now: datetime,
                 **values: object) -> bool:
    """Compare-and-set pending -> ``status``: True only for the one caller that moved it."""
    result = await session.execute(update(Redemption).where(
        Redemption.id == redemption_id, Redemption.status == PENDING)
        .values(status=status, decided_at=now, decided_by=actor, **values))
    return result.rowcount == 1


async def history(session: AsyncSession, program_id: str) -> list[tuple[Redemption, Reward]]:
    """Every redemption of the program, in order (for exports and reports)."""
    rows = await session.execute(select(Redemption, Reward).join(Reward, Reward.id == Redemption.reward_id)
                                 .where(Redemption.program_id == program_id).order_by(Redemption.id))
    return [(r, w) for r, w in rows.tuples()]


# ---- points expiry -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Flow:
    """A member's ledger in one program as the FIFO expiry rule reads it: all points ever taken
    (``debits``) and, for each threshold, the points credited before it (``credited[k]``)."""

    member_id: int
    debits: int
    credited: tuple[int, ...]


async def holders(session: AsyncSession, program_id: str) -> list[int]:
    """Members with points to lose, in member order."""
    rows = await session.scalars(select(Balance.member_id).where(Balance.program_id == program_id,
                                                                 Balance.balance > 0).order_by(Balance.member_id))
    return list(rows)


async def flows(session: AsyncSession, program_id: str, member_ids: Sequence[int],
                thresholds: Sequence[datetime]) -> list[Flow]:
    """One pass over the members' entries: their debits and credits before each threshold."""
    delta, at = LedgerEntry.delta, LedgerEntry.created_at
    credited = [func.sum(case((and_(delta > 0, at < t), delta), else_=0)) for t in thresholds]
    rows = await session.execute(
        select(LedgerEntry.member_id, func.sum(case((delta < 0, -delta), else_=0)), *credited)
        .where(LedgerEntry.program_id == program_id, LedgerEntry.member_id.in_(list(member_ids)))
        .group_by(LedgerEntry.member_id).order_by(LedgerEntry.member_id))
    return [Flow(row[0], int(row[1] or 0), tuple(int(v or 0) for v in row[2:])) for row in rows]


async def warned(session: AsyncSession, program_id: str, member_ids: Sequence[int],
                 since: date) -> set[tuple[int, date, str]]:
    """(member, expiry day, kind) of the warnings already sent for days from ``since`` on."""
    rows = await session.execute(select(ExpiryWarning.member_id, ExpiryWarning.expires_on, ExpiryWarning.kind)
                                 .where(ExpiryWarning.program_id == program_id,
                                        ExpiryWarning.member_id.in_(list(member_ids)),
                                        ExpiryWarning.expires_on >= since))
    return {(m, d, k) for m, d, k in rows}


async def record_warnings(session: AsyncSession, rows: list[ExpiryWarning]) -> None:
    session.add_all(rows)
    await session.flush()


@dataclass(frozen=True)
class RedeemedReward:
    """One reward's redemptions made in a period, by where they stand now; ``points`` is what the
    redemptions not rejected (refunded) took."""

    reward: str
    redemptions: int
    pending: int
    fulfilled: int
    rejected: int
    points: int


async def redeemed_between(session: AsyncSession, program_id: str, start: datetime,
                           end: datetime) -> list[RedeemedReward]:
    """Redemptions made in [start, end) per reward, most redeemed first: one grouped query."""
    def of(status: str) -> ColumnElement[int]:
        return func.sum(case((Redemption.status == status, 1), else_=0))

    kept = func.sum(case((Redemption.status != REJECTED, Redemption.cost), else_=0))
    rows = await session.execute(
        select(Reward.name, func.count(), of(PENDING), of(FULFILLED), of(REJECTED), kept)
        .join(Reward, Reward.id == Redemption.reward_id)
        .where(Redemption.program_id == program_id, Redemption.created_at >= start, Redemption.created_at < end)
        .group_by(Reward.id, Reward.name).order_by(func.count().desc(), Reward.name))
    return [RedeemedReward(name, int(n), int(p or 0), int(f or 0), int(r or 0), int(points or 0))
            for name, n, p, f, r, points in rows.tuples()]
