"""End to end ingest: chat messages through the real adapters into the database, scoring running.

    python bench/ingest_e2e.py [--messages 6000] [--rate 2000] [--runs 3] [--members 1000]
                               [--platforms discord telegram] [--backends sqlite postgresql]
                               [--scoring thread|process]

The platform fakes (tests/fakes: Discord's gateway, Telegram's Bot API) run in
a separate process, as the real platforms are elsewhere, and push messages at
``--rate`` messages/s (0: all at once). The bot process is what ``engagebot
run`` is: discord.py or python-telegram-bot (inbox, lanes) -> Core ->
MessageBatcher -> rules, ledger; the sentiment worker scores with the shipped
ONNX model at the same time, in a thread (``--scoring process``: in a child
process, ``sentiment.process``). Every message earns (no cooldown, no cap) and the
ledger is keyed, so each message takes the heaviest path. Each run starts on a
fresh database (a temp SQLite file; on PostgreSQL the database
``engagebot_bench`` on the server of ENGAGEBOT_BENCH_POSTGRES_URL or
ENGAGEBOT_TEST_POSTGRES_URL, dropped and created again), first sends one
message per member (not measured), waits for it to be scored and, on
PostgreSQL, runs ANALYZE as autovacuum would on a live database.

Printed per run and as medians of --runs:
- msg/s: measured messages / (last commit - first send); at a rate the bot
  cannot sustain this is what it does sustain, and latency then grows with the
  queue;
- p50/p99: from the fake sending a message to its points being committed;
- backlog: messages still pending sentiment when the last one committed, the
  scoring rate while ingesting and the rate at which the backlog then drains;
- loop p99: how late a 10 ms timer on the bot's event loop fires (what scoring
  or a long statement costs the platforms), and the CPU time the loop's thread
  spent per measured message (steadier than rates on a busy machine).
Targets (2 cores): >= 2,000 msg/s on both backends, p99 < 50 ms, scoring
>= 600 msg/s off the loop. It asserts nothing timed: the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import math
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import structlog  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from bot.sentiment_worker import SentimentWorker  # noqa: E402
from handlers.config_model import (  # noqa: E402
    Community,
    Program,
    Rules,
    SentimentSettings,
    Settings,
    TelegramSettings,
)
from handlers.context import Context  # noqa: E402
from handlers.core import Core  # noqa: E402
from handlers.engagement import IncomingMessage, MessageOutcome  # noqa: E402
from sentiment import loader  # noqa: E402
from sentiment.process import ScoringProcess  # noqa: E402
from sentiment.scoring import Scorer  # noqa: E402
from storage.database import Database  # noqa: E402
from storage.models import Base, Message  # noqa: E402

GUILD, CHANNEL, CHAT = "100000000000000001", "100000000000000010", -100222
BENCH_DB = "engagebot_bench"
LEDGER_KEY = b"bench-ledger-key-0123456789abcdef"
RULES = Rules(cooldown_seconds=0, min_message_length=1, daily_cap=1_000_000, streak_bonus=0)
WORDS = ("the new update looks great and I love the event on friday thanks team for the rewards but the "
         "queue was slow today anyone else having trouble with the app gm everyone this community is so "
         "helpful not sure about the price change honestly pretty disappointed with support waiting two days "
         "for an answer congrats to the winners see you all at the next meetup").split()


def chat_text(rng: random.Random, i: int) -> str:
    """A distinct chat-length message (8-20 words; the scorer judges repeats once)."""
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20))) + f" #{i}"


def user_id(platform: str, n: int) -> str:
    return str(300000000000000000 + n) if platform == "discord" else str(5000 + n)


# --- the platform fake, in its own process -----------------------------------------------------

def fake_process(platform: str, members: int, conn: Connection) -> None:
    logging.disable(logging.WARNING)
    asyncio.run(_serve_fake(platform, members, conn))


async def _serve_fake(platform: str, members: int, conn: Connection) -> None:
    from tests.fakes.discord_api import FakeDiscord
    from tests.fakes.telegram_api import FakeTelegram

    fake: Any = FakeDiscord(GUILD, CHANNEL) if platform == "discord" else FakeTelegram(CHAT)
    for n in range(members):
        uid = user_id(platform, n)
        if platform == "discord":
            fake.add_member(uid, f"member{n}")
        else:
            fake.add_user(int(uid), f"member{n}")
    await fake.start()
    conn.send(fake.port)
    rng = random.Random(7)
    while True:
        command = await asyncio.to_thread(conn.recv)
        if command[0] == "stop":
            break
        _, users, rate = command
        conn.send(await _push(fake, platform, users, rate, rng))
    await fake.stop()


async def _push(fake: Any, platform: str, users: list[int], rate: float,
                rng: random.Random) -> dict[str, float]:
    """Send one message per entry of ``users`` at ``rate``/s; return send time by message id."""
    sent: dict[str, float] = {}
    start = time.monotonic()
    for i, n in enumerate(users):
        if rate:
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        elif i % 200 == 0:
            await asyncio.sleep(0)
        body, at = chat_text(rng, i), time.monotonic()
        if platform == "discord":
            sent[await fake.say(user_id(platform, n), body)] = at
        else:
            sent[str(fake.message(int(user_id(platform, n)), body)["message_id"])] = at
    return sent


# --- the bot process ------------------------------------------------------------------------

class TimedCore(Core):
    """The real Core, noting when each message's unit of work has committed."""

    def __init__(self, settings: Settings, db: Database) -> None:
        super().__init__(settings, db)
        self.committed: dict[str, float] = {}
        self.earned = 0
        self.expected = 0
        self.all_in = asyncio.Event()

    def expect(self, count: int) -> None:
        self.committed, self.earned, self.expected = {}, 0, count
        self.all_in.clear()

    async def message(self, ctx: Context, message: IncomingMessage) -> MessageOutcome:
        outcome = await super().message(ctx, message)
        self.committed[message.message_id] = time.monotonic()
        self.earned += outcome.points > 0
        if len(self.committed) >= self.expected:
            self.all_in.set()
        return outcome


class LoopLag:
    """How late a 10 ms timer fires on the bot's loop."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        while True:
            due = time.monotonic() + 0.01
            await asyncio.sleep(0.01)
            self.lags.append(time.monotonic() - due)

    def start(self) -> None:
        self.lags = []
        self._task = asyncio.create_task(self._tick())

    async def stop(self) -> float:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        return pct(self.lags, 0.99) * 1000 if self.lags else 0.0


@dataclass
class Figures:
    rate: float
    p50: float
    p99: float
    backlog: int
    scoring_rate: float
    drain_rate: float
    loop_p99: float
    loop_cpu: float
    earned: int


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def fresh_database(backend: str, pg_url: str | None) -> tuple[Database, Callable[[], Awaitable[None]]]:
    """An empty schema and a function that removes it."""
    if backend == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/e2e.db", ledger_key=LEDGER_KEY)
        drop: Callable[[], Awaitable[None]] = db.dispose
    else:
        assert pg_url is not None
        admin_url = make_url(pg_url).set(database="postgres")
        admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            await conn.execute(text(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)"))
            await conn.execute(text(f"CREATE DATABASE {BENCH_DB}"))
        db = Database(make_url(pg_url).set(database=BENCH_DB).render_as_string(hide_password=False),
                      ledger_key=LEDGER_KEY)

        async def drop() -> None:
            await db.dispose()
            async with admin.connect() as conn:
                await conn.execute(text(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)"))
            await admin.dispose()
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    return db, drop


async def pending(db: Database) -> int:
    async with db.unit_of_work() as s:
        return int(await s.scalar(select(func.count()).select_from(Message)
                                  .where(Message.sentiment_status == "pending")) or 0)


async def analyze(db: Database) -> None:
    """Statistics for the tables the warm-up filled, as autovacuum keeps them on
    a live database (PostgreSQL plans its prepared statements by them)."""
    if db.dialect == "postgresql":
        async with db.engine.connect() as conn:
            await conn.execute(text("ANALYZE"))


async def wait_scored(db: Database, timeout: float = 600) -> float:
    """Seconds until nothing is pending sentiment."""
    started = time.monotonic()
    while await pending(db):
        if time.monotonic() - started > timeout:
            raise TimeoutError("scoring did not drain")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


class Platform:
    """Starts and stops one adapter against the fake at ``port``."""

    def __init__(self, name: str, port: int) -> None:
        self.name, self.port = name, port
        self._stop: Callable[[], Awaitable[None]] | None = None

    def settings(self) -> Settings:
        community = Community(platform=self.name, id=GUILD if self.name == "discord" else str(CHAT))
        program = Program(id="bench", name="Bench", rules=RULES, communities=(community,))
        telegram = TelegramSettings(base_url=f"http://127.0.0.1:{self.port}", poll_timeout_seconds=1)
        return Settings(programs=(program,), sentiment=SentimentSettings(), telegram=telegram)

    async def start(self, core: Core) -> None:
        if self.name == "discord":
            await self._start_discord(core)
        else:
            await self._start_telegram(core)

    async def _start_discord(self, core: Core) -> None:
        import discord
        import yarl

        from bot.discord.client import EngageBot

        discord.http.Route.BASE = f"http://127.0.0.1:{self.port}/api/v10"
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(f"ws://127.0.0.1:{self.port}/gateway")
        bot = EngageBot(core, core.settings, guild_ready_timeout=0.05)
        task = asyncio.create_task(bot.start("bench-token"))
        while not bot.is_ready():
            await asyncio.sleep(0.02)
        if bot.catch_up_task is not None:
            await bot.catch_up_task

        async def stop() -> None:
            await bot.close()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

        self._stop = stop

    async def _start_telegram(self, core: Core) -> None:
        from bot.telegram.runner import TelegramRuntime

        runtime = TelegramRuntime(core, core.settings, "123:bench", None)
        await runtime.start()
        self._stop = runtime.stop

    async def stop(self) -> None:
        if self._stop is not None:
            await self._stop()


async def phase(core: TimedCore, conn: Connection, users: list[int],
                rate: float) -> tuple[dict[str, float], float]:
    """Have the fake send messages from ``users``; wait until all have committed."""
    core.expect(len(users))
    conn.send(("push", users, rate))
    sent = await asyncio.to_thread(conn.recv)
    await asyncio.wait_for(core.all_in.wait(), timeout=600)
    return sent, max(core.committed.values())


async def one_run(platform: str, backend: str, pg_url: str | None, args: argparse.Namespace) -> Figures:
    db, drop = await fresh_database(backend, pg_url)
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    child = context.Process(target=fake_process, args=(platform, args.members, theirs), daemon=True)
    child.start()
    adapter = Platform(platform, await asyncio.to_thread(ours.recv))
    core = TimedCore(adapter.settings(), db)
    await core.start()
    s = core.settings.sentiment
    scorer: Scorer | ScoringProcess
    if args.scoring == "process":
        scorer = ScoringProcess(s.backend, s.model, s.batch_size)
        await scorer.start()
    else:
        scorer = loader.load(s.backend, s.model, s.batch_size)
    worker = SentimentWorker(db, scorer, s.batch_size, s.max_wait_seconds)
    scoring = asyncio.create_task(worker.run())
    lag = LoopLag()
    try:
        await adapter.start(core)
        await phase(core, ours, list(range(args.members)), args.rate or 0)
        await wait_scored(db)
        await analyze(db)
        rng = random.Random(11)
        users = [rng.randrange(args.members) for _ in range(args.messages)]
        lag.start()
        cpu = time.thread_time()
        profiler = cProfile.Profile() if args.profile else None
        if profiler is not None:
            profiler.enable()
        sent, last = await phase(core, ours, users, args.rate)
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
        loop_cpu = (time.thread_time() - cpu) / args.messages * 1e6
        ingest_seconds = last - min(sent.values())
        backlog = await pending(db)
        loop_p99 = await lag.stop()
        drain_seconds = await wait_scored(db)
        latencies = [core.committed[k] - at for k, at in sent.items()]
        scored_while_ingesting = args.messages - backlog
        return Figures(args.messages / ingest_seconds, pct(latencies, 0.5) * 1000, pct(latencies, 0.99) * 1000,
                       backlog, scored_while_ingesting / ingest_seconds,
                       backlog / drain_seconds if backlog else float("nan"), loop_p99, loop_cpu, core.earned)
    finally:
        await adapter.stop()
        worker.stop()
        await asyncio.gather(scoring, return_exceptions=True)
        ours.send(("stop",))
        await asyncio.to_thread(child.join, 10)
        if isinstance(scorer, ScoringProcess):
            scorer.close()
        await drop()


def show(label: str, f: Figures, messages: int) -> str:
    return (f"{label:32s} {f.rate:7.0f} msg/s  p50 {f.p50:7.1f} ms  p99 {f.p99:7.1f} ms  "
            f"backlog {f.backlog:6d} (scored {f.scoring_rate:5.0f}/s while ingesting, drains {f.drain_rate:5.0f}/s)"
            f"  loop p99 {f.loop_p99:5.1f} ms, CPU {f.loop_cpu:4.0f} us/msg  earned {f.earned}/{messages}")


def median(runs: list[Figures]) -> Figures:
    def mid(name: str) -> Any:
        values = [getattr(r, name) for r in runs]
        kept = [v for v in values if not math.isnan(v)]
        return statistics.median(kept) if kept else float("nan")

    return Figures(mid("rate"), mid("p50"), mid("p99"), int(mid("backlog")), mid("scoring_rate"), mid("drain_rate"),
                   mid("loop_p99"), mid("loop_cpu"), int(mid("earned")))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=6000)
    parser.add_argument("--rate", type=float, default=2000, help="messages/s the fake sends (0: all at once)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--platforms", nargs="+", default=["discord", "telegram"], choices=["discord", "telegram"])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"],
                        choices=["sqlite", "postgresql"])
    parser.add_argument("--scoring", default="thread", choices=["thread", "process"],
                        help="score in a thread of the bot's process (as engagebot run does) or in a child "
                             "process (sentiment.process)")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the bot's measured phase (one run)")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    pg_url = os.environ.get("ENGAGEBOT_BENCH_POSTGRES_URL") or os.environ.get("ENGAGEBOT_TEST_POSTGRES_URL")
    backends = [b for b in args.backends if b == "sqlite" or pg_url]
    if len(backends) < len(args.backends):
        print("PostgreSQL skipped: set ENGAGEBOT_BENCH_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1/test")
    print(f"{args.messages} messages from {args.members} members at "
          f"{'full speed' if not args.rate else f'{args.rate:.0f} msg/s'}, sentiment scoring running "
          f"(in a {args.scoring}); "
          f"median of {args.runs} runs", flush=True)
    for backend in backends:
        for platform in args.platforms:
            runs = []
            for n in range(args.runs):
                runs.append(await one_run(platform, backend, pg_url, args))
                print("  " + show(f"{backend} {platform} run {n + 1}", runs[-1], args.messages), flush=True)
            print(show(f"{backend} {platform} median", median(runs), args.messages), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
