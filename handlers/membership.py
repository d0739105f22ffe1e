"""Joins and leaves, recorded with the invite used (for referral attribution later)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import targets
from handlers.context import Context
from storage.models import MembershipEvent


async def record(session: AsyncSession, ctx: Context, kind: str, invite: str | None = None) -> int:
    member_id = await targets.actor_member(session, ctx)
    session.add(MembershipEvent(program_id=ctx.program.id, platform=ctx.platform, community_id=ctx.community_id,
                                member_id=member_id, kind=kind, invite=invite[:200] if invite else None,
                                created_at=ctx.now))
    return member_id
