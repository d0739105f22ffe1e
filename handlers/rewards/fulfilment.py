"""Moderators' side of redemptions: the list, fulfil (with a note DMed to the member) and reject
(the points refunded, the unit back in stock).

Each decision is a compare-and-set on the redemption's status under its row
lock, so a redemption is fulfilled or rejected once, whichever moderator or
redelivered command comes second. A reject locks the member first (the lock
order of ``storage.locks``: member, rule state, redemption, reward, chain
head) and refunds with an entry keyed by the redemption, so it can never
refund twice. The member hears of both decisions by DM (``Notify``).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import validation
from handlers.contests.inputs import shown_time
from handlers.context import Context
from handlers.errors import UserError
from handlers.i18n import translate
from handlers.replies import Notify, Reply
from handlers.rewards import inputs
from storage import ledger, locks, members, rewards
from storage.ledger import Posting
from storage.models import Reason
from storage.rewards import FULFILLED, PENDING, REJECTED, STATUSES, Redemption, Reward

LIST_MAX = 20


def refund_key(program_id: str, redemption_id: int) -> str:
    return f"reward-refund:{program_id}:{redemption_id}"


async def listing(session: AsyncSession, ctx: Context, status: object = None) -> Reply:
    """``/redemptions [status]``: pending ones by default, oldest first."""
    wanted = PENDING if inputs.blank(status) else str(status).strip().lower()
    if wanted not in STATUSES:
        raise UserError("error.redemption.bad_status", value=validation.shown(status), choices=", ".join(STATUSES))
    shown = translate(f"redemption.status.{wanted}", ctx.locale)
    rows = await rewards.listed(session, ctx.program.id, wanted, LIST_MAX)
    if not rows:
        return Reply(translate("redemption.list_empty", ctx.locale, status=shown), private=True)
    total = await rewards.count(session, ctx.program.id, wanted)
    names = await members.display_names(session, [r.member_id for r, _ in rows])
    lines = [translate("redemption.list_head", ctx.locale, status=shown, count=total)]
    for redemption, reward in rows:
        lines.append(translate("redemption.line", ctx.locale, id=redemption.id, reward=reward.name,
                               name=names.get(redemption.member_id, "?"), cost=redemption.cost,
                               at=shown_time(redemption.created_at, ctx.program.timezone)))
        detail = redemption.note if wanted == FULFILLED else redemption.reason if wanted == REJECTED else None
        if detail:
            lines[-1] += f" \u2014 {detail}"
    if total > len(rows):
        lines.append(translate("reward.more", ctx.locale, count=total - len(rows)))
    return Reply("\n".join(lines), private=True)


async def _decidable(session: AsyncSession, ctx: Context, redemption_id: int,
                     doing: str) -> tuple[Redemption, Reward]:
    """The redemption, locked, if it is still pending; else why it cannot be fulfilled or rejected."""
    row = await rewards.redemption_in_program(session, ctx.program.id, redemption_id, lock=True)
    assert row is not None
    if row.status != PENDING:
        raise UserError(f"error.redemption.{doing}_{row.status}", id=row.id)
    reward = await rewards.in_program(session, ctx.program.id, row.reward_id)
    assert reward is not None
    return row, reward


async def _holder(session: AsyncSession, member_id: int) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The name and accounts of whoever holds the redeeming member's points now (after any /link)."""
    holder = (await locks.current_members(session, {member_id}))[member_id]
    name = (await members.display_names(session, [holder])).get(holder, "?")
    accounts = tuple((i.platform, i.platform_user_id) for i in await members.identities(session, holder))
    return name, accounts


async def _peek(session: AsyncSession, ctx: Context, raw: object) -> Redemption:
    """The redemption, unlocked: whose member to lock first, per the lock order."""
    redemption_id = inputs.record_id(raw)
    row = await rewards.redemption_in_program(session, ctx.program.id, redemption_id)
    if row is None:
        raise UserError("error.redemption.unknown", id=redemption_id)
    return row


async def fulfil(session: AsyncSession, ctx: Context, redemption: object, note: object = None) -> Reply:
    text = inputs.text(note, "note", inputs.NOTE_MAX, required=False)
    peek = await _peek(session, ctx, redemption)
    name, accounts = await _holder(session, peek.member_id)
    row, reward = await _decidable(session, ctx, peek.id, "fulfil")
    await rewards.decide(session, row.id, FULFILLED, ctx.actor.tag, ctx.now, note=text or None)
    locale = ctx.program.locale
    told = translate("redemption.fulfilled_notice", locale, id=row.id, reward=reward.name)
    if text:
        told += "\n" + translate("redemption.note", locale, note=text)
    return Reply(translate("redemption.fulfilled", ctx.locale, id=row.id, reward=reward.name, name=name),
                 events=(Notify(accounts, told),))


async def reject(session: AsyncSession, ctx: Context, redemption: object, reason: object) -> Reply:
    why = validation.reason(reason)
    peek = await _peek(session, ctx, redemption)
    await locks.lock_member(session, ctx.program.id, peek.member_id)
    row, reward = await _decidable(session, ctx, peek.id, "reject")
    await rewards.return_unit(session, reward.id)
    posted = await ledger.post(session, Posting(
        program_id=ctx.program.id, member_id=row.member_id, delta=row.cost, lifetime_delta=0,
        reason=Reason.REWARD_REFUND, idempotency_key=refund_key(ctx.program.id, row.id), actor=ctx.actor.tag,
        reference=f"entry:{row.spend_entry_id}", note=why, created_at=ctx.now))
    await rewards.decide(session, row.id, REJECTED, ctx.actor.tag, ctx.now, reason=why,
                         refund_entry_id=posted.entry_id)
    name, accounts = await _holder(session, row.member_id)
    told = translate("redemption.rejected_notice", ctx.program.locale, id=row.id, reward=reward.name, reason=why,
                     cost=row.cost, balance=posted.balance)
    return Reply(translate("redemption.rejected", ctx.locale, id=row.id, reward=reward.name, name=name,
                           cost=row.cost),
                 events=(Notify(accounts, told),))
