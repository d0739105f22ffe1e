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

A use case that only reads (a digest, a churn ranking, an alert check) runs
through ``read``: on SQLite it gets a connection of its own, read-only, in a
deferred transaction, so a report of several seconds reads a WAL snapshot
while messages go on being written (through the writers' single connection
it would hold the write lock, and every message, for its seconds). On
PostgreSQL it is the same pool with the transaction marked READ ONLY.

A lost database (a server restart, a network blip) is ridden out when the
``Database`` has ``Patience`` (``engagebot run``; one-shot commands and the
start-up checks fail at once, in one line). The unit of work that meets the
loss fails and the state turns to lost, logged once; later units of work
wait while a single probe, backing off, tries to reach the database; when
it answers the state turns back, logged once, and the waiters go on.
``run`` runs a use case that met the loss again once the database is back;
one whose commit was cut off by the loss may have committed, and running it
again pays nothing twice (ledger idempotency keys, unique platform message
ids, inbox rows marked done with their effects).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

T = TypeVar("T")
log = structlog.get_logger(__name__)
RETRY_ATTEMPTS = 8
# serialization_failure, deadlock_detected, unique_violation (a concurrent insert won)
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "23505"})
# admin_shutdown, crash_shutdown, cannot_connect_now; and every connection_exception (class 08)
OUTAGE_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})


def is_transient(exc: DBAPIError) -> bool:
    """Whether running the same transaction again can succeed."""
    if getattr(exc.orig, "sqlstate", None) in TRANSIENT_SQLSTATES:
        return True
    text = str(exc.orig).lower()
    return "database is locked" in text or "database table is locked" in text


def _sqlstate(error: object) -> str:
    return str(getattr(error, "sqlstate", None) or "")


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` says the database could not be reached (refused, reset, shut down, the
    connection dropped) rather than that it refused the work. Use cases do database work only, so a
    bare ``OSError`` comes from the driver's connect, which SQLAlchemy does not wrap."""
    if isinstance(exc, DBAPIError):
        state = _sqlstate(exc.orig)
        return exc.connection_invalidated or state.startswith("08") or state in OUTAGE_SQLSTATES
    state = _sqlstate(exc)
    return isinstance(exc, OSError) or state.startswith("08") or state in OUTAGE_SQLSTATES


@dataclass(frozen=True)
class Patience:
    """How a long-running process rides out a lost database: the first probe ``first`` seconds
    after the loss, then twice as long each time, at most ``most`` seconds apart."""

    first: float = 0.5
    most: float = 30.0


class Reachability:
    """Whether the database answers. A loss and a return are logged once each; while it is
    lost, one probe at a time tries to connect, and units of work wait for it."""

    def __init__(self, engine: AsyncEngine, patience: Patience) -> None:
        self.engine = engine
        self.patience = patience
        self._lost_at: float | None = None
        self._back = asyncio.Event()
        self._back.set()
        self._prober: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def lost(self) -> bool:
        return self._lost_at is not None

    def lose(self, exc: BaseException) -> None:
        if self._lost_at is not None or self._closed:
            return
        self._lost_at = time.monotonic()
        self._back.clear()
        log.warning("database connection lost, retrying with backoff", error=_describe(exc))
        self._prober = asyncio.create_task(self._probe(), name="database probe")

    async def wait(self) -> None:
        await self._back.wait()

    async def _probe(self) -> None:
        delay, probes = self.patience.first, 0
        while not self._closed:
            await asyncio.sleep(delay)
            probes += 1
            try:
                async with self.engine.connect() as conn:
                    await conn.exec_driver_sql("SELECT 1")
                break
            except Exception:  # noqa: BLE001 - whatever it says, the database is not usable yet
                delay = min(delay * 2, self.patience.most)
        if self._closed:
            return
        down = time.monotonic() - (self._lost_at or time.monotonic())
        log.warning("database connection back", down_seconds=round(down, 1), probes=probes)
        self._lost_at = None
        self._back.set()

    async def close(self) -> None:
        """Stop probing for good: a database being disposed is not waited for (and a cancellation
        that a driver turned into an ordinary error cannot keep the probe looping)."""
        self._closed = True
        self._back.set()
        if self._prober is not None:
            self._prober.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._prober


def _describe(exc: BaseException) -> str:
    origin = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    text = str(origin).strip().splitlines()
    return f"{type(origin).__name__}: {text[0]}" if text else type(origin).__name__


# The writers' connection: WAL, and BEGIN IMMEDIATE (see the module docstring). The readers' own
# connection: query_only, and a deferred BEGIN, so a long read is a WAL snapshot that takes no lock.
WRITER = (("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"), "BEGIN IMMEDIATE")
READER = (("busy_timeout=30000", "query_only=ON"), "BEGIN")


def _sqlite_setup(engine: AsyncEngine, role: tuple[tuple[str, ...], str]) -> None:
    pragmas, begin = role

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)


def _is_sqlite_file(url: str) -> bool:
    return url.startswith("sqlite") and ":memory:" not in url and "mode=memory" not in url


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the async engine with the per-backend settings above."""
    if url.startswith("sqlite"):
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("pool_timeout", 120)
        engine = create_async_engine(url, **kwargs)
        _sqlite_setup(engine, WRITER)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_async_engine(url, **kwargs)


class Database:
    """Owns the engine; hands out one transactional session per use case.

    ``ledger_key`` (from ``ENGAGEBOT_LEDGER_KEY``) rides in every session's
    ``info``, so the ledger can key its hashes without each caller passing it.
    With ``patience`` a lost database is waited out (see the module docstring).
    """

    def __init__(self, url: str, *, ledger_key: bytes | None = None, patience: Patience | None = None,
                 **engine_kwargs: Any) -> None:
        self.url = url
        self.ledger_key = ledger_key
        self.engine = make_engine(url, **engine_kwargs)
        self.reach = Reachability(self.engine, patience) if patience is not None else None
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False,
                                            info={"ledger_key": ledger_key})
        self.reader: AsyncEngine | None = None
        self._readers = self._sessions
        if _is_sqlite_file(url):
            self.reader = create_async_engine(url, pool_size=2, max_overflow=0, pool_timeout=120, **engine_kwargs)
            _sqlite_setup(self.reader, READER)
            self._readers = async_sessionmaker(self.reader, expire_on_commit=False, autoflush=False,
                                               info={"ledger_key": ledger_key})

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def unit_of_work(self, *, read_only: bool = False) -> AsyncIterator[AsyncSession]:
        """One transaction; ``read_only`` for work that writes nothing (see the module docstring)."""
        if self.reach is not None:
            await self.reach.wait()
        try:
            async with (self._readers if read_only else self._sessions)() as session, session.begin():
                if read_only and self.dialect == "postgresql":
                    await session.execute(text("SET TRANSACTION READ ONLY"))
                yield session
        except Exception as exc:
            if self.reach is not None and is_outage(exc):
                self.reach.lose(exc)
            raise

    async def read(self, use_case: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run ``use_case``, which only reads, in a read-only unit of work (retried like ``run``)."""
        return await self.run(use_case, read_only=True)

    async def run(self, use_case: Callable[[AsyncSession], Awaitable[T]],
                  attempts: int = RETRY_ATTEMPTS, *, read_only: bool = False) -> T:
        """Run ``use_case`` in one unit of work, again if it lost a race (at most ``attempts``
        times) or, with patience, the database (until it is back)."""
        races = 0
        while True:
            try:
                return await self._once(use_case, read_only)
            except Exception as exc:
                if self.reach is not None and not self.reach.closed and is_outage(exc):
                    continue
                races += 1
                if not (isinstance(exc, DBAPIError) and is_transient(exc)) or races >= attempts:
                    raise
            await asyncio.sleep(random.uniform(0.0, 0.005 * 2**races))

    async def _once(self, use_case: Callable[[AsyncSession], Awaitable[T]], read_only: bool) -> T:
        async with self.unit_of_work(read_only=read_only) as session:
            return await use_case(session)

    async def dispose(self) -> None:
        if self.reach is not None:
            await self.reach.close()
        if self.reader is not None:
            await self.reader.dispose()
        await self.engine.dispose()
