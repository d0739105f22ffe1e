"""Points to a message's author for each distinct member who reacts.

A member's several emoji on one message count once. Self-reactions earn
nothing. When a member's last emoji on the message is removed, a reversing
entry takes the points back; reacting again pays again under a new
generation number, so add/remove cycles net to zero and every key is unique.
A reversal takes back at most what is left: no more than the current balance
(which never goes below zero) and no more than the current lifetime points
(after a deduction, lifetime may already be below what the reaction paid).
In a campaign window or for a tier with a multiplier the reaction pays
``reaction_points`` multiplied (``handlers.campaigns.multiplier``); taking
it back takes what it paid, and the reversal carries the same campaign note,
so what a campaign paid nets out.
The author's member and rule-state locks (``storage.locks``) are held before
anything is read, so a concurrent deduction or ``/link`` cannot slip between
reading the balance and reversing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import targets, tiers
from handlers.campaigns import multiplier
from handlers.context import Context
from handlers.replies import TierChanged
from storage import engagement, ledger, locks, ranking, reactions
from storage.ledger import Posting
from storage.models import Reaction, Reason


@dataclass(frozen=True)
class ReactionOutcome:
    author_member_id: int | None
    delta: int
    events: tuple[TierChanged, ...] = ()


async def on_reaction(session: AsyncSession, ctx: Context, message_id: str, added: bool) -> ReactionOutcome:
    written_by = await engagement.message_author(session, ctx.platform, ctx.community_id, message_id)
    if written_by is None:
        return ReactionOutcome(None, 0)
    author, state = await locks.lock_member(session, ctx.program.id, written_by)
    reactor = await targets.actor_member(session, ctx)
    if reactor == author:
        return ReactionOutcome(author, 0)
    row = await reactions.find(session, ctx.platform, ctx.community_id, message_id, reactor)
    if added:
        return await _added(session, ctx, message_id, author, reactor, row, state.frozen)
    return await _removed(session, ctx, message_id, author, row)


async def _added(session: AsyncSession, ctx: Context, message_id: str, author: int, reactor: int,
                 row: Reaction | None, frozen: bool) -> ReactionOutcome:
    if row is None:
        row = Reaction(program_id=ctx.program.id, platform=ctx.platform, community_id=ctx.community_id,
                       platform_message_id=message_id, author_member_id=author, reactor_member_id=reactor,
                       emojis=0, generation=0, created_at=ctx.now)
        session.add(row)
    row.emojis += 1
    if row.emojis > 1:
        return ReactionOutcome(author, 0)
    row.generation += 1
    base = ctx.program.rules.reaction_points
    if base == 0 or frozen:
        row.generation -= 1
        return ReactionOutcome(author, 0)
    rates = await multiplier.load(session, ctx.program, {author}, ctx.now, ctx.now)
    worth = rates.apply(author, ctx.now, multiplier.REACTIONS, base)
    points = worth.points
    posted = await ledger.post(session, Posting(
        program_id=ctx.program.id, member_id=author, delta=points, reason=Reason.REACTION,
        idempotency_key=f"react:{ctx.platform}:{ctx.community_id}:{message_id}:{reactor}:{row.generation}",
        reference=f"{ctx.platform}:message:{message_id}", actor=ctx.actor.tag, created_at=ctx.now,
        note=worth.note))
    events = await tiers.change(session, ctx.program, author, posted.old_lifetime, posted.lifetime)
    return ReactionOutcome(author, points, events)


async def _removed(session: AsyncSession, ctx: Context, message_id: str, author: int,
                   row: Reaction | None) -> ReactionOutcome:
    if row is None or row.emojis == 0:
        return ReactionOutcome(author, 0)
    row.emojis -= 1
    if row.emojis > 0:
        return ReactionOutcome(author, 0)
    paid_key = f"react:{ctx.platform}:{ctx.community_id}:{message_id}:{row.reactor_member_id}:{row.generation}"
    paid = await ledger.find_by_key(session, paid_key)
    if paid is None:
        return ReactionOutcome(author, 0)
    current = await ranking.standing(session, ctx.program.id, author)
    take = min(paid.delta, current.balance) if current else 0
    take_lifetime = min(paid.lifetime_delta, current.lifetime) if current else 0
    posted = await ledger.post(session, Posting(
        program_id=ctx.program.id, member_id=author, delta=-take, lifetime_delta=-max(take_lifetime, 0),
        reason=Reason.REACTION_REVERSED, idempotency_key=f"un{paid_key}", reference=f"entry:{paid.id}",
        actor=ctx.actor.tag, created_at=ctx.now, note=paid.note))
    events = await tiers.change(session, ctx.program, author, posted.old_lifetime, posted.lifetime)
    return ReactionOutcome(author, -take, events)
