"""The demo report's referral sections, read back from storage: the funnel as the digest and
``engagebot export`` get it (``storage.referrals.funnel``), and every join with its outcome."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.demo.referrals import Outcome
from bot.demo.tables import Section, figure
from handlers.config_model import Program
from storage import members, referrals
from storage.referrals import ReferralJoin


async def _funnel(session: AsyncSession, program: Program, outcome: Outcome) -> Section:
    rows = (await referrals.funnel(session, program.id)).rows()
    rules = program.referrals
    note = (f"{figure(outcome.links)} personal invite links made with /invite. A referral qualifies when the "
            f"new member stays {rules.qualify_days} days and earns points from {rules.qualify_messages} "
            f"messages within {rules.qualify_within_days} days: {program.rules.referral_points} points to the "
            f"inviter, {rules.new_member_points} to the new member; {len(outcome.notices)} payout notices sent")
    return Section("Referral funnel", ("stage", "detail", "joins"),
                   [(r["stage"], r["detail"], figure(r["count"])) for r in rows], note=note, right=frozenset({2}))


async def _joins(session: AsyncSession, program: Program) -> Section:
    rows = list(await session.scalars(select(ReferralJoin).where(ReferralJoin.program_id == program.id)
                                      .order_by(ReferralJoin.id)))
    ids = {r.member_id for r in rows} | {r.inviter_member_id for r in rows if r.inviter_member_id is not None}
    current = await referrals.survivors(session, ids)
    names = await members.display_names(session, sorted(set(current.values())))

    def name(member_id: int | None) -> str:
        return "-" if member_id is None else names.get(current[member_id], "?")

    def points(row: ReferralJoin) -> str:
        if row.clawed_back is not None:
            return f"{figure(row.points or 0)} paid, {figure(row.clawed_back)} taken back"
        return f"{figure(row.points)} paid" if row.points is not None else "-"

    return Section("Referrals", ("join", "member", "invited by", "attribution", "status", "reason", "points"),
                   [(f"#{r.id}", name(r.member_id), name(r.inviter_member_id), r.attribution, r.status,
                     r.reason or "-", points(r)) for r in rows],
                   note="every join, with how it was attributed; only exact joins through a personal link "
                        "that pass the fraud rules can pay")


async def sections(session: AsyncSession, program: Program, outcome: Outcome) -> list[Section]:
    return [await _funnel(session, program, outcome), await _joins(session, program)]
