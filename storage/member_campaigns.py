"""Member campaigns: birthdays, tier perks and win-back nudges; their tables and the queries on them.

``member_campaign_sends`` is the once-only log of what a timed run gave a
member: a row per (program, member, kind, period), inserted with ``ON
CONFLICT DO NOTHING`` before anything is paid or sent, so a run that fires
twice, in two processes or again after a restart finds the row and does
nothing (the ledger's idempotency keys guard the points a second time).
``member_tiers`` holds a tier only for members held *below* their lifetime
tier by the rolling rule; everyone else's tier is the lifetime one.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    delete,
    distinct,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Balance, Base, BigId, LedgerEntry, Member, Message, Reason
from storage.upsert import insert_for

BIRTHDAY, TIER_BONUS, TIER_WARNING = "birthday", "tier_bonus", "tier_warning"
SENT, RETURNED, EXPIRED = "sent", "returned", "expired"


class MemberBirthday(Base):
    """A member's birthday in one program; ``set_at`` is when it was last set (changes: once a year)."""

    __tablename__ = "member_birthdays"
    __table_args__ = (Index("ix_birthday_day", "program_id", "month", "day"),)
    program_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    month: Mapped[int] = mapped_column(Integer)
    day: Mapped[int] = mapped_column(Integer)
    set_at: Mapped[datetime] = mapped_column(DateTime)


class CampaignSend(Base):
    """Something a timed run gave a member once: ``kind`` birthday (period: the year), tier_bonus (the
    month, ``YYYY-MM``) or tier_warning (the month of the review it warns about)."""

    __tablename__ = "member_campaign_sends"
    program_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    detail: Mapped[str] = mapped_column(String(80))
    sent_at: Mapped[datetime] = mapped_column(DateTime)


class HeldTier(Base):
    """A member the rolling rule moved below their lifetime tier: ``tier`` holds until a review moves it,
    or until lifetime points cross a threshold (``lifetime_at`` is the lifetime when it was set)."""

    __tablename__ = "member_tiers"
    program_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    tier: Mapped[str] = mapped_column(String(40))
    lifetime_at: Mapped[int] = mapped_column(BigInteger)
    since: Mapped[datetime] = mapped_column(DateTime)


class WinbackNudge(Base):
    """One win-back DM: ``sent`` until the member earns from a message before ``deadline`` (``returned``,
    paid ``bonus``) or the deadline passes (``expired``)."""

    __tablename__ = "winback_nudges"
    __table_args__ = (
        Index("ix_winback_member", "program_id", "member_id", "sent_at"),
        Index("ix_winback_status", "program_id", "status"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    program_id: Mapped[str] = mapped_column(String(40))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    sent_at: Mapped[datetime] = mapped_column(DateTime)
    deadline: Mapped[datetime] = mapped_column(DateTime)
    bonus: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10))
    settled_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Median days between the member's active days, and days quiet when nudged (why they were picked).
    usual_gap_days: Mapped[float] = mapped_column(Float)
    quiet_days: Mapped[int] = mapped_column(Integer)


class WinbackOptOut(Base):
    """A member who pressed "stop these messages" (or typed ``/winback off``); kept until ``/winback on``."""

    __tablename__ = "winback_optouts"
    program_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    opted_out_at: Mapped[datetime] = mapped_column(DateTime)


async def claim(
    session: AsyncSession,
    program_id: str,
    member_id: int,
    kind: str,
    period: str,
    amount: int,
    detail: str,
    now: datetime,
) -> bool:
    """Record that ``kind`` for ``period`` is given to the member; True only for the one caller whose
    insert made the row."""
    stmt = (
        insert_for(session, CampaignSend.__table__)
        .values(
            program_id=program_id,
            member_id=member_id,
            kind=kind,
            period=period,
            amount=amount,
            detail=detail,
            sent_at=now,
        )
        .on_conflict_do_nothing(index_elements=["program_id", "member_id", "kind", "period"])
    )
    return (await session.execute(stmt)).rowcount == 1


async def claimed(
    session: AsyncSession, program_id: str, member_ids: Collection[int], kind: str, period: str
) -> set[int]:
    rows = await session.scalars(
        select(CampaignSend.member_id).where(
            CampaignSend.program_id == program_id,
            CampaignSend.kind == kind,
            CampaignSend.period == period,
            CampaignSend.member_id.in_(list(member_ids)),
        )
    )
    return set(rows)


async def sends(session: AsyncSession, program_id: str, kind: str) -> list[CampaignSend]:
    return list(
        await session.scalars(
            select(CampaignSend)
            .where(CampaignSend.program_id == program_id, CampaignSend.kind == kind)
            .order_by(CampaignSend.period, CampaignSend.member_id)
        )
    )


# ---- birthdays ----------------------------------------------------------------------------------


async def birthday(session: AsyncSession, program_id: str, member_id: int) -> MemberBirthday | None:
    return await session.scalar(
        select(MemberBirthday)
        .where(MemberBirthday.program_id == program_id, MemberBirthday.member_id == member_id)
        .execution_options(populate_existing=True)
    )


async def set_birthday(
    session: AsyncSession, program_id: str, member_id: int, month: int, day: int, now: datetime
) -> None:
    stmt = insert_for(session, MemberBirthday.__table__).values(
        program_id=program_id, member_id=member_id, month=month, day=day, set_at=now
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["program_id", "member_id"],
            set_={"month": stmt.excluded.month, "day": stmt.excluded.day, "set_at": stmt.excluded.set_at},
        )
    )


async def born_on(session: AsyncSession, program_id: str, days: Sequence[tuple[int, int]]) -> list[int]:
    """Members (not merged away) whose birthday is one of ``(month, day)``, in member order."""
    wanted = [(MemberBirthday.month == m) & (MemberBirthday.day == d) for m, d in days]
    if not wanted:
        return []
    condition = wanted[0]
    for clause in wanted[1:]:
        condition = condition | clause
    rows = await session.scalars(
        select(MemberBirthday.member_id)
        .join(Member, Member.id == MemberBirthday.member_id)
        .where(MemberBirthday.program_id == program_id, Member.merged_into.is_(None), condition)
        .order_by(MemberBirthday.member_id)
    )
    return list(rows)


# ---- tiers --------------------------------------------------------------------------------------


async def holders(session: AsyncSession, program_id: str) -> list[int]:
    """Members with a balance row in the program (not merged away), in member order."""
    rows = await session.scalars(
        select(Balance.member_id)
        .join(Member, Member.id == Balance.member_id)
        .where(Balance.program_id == program_id, Member.merged_into.is_(None))
        .order_by(Balance.member_id)
    )
    return list(rows)


async def lifetimes(session: AsyncSession, program_id: str, member_ids: Collection[int]) -> dict[int, int]:
    rows = await session.execute(
        select(Balance.member_id, Balance.lifetime).where(
            Balance.program_id == program_id, Balance.member_id.in_(list(member_ids))
        )
    )
    return {m: int(v) for m, v in rows}


async def earned_between(
    session: AsyncSession, program_id: str, member_ids: Collection[int], start: datetime, end: datetime
) -> dict[int, int]:
    """Lifetime points each member gained in [start, end): the rolling rule's points (earnings minus
    deductions and reversals; spending does not count against them, as it does not against lifetime).
    The tier's own monthly bonus does not count, or a tier would partly keep itself."""
    rows = await session.execute(
        select(LedgerEntry.member_id, func.sum(LedgerEntry.lifetime_delta))
        .where(
            LedgerEntry.program_id == program_id,
            LedgerEntry.member_id.in_(list(member_ids)),
            LedgerEntry.created_at >= start,
            LedgerEntry.created_at < end,
            LedgerEntry.reason != Reason.TIER_BONUS,
        )
        .group_by(LedgerEntry.member_id)
    )
    return {m: max(0, int(total or 0)) for m, total in rows}


async def held_tiers(
    session: AsyncSession, program_id: str, member_ids: Collection[int] | None
) -> dict[int, HeldTier]:
    """The held rows of these members; ``None`` reads every held member of the program in one query (an
    export's thousands of ids would not fit in one ``IN`` list)."""
    query = select(HeldTier).where(HeldTier.program_id == program_id)
    if member_ids is not None:
        query = query.where(HeldTier.member_id.in_(list(member_ids)))
    rows = await session.scalars(query.execution_options(populate_existing=True))
    return {row.member_id: row for row in rows}


async def hold_tier(
    session: AsyncSession, program_id: str, member_id: int, tier: str, lifetime: int, now: datetime
) -> None:
    stmt = insert_for(session, HeldTier.__table__).values(
        program_id=program_id, member_id=member_id, tier=tier, lifetime_at=lifetime, since=now
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["program_id", "member_id"],
            set_={
                "tier": stmt.excluded.tier,
                "lifetime_at": stmt.excluded.lifetime_at,
                "since": stmt.excluded.since,
            },
        )
    )


async def release_tier(session: AsyncSession, program_id: str, member_id: int) -> None:
    await session.execute(
        delete(HeldTier).where(HeldTier.program_id == program_id, HeldTier.member_id == member_id)
    )


# ---- win-back -----------------------------------------------------------------------------------


async def opted_out(session: AsyncSession, program_id: str, member_id: int) -> bool:
    return (
        await session.scalar(
            select(WinbackOptOut.member_id).where(
                WinbackOptOut.program_id == program_id, WinbackOptOut.member_id == member_id
            )
        )
        is not None
    )


async def set_opt_out(
    session: AsyncSession, program_id: str, member_id: int, out: bool, now: datetime
) -> bool:
    """Opt the member out (or back in); False when that was already so."""
    if not out:
        result = await session.execute(
            delete(WinbackOptOut).where(
                WinbackOptOut.program_id == program_id, WinbackOptOut.member_id == member_id
            )
        )
        return result.rowcount == 1
    stmt = insert_for(session, WinbackOptOut.__table__).values(
        program_id=program_id, member_id=member_id, opted_out_at=now
    )
    return (
        await session.execute(stmt.on_conflict_do_nothing(index_elements=["program_id", "member_id"]))
    ).rowcount == 1


async def quiet_candidates(
    session: AsyncSession,
    program_id: str,
    since: datetime,
    last_before: datetime,
    min_messages: int,
    nudged_since: datetime,
) -> list[int]:
    """Members (not merged away, not opted out, not nudged since ``nudged_since``) with at least
    ``min_messages`` stored messages since ``since`` and none from ``last_before`` on."""
    optouts = select(WinbackOptOut.member_id).where(WinbackOptOut.program_id == program_id)
    recent = select(WinbackNudge.member_id).where(
        WinbackNudge.program_id == program_id, WinbackNudge.sent_at >= nudged_since
    )
    rows = await session.scalars(
        select(Message.member_id)
        .join(Member, Member.id == Message.member_id)
        .where(
            Message.program_id == program_id,
            Message.created_at >= since,
            Member.merged_into.is_(None),
            Message.member_id.not_in(optouts),
            Message.member_id.not_in(recent),
        )
        .group_by(Message.member_id)
        .having(func.count() >= min_messages, func.max(Message.created_at) < last_before)
        .order_by(Message.member_id)
    )
    return list(rows)


async def message_times(
    session: AsyncSession, program_id: str, member_ids: Collection[int], since: datetime
) -> dict[int, list[datetime]]:
    rows = await session.execute(
        select(distinct(Message.created_at), Message.member_id).where(
            Message.program_id == program_id,
            Message.member_id.in_(list(member_ids)),
            Message.created_at >= since,
        )
    )
    out: dict[int, list[datetime]] = {}
    for at, member_id in rows:
        out.setdefault(member_id, []).append(at)
    return out


async def nudged_since(session: AsyncSession, program_id: str, member_id: int, since: datetime) -> bool:
    return (
        await session.scalar(
            select(WinbackNudge.id)
            .where(
                WinbackNudge.program_id == program_id,
                WinbackNudge.member_id == member_id,
                WinbackNudge.sent_at >= since,
            )
            .limit(1)
        )
        is not None
    )


async def add_nudge(session: AsyncSession, nudge: WinbackNudge) -> int:
    session.add(nudge)
    await session.flush()
    return nudge.id


async def open_nudges(session: AsyncSession, program_id: str) -> list[WinbackNudge]:
    return list(
        await session.scalars(
            select(WinbackNudge)
            .where(WinbackNudge.program_id == program_id, WinbackNudge.status == SENT)
            .order_by(WinbackNudge.id)
            .execution_options(populate_existing=True)
        )
    )


async def settle(session: AsyncSession, nudge_id: int, status: str, now: datetime) -> bool:
    """Compare-and-set sent -> ``status``: True only for the caller that moved it."""
    result = await session.execute(
        update(WinbackNudge)
        .where(WinbackNudge.id == nudge_id, WinbackNudge.status == SENT)
        .values(status=status, settled_at=now)
    )
    return result.rowcount == 1


async def earned_message(
    session: AsyncSession, program_id: str, member_ids: Collection[int], start: datetime, end: datetime
) -> bool:
    """Whether any of the accounts earned points from a message in [start, end)."""
    found = await session.scalar(
        select(Message.id)
        .where(
            Message.program_id == program_id,
            Message.member_id.in_(list(member_ids)),
            Message.points > 0,
            Message.created_at >= start,
            Message.created_at < end,
        )
        .limit(1)
    )
    return found is not None


async def nudges(session: AsyncSession, program_id: str) -> list[WinbackNudge]:
    return list(
        await session.scalars(
            select(WinbackNudge).where(WinbackNudge.program_id == program_id).order_by(WinbackNudge.id)
        )
    )
