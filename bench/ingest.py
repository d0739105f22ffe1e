"""Message-to-points throughput/latency and leaderboard rank time at 1M members.

    python bench/ingest.py [--messages 4000] [--runs 3] [--members 1000000]

Runs on SQLite (a temp file) and on PostgreSQL when ENGAGEBOT_BENCH_POSTGRES_URL
(or ENGAGEBOT_TEST_POSTGRES_URL) is set. Every message takes the full path a
chat message takes (identity, message row, anti-farming checks, ledger entry,
balance, rank histogram, streak) with rules that let every message earn.
Figures are medians over --runs runs; the machine is shared and noisy.
Targets: >= 5,000 msg/s SQLite, >= 2,000 msg/s PostgreSQL, p99 < 20 ms, rank <= 10 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from handlers.config_model import Community, Program, Rules, Settings  # noqa: E402
from handlers.context import Actor, Context  # noqa: E402
from handlers.core import Core  # noqa: E402
from handlers.engagement import IncomingMessage  # noqa: E402
from storage import ranking  # noqa: E402
from storage.database import Database  # noqa: E402
from storage.models import Base  # noqa: E402

START = datetime(2026, 5, 1)
PROGRAM = Program(id="bench", name="Bench", rules=Rules(cooldown_seconds=0, min_message_length=1,
                                                         daily_cap=1_000_000, streak_bonus=0),
                  communities=(Community(platform="discord", id="1"),))


async def fresh(url: str) -> Database:
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    return db


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def ingest_run(url: str, messages: int, concurrency: int, members: int = 1000) -> tuple[float, float, float]:
    db = await fresh(url)
    core = Core(Settings(programs=(PROGRAM,)), db)
    await core.start()
    latencies: list[float] = []

    async def one(i: int, warm_up: bool = False) -> None:
        user = str(i % members)
        when = START - timedelta(hours=1) + timedelta(milliseconds=i - 10_000_000) if warm_up else \
            START + timedelta(milliseconds=i)
        ctx = Context(program=PROGRAM, platform="discord", community_id="1", actor=Actor("discord", user, f"u{user}"),
                      locale="en", event_id=str(i), now=when)
        started = time.perf_counter()
        await core.message(ctx, IncomingMessage(str(i), f"message {i} from member {user} with some words"))
        latencies.append(time.perf_counter() - started)

    for i in range(min(members, messages)):
        await one(10_000_000 + i, warm_up=True)
    latencies.clear()
    started = time.perf_counter()
    queue = iter(range(messages))

    async def lane() -> None:
        for i in queue:
            await one(i)

    await asyncio.gather(*[lane() for _ in range(concurrency)])
    elapsed = time.perf_counter() - started
    await db.dispose()
    return messages / elapsed, pct(latencies, 0.5) * 1000, pct(latencies, 0.99) * 1000


SEED_SQL = {
    "sqlite": [
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < :n) "
        "INSERT INTO members (id, created_at) SELECT x, '2026-01-01' FROM c",
    ],
    "postgresql": [
        "INSERT INTO members (id, created_at) SELECT x, '2026-01-01' FROM generate_series(1, :n) AS x",
    ],
}
PROGRAM_ROW = "INSERT INTO programs (id, head_hash, entry_count) VALUES ('bench', :genesis, 0)"
BALANCES = ("INSERT INTO balances (program_id, member_id, balance, lifetime) "
            "SELECT 'bench', id, ((id * 7919) % 1000) * ((id * 7919) % 1000) * ((id * 7919) % 1000) / 10000, "
            "((id * 7919) % 1000) * ((id * 7919) % 1000) * ((id * 7919) % 1000) / 10000 FROM members")
HISTOGRAM = ("INSERT INTO score_counts (program_id, score, members) "
             "SELECT program_id, lifetime, count(*) FROM balances GROUP BY program_id, lifetime")


async def rank_run(url: str, dialect: str, size: int, lookups: int = 300) -> tuple[float, float, float, float]:
    db = await fresh(url)
    async with db.engine.begin() as conn:
        for sql in SEED_SQL[dialect]:
            await conn.execute(text(sql), {"n": size})
        await conn.execute(text(PROGRAM_ROW), {"genesis": "0" * 64})
        await conn.execute(text(BALANCES))
        await conn.execute(text(HISTOGRAM))
        if dialect == "postgresql":
            await conn.execute(text("ANALYZE"))
    rng = random.Random(1)
    times: list[float] = []
    async with db.unit_of_work() as session:
        for _ in range(lookups):
            member = rng.randint(1, size)
            started = time.perf_counter()
            found = await ranking.standing(session, "bench", member)
            times.append(time.perf_counter() - started)
            assert found is not None
        exact = await session.scalar(text("SELECT count(*) FROM balances WHERE lifetime > :v"), {"v": found.lifetime})
        assert found.rank == exact + 1, "histogram rank disagrees with a full count"
        started = time.perf_counter()
        await ranking.top(session, "bench", 10, 5000)
        top_ms = (time.perf_counter() - started) * 1000
    await db.dispose()
    return statistics.median(times) * 1000, pct(times, 0.99) * 1000, top_ms, len(times)


def backends() -> list[tuple[str, str]]:
    out = [("sqlite", f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db")]
    pg = os.environ.get("ENGAGEBOT_BENCH_POSTGRES_URL") or os.environ.get("ENGAGEBOT_TEST_POSTGRES_URL")
    if pg:
        out.append(("postgresql", pg))
    else:
        print("PostgreSQL skipped: set ENGAGEBOT_BENCH_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1/test")
    return out


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 64])
    args = parser.parse_args()
    for name, url in backends():
        for lanes in args.concurrency:
            runs = [await ingest_run(url, args.messages, lanes) for _ in range(args.runs)]
            rate, p50, p99 = (statistics.median(r[i] for r in runs) for i in range(3))
            print(f"{name:10s} ingest  concurrency={lanes:<2d} {rate:8.0f} msg/s  p50 {p50:6.2f} ms  "
                  f"p99 {p99:6.2f} ms  (median of {args.runs} runs of {args.messages} messages)", flush=True)
        median, p99, top_ms, n = await rank_run(url, name, args.members)
        print(f"{name:10s} rank    members={args.members:,}  median {median:.2f} ms  p99 {p99:.2f} ms over {n} "
              f"lookups; leaderboard page at offset 5000: {top_ms:.1f} ms", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
