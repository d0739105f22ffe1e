"""Small facts about the running bot that must survive a restart (the ``runtime_state`` table)."""

from __future__ import annotations

from typing import cast

from sqlalchemy import CursorResult, Table
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
