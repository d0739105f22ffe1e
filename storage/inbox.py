"""The Telegram inbox: raw updates kept until their effects are committed.

An update is inserted before Telegram is told it arrived and marked done in
the same transaction as its effects, so a crash between the two leaves it
pending rather than lost. Inserts ignore an update already stored (same bot,
same update id), which is what makes a redelivered update count once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Table, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboxUpdate
from storage.upsert import any_of, dialect, insert_rows, keys_params, rows_params, template_insert

T = TypeVar("T")
_COLUMNS = ("bot_id", "update_id", "payload", "received_at", "attempts")


@dataclass(frozen=True)
class Stored:
    """Where an update sits in the inbox after a store."""

    inbox_id: int
    done: bool


@dataclass(frozen=True)
class Pending:
    inbox_id: int
    update_id: int
    payload: str
    attempts: int


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


async def store(session: AsyncSession, bot_id: int, updates: Sequence[tuple[int, str]]) -> dict[int, Stored]:
    """Insert ``(update_id, payload)`` pairs not stored yet; say where each one is."""
    if not updates:
        return {}
    now = _now()
    rows = [{"bot_id": bot_id, "update_id": uid, "payload": payload, "received_at": now, "attempts": 0}
            for uid, payload in updates]
    name = dialect(session)
    await session.execute(_insert(name), rows_params(name, rows))
    keys = keys_params(name, "updates", [uid for uid, _ in updates])
    found = await session.execute(_found(name), {"bot": bot_id, **keys})
    return {uid: Stored(row_id, done is not None) for row_id, uid, done in found}


@cache
def _insert(name: str) -> Any:
    """One statement text for any batch size (see storage.upsert), so polling's
    batches of 1 to 100 updates are compiled and prepared once."""
    table = cast(Table, InboxUpdate.__table__)
    return insert_rows(name, template_insert(name, table), _COLUMNS) \
        .on_conflict_do_nothing(index_elements=["bot_id", "update_id"])


@cache
def _found(name: str) -> Any:
    return select(InboxUpdate.id, InboxUpdate.update_id, InboxUpdate.done_at) \
        .where(InboxUpdate.bot_id == bindparam("bot"), any_of(name, InboxUpdate.update_id, "updates"))


async def mark_done(session: AsyncSession, ids: Iterable[int]) -> None:
    """Mark inbox rows done; called inside the unit of work that wrote their effects."""
    wanted = sorted(set(ids))
    if wanted:
        await session.execute(update(InboxUpdate).where(InboxUpdate.id.in_(wanted), InboxUpdate.done_at.is_(None))
                              .values(done_at=_now()))


def marking_done(use_case: Callable[[AsyncSession], Awaitable[T]],
                 ids: Iterable[int | None]) -> Callable[[AsyncSession], Awaitable[T]]:
    """``use_case`` followed by ``mark_done`` of the inbox rows it serves, in its
    transaction (events that did not come from the inbox carry no id)."""
    wanted = [i for i in ids if i is not None]

    async def run(session: AsyncSession) -> T:
        result = await use_case(session)
        await mark_done(session, wanted)
        return result

    return run


async def pending(session: AsyncSession, bot_id: int, limit: int, after: int = -1) -> list[Pending]:
    """The oldest updates not done yet with an update id above ``after``, in update order."""
    rows = await session.execute(
        select(InboxUpdate.id, InboxUpdate.update_id, InboxUpdate.payload, InboxUpdate.attempts)
        .where(InboxUpdate.bot_id == bot_id, InboxUpdate.done_at.is_(None), InboxUpdate.update_id > after)
        .order_by(InboxUpdate.update_id).limit(limit))
    return [Pending(*row) for row in rows]


async def count_attempt(session: AsyncSession, ids: Iterable[int]) -> None:
    """Count one more processing attempt, so an update that always fails can be given up on."""
    wanted = sorted(set(ids))
    if wanted:
        await session.execute(update(InboxUpdate).where(InboxUpdate.id.in_(wanted))
                              .values(attempts=InboxUpdate.attempts + 1))


async def prune(session: AsyncSession, bot_id: int, done_before: datetime, keep: int) -> int:
    """Delete done rows older than ``done_before`` and any beyond the newest ``keep``;
    pending rows are never pruned. Returns how many rows went."""
    done = (InboxUpdate.bot_id == bot_id, InboxUpdate.done_at.is_not(None))
    removed = _rowcount(await session.execute(delete(InboxUpdate).where(*done, InboxUpdate.done_at < done_before)))
    cutoff = await session.scalar(select(InboxUpdate.id).where(*done).order_by(InboxUpdate.id.desc())
                                  .offset(keep).limit(1))
    if cutoff is not None:
        removed += _rowcount(await session.execute(delete(InboxUpdate).where(*done, InboxUpdate.id <= cutoff)))
    return removed


def _rowcount(result: object) -> int:
    return int(cast(CursorResult[Any], result).rowcount or 0)


async def counts(session: AsyncSession, bot_id: int) -> tuple[int, int]:
    """(pending, done) rows of one bot."""
    rows = await session.execute(
        select(InboxUpdate.done_at.is_(None), func.count()).where(InboxUpdate.bot_id == bot_id)
        .group_by(InboxUpdate.done_at.is_(None)))
    by_state = {bool(is_pending): n for is_pending, n in rows}
    return by_state.get(True, 0), by_state.get(False, 0)
