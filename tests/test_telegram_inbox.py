"""Telegram delivery end to end: nothing Telegram was told we received is lost, nothing
counts twice, and throttled replies never hold up earning.

The stop-in-the-middle tests run ``engagebot run`` as a real OS process against the
fake Bot API served from this test process, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner

from bot import cli
from bot.config import ConfigError, parse
from bot.telegram import intake as intake_module
from bot.telegram.ordering import EXCLUSIVE, OBSERVE, SHARED, Lanes, lanes
from bot.telegram.runner import TelegramRuntime, check_webhook_secret
from handlers.config_model import Community, Program, Rules, Settings, TelegramSettings
from handlers.core import Core
from storage import inbox, schema
from storage.database import Database
from storage.models import InboxUpdate, LedgerEntry, Message
from tests.conftest import BACKENDS, PG_URL
from tests.fakes.telegram_api import BOT, FakeTelegram
from tests.probe import DbProbe

CHAT = -100222
MOD = 900
MEMBERS = tuple(range(1001, 1051))
TOKEN = "123:fake"
BOT_ID = BOT["id"]
POINTS = 5
ENGAGEBOT = str(Path(sys.executable).with_name("engagebot"))
EARNING_RULES = Rules(points_per_message=POINTS, cooldown_seconds=0, min_message_length=1, daily_cap=1_000_000,
                      streak_bonus=0, max_adjustment=10_000)


def add_members(fake: FakeTelegram) -> None:
    fake.add_user(MOD, "moderator", admin=True)
    for uid in MEMBERS:
        fake.add_user(uid, f"member{uid}")


def settings_for(api_port: int, **telegram: Any) -> Settings:
    return Settings(programs=(Program(id="acme", name="Acme", rules=EARNING_RULES,
                                      communities=(Community(platform="telegram", id=str(CHAT)),)),),
                    telegram=TelegramSettings(base_url=f"http://127.0.0.1:{api_port}/", poll_timeout_seconds=1,
                                              **telegram))


def message_key(message_id: int) -> str:
    return f"msg:telegram:{CHAT}:{message_id}"


# --- storage -----------------------------------------------------------------

async def test_store_is_idempotent_and_reports_done(db: Database) -> None:
    async with db.unit_of_work() as s:
        first = await inbox.store(s, BOT_ID, [(1, '{"update_id": 1}'), (2, '{"update_id": 2}')])
        await inbox.mark_done(s, [first[1].inbox_id])
    async with db.unit_of_work() as s:
        again = await inbox.store(s, BOT_ID, [(1, "redelivered"), (2, "redelivered"), (3, "{}")])
        other_bot = await inbox.store(s, BOT_ID + 1, [(1, "{}")])
    assert again[1] == inbox.Stored(first[1].inbox_id, True) and again[2] == inbox.Stored(first[2].inbox_id, False)
    assert not again[3].done and other_bot[1].inbox_id not in {r.inbox_id for r in again.values()}
    async with db.unit_of_work() as s:
        pending = await inbox.pending(s, BOT_ID, 10)
        assert [p.update_id for p in pending] == [2, 3] and pending[0].payload == '{"update_id": 2}'
        assert [p.update_id for p in await inbox.pending(s, BOT_ID, 10, after=2)] == [3]
        assert await inbox.counts(s, BOT_ID) == (2, 1)


async def test_prune_bounds_done_rows_by_age_and_count_and_keeps_pending(db: Database) -> None:
    async with db.unit_of_work() as s:
        stored = await inbox.store(s, BOT_ID, [(i, "{}") for i in range(1, 21)])
        await inbox.mark_done(s, [stored[i].inbox_id for i in range(1, 16)])
        old = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=10)
        await s.execute(InboxUpdate.__table__.update().where(InboxUpdate.update_id <= 5).values(done_at=old))
    async with db.unit_of_work() as s:
        removed = await inbox.prune(s, BOT_ID, datetime.now(UTC).replace(tzinfo=None) - timedelta(days=1), keep=4)
        left = sorted((await s.scalars(select(InboxUpdate.update_id))).all())
    assert removed == 11 and left == [12, 13, 14, 15, 16, 17, 18, 19, 20]


# --- ordering ----------------------------------------------------------------

async def test_lanes_order_exclusive_after_shared_and_shared_side_by_side() -> None:
    order: list[str] = []
    gates = Lanes()

    async def run(name: str, uses: list[tuple[tuple[Any, ...], str]], seconds: float) -> None:
        mine, before = gates.enter(uses)
        if before:
            await asyncio.wait(before)
        order.append(f"{name}+")
        await asyncio.sleep(seconds)
        order.append(f"{name}-")
        gates.leave(uses, mine)

    chat, alice, bob = ("chat", 1), ("user", 1), ("user", 2)
    await asyncio.gather(run("a1", [(chat, SHARED), (alice, EXCLUSIVE)], 0.05),
                         run("b1", [(chat, SHARED), (bob, SHARED)], 0.01),
                         run("a-points", [(alice, OBSERVE)], 0.2),
                         run("a2", [(chat, SHARED), (alice, EXCLUSIVE)], 0.01),
                         run("b-points", [(bob, OBSERVE)], 0.01),
                         run("mod", [(chat, EXCLUSIVE)], 0.01),
                         run("b2", [(chat, SHARED), (bob, SHARED)], 0.01))
    assert order.index("b1-") < order.index("a1-")          # different members side by side
    assert order.index("a1-") < order.index("a2+")          # an exclusive use waits for the one before
    assert order.index("a1-") < order.index("a-points+") < order.index("a2-") < order.index("a-points-")
    assert order.index("b1-") < order.index("b-points+")    # a reader sees the shared use before it
    assert order.index("mod+") > max(order.index(x) for x in ("a1-", "b1-", "a2-"))
    assert order.index("b2+") > order.index("mod-")         # nothing overtakes a moderator command
    assert len(gates) == 0


def test_lanes_of_updates() -> None:
    fake = FakeTelegram(CHAT)
    add_members(fake)
    from telegram import Update

    message = Update.de_json({"update_id": 1, "message": fake.message(MEMBERS[0], "hello")}, None)
    award = Update.de_json({"update_id": 2, "message": fake.message(MOD, "/award@engage_bot 5 x")}, None)
    board = Update.de_json({"update_id": 3, "message": fake.message(MOD, "/leaderboard")}, None)
    assert (("chat", CHAT), SHARED) in lanes(message) and (("user", MEMBERS[0]), SHARED) in lanes(message)
    assert (("message", CHAT, message.message.message_id), EXCLUSIVE) in lanes(message)
    assert (("user", MOD), EXCLUSIVE) in lanes(award)
    assert (("chat", CHAT), EXCLUSIVE) in lanes(award) and lanes(board) == [(("user", MOD), OBSERVE)]


# --- config ------------------------------------------------------------------

@pytest.mark.parametrize("given", ["http://127.0.0.1:8081", "http://127.0.0.1:8081/", "http://127.0.0.1:8081/bot",
                                   "http://127.0.0.1:8081/bot/"])
def test_base_url_forms_are_normalised(given: str) -> None:
    assert TelegramSettings(base_url=given).base_url == "http://127.0.0.1:8081/bot"


def test_base_url_in_another_form_is_refused_in_one_line() -> None:
    with pytest.raises(ConfigError) as refused:
        parse({"programs": [{"id": "acme", "name": "Acme"}], "telegram": {"base_url": "http://127.0.0.1:8081/api"}})
    problem = str(refused.value).splitlines()[1].strip()
    assert problem == ("telegram.base_url = 'http://127.0.0.1:8081/api': expected the form "
                       "http://host:port/bot (or http://host:port)")


def test_webhook_secret_with_rejected_characters_is_one_line(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    settings = TelegramSettings(webhook_url="https://example.org/hook")
    check_webhook_secret(settings, "Good_secret-123")
    with pytest.raises(ConfigError, match=r"only contain the characters A-Z, a-z, 0-9, _ and -") as refused:
        check_webhook_secret(settings, "not ok!")
    assert "not ok!" not in str(refused.value) and "\n" not in str(refused.value)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"database_url": f"sqlite+aiosqlite:///{tmp_path}/bot.db",
                                      "programs": [{"id": "acme", "name": "Acme"}],
                                      "telegram": {"webhook_url": "https://example.org/hook"}}))
    monkeypatch.setenv("ENGAGEBOT_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("ENGAGEBOT_TELEGRAM_WEBHOOK_SECRET", "s3cret with spaces")
    for name in ("ENGAGEBOT_DATABASE_URL", "ENGAGEBOT_DISCORD_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(cli.logs, "configure", lambda *args, **kwargs: None)  # keep pytest's log capture
    assert CliRunner().invoke(cli.app, ["db", "upgrade", "-c", str(config)]).exit_code == 0
    result = CliRunner().invoke(cli.app, ["run", "-c", str(config)])
    assert result.exit_code != 0 and "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "may only contain the characters A-Z, a-z, 0-9, _ and -" in errors[0]
    assert "s3cret with spaces" not in result.output


# --- in-process runtime ------------------------------------------------------

@dataclass
class Running(DbProbe):
    fake: FakeTelegram
    core: Core
    runtime: TelegramRuntime

    async def earned(self, message_id: int) -> bool:
        return await self.count(LedgerEntry, LedgerEntry.idempotency_key == message_key(message_id)) > 0

    async def latency(self, uid: int, text_: str, bound: float = 5.0) -> float:
        """Seconds from the update being available to its points being committed."""
        started = time.monotonic()
        message = self.fake.message(uid, text_)
        while not await self.earned(message["message_id"]):
            assert time.monotonic() - started < bound, f"message not earned within {bound} s"
            await asyncio.sleep(0.01)
        return time.monotonic() - started


async def running(db: Database, fake: FakeTelegram, *, rate_limit: bool = False, secret: str | None = None,
                  **telegram: Any) -> Running:
    core = Core(settings_for(fake.port, **telegram), db)
    await core.start()
    runtime = TelegramRuntime(core, core.settings, TOKEN, secret, rate_limit=rate_limit)
    await runtime.start()
    return Running(fake, core, runtime)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram(CHAT)
    add_members(server)
    await server.start()
    yield server
    await server.stop()


async def test_sixty_leaderboards_are_answered_once_and_do_not_delay_earning(db: Database,
                                                                             fake: FakeTelegram) -> None:
    fake.group_limit, fake.throttle_next = (20, 60.0), 3
    bot = await running(db, fake, rate_limit=True)
    try:
        for uid in MEMBERS[-10:]:
            fake.message(uid, f"first message of {uid}")
            fake.message(uid, f"second message of {uid}")
        await bot.settle(LedgerEntry, 20)
        for uid in MEMBERS[:50]:
            fake.message(uid, "/leaderboard")
        for uid in (MOD, *MEMBERS[:9]):
            fake.message(uid, "/leaderboard@engage_bot")
        waited = await bot.latency(MEMBERS[0], "an ordinary message right after sixty commands")
        print(f"\nhead of line ({db.dialect}, 60 x /leaderboard): ordinary message earned in {waited * 1000:.0f} ms")
        await bot.settle(InboxUpdate, 81, InboxUpdate.done_at.is_not(None))
        await fake.wait_for(lambda: fake.replies_to(CHAT))
        await asyncio.sleep(0.3)
        assert len(fake.replies_to(CHAT)) == 1 and "Leaderboard" in fake.replies_to(CHAT)[0]
        assert bot.runtime.outbox.coalesced == 59 and fake.throttled >= 1
    finally:
        await bot.runtime.stop()


async def test_message_earns_while_forty_replies_wait_for_the_group_limit(db: Database, fake: FakeTelegram) -> None:
    fake.group_limit = (20, 60.0)
    bot = await running(db, fake, rate_limit=True)
    try:
        target = fake.message(MEMBERS[0], "a message to award")
        await bot.settle(LedgerEntry, 1)
        for n in range(1, 41):
            fake.message(MOD, f"/award {n} thanks number {n}", reply_to=target)
        await bot.settle(LedgerEntry, 41)
        waited = await bot.latency(MEMBERS[1], "an ordinary message behind a reply backlog")
        print(f"\nhead of line ({db.dialect}, 40 awards queued): ordinary message earned in {waited * 1000:.0f} ms, "
              f"replies still queued {bot.runtime.outbox.pending()}")
        assert bot.runtime.outbox.pending() >= 15
        assert len(fake.replies_to(CHAT)) <= 20
    finally:
        await bot.runtime.stop()


async def test_pending_inbox_is_handled_before_polling_and_redelivery_counts_once(db: Database,
                                                                                  fake: FakeTelegram) -> None:
    update = {"update_id": 7, "message": fake.message(MEMBERS[0], "confirmed to Telegram, then a crash")}
    fake.queue.clear()
    async with db.unit_of_work() as s:
        await inbox.store(s, BOT_ID, [(7, json.dumps(update))])
    first_poll: list[datetime] = []
    serve_updates = fake.api_getUpdates

    async def recording(params: dict[str, Any]) -> Any:
        first_poll.append(datetime.now(UTC).replace(tzinfo=None))
        return await serve_updates(params)

    fake.api_getUpdates = recording  # type: ignore[method-assign]
    bot = await running(db, fake)
    try:
        assert await bot.earned(update["message"]["message_id"])
        async with db.unit_of_work() as s:
            done_at = await s.scalar(select(InboxUpdate.done_at).where(InboxUpdate.update_id == 7))
        assert done_at is not None and done_at <= first_poll[0]
        fake.queue.append(update)
        fake.new_update.set()
        await fake.wait_for(lambda: fake.confirmed > 7)
        fresh = fake.message(MEMBERS[1], "a new message after the redelivery")
        await bot.settle(LedgerEntry, 2)
        assert await bot.count(LedgerEntry) == 2 and await bot.count(Message) == 2
        assert await bot.earned(fresh["message_id"])
    finally:
        await bot.runtime.stop()


async def test_polled_updates_are_stored_as_telegram_sent_them(db: Database, fake: FakeTelegram) -> None:
    bot = await running(db, fake)
    try:
        sent = fake.message(MEMBERS[0], "stored as it came, émojis 🎉 and all")
        await bot.settle(LedgerEntry, 1)
        assert await bot.earned(sent["message_id"])
        async with db.unit_of_work() as s:
            payloads = (await s.scalars(select(InboxUpdate.payload))).all()
    finally:
        await bot.runtime.stop()
    assert [json.loads(p)["message"] for p in payloads] == [sent]


async def test_failed_update_stays_pending_and_is_retried(db: Database, fake: FakeTelegram,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    bot = await running(db, fake)
    real, failures = bot.core.message, [1]

    async def flaky(ctx: Any, message: Any) -> Any:
        if failures:
            failures.pop()
            raise OperationalError("INSERT", {}, Exception("database is gone for a moment"))
        return await real(ctx, message)

    monkeypatch.setattr(bot.core, "message", flaky)
    try:
        sent = fake.message(MEMBERS[0], "this one fails the first time")
        await bot.fake.wait_for(lambda: fake.confirmed > 1)
        await asyncio.sleep(0.2)
        assert not await bot.earned(sent["message_id"])
        assert await bot.count(InboxUpdate, InboxUpdate.done_at.is_(None)) == 1
        assert await bot.runtime.intake.retry_failed() == 1
        await bot.settle(LedgerEntry, 1)
        await bot.settle(InboxUpdate, 1, InboxUpdate.done_at.is_not(None))
    finally:
        await bot.runtime.stop()


async def test_ignored_updates_are_marked_done_then_pruned_on_schedule(db: Database, fake: FakeTelegram) -> None:
    bot = await running(db, fake, inbox_keep_hours=0, inbox_keep_updates=1, inbox_prune_interval_seconds=1)
    try:
        fake.message(MEMBERS[0], None, sticker={"file_id": "s", "file_unique_id": "s", "type": "regular",
                                                "width": 1, "height": 1, "is_animated": False, "is_video": False})
        fake.message(MEMBERS[0], "an edit", kind="edited_message", message_id=1)
        fake.message(MEMBERS[0], "/leaderboard", chat_id=MEMBERS[0])
        await fake.wait_for(lambda: fake.confirmed > 3)
        await _until(lambda: _none_left(bot), 10, "the scheduled prune")
        assert await bot.count(Message) == 0 and "inside a community" in fake.replies_to(MEMBERS[0])[0]
    finally:
        await bot.runtime.stop()


async def _none_left(bot: Running) -> bool:
    return await bot.count(InboxUpdate) == 0


async def _post(port: int, update: dict[str, Any], secret: str) -> int:
    async with aiohttp.ClientSession() as http:
        response = await http.post(f"http://127.0.0.1:{port}/hook", data=json.dumps(update), headers={
            "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret})
        return response.status


async def test_webhook_answers_200_once_stored_and_500_when_it_cannot_store(
        db: Database, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch, unused_tcp_port: int) -> None:
    """Telegram retries a webhook call that did not get 200, so 200 must mean "stored"."""
    bot = await running(db, fake, secret="s3cret", webhook_url=f"http://127.0.0.1:{unused_tcp_port}/hook",
                        listen="127.0.0.1", port=unused_tcp_port)
    try:
        update = {"update_id": 501, "message": fake.message(MEMBERS[0], "delivered by webhook")}
        real_store = intake_module.inbox.store

        async def broken(*args: Any, **kwargs: Any) -> Any:
            raise OperationalError("INSERT", {}, Exception("disk full"))

        monkeypatch.setattr(intake_module.inbox, "store", broken)
        assert await _post(unused_tcp_port, update, "s3cret") == 500
        assert await bot.count(InboxUpdate) == 0 and await bot.count(Message) == 0
        monkeypatch.setattr(intake_module.inbox, "store", real_store)
        assert await _post(unused_tcp_port, update, "wrong") == 403
        assert await _post(unused_tcp_port, update, "s3cret") == 200
        assert await bot.count(InboxUpdate, InboxUpdate.update_id == 501) == 1
        assert await _post(unused_tcp_port, update, "s3cret") == 200
        await bot.settle(InboxUpdate, 1, InboxUpdate.done_at.is_not(None))
        await asyncio.sleep(0.2)
        assert await bot.count(LedgerEntry) == 1 and await bot.count(Message) == 1
    finally:
        await bot.runtime.stop()


# --- a real process, stopped in the middle of a burst --------------------------

BURST, AWARDS, WHILE_DOWN = 3000, 20, 500


@dataclass
class BotDatabase:
    url: str
    drop: str | None = None


async def _database(backend: str, tmp_path: Path) -> BotDatabase:
    if backend == "sqlite":
        return BotDatabase(f"sqlite+aiosqlite:///{tmp_path}/bot.db")
    assert PG_URL, "PostgreSQL cases are marked NEEDS_POSTGRES"
    name = f"engagebot_tg_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = Database(PG_URL, isolation_level="AUTOCOMMIT")
    async with admin.engine.connect() as conn:
        await conn.execute(text(f"CREATE DATABASE {name}"))
    await admin.dispose()
    return BotDatabase(PG_URL.rsplit("/", 1)[0] + f"/{name}", name)


async def _drop(database: BotDatabase) -> None:
    if database.drop and PG_URL:
        admin = Database(PG_URL, isolation_level="AUTOCOMMIT")
        async with admin.engine.connect() as conn:
            await conn.execute(text(f"DROP DATABASE IF EXISTS {database.drop} WITH (FORCE)"))
        await admin.dispose()


class BotProcess:
    """``engagebot run`` as its own OS process."""

    def __init__(self, config: Path, database_url: str, log: Path) -> None:
        self.config, self.log = config, log
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGEBOT_")}
        self.env.update(ENGAGEBOT_TELEGRAM_TOKEN=TOKEN, ENGAGEBOT_DATABASE_URL=database_url)
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                ENGAGEBOT, "run", "--config", str(self.config), env=self.env, stdout=out, stderr=out,
                start_new_session=True)

    async def stop(self, how: signal.Signals) -> int:
        assert self.process is not None
        self.process.send_signal(how)
        try:
            return await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            self.process.kill()
            return await self.process.wait()

    async def cli(self, *args: str) -> tuple[int, str]:
        run = await asyncio.create_subprocess_exec(ENGAGEBOT, *args, "--config", str(self.config), env=self.env,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await run.communicate()
        return run.returncode or 0, out.decode()


def _write_config(path: Path, port: int) -> None:
    path.write_text(yaml.safe_dump({
        "log_level": "warning",
        "programs": [{"id": "acme", "name": "Acme", "rules": EARNING_RULES.model_dump(),
                      "communities": [{"platform": "telegram", "id": str(CHAT)}]}],
        "telegram": {"base_url": f"http://127.0.0.1:{port}", "poll_timeout_seconds": 1},
        "sentiment": {"batch_size": 1024, "max_wait_seconds": 3600},
    }))


async def _until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=["kill-9", "sigterm", "sigint"])
@pytest.mark.parametrize("backend", BACKENDS)
async def test_stop_mid_burst_then_restart_loses_nothing_and_pays_once(
        backend: str, how: signal.Signals, tmp_path: Path, fake: FakeTelegram) -> None:
    database = await _database(backend, tmp_path)
    migrator = Database(database.url)
    await schema.upgrade(migrator)
    await migrator.dispose()
    probe = create_async_engine(database.url)
    try:
        config = tmp_path / "config.yaml"
        _write_config(config, fake.port)
        bot = BotProcess(config, database.url, tmp_path / "bot.log")

        async def count(model: type, *where: Any) -> int:
            async with probe.connect() as conn:
                return int(await conn.scalar(select(func.count()).select_from(model).where(*where)) or 0)

        expected: Counter[int] = Counter()
        messages = 0

        def send(uid: int) -> dict[str, Any]:
            nonlocal messages
            messages += 1
            expected[uid] += POINTS
            return fake.message(uid, f"message {messages} from {uid}, {uuid.uuid4().hex[:6]}")

        await bot.start()
        await fake.wait_for(lambda: "getUpdates" in fake.calls, timeout=60)
        for i in range(BURST):
            target = send(MEMBERS[i % len(MEMBERS)])
            if i % (BURST // AWARDS) == BURST // AWARDS - 1:
                amount = 10 + i % 7
                expected[target["from"]["id"]] += amount
                fake.message(MOD, f"/award {amount} burst award {i}", reply_to=target)
        await _until(lambda: _over(count, BURST // 3), 60, "a third of the burst")
        code = await bot.stop(how)
        at_stop = await count(Message)
        pending = await count(InboxUpdate, InboxUpdate.done_at.is_(None))
        confirmed_pending = await count(InboxUpdate, InboxUpdate.done_at.is_(None),
                                        InboxUpdate.update_id < fake.confirmed)
        for i in range(WHILE_DOWN):
            send(MEMBERS[(i * 7) % len(MEMBERS)])
        await bot.start()
        await _until(lambda: _over(count, messages - 1), 120, "every message")
        await _until(lambda: _awards(count, AWARDS), 60, "every award")
        await fake.wait_for(lambda: not fake.queue, timeout=30)
        await asyncio.sleep(0.5)
        assert await bot.stop(signal.SIGINT) == 0
        assert await count(Message) == messages == BURST + WHILE_DOWN
        assert await count(Message, Message.points == POINTS) == messages
        assert await count(LedgerEntry, LedgerEntry.reason == "message") == messages
        assert await count(LedgerEntry, LedgerEntry.reason == "moderator_award") == AWARDS
        assert await count(InboxUpdate, InboxUpdate.done_at.is_(None)) == 0
        async with probe.connect() as conn:
            balances = dict((await conn.execute(text(
                "SELECT i.platform_user_id, b.balance FROM balances b JOIN identities i ON i.member_id = b.member_id "
                "WHERE i.platform = 'telegram'"))).all())
        assert {int(k): v for k, v in balances.items() if v} == dict(expected)
        verified, output = await bot.cli("ledger", "verify")
        assert verified == 0 and "OK" in output, output
        print(f"\n{backend} {how.name}: exit {code}; at stop {at_stop} messages stored, {pending} updates pending in "
              f"the inbox, {confirmed_pending} of them already confirmed to Telegram; after restart "
              f"{await count(Message)}/{messages} messages earned once, "
              f"{await count(LedgerEntry, LedgerEntry.reason == 'moderator_award')}/{AWARDS} awards paid once, "
              f"balances exact, ledger verify OK")
    finally:
        await probe.dispose()
        await _drop(database)


async def _over(count: Any, n: int) -> bool:
    return await count(Message) > n


async def _awards(count: Any, n: int) -> bool:
    return await count(LedgerEntry, LedgerEntry.reason == "moderator_award") >= n

