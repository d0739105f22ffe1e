"""Bulk-fill a benchmark database, the fastest way each backend takes many rows.

SQLite gets ``executemany`` on the sqlite3 module directly; PostgreSQL gets COPY
through asyncpg, in a schema of its own that is dropped afterwards, so a bench
never touches the tests' tables on a shared server. The benches describe their
rows as ``(table, columns, rows)`` and any statements to run before or after.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy import text

from storage.database import Database
from storage.models import Base

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
Table = tuple[str, Sequence[str], Iterable[tuple[object, ...]]]


def _sqlite_value(value: object) -> object:
    return value.isoformat(sep=" ") if isinstance(value, datetime) else value


def fill_sqlite(path: str, tables: Iterable[Table], before: Sequence[str] = (), after: Sequence[str] = ()) -> None:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    for statement in before:
        db.execute(statement)
    for table, columns, rows in tables:
        db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                       (tuple(_sqlite_value(c) for c in row) for row in rows))
    for statement in after:
        db.execute(statement)
    db.execute("ANALYZE")
    db.commit()
    db.close()


async def fill_postgresql(database: Database, schema: str, tables: Iterable[Table],
                          before: Sequence[str] = (), after: Sequence[str] = ()) -> None:
    async with database.engine.begin() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        for statement in before:
            await conn.execute(text(statement))
        for table, columns, rows in tables:
            await raw.copy_records_to_table(table, records=list(rows), columns=list(columns), schema_name=schema)
        for statement in after:
            await conn.execute(text(statement))
    async with database.engine.connect() as conn:
        await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(text("VACUUM ANALYZE"))


async def create_schema(database: Database) -> None:
    async with database.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)


@asynccontextmanager
async def postgresql_schema(name: str) -> AsyncIterator[tuple[Database, str]]:
    """A Database on ``ENGAGEBOT_BENCH_POSTGRES_URL`` inside a fresh schema ``name``_<pid>, with the
    project's tables; the schema is dropped when the block ends."""
    url = os.environ.get("ENGAGEBOT_BENCH_POSTGRES_URL", DEFAULT_PG)
    schema = f"{name}_{os.getpid()}"
    admin = Database(url)
    async with admin.engine.begin() as conn:
        await conn.execute(text(f"CREATE SCHEMA {schema}"))
    database = Database(url, connect_args={"server_settings": {"search_path": schema}})
    try:
        await create_schema(database)
        yield database, schema
    finally:
        await database.dispose()
        async with admin.engine.begin() as conn:
            await conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        await admin.dispose()
