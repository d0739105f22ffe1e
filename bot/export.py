"""``engagebot export``: a program's members, balances, ledger, referral funnel, redemptions and messages as
CSV or JSON.

One row per person: accounts linked by ``/link`` share a member, and a member
merged away (``members.merged_into``) is shown as the member it became. A
member is in the program once it left a trace there (a message, a join or
leave, a reaction, a balance or rule state), so people who never earned are
listed too, with 0 points. CSV files carry a UTF-8 BOM so that Excel reads
Chinese names, and keep their header when there is nothing to list.

The messages are the rows of ``engagebot sentiment export``
(``bot.sentiment_export``): each stored message with its community,
channel, author, time, language, sentiment label and score, and its text.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from datetime import datetime
from itertools import accumulate, groupby
from pathlib import Path
from typing import Any

from sqlalchemy import Subquery, func, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot import sentiment_export
from bot.reports.spreadsheet import write_csv
from handlers import tiers
from handlers.config_model import Program
from storage.models import (
    Balance,
    EngagementState,
    Identity,
    LedgerEntry,
    Member,
    MembershipEvent,
    Message,
    Reaction,
    ScoreCount,
)
from storage.referrals import funnel
from storage.rewards import history as redemption_history

MEMBER_FIELDS = ("member_id", "name", "accounts", "balance", "lifetime", "tier", "rank")
LEDGER_FIELDS = ("seq", "member_id", "delta", "lifetime_delta", "reason", "reference", "idempotency_key",
                 "actor", "note", "created_at", "prev_hash", "hash")
# The referral funnel (storage.referrals.Funnel.rows): links -> joins by attribution -> referred -> each status,
# rejected ones by reason.
FUNNEL_FIELDS = ("stage", "detail", "count")
# One row per redemption (storage.rewards): member_id as redeemed, before any later /link; the ledger
# entries of the spend and, for a rejected one, the refund.
REDEMPTION_FIELDS = ("id", "reward_id", "reward", "member_id", "cost", "status", "created_at", "decided_at",
                     "decided_by", "note", "reason", "spend_entry_id", "refund_entry_id")


def _seen(program_id: str) -> Subquery:
    """Every member id that left a trace in the program (the same traces that
    let a command name a member: ``storage.members``)."""
    return union(
        select(Message.member_id).where(Message.program_id == program_id),
        select(MembershipEvent.member_id).where(MembershipEvent.program_id == program_id),
        select(Reaction.reactor_member_id).where(Reaction.program_id == program_id),
        select(Balance.member_id).where(Balance.program_id == program_id),
        select(EngagementState.member_id).where(EngagementState.program_id == program_id),
    ).subquery()


def _people(program_id: str) -> Subquery:
    """The members the program's traces belong to now: each seen member id
    followed up ``merged_into`` (by primary key, so it stays cheap on a large
    table) to the member that was not merged away."""
    seen = _seen(program_id)
    walk = (select(Member.id.label("at"), Member.merged_into.label("next"))
            .join(seen, seen.c.member_id == Member.id).cte("walk", recursive=True))
    up = aliased(Member)
    walk = walk.union(select(up.id, up.merged_into).join(walk, up.id == walk.c.next))
    return select(walk.c.at.label("member_id")).where(walk.c.next.is_(None)).distinct().subquery()


class _Ranks:
    """Rank as ``/leaderboard`` gives it (``storage.ranking.rank_of``): 1 +
    members with strictly more lifetime points, ties sharing a rank, read from
    the program's score histogram in one query rather than one per member."""

    def __init__(self, histogram: list[tuple[int, int]]) -> None:
        self.scores = [score for score, _ in histogram]
        self.at_or_below = list(accumulate(members for _, members in histogram))

    @classmethod
    async def load(cls, session: AsyncSession, program_id: str) -> _Ranks:
        rows = await session.execute(select(ScoreCount.score, ScoreCount.members)
                                     .where(ScoreCount.program_id == program_id).order_by(ScoreCount.score))
        return cls([(row.score, row.members) for row in rows])

    def of(self, lifetime: int) -> int:
        below = bisect_right(self.scores, lifetime)
        total = self.at_or_below[-1] if self.at_or_below else 0
        return 1 + total - (self.at_or_below[below - 1] if below else 0)


async def _members(session: AsyncSession, program: Program) -> list[dict[str, Any]]:
    people = _people(program.id)
    lifetime = func.coalesce(Balance.lifetime, 0)
    rows = await session.execute(
        select(people.c.member_id, func.coalesce(Balance.balance, 0).label("balance"),
               lifetime.label("lifetime"), Identity.platform, Identity.platform_user_id, Identity.display_name)
        .join(Identity, Identity.member_id == people.c.member_id)
        .outerjoin(Balance, (Balance.member_id == people.c.member_id) & (Balance.program_id == program.id))
        .order_by(lifetime.desc(), people.c.member_id, Identity.id))
    ranks = await _Ranks.load(session, program.id)
    grouped = [list(identities) for _, identities in groupby(rows, lambda r: r.member_id)]
    held = await tiers.held_tiers(session, program, {g[0].member_id: g[0].lifetime for g in grouped})
    return [_person(held, ranks, identities) for identities in grouped]


def _person(held: dict[int, str], ranks: _Ranks, identities: list[Any]) -> dict[str, Any]:
    """One person from their account rows; the name is their oldest account's, as on the leaderboard."""
    first = identities[0]
    return {"member_id": first.member_id, "name": first.display_name,
            "accounts": sorted(f"{i.platform}:{i.platform_user_id}" for i in identities),
            "balance": first.balance, "lifetime": first.lifetime,
            "tier": held[first.member_id], "rank": ranks.of(first.lifetime)}


async def _ledger(session: AsyncSession, program_id: str) -> list[dict[str, Any]]:
    rows = await session.scalars(select(LedgerEntry).where(LedgerEntry.program_id == program_id)
                                 .order_by(LedgerEntry.seq))
    return [{f: (getattr(r, f).isoformat() if f == "created_at" else getattr(r, f)) for f in LEDGER_FIELDS}
            for r in rows]


async def _redemptions(session: AsyncSession, program_id: str) -> list[dict[str, Any]]:
    return [{"id": r.id, "reward_id": w.id, "reward": w.name, "member_id": r.member_id, "cost": r.cost,
             "status": r.status, "created_at": r.created_at.isoformat(),
             "decided_at": r.decided_at.isoformat() if r.decided_at else None, "decided_by": r.decided_by,
             "note": r.note, "reason": r.reason, "spend_entry_id": r.spend_entry_id,
             "refund_entry_id": r.refund_entry_id} for r, w in await redemption_history(session, program_id)]


async def collect(session: AsyncSession, program: Program, since: datetime | None = None,
                  until: datetime | None = None) -> dict[str, list[dict[str, Any]]]:
    """Everything exported; ``since`` and ``until`` (naive UTC) bound the messages only."""
    return {"members": await _members(session, program), "ledger": await _ledger(session, program.id),
            "referral_funnel": (await funnel(session, program.id)).rows(),
            "redemptions": await _redemptions(session, program.id),
            "messages": await sentiment_export.collect(session, program.id, since, until)}


def _csv_row(row: dict[str, Any]) -> dict[str, Any]:
    """A member's accounts in one cell, e.g. ``discord:123;telegram:456``."""
    return {k: ";".join(v) if isinstance(v, list) else v for k, v in row.items()}


def write(data: dict[str, list[dict[str, Any]]], program_id: str, fmt: str, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    if fmt == "json":
        path = out / f"{program_id}.json"
        text = json.dumps({"program": program_id, **data}, ensure_ascii=False, indent=1)
        path.write_text(text, encoding="utf-8")
        return [path]
    paths = []
    for name, fields in (("members", MEMBER_FIELDS), ("ledger", LEDGER_FIELDS),
                         ("referral_funnel", FUNNEL_FIELDS), ("redemptions", REDEMPTION_FIELDS),
                         ("messages", sentiment_export.FIELDS)):
        paths.append(write_csv(out / f"{program_id}-{name}.csv", fields, (_csv_row(row) for row in data[name])))
    return paths
