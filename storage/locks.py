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

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import EngagementState, Member
from storage.upsert import insert_for


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
        rows = await session.execute(select(Member.id, Member.merged_into).where(Member.id.in_(pending))
                                     .order_by(Member.id).with_for_update(read=not exclusive))
        found = {row.id: row.merged_into for row in rows}
        merged.update(found)
        pending = sorted({m for m in found.values() if m is not None and m not in merged})
    if exclusive:
        return {m: _survivor(merged, m) for m in wanted}
    held.update({m: _survivor(merged, m) for m in missing})
    return {m: held[m] for m in wanted}


def _survivor(merged: dict[int, int | None], member_id: int) -> int:
    seen = {member_id}
    while (nxt := merged.get(member_id)) is not None and nxt not in seen:
        seen.add(nxt)
        member_id = nxt
    return member_id


async def rule_states(session: AsyncSession, program_id: str, member_ids: Iterable[int]) -> dict[int, EngagementState]:
    """Lock the members' rule-state rows in member order, creating missing ones."""
    ids = sorted(set(member_ids))
    found = await _locked_states(session, program_id, ids)
    missing = [m for m in ids if m not in found]
    if missing:
        blank = [{"program_id": program_id, "member_id": m, "day_points": 0, "streak": 0, "frozen": False}
                 for m in missing]
        await session.execute(insert_for(session, EngagementState.__table__).values(blank)
                              .on_conflict_do_nothing(index_elements=["program_id", "member_id"]))
        found.update(await _locked_states(session, program_id, missing))
    return found


async def _locked_states(session: AsyncSession, program_id: str, ids: list[int]) -> dict[int, EngagementState]:
    rows = await session.scalars(
        select(EngagementState).where(EngagementState.program_id == program_id, EngagementState.member_id.in_(ids))
        .order_by(EngagementState.member_id).with_for_update().execution_options(populate_existing=True))
    return {row.member_id: row for row in rows}


async def lock_member(session: AsyncSession, program_id: str, member_id: int) -> tuple[int, EngagementState]:
    """The member holding ``member_id``'s points now, and its rule state, locked
    in the order above: what a use case about one member takes before it reads
    balances it will change."""
    current = (await current_members(session, {member_id}))[member_id]
    return current, (await rule_states(session, program_id, {current}))[current]
