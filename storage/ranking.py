"""Leaderboard queries over lifetime points."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Balance, ScoreCount


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
    rows = (await session.execute(
        select(Balance.member_id, Balance.lifetime, Balance.balance).where(Balance.program_id == program_id)
        .order_by(Balance.lifetime.desc(), Balance.member_id).limit(limit).offset(offset))).all()
    out: list[Standing] = []
    for i, row in enumerate(rows):
        same_as_previous = out and out[-1].lifetime == row.lifetime
        rank = out[-1].rank if same_as_previous else (
            offset + i + 1 if i else await rank_of(session, program_id, row.lifetime))
        out.append(Standing(row.member_id, row.lifetime, row.balance, rank))
    return out


async def member_count(session: AsyncSession, program_id: str) -> int:
    total = await session.scalar(select(func.coalesce(func.sum(ScoreCount.members), 0))
                                 .where(ScoreCount.program_id == program_id))
    return int(total or 0)
