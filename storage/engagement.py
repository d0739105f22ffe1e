"""Per-member anti-farming and streak state, and the messages table."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import locks
from storage.locks import RuleState
from storage.models import EngagementState, Message
from storage.upsert import (
    dialect,
    insert_rows,
    key_table,
    keys_params,
    rows_params,
    template_insert,
    update_rows,
)


async def state(session: AsyncSession, program_id: str, member_id: int) -> EngagementState:
    """A member's rule state, created if missing and locked for this transaction."""
    return (await locks.rule_states(session, program_id, {member_id}))[member_id]


async def states(session: AsyncSession, program_id: str, member_ids: set[int]) -> dict[int, RuleState]:
    """Rule state of each member, created if missing and locked (see storage.locks),
    as values that ``save_states`` writes back."""
    return await locks.rule_state_values(session, program_id, member_ids)


async def save_states(session: AsyncSession, program_id: str, changed: list[RuleState]) -> None:
    """Write back, in one statement, the rule states a batch changed (locked by ``states``)."""
    if not changed:
        return
    name = dialect(session)
    rows = [{"program_id": program_id, "member_id": s.member_id, "last_earned_at": s.last_earned_at, "day": s.day,
             "day_points": s.day_points, "streak": s.streak, "streak_day": s.streak_day} for s in changed]
    await session.execute(_save_states(name), rows_params(name, rows))


@cache
def _save_states(name: str) -> Any:
    return update_rows(name, EngagementState.__table__, ["program_id", "member_id"],
                       ["last_earned_at", "day", "day_points", "streak", "streak_day"])


async def store_messages(session: AsyncSession, rows: list[dict[str, object]]) -> dict[tuple[str, str], int]:
    """Insert messages; returns (community, platform message id) -> row id for the
    ones not stored before (a redelivered message is absent from the result).
    Rows go in key order so two processes inserting the same redelivered
    messages wait for each other instead of deadlocking."""
    rows = sorted(rows, key=lambda r: (str(r["community_id"]), str(r["platform_message_id"])))
    name = dialect(session)
    result = await session.execute(_store(name, tuple(rows[0])), rows_params(name, rows))
    return {(r.community_id, r.platform_message_id): r.id for r in result}


@cache
def _store(name: str, columns: tuple[str, ...]) -> Any:
    table = Message.__table__
    return insert_rows(name, template_insert(name, table), columns).on_conflict_do_nothing(
        index_elements=["platform", "community_id", "platform_message_id"]
    ).returning(table.c.id, table.c.community_id, table.c.platform_message_id)


async def last_earned(session: AsyncSession, program_id: str, pairs: set[tuple[int, str]],
                      since: datetime) -> dict[tuple[int, str], datetime]:
    """Latest time each (member, text hash) earned points in the program since
    ``since``: one index lookup per pair (ix_message_dupe), whatever the
    planner thinks of the table's size."""
    name = dialect(session)
    rows = await session.execute(_last_earned(name), {"program": program_id, "since": since,
                                                      **keys_params(name, "pairs", sorted(pairs), 2)})
    return {(m, h): at for m, h, at in rows if at is not None}


@cache
def _last_earned(name: str) -> Any:
    keys = key_table(name, [Message.member_id, Message.text_hash], "pairs")
    latest = select(func.max(Message.created_at)).where(
        Message.member_id == keys.c.k0, Message.text_hash == keys.c.k1, Message.points > 0,
        Message.program_id == bindparam("program"), Message.created_at >= bindparam("since")).scalar_subquery()
    return select(keys.c.k0, keys.c.k1, latest)


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
    """Each stored message's points and refusal: rows of ``id``, ``points``, ``refusal``."""
    name = dialect(session)
    await session.execute(_outcomes(name), rows_params(name, outcomes))


@cache
def _outcomes(name: str) -> Any:
    return update_rows(name, Message.__table__, ["id"], ["points", "refusal"])


async def message_author(session: AsyncSession, platform: str, community_id: str,
                         platform_message_id: str) -> int | None:
    return await session.scalar(select(Message.member_id).where(
        Message.platform == platform, Message.community_id == community_id,
        Message.platform_message_id == platform_message_id))
