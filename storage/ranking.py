"""Leaderboard queries over lifetime points."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Balance, Member, ScoreCount


@dataclass(frozen=True)
class Standing:
    member_id: int
    lifetime: int
    balance: int
    rank: int


async def standing(session: AsyncSession, program_id: str, member_id: int) -> Standing | None:
    row = (await session.execute(select(Balance.balance, Balance.lifetime).where(
        Balance.program_id == program_id, Balance.member_id == member_id))).one_or_none()
    if row is None:
        return None
    return Standing(member_id, row.lifetime, row.balance, await rank_of(session, program_id, row.lifetime))


async def rank_of(session: AsyncSession, program_id: str, lifetime: int) -> int:
    """1 + members with strictly more lifetime points (ties share a rank)."""
    above = await session.scalar(select(func.coalesce(func.sum(ScoreCount.members), 0)).where(
        ScoreCount.program_id == program_id, ScoreCount.score > lifetime))
    return 1 + int(above or 0)


async def top(session: AsyncSession, program_id: str, limit: int, offset: int = 0) -> list[Standing]:
    """One leaderboard page. Members merged into another by ``/link`` keep an
    emptied balance row (the ledger is append-only) but are no longer anyone,
    so they are left out."""
    rows = (await session.execute(
        select(Balance.member_id, Balance.lifetime, Balance.balance)
        .join(Member, Member.id == Balance.member_id)
        .where(Balance.program_id == program_id, Member.merged_into.is_(None))
        .order_by(Balance.lifetime.desc(), Balance.member_id).limit(limit).offset(offset))).all()
    out: list[Standing] = []
    for i, row in enumerate(rows):
        same_as_previous = out and out[-1].lifetime == row.lifetime
        rank = out[-1].rank if same_as_previous else (
            offset + i + 1 if i else await rank_of(session, program_id, row.lifetime))
        out.append(Standing(row.member_id, row.lifetime, row.balance, rank))
    return out


async def member_count(session: AsyncSession, program_id: str) -> int:
    """Members on the leaderboard: the rank histogram's total less the
    merged-away members it still counts. Those hold no points (their balance
    moved to the surviving member), so they are found through the rank index
    among the few rows at zero or below, not by scanning every balance."""
    total = await session.scalar(select(func.coalesce(func.sum(ScoreCount.members), 0))
                                 .where(ScoreCount.program_id == program_id))
    merged = await session.scalar(
        select(func.count()).select_from(Balance).join(Member, Member.id == Balance.member_id)
        .where(Balance.program_id == program_id, Balance.lifetime <= 0, Member.merged_into.is_not(None)))
    return int(total or 0) - int(merged or 0)
