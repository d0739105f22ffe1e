"""Per-member anti-farming and streak state, and the messages table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import locks
from storage.models import EngagementState, Message
from storage.upsert import insert_for


async def state(session: AsyncSession, program_id: str, member_id: int) -> EngagementState:
    """A member's rule state, created if missing and locked for this transaction."""
    return (await states(session, program_id, {member_id}))[member_id]


async def states(session: AsyncSession, program_id: str, member_ids: set[int]) -> dict[int, EngagementState]:
    """Rule-state rows for each member, created if missing and locked (see storage.locks)."""
    return await locks.rule_states(session, program_id, member_ids)


async def store_messages(session: AsyncSession, rows: list[dict[str, object]]) -> dict[tuple[str, str], int]:
    """Insert messages; returns (community, platform message id) -> row id for the
    ones not stored before (a redelivered message is absent from the result).
    One multi-row statement: executemany with RETURNING would run row by row.
    Rows go in key order so two processes inserting the same redelivered
    messages wait for each other instead of deadlocking."""
    table = Message.__table__
    rows = sorted(rows, key=lambda r: (str(r["community_id"]), str(r["platform_message_id"])))
    stmt = insert_for(session, table).values(rows).on_conflict_do_nothing(
        index_elements=["platform", "community_id", "platform_message_id"]
    ).returning(table.c.id, table.c.community_id, table.c.platform_message_id)
    result = await session.execute(stmt)
    return {(r.community_id, r.platform_message_id): r.id for r in result}


async def last_earned(session: AsyncSession, program_id: str, pairs: set[tuple[int, str]],
                      since: datetime) -> dict[tuple[int, str], datetime]:
    """Latest time each (member, text hash) earned points in the program since ``since``."""
    rows = await session.execute(
        select(Message.member_id, Message.text_hash, func.max(Message.created_at))
        .where(tuple_(Message.member_id, Message.text_hash).in_(sorted(pairs)), Message.points > 0,
               Message.program_id == program_id, Message.created_at >= since)
        .group_by(Message.member_id, Message.text_hash))
    return {(m, h): at for m, h, at in rows}


async def earned_between(session: AsyncSession, program_id: str, member_id: int, start: datetime,
                         end: datetime) -> bool:
    """Whether the member has an earning message strictly inside (start, end)."""
    found = await session.scalar(select(Message.id).where(
        Message.member_id == member_id, Message.program_id == program_id, Message.points > 0,
        Message.created_at > start, Message.created_at < end).limit(1))
    return found is not None


async def message_points(session: AsyncSession, program_id: str, member_id: int, start: datetime,
                         end: datetime) -> int:
    """Message points the member earned in [start, end)."""
    total = await session.scalar(select(func.coalesce(func.sum(Message.points), 0)).where(
        Message.member_id == member_id, Message.program_id == program_id,
        Message.created_at >= start, Message.created_at < end))
    return int(total or 0)


async def record_outcomes(session: AsyncSession, outcomes: list[dict[str, object]]) -> None:
    table = Message.__table__
    await session.execute(update(table).where(table.c.id == bindparam("row_id"))
                          .values(points=bindparam("p"), refusal=bindparam("r")), outcomes)


async def message_author(session: AsyncSession, platform: str, community_id: str,
                         platform_message_id: str) -> int | None:
    return await session.scalar(select(Message.member_id).where(
        Message.platform == platform, Message.community_id == community_id,
        Message.platform_message_id == platform_message_id))
