"""Joins and leaves as referrals see them, inside the membership event's unit of work.

Every join is recorded with its attribution and evidence. Only an exact
attribution to one of our personal links can become a referral, and it is
judged at once by the fraud rules: the inviter's own accounts (merged by
``/link``, compared as the members holding the points now), anyone who was
in the program before, and platform accounts younger than the minimum age
are rejected; the rest wait as pending for the qualification check.
Ambiguous and unattributed joins are recorded, never credited: a guess
would pay the wrong inviter.

A leave drops a pending referral (left early) and claws back a qualified
one within ``referrals.clawback_days`` of qualifying: a reversing ledger
entry, keyed per join, takes back the payout, at most what the inviter's
balance still holds (balances never go below zero), and the row records
what was taken.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.context import Context
from handlers.referrals import keys
from storage import ledger, locks, ranking, referrals
from storage.ledger import Posting
from storage.models import Reason
from storage.referrals import (
    ACCOUNT_TOO_YOUNG,
    CLAWED_BACK,
    DROPPED,
    EVIDENCE_MAX,
    EXACT,
    LEFT_AFTER,
    LEFT_EARLY,
    NOT_REFERRAL,
    PENDING,
    QUALIFIED,
    REJECTED,
    REJOIN,
    SELF_REFERRAL,
    UNATTRIBUTED,
    ReferralJoin,
)

if TYPE_CHECKING:
    from handlers.membership import JoinEvidence

NO_EVIDENCE = "the adapter gave no attribution for this join"


async def on_join(session: AsyncSession, ctx: Context, member_id: int, event_id: int,
                  evidence: JoinEvidence | None) -> None:
    """Record the join; a pending referral when it is exact, through our link, and passes the fraud rules.
    A join without evidence (an adapter that cannot attribute) is recorded unattributed."""
    attribution = evidence.attribution if evidence is not None else UNATTRIBUTED
    values = {"program_id": ctx.program.id, "platform": ctx.platform, "community_id": ctx.community_id,
              "member_id": member_id, "membership_event_id": event_id, "attribution": attribution,
              "evidence": (evidence.evidence if evidence is not None else NO_EVIDENCE)[:EVIDENCE_MAX],
              "joined_at": ctx.now}
    link = None
    if evidence is not None and attribution == EXACT and evidence.invite:
        link = await referrals.link_for_invite(session, ctx.program.id, ctx.platform, ctx.community_id,
                                               evidence.invite)
    if evidence is None or link is None:
        reason = NOT_REFERRAL if attribution == EXACT else attribution
        await referrals.add_join(session, **values, status=REJECTED, reason=reason, decided_at=ctx.now)
        return
    current = await locks.current_members(session, {member_id, link.member_id})
    joiner, inviter = current[member_id], current[link.member_id]
    reason = await _fraud(session, ctx, joiner, inviter, event_id, evidence)
    if reason is not None:
        await referrals.add_join(session, **values, link_id=link.id, inviter_member_id=inviter, status=REJECTED,
                                 reason=reason, decided_at=ctx.now)
        return
    due = ctx.now + timedelta(days=ctx.program.referrals.qualify_days)
    await referrals.add_join(session, **values, link_id=link.id, inviter_member_id=inviter, status=PENDING,
                             due_at=due)


async def _fraud(session: AsyncSession, ctx: Context, joiner: int, inviter: int, event_id: int,
                 evidence: JoinEvidence) -> str | None:
    """Why this join may never pay, checked in this order; None when it may."""
    if joiner == inviter:
        return SELF_REFERRAL
    if await referrals.was_in_program(session, ctx.program.id, await referrals.aliases(session, joiner), ctx.now,
                                      event_id):
        return REJOIN
    created = evidence.account_created_at
    if created is not None and ctx.now - created < timedelta(days=ctx.program.referrals.min_account_age_days):
        return ACCOUNT_TOO_YOUNG
    return None


async def on_leave(session: AsyncSession, ctx: Context, member_id: int) -> None:
    """Drop the member's pending referrals into this community; claw back recently qualified ones."""
    person = (await referrals.survivors(session, [member_id]))[member_id]
    joins = await referrals.open_joins(session, ctx.program.id, ctx.platform, ctx.community_id,
                                       await referrals.aliases(session, person))
    if not joins:
        return
    inviters = {j.inviter_member_id for j in joins if j.inviter_member_id is not None}
    current = await locks.current_members(session, {member_id, *inviters})
    for join in joins:
        if join.status == PENDING:
            await referrals.move(session, join.id, PENDING, status=DROPPED, reason=LEFT_EARLY, due_at=None,
                                 decided_at=ctx.now)
        elif join.status == QUALIFIED and join.inviter_member_id is not None and _in_clawback(ctx, join):
            await _claw_back(session, ctx, join, current[join.inviter_member_id])


def _in_clawback(ctx: Context, join: ReferralJoin) -> bool:
    days = ctx.program.referrals.clawback_days
    return days > 0 and join.decided_at is not None and ctx.now <= join.decided_at + timedelta(days=days)


async def _claw_back(session: AsyncSession, ctx: Context, join: ReferralJoin, inviter: int) -> None:
    await locks.rule_states(session, ctx.program.id, {inviter})
    if not await referrals.move(session, join.id, QUALIFIED, status=CLAWED_BACK, reason=LEFT_AFTER,
                                decided_at=ctx.now):
        return
    paid = await ledger.find_by_key(session, keys.payout(ctx.program.id, join.id))
    standing = await ranking.standing(session, ctx.program.id, inviter)
    taken = min(paid.delta, standing.balance) if paid is not None and standing is not None else 0
    if paid is not None and standing is not None and taken > 0:
        await ledger.post(session, Posting(
            program_id=ctx.program.id, member_id=inviter, delta=-taken,
            lifetime_delta=-min(taken, standing.lifetime), reason=Reason.REFERRAL_CLAWBACK,
            idempotency_key=keys.clawback(ctx.program.id, join.id), actor=ctx.actor.tag,
            reference=f"entry:{paid.id}", note=f"referral #{join.id}: the member left soon after qualifying",
            created_at=ctx.now))
    await referrals.move(session, join.id, CLAWED_BACK, clawed_back=taken)
