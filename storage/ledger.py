"""The append-only, hash-chained points ledger.

Every movement of points is one ``LedgerEntry``; the ``balances`` row and the
rank histogram move in the same transaction, so a crash can never separate
them. Appends take the program's chain-head row lock first (``FOR UPDATE`` on
PostgreSQL; SQLite transactions already start with ``BEGIN IMMEDIATE``), then
re-check the idempotency key and the balance under that lock. That one lock
makes three promises at once: one entry per idempotency key, no balance below
zero, and an unbroken hash chain. Code never updates or deletes an entry; a
correction is a new, reversing entry.

Each entry's hash covers the previous hash and the entry itself, row id
included. With ``ENGAGEBOT_LEDGER_KEY`` (``Database(ledger_key=...)`` puts it
in ``session.info``) the hash is an HMAC-SHA256 that nobody without the key
can recompute; without it a plain SHA-256, which catches accidents but not
someone who can write to the database. ``scheme`` on each entry says which.
The row id is hashed, so it is allocated before the insert, under the
chain-head lock every append already holds: ``nextval`` of the id sequence
on PostgreSQL (unique across concurrent transactions; a rolled-back append
leaves a gap in ids, never in ``seq``), ``max(id) + 1`` on SQLite (whose
``BEGIN IMMEDIATE`` makes every write transaction exclusive).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import locks
from storage.models import Balance, LedgerEntry, ProgramState, Reason, ScoreCount
from storage.upsert import (
    POSTGRESQL,
    any_of,
    dialect,
    insert_for,
    insert_rows,
    keys_params,
    rows_params,
    template_insert,
)

GENESIS = "0" * 64
HMAC_SHA256 = "hmac-sha256"
SHA256 = "sha256"
LEGACY_SHA256 = "sha256-v1"  # entries written before migration 0002: id and scheme not hashed
KEYED_SCHEMES = frozenset({HMAC_SHA256})
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


_HASHED = ("program_id", "seq", "member_id", "delta", "lifetime_delta", "reason", "reference", "idempotency_key",
           "actor", "note", "created_at")


def canonical(entry: dict[str, object]) -> bytes:
    """The bytes hashed for an entry: fixed field order, no whitespace. The id
    is included so that swapping rows' ids (references such as
    ``entry:{id}`` point at entries by id) breaks the chain."""
    fields = _HASHED if entry["scheme"] == LEGACY_SHA256 else ("id", "scheme", *_HASHED)
    values = [entry[f].isoformat() if isinstance(entry[f], datetime) else entry[f] for f in fields]
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def chain(prev_hash: str, entry: dict[str, object], key: bytes | None = None) -> str:
    """The entry's hash under its ``scheme``; a keyed entry needs the key."""
    message = prev_hash.encode("ascii") + canonical(entry)
    if entry["scheme"] in KEYED_SCHEMES:
        if key is None:
            raise LedgerError("this entry is keyed (hmac-sha256): its hash needs ENGAGEBOT_LEDGER_KEY")
        return hmac.new(key, message, hashlib.sha256).hexdigest()
    return hashlib.sha256(message).hexdigest()


def stored_fields(row: LedgerEntry) -> dict[str, object]:
    """What ``canonical`` reads, taken from a stored entry (to re-check its hash)."""
    return {name: getattr(row, name) for name in ("id", "scheme", *_HASHED)}


def ledger_key(session: AsyncSession) -> bytes | None:
    """The HMAC key this session's database was opened with, if any."""
    key = session.info.get("ledger_key")
    if key is not None and not isinstance(key, bytes):
        raise TypeError("ledger_key must be bytes")
    return key or None


async def _allocate_ids(session: AsyncSession, count: int) -> list[int]:
    """Row ids for ``count`` new entries, known before the insert (see the module docstring)."""
    if dialect(session) == POSTGRESQL:
        rows = await session.execute(_NEXT_IDS, {"n": count})
        return sorted(row[0] for row in rows)
    top = await session.scalar(_TOP_ID)
    return list(range(top + 1, top + 1 + count))


_NEXT_IDS = text("SELECT nextval(pg_get_serial_sequence('ledger_entries', 'id')) FROM generate_series(1, :n)")
_TOP_ID = select(func.coalesce(func.max(LedgerEntry.id), 0))


async def ensure_program(session: AsyncSession, program_id: str) -> None:
    stmt = insert_for(session, ProgramState.__table__).values(id=program_id, head_hash=GENESIS, entry_count=0)
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["id"]))


async def _lock_head(session: AsyncSession, program_id: str) -> tuple[str, int]:
    row = (await session.execute(_HEAD, {"program": program_id})).one_or_none()
    if row is None:
        raise LedgerError(f"unknown program {program_id!r}")
    return row.head_hash, row.entry_count


_HEAD = select(ProgramState.head_hash, ProgramState.entry_count) \
    .where(ProgramState.id == bindparam("program")).with_for_update()
_MOVE_HEAD = update(ProgramState.__table__).where(ProgramState.id == bindparam("program")) \
    .values(head_hash=bindparam("head"), entry_count=bindparam("count"))


async def _balances(session: AsyncSession, program_id: str, member_ids: set[int]) -> dict[int, tuple[int, int]]:
    name = dialect(session)
    rows = await session.execute(_balance_rows(name), {"program": program_id,
                                                       **keys_params(name, "members", sorted(member_ids))})
    return {r.member_id: (r.balance, r.lifetime) for r in rows}


@cache
def _balance_rows(name: str) -> Any:
    return select(Balance.member_id, Balance.balance, Balance.lifetime).where(
        Balance.program_id == bindparam("program"), any_of(name, Balance.member_id, "members"))


async def _existing_keys(session: AsyncSession, keys: list[str]) -> dict[str, int]:
    name = dialect(session)
    rows = await session.execute(_keyed_entries(name), keys_params(name, "keys", keys))
    return {r.idempotency_key: r.id for r in rows}


@cache
def _keyed_entries(name: str) -> Any:
    return select(LedgerEntry.idempotency_key, LedgerEntry.id) \
        .where(any_of(name, LedgerEntry.idempotency_key, "keys"))


@dataclass
class _Batch:
    """In-memory view of one program's append: entries, balances and rank counts."""

    head_hash: str
    count: int
    balances: dict[int, tuple[int, int]]
    entries: list[dict[str, object]]
    histogram: dict[int, int]

    def apply(self, posting: Posting) -> tuple[int, int, int]:
        balance, lifetime = self.balances.get(posting.member_id, (0, 0))
        new_balance, new_lifetime = balance + posting.delta, lifetime + posting.lifetime()
        if new_balance < 0:
            raise InsufficientBalance(balance, -posting.delta)
        if posting.member_id not in self.balances:
            self.histogram[new_lifetime] = self.histogram.get(new_lifetime, 0) + 1
        elif new_lifetime != lifetime:
            self.histogram[lifetime] = self.histogram.get(lifetime, 0) - 1
            self.histogram[new_lifetime] = self.histogram.get(new_lifetime, 0) + 1
        self.balances[posting.member_id] = (new_balance, new_lifetime)
        self.count += 1
        entry: dict[str, object] = {
            "program_id": posting.program_id, "seq": self.count, "member_id": posting.member_id,
            "delta": posting.delta, "lifetime_delta": posting.lifetime(), "reason": str(posting.reason),
            "reference": posting.reference, "idempotency_key": posting.idempotency_key, "actor": posting.actor,
            "note": posting.note, "created_at": (posting.created_at or utcnow()).replace(tzinfo=None),
        }
        self.entries.append(entry)
        return new_balance, new_lifetime, lifetime

    def seal(self, ids: list[int], key: bytes | None) -> None:
        """Give the new entries their ids and scheme and chain them; the hash
        covers the id, so this runs once the ids are allocated."""
        scheme = HMAC_SHA256 if key else SHA256
        for entry, entry_id in zip(self.entries, ids, strict=True):
            entry.update(id=entry_id, scheme=scheme, prev_hash=self.head_hash)
            entry["hash"] = self.head_hash = chain(self.head_hash, entry, key)


async def _write(session: AsyncSession, program_id: str, batch: _Batch, touched: set[int]) -> dict[str, int]:
    """Write entries, balances, rank counts and the head, one statement each
    (see storage.upsert); return entry ids by idempotency key."""
    name = dialect(session)
    new_ids = await _allocate_ids(session, len(batch.entries))
    batch.seal(new_ids, ledger_key(session))
    await session.execute(_insert_entries(name, tuple(batch.entries[0])), rows_params(name, batch.entries))
    ids = {str(entry["idempotency_key"]): entry_id
           for entry, entry_id in zip(batch.entries, new_ids, strict=True)}
    balances = [{"program_id": program_id, "member_id": m, "balance": batch.balances[m][0],
                 "lifetime": batch.balances[m][1]} for m in sorted(touched)]
    await session.execute(_upsert_balances(name), rows_params(name, balances))
    counts = [{"program_id": program_id, "score": s, "members": n} for s, n in sorted(batch.histogram.items()) if n]
    if counts:
        await session.execute(_add_counts(name), rows_params(name, counts))
    await session.execute(_MOVE_HEAD, {"program": program_id, "head": batch.head_hash, "count": batch.count})
    return ids


@cache
def _upsert_balances(name: str) -> Any:
    columns = ("program_id", "member_id", "balance", "lifetime")
    stmt = insert_rows(name, template_insert(name, Balance.__table__), columns)
    return stmt.on_conflict_do_update(index_elements=["program_id", "member_id"],
                                      set_={"balance": stmt.excluded.balance, "lifetime": stmt.excluded.lifetime})


@cache
def _add_counts(name: str) -> Any:
    stmt = insert_rows(name, template_insert(name, ScoreCount.__table__), ("program_id", "score", "members"))
    return stmt.on_conflict_do_update(index_elements=["program_id", "score"],
                                      set_={"members": ScoreCount.__table__.c.members + stmt.excluded.members})


@cache
def _insert_entries(name: str, columns: tuple[str, ...]) -> Any:
    return insert_rows(name, LedgerEntry.__table__.insert(), columns)


async def _to_survivors(session: AsyncSession, postings: list[Posting]) -> list[Posting]:
    """Address each posting to the member that holds the points now: a credit
    for a member merged away by ``/link`` goes to the surviving member."""
    current = await locks.current_members(session, {p.member_id for p in postings})
    return [p if current[p.member_id] == p.member_id else replace(p, member_id=current[p.member_id])
            for p in postings]


async def post_many(session: AsyncSession, program_id: str, postings: list[Posting]) -> list[Posted]:
    """Append several entries of one program under one chain-head lock.

    Set-based: one lock, one key lookup, one balance lookup and a handful of
    multi-row writes for the whole list, so a burst of chat costs about the
    same round-trips as a single message. Raises InsufficientBalance (and
    writes nothing, as the caller's transaction rolls back) if any posting
    would take a balance below zero.
    """
    postings = await _to_survivors(session, postings)
    head_hash, count = await _lock_head(session, program_id)
    existing = await _existing_keys(session, [p.idempotency_key for p in postings])
    balances = await _balances(session, program_id, {p.member_id for p in postings})
    batch = _Batch(head_hash, count, balances, [], {})
    results: list[Posted] = []
    first: dict[str, int] = {}
    touched: set[int] = set()
    for posting in postings:
        key = posting.idempotency_key
        if key in existing or key in first:
            balance, lifetime = batch.balances.get(posting.member_id, (0, 0))
            results.append(Posted(True, balance, lifetime, lifetime, existing.get(key)))
            continue
        first[key] = len(results)
        touched.add(posting.member_id)
        balance, lifetime, old_lifetime = batch.apply(posting)
        results.append(Posted(False, balance, lifetime, old_lifetime))
    if not batch.entries:
        return results
    ids = await _write(session, program_id, batch, touched)
    return [Posted(r.duplicate, r.balance, r.lifetime, r.old_lifetime, r.entry_id or ids[p.idempotency_key])
            for r, p in zip(results, postings, strict=True)]


async def post(session: AsyncSession, posting: Posting) -> Posted:
    """Append one entry and move the balance, inside the caller's transaction."""
    return (await post_many(session, posting.program_id, [posting]))[0]


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
    current = (await _balances(session, program_id, {member_id})).get(member_id)
    return current[0] if current else 0
