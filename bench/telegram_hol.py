"""Head of line on Telegram: how long an ordinary message takes to earn behind a reply backlog.

    python bench/telegram_hol.py [--runs 5]

The real Telegram adapter (python-telegram-bot with its rate limiter, the inbox,
the lanes and the outbox) against the local fake Bot API, which throttles a
group like Telegram (20 bot messages a minute). Two backlogs:

- ``leaderboard x60``: sixty members send /leaderboard (answered once);
- ``awards x40``: a moderator sends forty /award commands, whose forty distinct
  confirmations queue behind the group's limit.

Then one ordinary message; the figure is the time from the update being
available to its points being committed (polled every 5 ms). SQLite always;
PostgreSQL too when ENGAGEBOT_BENCH_POSTGRES_URL (or ENGAGEBOT_TEST_POSTGRES_URL)
is set. Medians over --runs runs; the machine is shared and noisy.
Target: under 1 s whatever the reply backlog.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import structlog
from sqlalchemy import func, select, text

from bot.telegram.runner import TelegramRuntime
from handlers.config_model import Community, Program, Rules, Settings, TelegramSettings
from handlers.core import Core
from storage.database import Database
from storage.models import Base, LedgerEntry
from tests.fakes.telegram_api import FakeTelegram

CHAT, MOD, MEMBERS = -100222, 900, tuple(range(1001, 1071))
SCHEMA = "engagebot_bench_hol"


def settings(port: int) -> Settings:
    rules = Rules(cooldown_seconds=0, min_message_length=1, daily_cap=1_000_000, streak_bonus=0)
    return Settings(programs=(Program(id="bench", name="Bench", rules=rules,
                                      communities=(Community(platform="telegram", id=str(CHAT)),)),),
                    telegram=TelegramSettings(base_url=f"http://127.0.0.1:{port}", poll_timeout_seconds=1))


async def fresh(url: str) -> Database:
    if url.startswith("postgresql"):
        admin = Database(url)
        async with admin.engine.begin() as conn:
            await conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            await conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        await admin.dispose()
        db = Database(url, connect_args={"server_settings": {"search_path": SCHEMA}})
    else:
        db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    return db


async def earned(db: Database, key: str) -> bool:
    async with db.unit_of_work() as s:
        return bool(await s.scalar(select(func.count()).select_from(LedgerEntry)
                                   .where(LedgerEntry.idempotency_key == key)))


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError("bench condition not met")
        await asyncio.sleep(0.005)


async def leaderboards(fake: FakeTelegram, db: Database) -> None:
    for uid in MEMBERS[-10:]:
        fake.message(uid, f"first words of {uid}")
        fake.message(uid, f"more words of {uid}")
    await until(lambda: count(db, 20))
    for uid in MEMBERS[:60]:
        fake.message(uid, "/leaderboard")


async def awards(fake: FakeTelegram, db: Database) -> None:
    target = fake.message(MEMBERS[-1], "a message worth an award")
    await until(lambda: count(db, 1))
    for n in range(1, 41):
        fake.message(MOD, f"/award {n} thanks {n}", reply_to=target)
    await until(lambda: count(db, 41))


async def count(db: Database, n: int) -> bool:
    async with db.unit_of_work() as s:
        return (await s.scalar(select(func.count()).select_from(LedgerEntry)) or 0) >= n


async def one_run(url: str, backlog: Callable[[FakeTelegram, Database], Awaitable[None]]) -> tuple[float, int, int]:
    fake = FakeTelegram(CHAT)
    fake.add_user(MOD, "moderator", admin=True)
    for uid in MEMBERS:
        fake.add_user(uid, f"member{uid}")
    fake.group_limit = (20, 60.0)
    await fake.start()
    db = await fresh(url)
    core = Core(settings(fake.port), db)
    await core.start()
    runtime = TelegramRuntime(core, core.settings, "123:bench", None)
    await runtime.start()
    try:
        await backlog(fake, db)
        started = time.monotonic()
        message = fake.message(MEMBERS[0], "an ordinary message after the backlog")
        await until(lambda: earned(db, f"msg:telegram:{CHAT}:{message['message_id']}"))
        return time.monotonic() - started, runtime.outbox.pending(), runtime.outbox.coalesced
    finally:
        await runtime.stop()
        await fake.stop()
        await db.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    urls = {"SQLite": f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/hol.db"}
    pg = os.environ.get("ENGAGEBOT_BENCH_POSTGRES_URL") or os.environ.get("ENGAGEBOT_TEST_POSTGRES_URL")
    if pg:
        urls["PostgreSQL"] = pg
    print(f"ordinary message earned after a reply backlog (median of {args.runs} runs; target < 1 s)")
    for name, url in urls.items():
        for label, backlog in (("leaderboard x60", leaderboards), ("awards x40", awards)):
            runs = [await one_run(url, backlog) for _ in range(args.runs)]
            waits = sorted(r[0] * 1000 for r in runs)
            print(f"  {name:10} {label:16} median {statistics.median(waits):6.0f} ms   "
                  f"min {waits[0]:5.0f}  max {waits[-1]:5.0f}   replies still queued {runs[-1][1]}, "
                  f"coalesced {runs[-1][2]}")
        if url.startswith("postgresql"):
            admin = Database(url)
            async with admin.engine.begin() as conn:
                await conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            await admin.dispose()


if __name__ == "__main__":
    asyncio.run(main())
