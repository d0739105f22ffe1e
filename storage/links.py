"""One-time codes that join two platform identities into one member."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import locks
from storage.models import Balance, EngagementState, LinkCode


async def issue(session: AsyncSession, code: str, member_id: int, platform: str, program_id: str, now: datetime,
                expires_at: datetime) -> None:
    session.add(LinkCode(code=code, member_id=member_id, platform=platform, program_id=program_id, created_at=now,
                         expires_at=expires_at))


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
    """Fold the loser's rule state into the survivor's in every program: one
    person keeps one daily cap, their live streak and any freeze."""
    programs = (await session.scalars(select(EngagementState.program_id)
                                      .where(EngagementState.member_id == loser)
                                      .order_by(EngagementState.program_id))).all()
    for program_id in programs:
        states = await locks.rule_states(session, program_id, {loser, survivor})
        combine(states[survivor], states[loser])


def combine(kept: EngagementState, old: EngagementState) -> None:
    kept.streak_day, kept.streak = joined_streak((kept.streak_day, kept.streak), (old.streak_day, old.streak))
    if old.day is not None and (kept.day is None or old.day > kept.day):
        kept.day, kept.day_points = old.day, old.day_points
    elif old.day is not None and old.day == kept.day:
        kept.day_points += old.day_points
    earned = [t for t in (kept.last_earned_at, old.last_earned_at) if t is not None]
    kept.last_earned_at = max(earned) if earned else None
    kept.frozen = kept.frozen or old.frozen


def joined_streak(*runs: tuple[date | None, int]) -> tuple[date | None, int]:
    """The streak of the union of active-day runs, each given by its last day
    and length: the latest run, extended by any run that touches it."""
    known = sorted((end, length) for end, length in runs if end is not None and length > 0)
    if not known:
        return None, 0
    end, length = known[-1]
    start = end - timedelta(days=length - 1)
    for other_end, other_length in reversed(known[:-1]):
        if other_end >= start - timedelta(days=1):
            start = min(start, other_end - timedelta(days=other_length - 1))
    return end, (end - start).days + 1
