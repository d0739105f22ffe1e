"""Turning a member named in a command into a member id of this program.

Members are global (one per person) but a command runs in one community of
one program, so it may only reach members of that program: those who left a
trace there (``storage.members.find_in_program``) or whom the platform
vouches for as being in this community right now (``MemberRef.verified``: a
Discord member option, a Telegram reply in this chat). Everyone else gets the
same "unknown member" answer, whether or not another program knows them.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import validation
from handlers.context import Context, MemberRef
from handlers.errors import UserError
from storage import members


async def resolve(session: AsyncSession, ctx: Context, ref: object) -> tuple[int, str]:
    """(member id, display name) of a member of ``ctx.program``; anything else
    is refused with ``error.unknown_member``."""
    if not isinstance(ref, MemberRef):
        raise UserError("error.unknown_member", name=validation.shown(ref))
    unknown = UserError("error.unknown_member", name=validation.shown(ref.label()))
    user_id = validation.platform_user_id(ref.user_id) if ref.user_id else None
    username = validation.username(ref.username) if ref.username and not ref.user_id else None
    if user_id is None and username is None:
        raise unknown
    if ref.verified and user_id is not None and ref.platform == ctx.platform:
        return await _vouched(session, ctx, ref, user_id)
    found = await members.find_in_program(session, ctx.program.id, ref.platform, user_id=user_id, username=username)
    if found is None:
        raise unknown
    return found.member_id, found.display_name


async def _vouched(session: AsyncSession, ctx: Context, ref: MemberRef, user_id: str) -> tuple[int, str]:
    """An account the platform says is in this community: known or created."""
    found = await members.find(session, ref.platform, user_id)
    if found is not None:
        return found.member_id, found.display_name
    name = ref.display_name or user_id
    member_id = await members.resolve(session, ref.platform, user_id, name, ref.username, ctx.now)
    return member_id, validation.shown(name, members.DISPLAY_NAME_MAX)


async def actor_member(session: AsyncSession, ctx: Context) -> int:
    a = ctx.actor
    return await members.resolve(session, a.platform, a.user_id, a.display_name, a.username, ctx.now)
