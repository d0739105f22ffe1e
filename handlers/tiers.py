"""Tiers from lifetime points, the tier a member holds under the program's tier rule, and the event when a
member crosses one."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.config_model import Program
from handlers.replies import TierChanged
from storage import member_campaigns, members
from storage.member_campaigns import HeldTier

ROLLING = "rolling_12_months"


def tier_for(program: Program, lifetime: int) -> str:
    name = program.tiers[0].name
    for tier in program.tiers:
        if lifetime >= tier.min_points:
            name = tier.name
    return name


def effective(program: Program, lifetime: int, held: HeldTier | None) -> str:
    """The tier a member holds: the lifetime tier, unless the rolling rule holds them below it and their
    lifetime points have not crossed a threshold since."""
    by_lifetime = tier_for(program, lifetime)
    if held is None or program.tier_rule != ROLLING or tier_for(program, held.lifetime_at) != by_lifetime:
        return by_lifetime
    return held.tier


async def held_tier(session: AsyncSession, program: Program, member_id: int, lifetime: int) -> str:
    """The tier every screen and check uses (``/points``, ``/profile``, rewards): under the rolling rule a
    member the monthly review held below their lifetime tier holds the lower one until a review or a
    threshold crossed lifts them; otherwise their lifetime tier, with no query."""
    if program.tier_rule != ROLLING:
        return tier_for(program, lifetime)
    held = await member_campaigns.held_tiers(session, program.id, [member_id])
    return effective(program, lifetime, held.get(member_id))


async def held_tiers(session: AsyncSession, program: Program, lifetimes: Mapping[int, int]) -> dict[int, str]:
    """``held_tier`` for many members (member id -> lifetime points), e.g. a whole program for an export:
    one query for the program's held rows (only members held below their lifetime tier have one)."""
    rolling = program.tier_rule == ROLLING
    held = await member_campaigns.held_tiers(session, program.id, None) if rolling else {}
    return {m: effective(program, lifetime, held.get(m)) for m, lifetime in lifetimes.items()}


async def change(session: AsyncSession, program: Program, member_id: int,
                 old_lifetime: int, new_lifetime: int) -> tuple[TierChanged, ...]:
    """A one-element tuple with the event if the tier moved, else empty. Only a lifetime threshold crossed
    can move it; under the rolling rule the event names the tier the member held (``effective``), so a
    held member's Discord roles move from the held tier, not from one they no longer had."""
    if tier_for(program, old_lifetime) == tier_for(program, new_lifetime):
        return ()
    held = (await member_campaigns.held_tiers(session, program.id, [member_id])).get(member_id) \
        if program.tier_rule == ROLLING else None
    old, new = effective(program, old_lifetime, held), effective(program, new_lifetime, held)
    if old == new:
        return ()
    accounts = tuple((i.platform, i.platform_user_id) for i in await members.identities(session, member_id))
    return (TierChanged(program.id, member_id, old, new, accounts),)
