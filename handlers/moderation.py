"""Moderator commands: award, deduct, freeze, unfreeze.

Adjustments are ledger entries whose actor is the moderator's account and
whose idempotency key is the platform's event id, so a retried interaction
cannot pay twice.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import targets, tiers, validation
from handlers.context import Context
from handlers.errors import UserError
from handlers.i18n import translate
from handlers.replies import Reply
from storage import ledger, locks
from storage.ledger import InsufficientBalance, Posting
from storage.models import Reason


async def adjust(session: AsyncSession, ctx: Context, ref: object, raw_amount: object, raw_reason: object,
                 sign: int) -> Reply:
    amount = validation.amount(raw_amount, ctx.program.rules.max_adjustment)
    reason = validation.reason(raw_reason)
    member_id, name = await targets.resolve(session, ctx, ref)
    member_id, _ = await locks.lock_member(session, ctx.program.id, member_id)
    kind = Reason.MODERATOR_AWARD if sign > 0 else Reason.MODERATOR_DEDUCT
    try:
        posted = await ledger.post(session, Posting(
            program_id=ctx.program.id, member_id=member_id, delta=sign * amount, reason=kind,
            idempotency_key=f"mod:{ctx.platform}:{ctx.event_id}", actor=ctx.actor.tag,
            reference=f"{ctx.platform}:command:{ctx.event_id}", note=reason, created_at=ctx.now))
    except InsufficientBalance as exc:
        raise UserError("error.insufficient", name=name, balance=exc.balance, amount=amount) from None
    if posted.duplicate:
        return Reply(translate("duplicate_event", ctx.locale))
    events = await tiers.change(session, ctx.program, member_id, posted.old_lifetime, posted.lifetime)
    key = "award.done" if sign > 0 else "deduct.done"
    return Reply(translate(key, ctx.locale, amount=amount, name=name, reason=reason, balance=posted.balance),
                 events=events)


async def set_frozen(session: AsyncSession, ctx: Context, ref: object, frozen: bool) -> Reply:
    member_id, name = await targets.resolve(session, ctx, ref)
    _, state = await locks.lock_member(session, ctx.program.id, member_id)
    state.frozen = frozen
    return Reply(translate("freeze.done" if frozen else "unfreeze.done", ctx.locale, name=name))
