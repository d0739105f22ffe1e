"""The messages table as a sentiment work queue.

A result is written with ``WHERE sentiment_status = 'pending'``, so if two
workers (or a worker restarted after a crash) score the same message, only
the first write lands: exactly once in effect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Message
from storage.upsert import dialect, rows_params, update_rows

PENDING, SCORED = "pending", "scored"


@dataclass(frozen=True)
class PendingText:
    id: int
    text: str


async def pending(session: AsyncSession, limit: int) -> list[PendingText]:
    rows = await session.execute(select(Message.id, Message.text).where(Message.sentiment_status == PENDING)
                                 .order_by(Message.id).limit(limit))
    return [PendingText(r.id, r.text) for r in rows]


async def save(session: AsyncSession, results: list[dict[str, object]], now: datetime) -> int:
    """Write a batch of results (rows of the message ``id`` and its sentiment
    columns) in one statement, each only over a still-pending message; returns
    how many landed."""
    name = dialect(session)
    written = await session.execute(_save(name, tuple(c for c in results[0] if c != "id")),
                                    rows_params(name, results, scored_at=now))
    return int(getattr(written, "rowcount", 0) or 0)


@cache
def _save(name: str, columns: tuple[str, ...]) -> Any:
    table = Message.__table__
    return update_rows(name, table, ["id"], columns, table.c.sentiment_status == PENDING,
                       sentiment_status=SCORED, scored_at=bindparam("scored_at"))


async def requeue(session: AsyncSession, since: datetime) -> int:
    """Mark messages from ``since`` on for scoring again (after a model change)."""
    table = Message.__table__
    result = await session.execute(update(table).where(table.c.created_at >= since,
                                                       table.c.sentiment_status != PENDING)
                                   .values(sentiment_status=PENDING))
    return result.rowcount
