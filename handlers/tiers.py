"""Tiers from lifetime points, and the event when a member crosses one."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.config_model import Program
from handlers.replies import TierChanged
from storage import members


def tier_for(program: Program, lifetime: int) -> str:
    name = program.tiers[0].name
    for tier in program.tiers:
        if lifetime >= tier.min_points:
            name = tier.name
    return name


async def change(session: AsyncSession, program: Program, member_id: int,
                 old_lifetime: int, new_lifetime: int) -> tuple[TierChanged, ...]:
    """A one-element tuple with the event if the tier moved, else empty."""
    old, new = tier_for(program, old_lifetime), tier_for(program, new_lifetime)
    if old == new:
        return ()
    accounts = tuple((i.platform, i.platform_user_id) for i in await members.identities(session, member_id))
    return (TierChanged(program.id, member_id, old, new, accounts),)
