"""``engagebot ledger verify``: rebuild everything derived from the ledger.

Walks each program's entries in sequence order, recomputes the hash chain,
balances, lifetimes and the rank histogram, and compares them with what is
stored. The first broken entry is named so an operator knows where to look.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.ledger import GENESIS, chain
from storage.models import Balance, LedgerEntry, ProgramState, ScoreCount


@dataclass
class ProgramCheck:
    program_id: str
    entries: int = 0
    first_bad_entry: str | None = None
    balance_mismatches: list[str] = field(default_factory=list)
    rank_mismatch: bool = False

    @property
    def ok(self) -> bool:
        return self.first_bad_entry is None and not self.balance_mismatches and not self.rank_mismatch


def _entry_dict(row: LedgerEntry) -> dict[str, object]:
    return {k: getattr(row, k) for k in ("program_id", "seq", "member_id", "delta", "lifetime_delta", "reason",
                                         "reference", "idempotency_key", "actor", "note", "created_at")}


async def _walk_chain(session: AsyncSession, check: ProgramCheck) -> dict[int, list[int]]:
    totals: dict[int, list[int]] = {}
    prev, expected_seq = GENESIS, 1
    rows = await session.stream_scalars(
        select(LedgerEntry).where(LedgerEntry.program_id == check.program_id).order_by(LedgerEntry.seq))
    async for row in rows:
        check.entries += 1
        problem = None
        if row.seq != expected_seq:
            problem = f"sequence gap: expected seq {expected_seq}, found {row.seq}"
        elif row.prev_hash != prev:
            problem = "prev_hash does not match the previous entry's hash"
        elif chain(prev, _entry_dict(row)) != row.hash:
            problem = "hash does not match the entry's contents (entry altered)"
        if problem and check.first_bad_entry is None:
            check.first_bad_entry = f"entry id {row.id} (seq {row.seq}, member {row.member_id}): {problem}"
        prev, expected_seq = row.hash, row.seq + 1
        sums = totals.setdefault(row.member_id, [0, 0])
        sums[0] += row.delta
        sums[1] += row.lifetime_delta
    head = await session.get(ProgramState, check.program_id)
    if check.first_bad_entry is None and head is not None and (head.head_hash, head.entry_count) != (prev, check.entries):
        check.first_bad_entry = f"chain head does not match the last entry (seq {check.entries}); entries were removed"
    return totals


async def _compare_balances(session: AsyncSession, check: ProgramCheck, totals: dict[int, list[int]]) -> None:
    stored = {r.member_id: (r.balance, r.lifetime) for r in (await session.execute(
        select(Balance.member_id, Balance.balance, Balance.lifetime).where(Balance.program_id == check.program_id)))}
    for member_id in sorted(set(stored) | set(totals)):
        want = tuple(totals.get(member_id, (0, 0)))
        have = stored.get(member_id, (0, 0))
        if want != have:
            check.balance_mismatches.append(
                f"member {member_id}: stored balance/lifetime {have[0]}/{have[1]}, ledger says {want[0]}/{want[1]}")
    histogram = Counter(lifetime for _, lifetime in stored.values())
    counted = {r.score: r.members for r in (await session.execute(
        select(ScoreCount.score, ScoreCount.members).where(ScoreCount.program_id == check.program_id))) if r.members}
    check.rank_mismatch = dict(histogram) != counted


async def verify(session: AsyncSession, program_ids: tuple[str, ...] = ()) -> list[ProgramCheck]:
    """Check every program in the database plus ``program_ids`` (configured ones)."""
    checks = []
    stored = (await session.scalars(select(ProgramState.id))).all()
    for program_id in sorted(set(stored) | set(program_ids)):
        check = ProgramCheck(program_id)
        totals = await _walk_chain(session, check)
        await _compare_balances(session, check, totals)
        checks.append(check)
    return checks
