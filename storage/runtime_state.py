"""Small facts about the running bot that must survive a restart (the ``runtime_state`` table)."""

from __future__ import annotations

from typing import cast

from sqlalchemy import CursorResult, Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import KeyValue
from storage.upsert import insert_for


async def claim(session: AsyncSession, key: str, value: str) -> bool:
    """Record ``key`` unless it is already there; True only for the one caller, in whichever
    process, whose insert created it (concurrent callers wait on the key and find it taken)."""
    insert = insert_for(session, cast(Table, KeyValue.__table__))
    result = await session.execute(
        insert.values(key=key, value=value).on_conflict_do_nothing(index_elements=["key"]))
    return cast(CursorResult[object], result).rowcount == 1


async def last_done(session: AsyncSession, key: str) -> str | None:
    """The last period (an ISO day or ``YYYY-MM``) a periodic run named ``key`` completed."""
    return await session.scalar(select(KeyValue.value).where(KeyValue.key == key))


async def mark_done(session: AsyncSession, key: str, period: str) -> None:
    """Record ``period`` as done for ``key``. ISO days and months order as text, so a late writer
    never moves the mark back."""
    stmt = insert_for(session, cast(Table, KeyValue.__table__)).values(key=key, value=period)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=["key"], set_={"value": stmt.excluded.value}, where=KeyValue.value < stmt.excluded.value))
