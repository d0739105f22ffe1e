"""The locks that keep a member's rules, points and merges consistent when
several processes share one database.

Lock order, the same in every use case, so waits cannot form a cycle:

1. ``members`` rows, by id. Anything that credits or debits a member holds a
   shared lock (``FOR SHARE``) on its member row and reads ``merged_into``
   under it; ``/link`` holds an exclusive lock (``FOR UPDATE``) on both
   members it merges. A merge therefore waits for credits in flight to
   commit, and a credit that waited for a merge sees it and follows
   ``merged_into`` to the surviving member: nothing lands on a member the
   person can no longer see.
2. ``engagement_state`` rows, by (program, member): the rule lock. A member's
   cap, cooldown, duplicate and streak decisions read and write this row and
   append to the ledger in one transaction under ``FOR UPDATE``, so two
   processes judging the same member take turns. Rows are created with
   ``INSERT ... ON CONFLICT DO NOTHING``, so a member's first message arriving
   at two processes at once cannot fail on the primary key.
3. The program's chain head (``storage.ledger``), held by every append.

Row locks were chosen over advisory locks because they need no key
encoding, are released by commit or rollback like everything else, and
compile to nothing on SQLite, where ``BEGIN IMMEDIATE`` already makes each
write transaction exclusive across processes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import EngagementState, Member
from storage.upsert import any_of, dialect, insert_rows, keys_params, rows_params, template_insert

T = TypeVar("T")


async def current_members(session: AsyncSession, member_ids: Iterable[int], *,
                          exclusive: bool = False) -> dict[int, int]:
    """Lock the member rows and map each id to the member that holds its points
    now (itself, or the survivor of one or more merges). Rows this transaction
    already holds a shared lock on are not asked for again."""
    held: dict[int, int] = session.info.setdefault("shared_members", {})
    wanted = sorted(set(member_ids))
    missing = wanted if exclusive else [m for m in wanted if m not in held]
    merged: dict[int, int | None] = {}
    pending = missing
    while pending:
        name = dialect(session)
        rows = await session.execute(_members(name, exclusive), keys_params(name, "ids", pending))
        found = {row.id: row.merged_into for row in rows}
        merged.update(found)
        pending = sorted({m for m in found.values() if m is not None and m not in merged})
    if exclusive:
        return {m: _survivor(merged, m) for m in wanted}
    held.update({m: _survivor(merged, m) for m in missing})
    return {m: held[m] for m in wanted}


@cache
def _members(name: str, exclusive: bool) -> Any:
    return select(Member.id, Member.merged_into).where(any_of(name, Member.id, "ids")) \
        .order_by(Member.id).with_for_update(read=not exclusive)


def _survivor(merged: dict[int, int | None], member_id: int) -> int:
    seen = {member_id}
    while (nxt := merged.get(member_id)) is not None and nxt not in seen:
        seen.add(nxt)
        member_id = nxt
    return member_id


@dataclass
class RuleState:
    """A member's ``engagement_state`` row as plain values."""

    member_id: int
    last_earned_at: datetime | None
    day: date | None
    day_points: int
    streak: int
    streak_day: date | None
    frozen: bool


async def rule_states(session: AsyncSession, program_id: str, member_ids: Iterable[int]) -> dict[int, EngagementState]:
    """Lock the members' rule-state rows in member order, creating missing ones."""
    return await _lock_states(session, program_id, member_ids, _locked_states)


async def rule_state_values(session: AsyncSession, program_id: str,
                            member_ids: Iterable[int]) -> dict[int, RuleState]:
    """The locks of ``rule_states``, the rows read as plain values rather than
    ORM objects (a batch of messages writes them back itself, in one statement)."""
    return await _lock_states(session, program_id, member_ids, _locked_values)


async def _lock_states(session: AsyncSession, program_id: str, member_ids: Iterable[int],
                       load: Callable[[AsyncSession, str, list[int]], Awaitable[dict[int, T]]]) -> dict[int, T]:
    ids = sorted(set(member_ids))
    found = await load(session, program_id, ids)
    missing = [m for m in ids if m not in found]
    if missing:
        blank = [{"program_id": program_id, "member_id": m, "day_points": 0, "streak": 0, "frozen": False}
                 for m in missing]
        name = dialect(session)
        await session.execute(_blank_states(name, tuple(blank[0])), rows_params(name, blank))
        found.update(await load(session, program_id, missing))
    return found


@cache
def _blank_states(name: str, columns: tuple[str, ...]) -> Any:
    return insert_rows(name, template_insert(name, EngagementState.__table__), columns) \
        .on_conflict_do_nothing(index_elements=["program_id", "member_id"])


async def _locked_states(session: AsyncSession, program_id: str, ids: list[int]) -> dict[int, EngagementState]:
    name = dialect(session)
    rows = await session.scalars(_states(name), {"program": program_id, **keys_params(name, "ids", ids)})
    return {row.member_id: row for row in rows}


async def _locked_values(session: AsyncSession, program_id: str, ids: list[int]) -> dict[int, RuleState]:
    name = dialect(session)
    rows = await session.execute(_state_values(name), {"program": program_id, **keys_params(name, "ids", ids)})
    return {row.member_id: RuleState(*row) for row in rows}


@cache
def _state_values(name: str) -> Any:
    table = EngagementState.__table__
    return select(*[table.c[f.name] for f in fields(RuleState)]) \
        .where(table.c.program_id == bindparam("program"), any_of(name, table.c.member_id, "ids")) \
        .order_by(table.c.member_id).with_for_update()


@cache
def _states(name: str) -> Any:
    return select(EngagementState).where(EngagementState.program_id == bindparam("program"),
                                         any_of(name, EngagementState.member_id, "ids")) \
        .order_by(EngagementState.member_id).with_for_update().execution_options(populate_existing=True)


async def lock_member(session: AsyncSession, program_id: str, member_id: int) -> tuple[int, EngagementState]:
    """The member holding ``member_id``'s points now, and its rule state, locked
    in the order above: what a use case about one member takes before it reads
    balances it will change."""
    current = (await current_members(session, {member_id}))[member_id]
    return current, (await rule_states(session, program_id, {current}))[current]
