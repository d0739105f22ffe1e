"""The append-only, hash-chained points ledger.

Every movement of points is one ``LedgerEntry``; the ``balances`` row and the
rank histogram move in the same transaction, so a crash can never separate
them. Appends take the program's chain-head row lock first (``FOR UPDATE`` on
PostgreSQL; SQLite transactions already start with ``BEGIN IMMEDIATE``), then
re-check the idempotency key and the balance under that lock. That one lock
makes three promises at once: one entry per idempotency key, no balance below
zero, and an unbroken hash chain. Code never updates or deletes an entry; a
correction is a new, reversing entry.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Balance, LedgerEntry, ProgramState, Reason, ScoreCount
from storage.upsert import insert_for

GENESIS = "0" * 64
SPEND_REASONS = frozenset({Reason.REWARD_REDEEM})


class LedgerError(Exception):
    """A posting that must not happen; nothing was written."""


class InsufficientBalance(LedgerError):
    def __init__(self, balance: int, needed: int) -> None:
        super().__init__(f"balance {balance} is less than {needed}")
        self.balance = balance
        self.needed = needed


@dataclass(frozen=True)
class Posting:
    """A requested points movement. ``lifetime_delta`` defaults to ``delta``
    except for spends, which leave lifetime (and so tier and rank) alone."""

    program_id: str
    member_id: int
    delta: int
    reason: Reason
    idempotency_key: str
    actor: str = "system"
    reference: str = ""
    note: str = ""
    lifetime_delta: int | None = None
    created_at: datetime | None = None

    def lifetime(self) -> int:
        if self.lifetime_delta is not None:
            return self.lifetime_delta
        return 0 if self.reason in SPEND_REASONS else self.delta


@dataclass(frozen=True)
class Posted:
    """Outcome of a posting; ``duplicate`` means the key was already used."""

    duplicate: bool
    balance: int
    lifetime: int
    old_lifetime: int
    entry_id: int | None = None


def utcnow() -> datetime:
    """Naive UTC, microsecond precision: the form stored and hashed."""
    return datetime.now(UTC).replace(tzinfo=None)


def canonical(entry: dict[str, object]) -> bytes:
    """The bytes hashed for an entry: fixed field order, no whitespace."""
    fields = ("program_id", "seq", "member_id", "delta", "lifetime_delta", "reason", "reference",
              "idempotency_key", "actor", "note", "created_at")
    values = [entry[f].isoformat() if isinstance(entry[f], datetime) else entry[f] for f in fields]
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def chain(prev_hash: str, entry: dict[str, object]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(entry)).hexdigest()


async def ensure_program(session: AsyncSession, program_id: str) -> None:
    stmt = insert_for(session, ProgramState.__table__).values(id=program_id, head_hash=GENESIS, entry_count=0)
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["id"]))


async def _lock_head(session: AsyncSession, program_id: str) -> tuple[str, int]:
    row = (await session.execute(
        select(ProgramState.head_hash, ProgramState.entry_count)
        .where(ProgramState.id == program_id).with_for_update()
    )).one_or_none()
    if row is None:
        raise LedgerError(f"unknown program {program_id!r}")
    return row.head_hash, row.entry_count


async def _current(session: AsyncSession, program_id: str, member_id: int) -> tuple[int, int] | None:
    row = (await session.execute(
        select(Balance.balance, Balance.lifetime)
        .where(Balance.program_id == program_id, Balance.member_id == member_id)
    )).one_or_none()
    return None if row is None else (row.balance, row.lifetime)


async def _bump_score(session: AsyncSession, program_id: str, score: int, by: int) -> None:
    stmt = insert_for(session, ScoreCount.__table__).values(program_id=program_id, score=score, members=by)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=["program_id", "score"], set_={"members": ScoreCount.__table__.c.members + by}
    ))


async def _move_balance(session: AsyncSession, posting: Posting, current: tuple[int, int] | None) -> tuple[int, int]:
    balance, lifetime = current or (0, 0)
    new_balance, new_lifetime = balance + posting.delta, lifetime + posting.lifetime()
    if new_balance < 0:
        raise InsufficientBalance(balance, -posting.delta)
    table = Balance.__table__
    if current is None:
        await session.execute(table.insert().values(
            program_id=posting.program_id, member_id=posting.member_id, balance=new_balance, lifetime=new_lifetime))
        await _bump_score(session, posting.program_id, new_lifetime, 1)
        return new_balance, new_lifetime
    await session.execute(update(table).where(
        table.c.program_id == posting.program_id, table.c.member_id == posting.member_id
    ).values(balance=new_balance, lifetime=new_lifetime))
    if new_lifetime != lifetime:
        await _bump_score(session, posting.program_id, lifetime, -1)
        await _bump_score(session, posting.program_id, new_lifetime, 1)
    return new_balance, new_lifetime


async def post(session: AsyncSession, posting: Posting) -> Posted:
    """Append one entry and move the balance, inside the caller's transaction."""
    head_hash, count = await _lock_head(session, posting.program_id)
    current = await _current(session, posting.program_id, posting.member_id)
    old_lifetime = current[1] if current else 0
    existing = await session.scalar(
        select(LedgerEntry.id).where(LedgerEntry.idempotency_key == posting.idempotency_key))
    if existing is not None:
        balance, lifetime = current or (0, 0)
        return Posted(True, balance, lifetime, lifetime, existing)
    balance, lifetime = await _move_balance(session, posting, current)
    entry: dict[str, object] = {
        "program_id": posting.program_id, "seq": count + 1, "member_id": posting.member_id,
        "delta": posting.delta, "lifetime_delta": posting.lifetime(), "reason": str(posting.reason),
        "reference": posting.reference, "idempotency_key": posting.idempotency_key, "actor": posting.actor,
        "note": posting.note, "created_at": (posting.created_at or utcnow()).replace(tzinfo=None),
    }
    digest = chain(head_hash, entry)
    entry_id = (await session.execute(
        LedgerEntry.__table__.insert().values(**entry, prev_hash=head_hash, hash=digest)
        .returning(LedgerEntry.__table__.c.id)
    )).scalar_one()
    await session.execute(update(ProgramState.__table__).where(ProgramState.id == posting.program_id)
                          .values(head_hash=digest, entry_count=count + 1))
    return Posted(False, balance, lifetime, old_lifetime, entry_id)


async def reverse(session: AsyncSession, entry_id: int, actor: str, note: str) -> Posted:
    """Cancel an entry with a new, opposite one; reversing twice is a no-op."""
    original = await session.get(LedgerEntry, entry_id)
    if original is None:
        raise LedgerError(f"no ledger entry {entry_id}")
    return await post(session, Posting(
        program_id=original.program_id, member_id=original.member_id, delta=-original.delta,
        lifetime_delta=-original.lifetime_delta, reason=Reason.REVERSAL, reference=f"entry:{entry_id}",
        idempotency_key=f"reversal:{entry_id}", actor=actor, note=note,
    ))



async def find_by_key(session: AsyncSession, idempotency_key: str) -> LedgerEntry | None:
    return await session.scalar(select(LedgerEntry).where(LedgerEntry.idempotency_key == idempotency_key))


async def balance_of(session: AsyncSession, program_id: str, member_id: int) -> int:
    current = await _current(session, program_id, member_id)
    return current[0] if current else 0
