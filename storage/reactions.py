"""Distinct reactors per message: the unit reaction points are paid for."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Reaction


async def find(session: AsyncSession, platform: str, community_id: str, message_id: str,
               reactor: int) -> Reaction | None:
    return await session.scalar(select(Reaction).where(
        Reaction.platform == platform, Reaction.community_id == community_id,
        Reaction.platform_message_id == message_id, Reaction.reactor_member_id == reactor).with_for_update())
