"""The messages table as a sentiment work queue.

A result is written with ``WHERE sentiment_status = 'pending'``, so if two
workers (or a worker restarted after a crash) score the same message, only
the first write lands: exactly once in effect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Message

PENDING, SCORED = "pending", "scored"


@dataclass(frozen=True)
class PendingText:
    id: int
    text: str


async def pending(session: AsyncSession, limit: int) -> list[PendingText]:
    rows = await session.execute(select(Message.id, Message.text).where(Message.sentiment_status == PENDING)
                                 .order_by(Message.id).limit(limit))
    return [PendingText(r.id, r.text) for r in rows]


async def save(session: AsyncSession, message_id: int, values: dict[str, object], now: datetime) -> bool:
    table = Message.__table__
    result = await session.execute(update(table).where(table.c.id == message_id, table.c.sentiment_status == PENDING)
                                   .values(**values, sentiment_status=SCORED, scored_at=now))
    return result.rowcount == 1


async def requeue(session: AsyncSession, since: datetime) -> int:
    """Mark messages from ``since`` on for scoring again (after a model change)."""
    table = Message.__table__
    result = await session.execute(update(table).where(table.c.created_at >= since,
                                                       table.c.sentiment_status != PENDING)
                                   .values(sentiment_status=PENDING))
    return result.rowcount
