"""One-time codes that join two platform identities into one member."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Balance, EngagementState, LinkCode


async def issue(session: AsyncSession, code: str, member_id: int, platform: str, now: datetime,
                expires_at: datetime) -> None:
    session.add(LinkCode(code=code, member_id=member_id, platform=platform, created_at=now, expires_at=expires_at))


async def claim(session: AsyncSession, code: str, now: datetime) -> LinkCode | None:
    """Mark an unexpired, unused code redeemed and return it; None if not claimable.

    The conditional UPDATE makes redemption single-use even under races."""
    result = await session.execute(update(LinkCode.__table__).where(
        LinkCode.__table__.c.code == code, LinkCode.__table__.c.redeemed_at.is_(None),
        LinkCode.__table__.c.expires_at > now).values(redeemed_at=now))
    if result.rowcount != 1:
        return None
    return await session.get(LinkCode, code)


async def balances_of(session: AsyncSession, member_id: int) -> list[tuple[str, int, int]]:
    rows = await session.execute(select(Balance.program_id, Balance.balance, Balance.lifetime)
                                 .where(Balance.member_id == member_id).order_by(Balance.program_id))
    return [(r.program_id, r.balance, r.lifetime) for r in rows]


async def merge_engagement(session: AsyncSession, loser: int, survivor: int) -> None:
    """Keep the longer streak and any freeze when two members become one."""
    rows = await session.scalars(select(EngagementState).where(EngagementState.member_id == loser))
    for old in rows.all():
        kept = await session.get(EngagementState, (old.program_id, survivor))
        if kept is None:
            session.add(EngagementState(program_id=old.program_id, member_id=survivor, day_points=old.day_points,
                                        streak=old.streak, streak_day=old.streak_day, day=old.day,
                                        last_earned_at=old.last_earned_at, frozen=old.frozen))
            continue
        kept.streak = max(kept.streak, old.streak)
        kept.frozen = kept.frozen or old.frozen
