"""Turning a member named in a command into a member id."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.context import Context, MemberRef
from handlers.errors import UserError
from storage import members


async def resolve(session: AsyncSession, ctx: Context, ref: MemberRef) -> tuple[int, str]:
    """(member id, display name); unknown accounts are refused unless verified."""
    found = None
    if ref.user_id:
        found = await members.find(session, ref.platform, ref.user_id)
    elif ref.username:
        found = await members.find_by_username(session, ref.platform, ref.username)
    if found is not None:
        return found.member_id, found.display_name
    if ref.verified and ref.user_id:
        name = ref.display_name or ref.user_id
        member_id = await members.resolve(session, ref.platform, ref.user_id, name, ref.username, ctx.now)
        return member_id, name
    raise UserError("error.unknown_member", name=ref.label())


async def actor_member(session: AsyncSession, ctx: Context) -> int:
    a = ctx.actor
    return await members.resolve(session, a.platform, a.user_id, a.display_name, a.username, ctx.now)
