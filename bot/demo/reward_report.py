"""The demo report's rewards sections, read back from storage: the catalog with its stock, every
redemption with its status and ledger entries, and each command of the demo with the bot's answer."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.demo.rewards import Outcome
from bot.demo.tables import Section, figure
from handlers.config_model import Program
from storage import members, rewards


async def _catalog(session: AsyncSession, program: Program) -> Section:
    rows = await rewards.catalog(session, program.id, retired=True)
    taken: dict[int, int] = {}
    for redemption, _ in await rewards.history(session, program.id):
        if redemption.status in rewards.HELD:
            taken[redemption.reward_id] = taken.get(redemption.reward_id, 0) + 1
    return Section("Rewards catalog", ("reward", "from", "cost", "stock left", "redeemed"), [
        (f"#{r.id} {r.name}", r.source, figure(r.cost), "unlimited" if r.stock is None else figure(r.stock),
         figure(taken.get(r.id, 0))) for r in rows],
        note="redeemed = pending and fulfilled redemptions; a rejected one gave its unit back",
        right=frozenset({2, 3, 4}))


async def _redemptions(session: AsyncSession, program: Program) -> Section:
    made = await rewards.history(session, program.id)
    names = await members.display_names(session, [r.member_id for r, _ in made])
    rows = [(f"#{r.id}", w.name, names.get(r.member_id, "?"), figure(r.cost), r.status,
             r.note or r.reason or "-", f"spend #{r.spend_entry_id}"
             + (f", refund #{r.refund_entry_id}" if r.refund_entry_id else "")) for r, w in made]
    return Section("Redemptions", ("redemption", "reward", "member", "points", "status", "note or reason",
                                   "ledger entries"), rows,
                   note="each spend and refund is a ledger entry (reasons reward_redeem and reward_refund)",
                   right=frozenset({3}))


def _steps(outcome: Outcome) -> Section:
    rows = [(s.who, s.what, "yes" if s.ok else "no", s.answer.replace("\n", " ")) for s in outcome.steps]
    return Section("Rewards, step by step", ("who", "command", "done", "the bot's answer"), rows,
                   note=f"in order; {len(outcome.notices)} DMs to members (fulfilment notes and refunds)")


async def sections(session: AsyncSession, program: Program, outcome: Outcome) -> list[Section]:
    return [await _catalog(session, program), await _redemptions(session, program), _steps(outcome)]
