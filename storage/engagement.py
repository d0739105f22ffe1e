"""Per-member anti-farming and streak state, and the messages table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import EngagementState, Message
from storage.upsert import insert_for


async def state(session: AsyncSession, program_id: str, member_id: int) -> EngagementState:
    found = await session.get(EngagementState, (program_id, member_id))
    if found is not None:
        return found
    fresh = EngagementState(program_id=program_id, member_id=member_id, day_points=0, streak=0, frozen=False)
    session.add(fresh)
    return fresh


async def store_message(session: AsyncSession, **values: object) -> int | None:
    """Insert a message; None if this platform message was already stored."""
    stmt = insert_for(session, Message.__table__).values(**values).on_conflict_do_nothing(
        index_elements=["platform", "community_id", "platform_message_id"]).returning(Message.__table__.c.id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def seen_recently(session: AsyncSession, member_id: int, text_hash: str, since: datetime,
                        exclude_id: int) -> bool:
    """Did this text already earn for this member since ``since``?"""
    found = await session.scalar(select(Message.id).where(
        Message.member_id == member_id, Message.text_hash == text_hash, Message.created_at >= since,
        Message.id != exclude_id, Message.points > 0).limit(1))
    return found is not None


async def record_outcome(session: AsyncSession, message_id: int, points: int, refusal: str | None) -> None:
    await session.execute(update(Message.__table__).where(Message.__table__.c.id == message_id)
                          .values(points=points, refusal=refusal))


async def message_author(session: AsyncSession, platform: str, community_id: str,
                         platform_message_id: str) -> int | None:
    return await session.scalar(select(Message.member_id).where(
        Message.platform == platform, Message.community_id == community_id,
        Message.platform_message_id == platform_message_id))
