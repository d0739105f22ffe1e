"""The demo's summary, read back from storage (not from the replay's own counts
where storage can answer), so the report shows what the ledger really holds."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.demo.replay import Tally
from handlers.config_model import Program
from handlers.tiers import tier_for
from storage import members, ranking
from storage.models import Balance, Identity, LedgerEntry, Member, Message


async def build(session: AsyncSession, program: Program, tally: Tally, verified: bool) -> str:
    active = await session.scalar(select(func.count()).select_from(Member).where(Member.merged_into.is_(None)))
    by_platform = dict((await session.execute(
        select(Identity.platform, func.count()).group_by(Identity.platform))).all())
    by_reason = dict((await session.execute(
        select(LedgerEntry.reason, func.sum(LedgerEntry.delta)).where(LedgerEntry.program_id == program.id)
        .group_by(LedgerEntry.reason).order_by(LedgerEntry.reason))).all())
    stored = await session.scalar(select(func.count()).select_from(Message))
    awarded = sum(v for v in by_reason.values() if v > 0)
    refused = sum(tally.refusals.values())
    lifetimes = (await session.scalars(select(Balance.lifetime).where(Balance.program_id == program.id))).all()
    tiers = Counter(tier_for(program, lt) for lt in lifetimes)
    top = await ranking.top(session, program.id, 10)
    names = await members.display_names(session, [t.member_id for t in top])
    lines = [
        f"# engagebot demo report: {program.name}", "",
        f"- members: {active} ({', '.join(f'{k}: {v} accounts' for k, v in sorted(by_platform.items()))}), "
        f"{tally.links} linked across platforms",
        f"- messages: {stored} stored, {stored - refused} earned points, {refused} refused by anti-farming rules "
        f"({', '.join(f'{k}: {v}' for k, v in tally.refusals.most_common())})",
        f"- points awarded: {awarded:,} ({', '.join(f'{k}: {v:,}' for k, v in by_reason.items())})",
        f"- points refused: about {refused * program.rules.points_per_message:,} "
        f"({refused} messages x {program.rules.points_per_message})",
        f"- reactions that paid: {tally.reactions}; moderator commands: {dict(tally.commands)}, "
        f"{tally.failed_commands} refused",
        f"- tier changes: {tally.tier_changes}; tiers now: "
        + ", ".join(f"{t.name}: {tiers.get(t.name, 0)}" for t in program.tiers),
        f"- ledger verify: {'OK, chain and balances match' if verified else 'FAILED'}", "",
        "## Top 10", "",
    ]
    lines += [f"{t.rank}. {names.get(t.member_id, '?')}: {t.lifetime:,} points ({tier_for(program, t.lifetime)})"
              for t in top]
    return "\n".join(lines) + "\n"
