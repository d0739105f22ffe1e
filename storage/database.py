"""Engine and unit of work.

One use case = one session = one transaction: ``async with db.unit_of_work()``
commits when the block ends and rolls everything back if it raises, so a
failed command never leaves half its writes behind.

SQLite: WAL, and every transaction starts with ``BEGIN IMMEDIATE`` so
concurrent writers queue on the write lock instead of failing when a read
transaction tries to upgrade (pysqlite's default deferred BEGIN). Within one
process the pool holds a single connection, so units of work queue fairly in
asyncio rather than sleeping in SQLite's busy handler (which gave p99 spikes
of over half a second under concurrent load).

Several processes may share one database. A transaction that loses a race
(PostgreSQL serialization failure or deadlock, a unique key taken by a
concurrent insert, SQLite's lock timeout) is rolled back whole, so ``run``
simply runs the use case again, a bounded number of times with jittered
backoff: a message is never dropped because two processes met.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

T = TypeVar("T")
RETRY_ATTEMPTS = 8
# serialization_failure, deadlock_detected, unique_violation (a concurrent insert won)
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "23505"})


def is_transient(exc: DBAPIError) -> bool:
    """Whether running the same transaction again can succeed."""
    if getattr(exc.orig, "sqlstate", None) in TRANSIENT_SQLSTATES:
        return True
    text = str(exc.orig).lower()
    return "database is locked" in text or "database table is locked" in text


def _sqlite_setup(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the async engine with the per-backend settings above."""
    if url.startswith("sqlite"):
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("pool_timeout", 120)
        engine = create_async_engine(url, **kwargs)
        _sqlite_setup(engine)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_async_engine(url, **kwargs)


class Database:
    """Owns the engine; hands out one transactional session per use case.

    ``ledger_key`` (from ``ENGAGEBOT_LEDGER_KEY``) rides in every session's
    ``info``, so the ledger can key its hashes without each caller passing it.
    """

    def __init__(self, url: str, *, ledger_key: bytes | None = None, **engine_kwargs: Any) -> None:
        self.url = url
        self.ledger_key = ledger_key
        self.engine = make_engine(url, **engine_kwargs)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False,
                                            info={"ledger_key": ledger_key})

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session, session.begin():
            yield session

    async def run(self, use_case: Callable[[AsyncSession], Awaitable[T]], attempts: int = RETRY_ATTEMPTS) -> T:
        """Run ``use_case`` in one unit of work, again if it lost a race."""
        for attempt in range(1, attempts):
            try:
                return await self._once(use_case)
            except DBAPIError as exc:
                if not is_transient(exc):
                    raise
            await asyncio.sleep(random.uniform(0.0, 0.005 * 2**attempt))
        return await self._once(use_case)

    async def _once(self, use_case: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async with self.unit_of_work() as session:
            return await use_case(session)

    async def dispose(self) -> None:
        await self.engine.dispose()
