"""``/redeem``: points and one unit of stock for a reward, in one transaction.

Locks in the order every use case takes them (``storage.locks``): the
member and their rule state first, so one member's redemptions queue and a
balance is read only while nothing else can spend it; then the reward row,
so redemptions of the last unit queue and the stock compare-and-set decides
one winner; then the ledger's chain head inside ``ledger.post``, which
re-checks the balance. The spend's idempotency key comes from the platform
event (``Context.event_id``), and the member lock makes a redelivered
interaction find the redemption its first delivery made.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import targets, tiers
from handlers.context import Context
from handlers.errors import UserError
from handlers.i18n import translate
from handlers.replies import Reply
from handlers.rewards import catalog
from storage import ledger, locks, ranking, rewards
from storage.ledger import InsufficientBalance, Posting
from storage.models import Reason
from storage.rewards import PENDING, Redemption, Reward


def spend_key(ctx: Context) -> str:
    return f"reward:{ctx.program.id}:{ctx.platform}:{ctx.event_id}"


def _short(row: Reward, balance: int) -> UserError:
    return UserError("error.reward.short", name=row.name, cost=row.cost, balance=balance,
                     missing=row.cost - balance)


async def _check_tier(session: AsyncSession, ctx: Context, member_id: int, row: Reward,
                      lifetime: int) -> None:
    """The tier the member holds (``tiers.held_tier``) must reach the reward's; a member whose lifetime
    points would reach it but whom the rolling rule holds lower is told so, not just "you are Silver"."""
    tier = await tiers.held_tier(session, ctx.program, member_id, lifetime)
    needed = catalog.tier_rank(ctx.program, row.min_tier)
    if catalog.tier_rank(ctx.program, tier) >= needed:
        return
    by_lifetime = tiers.tier_for(ctx.program, lifetime)
    if catalog.tier_rank(ctx.program, by_lifetime) >= needed:
        raise UserError("error.reward.below_held_tier", name=row.name, tier=row.min_tier, yours=tier,
                        lifetime=by_lifetime)
    raise UserError("error.reward.below_tier", name=row.name, tier=row.min_tier, yours=tier)


async def _check(session: AsyncSession, ctx: Context, member_id: int, row: Reward) -> None:
    """Refuse with the reason the member cannot have the reward now."""
    if row.retired_at is not None:
        raise UserError("error.reward.retired", id=row.id, name=row.name)
    if row.stock == 0:
        raise UserError("error.reward.out_of_stock", name=row.name)
    standing = await ranking.standing(session, ctx.program.id, member_id)
    balance, lifetime = (standing.balance, standing.lifetime) if standing else (0, 0)
    await _check_tier(session, ctx, member_id, row, lifetime)
    if row.per_member_limit is not None:
        held = (await rewards.held(session, ctx.program.id, member_id)).get(row.id, 0)
        if held >= row.per_member_limit:
            raise UserError("error.reward.limit_reached", name=row.name, limit=row.per_member_limit)
    if row.cost > balance:
        raise _short(row, balance)


async def redeem(session: AsyncSession, ctx: Context, reward: object) -> Reply:
    named = await catalog.resolve(session, ctx, reward)
    member_id, _ = await locks.lock_member(session, ctx.program.id, await targets.actor_member(session, ctx))
    key = spend_key(ctx)
    if await rewards.by_key(session, key) is not None:
        return Reply(translate("duplicate_event", ctx.locale), private=True)
    row = await rewards.in_program(session, ctx.program.id, named.id, lock=True)
    assert row is not None
    await _check(session, ctx, member_id, row)
    if not await rewards.take_unit(session, row.id):
        raise UserError("error.reward.out_of_stock", name=row.name)
    try:
        posted = await ledger.post(session, Posting(
            program_id=ctx.program.id, member_id=member_id, delta=-row.cost, lifetime_delta=0,
            reason=Reason.REWARD_REDEEM, idempotency_key=key, actor=ctx.actor.tag,
            reference=f"reward:{row.id}", note=row.name[:200], created_at=ctx.now))
    except InsufficientBalance as exc:
        raise _short(row, exc.balance) from None
    assert posted.entry_id is not None
    made = await rewards.add(session, Redemption(
        program_id=ctx.program.id, reward_id=row.id, member_id=member_id, cost=row.cost, status=PENDING,
        spend_entry_id=posted.entry_id, idempotency_key=key, created_at=ctx.now))
    return Reply(translate("reward.redeemed", ctx.locale, name=row.name, cost=row.cost, id=made.id,
                           balance=posted.balance), private=True)
