"""The demo's summary, read back from storage (not from the replay's own counts
where storage can answer), so the report shows what the ledger really holds."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.demo.replay import Tally
from bot.demo.tables import Section, figure
from handlers.config_model import Program
from handlers.tiers import tier_for
from storage import members, ranking
from storage.models import Balance, Identity, LedgerEntry, Member, Message


async def _lifetimes(session: AsyncSession, program: Program) -> list[int]:
    """Lifetime points of every member (linked accounts counted once); 0 for one who never earned."""
    rows = await session.scalars(
        select(func.coalesce(Balance.lifetime, 0)).select_from(Member)
        .outerjoin(Balance, and_(Balance.member_id == Member.id, Balance.program_id == program.id))
        .where(Member.merged_into.is_(None)))
    return list(rows)


async def summary(session: AsyncSession, program: Program, tally: Tally, verified: bool) -> list[Section]:
    lifetimes = await _lifetimes(session, program)
    by_platform = dict((await session.execute(
        select(Identity.platform, func.count()).group_by(Identity.platform).order_by(Identity.platform))).all())
    by_reason = dict((await session.execute(
        select(LedgerEntry.reason, func.sum(LedgerEntry.delta)).where(LedgerEntry.program_id == program.id)
        .group_by(LedgerEntry.reason).order_by(LedgerEntry.reason))).all())
    # Chat messages only: a submission's text is stored as a message too (refusal "ugc"), to be scored.
    stored = await session.scalar(select(func.count()).select_from(Message).where(
        Message.program_id == program.id, Message.refusal.is_distinct_from("ugc")))
    refused = sum(tally.refusals.values())
    accounts = ", ".join(f"{platform}: {count}" for platform, count in by_platform.items())
    overview = Section("Overview", ("figure", "value"), [
        ("members", f"{figure(len(lifetimes))} ({accounts} accounts; {tally.links} linked across platforms)"),
        ("messages stored", figure(stored or 0)),
        ("messages that earned points", figure((stored or 0) - refused)),
        ("messages refused by anti-farming rules",
         f"{figure(refused)} (" + ", ".join(f"{k}: {v}" for k, v in tally.refusals.most_common()) + ")"),
        ("points awarded", figure(sum(v for v in by_reason.values() if v > 0))),
        ("points refused (about)", (f"{figure(refused * program.rules.points_per_message)} "
                                    f"({refused} messages x {program.rules.points_per_message})")),
        ("reactions that paid", figure(tally.reactions)),
        ("moderator commands", (", ".join(f"{k}: {v}" for k, v in sorted(tally.commands.items()))
                                + f" ({tally.failed_commands} refused)")),
        ("tier changes", figure(tally.tier_changes)),
        ("ledger verify", "OK, chain and balances match" if verified else "FAILED"),
    ])
    points = Section("Points by reason", ("reason", "points"),
                     [(reason, figure(total)) for reason, total in by_reason.items()], right=frozenset({1}))
    counts = Counter(tier_for(program, lifetime) for lifetime in lifetimes)
    tiers = Section("Tiers", ("tier", "from points", "members"),
                    [(t.name, figure(t.min_points), figure(counts.get(t.name, 0))) for t in program.tiers],
                    note=f"every member is in exactly one tier: {figure(len(lifetimes))} in all",
                    right=frozenset({1, 2}))
    top = await ranking.top(session, program.id, 10)
    names = await members.display_names(session, [t.member_id for t in top])
    leaders = Section("Top 10", ("rank", "member", "points", "tier"),
                      [(str(t.rank), names.get(t.member_id, "?"), figure(t.lifetime), tier_for(program, t.lifetime))
                       for t in top], right=frozenset({0, 2}))
    return [overview, points, tiers, leaders]
