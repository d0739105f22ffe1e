"""Plain-SQL edits of the database, made the way someone with write access would.

The append-only triggers are dropped first and foreign keys are off (SQLite's
default for a fresh connection; ``session_replication_role = replica`` on
PostgreSQL), because an attacker who owns the schema can do both.
"""

from __future__ import annotations

import asyncio
import sqlite3

from sqlalchemy import text

from storage.append_only import DROP
from storage.database import Database

# Recompute balances, rank counts and the chain head from whatever entries are left,
# so that only the ledger itself (and what is anchored outside it) can give the edit away.
REBUILD_DERIVED = (
    "DELETE FROM balances WHERE program_id = :p",
    "INSERT INTO balances (program_id, member_id, balance, lifetime) SELECT program_id, member_id, SUM(delta), "
    "SUM(lifetime_delta) FROM ledger_entries WHERE program_id = :p GROUP BY program_id, member_id",
    "DELETE FROM score_counts WHERE program_id = :p",
    "INSERT INTO score_counts (program_id, score, members) SELECT program_id, lifetime, COUNT(*) FROM balances "
    "WHERE program_id = :p GROUP BY program_id, lifetime",
    "UPDATE programs SET head_hash = COALESCE((SELECT hash FROM ledger_entries WHERE program_id = :p "
    "ORDER BY seq DESC LIMIT 1), '" + "0" * 64 + "'), "
    "entry_count = (SELECT COUNT(*) FROM ledger_entries WHERE program_id = :p) WHERE id = :p",
)


Step = str | tuple[str, dict[str, object]]


async def tamper(db: Database, *steps: Step, params: dict[str, object] | None = None) -> None:
    """Run SQL steps in one transaction; a bare string uses the shared named ``params``."""
    plan = [(step, params or {}) if isinstance(step, str) else step for step in steps]
    if db.dialect == "sqlite":
        await asyncio.to_thread(_sqlite, str(db.engine.url.database), plan)
        return
    async with db.engine.begin() as conn:
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        for sql in DROP["postgresql"]:
            await conn.execute(text(sql))
        for sql, values in plan:
            await conn.execute(text(sql), values)


def _sqlite(path: str, plan: list[tuple[str, dict[str, object]]]) -> None:
    conn = sqlite3.connect(path, timeout=30)
    try:
        conn.execute("PRAGMA foreign_keys=OFF")
        for sql in DROP["sqlite"]:
            conn.execute(sql)
        for sql, values in plan:
            conn.execute(sql, values)
        conn.commit()
    finally:
        conn.close()
