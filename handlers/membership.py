"""Joins and leaves, recorded with the invite used and how it was attributed (for referrals)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import targets
from handlers.context import Context
from handlers.referrals import joins
from storage.models import MembershipEvent

Attribution = Literal["exact", "ambiguous", "unattributed"]


@dataclass(frozen=True)
class JoinEvidence:
    """How the adapter tied a join to an invite, and why: ``exact`` names one invite for sure
    (Telegram's chat_member invite_link; the one Discord invite whose use count rose by one);
    ``ambiguous`` when several could match; ``unattributed`` for a public link, the primary link or a
    vanity URL. ``evidence`` is the human-readable reason kept with the join. ``account_created_at``
    (naive UTC) is the platform account's age where the platform gives it (Discord snowflakes)."""

    attribution: Attribution
    evidence: str
    invite: str | None = None
    account_created_at: datetime | None = None


async def record(session: AsyncSession, ctx: Context, kind: str, invite: str | None = None,
                 evidence: JoinEvidence | None = None) -> int:
    """Store the event; a join is also recorded as a referral join (``handlers.referrals.joins``), and a
    leave drops or claws back the member's referrals into this community."""
    member_id = await targets.actor_member(session, ctx)
    event = MembershipEvent(program_id=ctx.program.id, platform=ctx.platform, community_id=ctx.community_id,
                            member_id=member_id, kind=kind, invite=invite[:200] if invite else None,
                            created_at=ctx.now)
    session.add(event)
    await session.flush()
    if kind == "join":
        await joins.on_join(session, ctx, member_id, event.id, evidence)
    elif kind == "leave":
        await joins.on_leave(session, ctx, member_id)
    return member_id
