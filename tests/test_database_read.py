"""Read-only units of work: a long report does not hold the writers up, and cannot write."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import Database
from storage.models import Member
from tests.conftest import T0


async def _count(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(Member))).scalar_one())


async def _add(db: Database) -> None:
    async def use_case(session: AsyncSession) -> None:
        session.add(Member(created_at=T0))

    await db.run(use_case)


async def test_writes_go_on_while_a_long_read_is_open(db: Database) -> None:
    """The writer commits while the report is open, in the same process (on SQLite the writers' single
    connection would otherwise wait for the whole report, and a write here time out)."""
    await _add(db)
    reading, release = asyncio.Event(), asyncio.Event()

    async def long_report(session: AsyncSession) -> int:
        first = await _count(session)
        reading.set()
        await release.wait()
        return first

    report = asyncio.create_task(db.read(long_report))
    await reading.wait()
    await asyncio.wait_for(_add(db), timeout=5)
    release.set()
    assert await report == 1
    assert await db.read(_count) == 2


async def test_a_read_only_unit_of_work_refuses_to_write(db: Database) -> None:
    async def sneaky(session: AsyncSession) -> None:
        session.add(Member(created_at=T0))
        await session.flush()

    with pytest.raises(DBAPIError):
        await db.read(sneaky)
    assert await db.read(_count) == 0
