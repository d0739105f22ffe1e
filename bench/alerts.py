"""Time of one spike-alert check over 300,000 messages in the 7-day baseline window of 20 channels.

    python bench/alerts.py [--messages 300000] [--channels 20] [--runs 3] [--steady 24] [--backend both]

Fills a database with the 169 hours a check looks at (the last hour and a
168-hour baseline) of one program's chat, spread over 20 channels of one
Discord server with skewed traffic (a few busy channels, a long tail), labels
15 % negative, 45 % neutral, 40 % positive, and 5,000 members. Rows go in by
bulk loading (executemany on SQLite, COPY on PostgreSQL), like
``bench/digest.py``. Then it times ``AlertTimers.fire`` (the whole check: the
rollup, the aggregates, the claim and the incidents) on SQLite (a temp file)
and on PostgreSQL (ENGAGEBOT_BENCH_POSTGRES_URL, default
postgresql+asyncpg://postgres@127.0.0.1:5432/test, in a schema of its own,
dropped after):

- the first check, on a database whose alert tables are empty (it builds
  whatever the check keeps between runs), median of --runs runs, the alert
  tables emptied before each;
- the steady state: --steady checks 5 minutes apart after it, with the
  5 minutes of chat before each check inserted first (untimed, at the same
  rate), the last minute of it still pending sentiment and scored before the
  next step, as the sentiment worker does; median and the slowest.

The machine is shared and noisy: the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from bench import fill
from handlers.alerts.schedule import AlertTimers
from handlers.config_model import AlertSettings, Community, Program, Settings
from handlers.core import Core
from storage.database import Database
from storage.models import Base

END = datetime(2026, 5, 1, 9, 17, 23)  # the first check; not on a whole hour, as a real clock is not
WINDOW = timedelta(hours=169)
STEP = timedelta(minutes=5)
PENDING_FOR = timedelta(minutes=1)
GUILD = "1001"
MEMBERS = 5_000
PROGRAM = Program(id="bench", name="Bench",
                  communities=(Community(platform="discord", id=GUILD, name="Bench"),),
                  alerts=AlertSettings(enabled=True))
LABELS = ("negative", "neutral", "positive")
TEXTS = ("love the new coffee flavour", "shipping was slow again this week",
         "the app keeps crashing on login", "great event yesterday thanks team",
         "when does the next contest start", "my order arrived broken")
MESSAGE_COLUMNS = ("id", "program_id", "platform", "community_id", "channel_id", "platform_message_id",
                   "member_id", "text", "text_hash", "created_at", "points", "sentiment_status",
                   "sentiment_label", "p_negative", "p_neutral", "p_positive", "language", "scored_at")


class Data:
    """Messages at a steady rate from END - WINDOW to the last steady check, as column arrays."""

    def __init__(self, messages: int, channels: int, steady: int, seed: int = 11) -> None:
        rng = np.random.default_rng(seed)
        rate = messages / WINDOW.total_seconds()
        span = WINDOW.total_seconds() + steady * STEP.total_seconds()
        total = int(rate * span)
        self.seconds = np.sort(rng.uniform(0, span, total))
        weight = 1.0 / np.arange(1, channels + 1)
        self.channel = rng.choice(channels, total, p=weight / weight.sum())
        self.member = rng.integers(1, MEMBERS + 1, total)
        self.label = rng.choice(3, total, p=[0.15, 0.45, 0.40])
        self.text = rng.integers(0, len(TEXTS), total)

    def at(self, i: int) -> datetime:
        return END - WINDOW + timedelta(seconds=float(self.seconds[i]))

    def index_at(self, moment: datetime) -> int:
        """The first message at or after ``moment``."""
        return int(np.searchsorted(self.seconds, (moment - END + WINDOW).total_seconds()))

    def row(self, i: int, pending: bool) -> tuple[object, ...]:
        label = LABELS[int(self.label[i])]
        probs = [0.8 if name == label else 0.1 for name in LABELS]
        at = self.at(i)
        return (i + 1, "bench", "discord", GUILD, str(2001 + int(self.channel[i])), str(i + 1),
                int(self.member[i]), TEXTS[int(self.text[i])], f"{i:064x}", at, 0,
                "pending" if pending else "scored", None if pending else label,
                *((None,) * 3 if pending else probs), "en", None if pending else at)

    def rows(self, start: int, end: int, now: datetime) -> Iterator[tuple[object, ...]]:
        for i in range(start, end):
            yield self.row(i, self.at(i) >= now - PENDING_FOR)


def rows_members() -> Iterator[tuple[object, ...]]:
    for m in range(1, MEMBERS + 1):
        yield m, END - timedelta(days=90)


def rows_identities() -> Iterator[tuple[object, ...]]:
    for m in range(1, MEMBERS + 1):
        yield m, "discord", str(m), f"member {m}", None, m


def tables(data: Data) -> list[fill.Table]:
    return [("members", ("id", "created_at"), rows_members()),
            ("identities", ("id", "platform", "platform_user_id", "display_name", "username", "member_id"),
             rows_identities()),
            ("messages", MESSAGE_COLUMNS, data.rows(0, data.index_at(END), END))]


async def empty_alert_tables(database: Database) -> None:
    """Back to a database the check never ran on (every table whose name starts with ``alert_``)."""
    async with database.unit_of_work() as session:
        for name in sorted(Base.metadata.tables):
            if name.startswith("alert_"):
                await session.execute(text(f"DELETE FROM {name}"))


async def chat_until(database: Database, data: Data, done: int, now: datetime) -> int:
    """What the bot would have stored by ``now``: the pending messages scored, the new ones inserted (the
    last minute of them pending). Returns the index of the next message not stored yet."""
    upto = data.index_at(now)
    columns = ", ".join(MESSAGE_COLUMNS)
    params = ", ".join(f":{c}" for c in MESSAGE_COLUMNS)
    async with database.unit_of_work() as session:
        pending = [int(i) for i in (await session.scalars(
            text("SELECT id FROM messages WHERE sentiment_status = 'pending'"))).all()]
        if pending:
            await session.execute(text(
                "UPDATE messages SET sentiment_status = 'scored', sentiment_label = :label, scored_at = :at "
                "WHERE id = :id"), [{"id": i, "label": LABELS[int(data.label[i - 1])], "at": now}
                                    for i in pending])
        if upto > done:
            await session.execute(text(f"INSERT INTO messages ({columns}) VALUES ({params})"),
                                  [dict(zip(MESSAGE_COLUMNS, row, strict=True))
                                   for row in data.rows(done, upto, now)])
    return upto


async def time_checks(database: Database, data: Data, runs: int,
                      steady: int) -> tuple[list[float], list[float]]:
    core = Core(Settings(programs=(PROGRAM,)), database)
    timers = AlertTimers(core)
    first: list[float] = []
    for _ in range(runs):
        await empty_alert_tables(database)
        started = time.perf_counter()
        await timers.fire(PROGRAM.id, END)
        first.append(time.perf_counter() - started)
    later: list[float] = []
    done = data.index_at(END)
    for n in range(1, steady + 1):
        now = END + n * STEP
        done = await chat_until(database, data, done, now)
        started = time.perf_counter()
        await timers.fire(PROGRAM.id, now)
        later.append(time.perf_counter() - started)
    return first, later


async def incidents(database: Database) -> int:
    """Incidents the checks opened (the spikes the random chat happened to have): the same figure before
    and after a change that should not change what alerts say."""
    async with database.unit_of_work() as session:
        return int(await session.scalar(text("SELECT count(*) FROM alert_incidents")) or 0)


def report(name: str, stored: int, fill_s: float, first: list[float], later: list[float],
           opened: int) -> None:
    steady = (f"steady {statistics.median(later) * 1000:.1f} ms median, {max(later) * 1000:.1f} ms slowest "
              f"({len(later)} checks)" if later else "no steady checks")
    runs = ", ".join(f"{x * 1000:.0f}" for x in first)
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"{name:10s} {stored:,} messages filled in {fill_s:.0f} s; first check "
          f"{statistics.median(first) * 1000:.0f} ms median (runs {runs}); {steady}; {opened} incidents; "
          f"load average {load}", flush=True)


async def bench_sqlite(args: argparse.Namespace, data: Data) -> None:
    path = f"{tempfile.mkdtemp()}/alerts.db"
    database = Database(f"sqlite+aiosqlite:///{path}")
    started = time.perf_counter()
    await fill.create_schema(database)
    await database.dispose()
    await asyncio.to_thread(fill.fill_sqlite, path, tables(data))
    fill_s = time.perf_counter() - started
    first, later = await time_checks(database, data, args.runs, args.steady)
    report("sqlite", data.index_at(END), fill_s, first, later, await incidents(database))
    await database.dispose()


async def bench_postgresql(args: argparse.Namespace, data: Data) -> None:
    async with fill.postgresql_schema("engagebot_alerts_bench") as (database, schema):
        started = time.perf_counter()
        await fill.fill_postgresql(database, schema, tables(data))
        fill_s = time.perf_counter() - started
        first, later = await time_checks(database, data, args.runs, args.steady)
        report("postgresql", data.index_at(END), fill_s, first, later, await incidents(database))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=300_000)
    parser.add_argument("--channels", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--steady", type=int, default=24)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    data = Data(args.messages, args.channels, args.steady)
    if args.backend in ("sqlite", "both"):
        await bench_sqlite(args, data)
    if args.backend in ("postgresql", "both"):
        await bench_postgresql(args, data)


if __name__ == "__main__":
    asyncio.run(main())
