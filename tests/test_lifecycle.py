"""Stopping and surviving.

SIGTERM and Ctrl-C stop the bot in order (exit 0, nothing received is lost or
paid twice); a lost database or platform connection is ridden out with one
line when it is lost and one when it is back; a failed start is one line; the
notice to an unconfigured community goes out once, also across restarts.

The signal tests run ``engagebot run`` as a real process against the fake Bot
API (with the helpers of tests/test_telegram_inbox.py); the rest run in this
process against the fakes.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import discord
import pytest
import structlog
import yaml
import yarl
from aiohttp import web
from sqlalchemy import event, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot import app as app_module
from bot.app import App
from bot.cli import TEMPLATE
from bot.config import Secrets
from bot.discord.runner import run_discord
from bot.telegram.runner import TelegramRuntime
from handlers.config_model import Community, DiscordSettings, Program, Settings
from handlers.core import Core
from storage import schema
from storage.database import Database, Patience
from storage.models import InboxUpdate, LedgerEntry, Message
from tests.conftest import BACKENDS, NEEDS_POSTGRES, PG_SCHEMA, PG_URL, reset_schema
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.server import LocalServer
from tests.fakes.tcp_proxy import TcpProxy
from tests.fakes.telegram_api import FakeTelegram
from tests.test_telegram_inbox import (
    CHAT,
    EARNING_RULES,
    ENGAGEBOT,
    MEMBERS,
    MOD,
    TOKEN,
    BotProcess,
    _database,
    _drop,
    _until,
    _write_config,
    add_members,
    settings_for,
)

QUICK = Patience(first=0.05, most=0.2)
GUILD, CHANNEL = "100000000000000001", "100000000000000010"
DISCORD_MEMBERS = tuple(str(2001 + i) for i in range(20))


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram(CHAT)
    add_members(server)
    await server.start()
    yield server
    await server.stop()


async def _count(engine: AsyncEngine, model: type, *where: Any) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def _serve_again(server: LocalServer, start: Callable[[], Any]) -> None:
    """Start a fake again on the port it had (its state kept), as a platform that comes back."""
    port = server.port

    async def on_same_port(app: web.Application) -> str:
        server._runner = web.AppRunner(app)
        await server._runner.setup()
        await web.TCPSite(server._runner, "127.0.0.1", port).start()
        return f"http://127.0.0.1:{port}"

    server.serve = on_same_port  # type: ignore[method-assign]
    await start()


def _events(logs: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    return [e for e in logs if text in e["event"]]


# --- SIGTERM / Ctrl-C in the middle of a burst, then a restart ---------------------------

BURST, AWARDS, WHILE_DOWN = 1200, 10, 200


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
@pytest.mark.parametrize("backend", BACKENDS)
async def test_signal_mid_burst_stops_in_order_with_exit_0_and_restart_pays_each_once(
        backend: str, how: signal.Signals, tmp_path: Path, telegram: FakeTelegram) -> None:
    database = await _database(backend, tmp_path)
    migrator = Database(database.url)
    await schema.upgrade(migrator)
    await migrator.dispose()
    probe = create_async_engine(database.url)
    try:
        config = tmp_path / "config.yaml"
        _write_config(config, telegram.port)
        log = tmp_path / "bot.log"
        bot = BotProcess(config, database.url, log)
        messages = 0

        def send(uid: int) -> dict[str, Any]:
            nonlocal messages
            messages += 1
            return telegram.message(uid, f"message {messages} from {uid}, {uuid.uuid4().hex[:6]}")

        await bot.start()
        await telegram.wait_for(lambda: "getUpdates" in telegram.calls, timeout=60)
        for i in range(BURST):
            target = send(MEMBERS[i % len(MEMBERS)])
            if i % (BURST // AWARDS) == 0:
                telegram.message(MOD, f"/award 7 burst award {i}", reply_to=target)
        await _until(lambda: _over(probe, BURST // 3), 60, "a third of the burst")
        asked = time.monotonic()
        code = await bot.stop(how)
        took = time.monotonic() - asked
        first_run = log.read_text()
        acknowledged = telegram.confirmed  # Telegram was told every update below this id arrived
        stored = await _count(probe, InboxUpdate, InboxUpdate.update_id < acknowledged)
        unfinished = await _count(probe, InboxUpdate, InboxUpdate.update_id < acknowledged,
                                  InboxUpdate.done_at.is_(None))
        at_stop = await _count(probe, Message)
        assert code == 0, first_run
        for bad in ("Traceback", "Event loop is closed", "stop took longer than the grace"):
            assert bad not in first_run, first_run
        assert stored == acknowledged - 1 and unfinished == 0

        for i in range(WHILE_DOWN):
            send(MEMBERS[(i * 7) % len(MEMBERS)])
        await bot.start()
        await _until(lambda: _over(probe, messages - 1), 120, "every message")
        await _until(lambda: _awards(probe), 60, "every award")
        await telegram.wait_for(lambda: not telegram.queue, timeout=30)
        await asyncio.sleep(0.5)
        assert await bot.stop(how) == 0
        assert await _count(probe, Message) == messages == BURST + WHILE_DOWN
        assert await _count(probe, LedgerEntry, LedgerEntry.reason == "message") == messages
        assert await _count(probe, LedgerEntry, LedgerEntry.reason == "moderator_award") == AWARDS
        assert await _count(probe, InboxUpdate, InboxUpdate.done_at.is_(None)) == 0
        print(f"\n{backend} {how.name}: exit 0 {took:.2f} s after the signal, {at_stop} messages stored, "
              f"{acknowledged - 1} updates acknowledged, all stored and handled; after restart "
              f"{messages}/{messages} messages and {AWARDS}/{AWARDS} awards paid once")
    finally:
        await probe.dispose()
        await _drop(database)


async def _over(probe: AsyncEngine, n: int) -> bool:
    return await _count(probe, Message) > n


async def _awards(probe: AsyncEngine) -> bool:
    return await _count(probe, LedgerEntry, LedgerEntry.reason == "moderator_award") >= AWARDS


# --- Discord: what was received is committed before the stop, the rest caught up after ------

@pytest.fixture
async def discord_api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord(GUILD, CHANNEL)
    for uid in DISCORD_MEMBERS:
        fake.add_member(uid, f"member{uid}")
    base = await fake.start()
    monkeypatch.setattr(discord.http.Route, "BASE", f"{base}/api/v10")
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY",
                        yarl.URL(f"ws://127.0.0.1:{fake.port}/gateway"))
    yield fake
    await fake.stop()


def discord_settings(**extra: Any) -> Settings:
    return Settings(programs=(Program(id="acme", name="Acme", rules=EARNING_RULES,
                                      communities=(Community(platform="discord", id=GUILD),)),),
                    discord=DiscordSettings(sync_commands=False), **extra)


DISCORD_ONLY = Secrets(discord_token="fake-token", telegram_token=None, database_url=None,
                       telegram_webhook_secret=None)


async def _running(url: str, settings: Settings) -> tuple[asyncio.Task[None], asyncio.Event]:
    db = Database(url, patience=QUICK)
    core = Core(settings, db)
    await core.start()
    stopping = asyncio.Event()
    return asyncio.create_task(app_module.run(App(settings, DISCORD_ONLY, db, core), stopping)), stopping


async def test_discord_stop_commits_what_was_received_and_restart_catches_up_the_rest(
        tmp_path: Path, discord_api: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/discord.db"
    setup = Database(url)
    await reset_schema(setup)
    probe = create_async_engine(url)
    received: list[str] = []
    handed_in = Core.message

    async def recording(core: Core, ctx: Any, message: Any) -> Any:
        received.append(message.message_id)
        return await handed_in(core, ctx, message)

    monkeypatch.setattr(Core, "message", recording)
    total = 600
    try:
        running, stopping = await _running(url, discord_settings())
        await discord_api.wait_for(lambda: discord_api.history_requests, timeout=30)

        async def burst() -> None:
            for i in range(total):
                await discord_api.say(DISCORD_MEMBERS[i % len(DISCORD_MEMBERS)], f"burst message number {i}")
                await asyncio.sleep(0.002)

        sending = asyncio.create_task(burst())
        await _until(lambda: _over(probe, total // 5), 60, "a fifth of the burst")
        stopping.set()
        await running
        await sending
        async with probe.connect() as conn:
            stored = set((await conn.scalars(select(Message.platform_message_id))).all())
        assert set(received) <= stored and len(stored) < total

        received.clear()
        running, stopping = await _running(url, discord_settings())
        await _until(lambda: _over(probe, total - 1), 60, "the catch-up")
        await asyncio.sleep(0.3)
        stopping.set()
        await running
        assert await _count(probe, Message) == total
        assert await _count(probe, LedgerEntry, LedgerEntry.reason == "message") == total
        print(f"\ndiscord: {len(stored)} messages received and committed before the stop, "
              f"{len(set(received))} read by the catch-up after the restart, {total}/{total} paid once")
    finally:
        await probe.dispose()
        await setup.dispose()


async def test_a_stop_that_outlasts_the_grace_is_cut_short_and_still_disposes(
        tmp_path: Path, discord_api: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/grace.db"
    setup = Database(url)
    await reset_schema(setup)
    await setup.dispose()
    settings = discord_settings(shutdown_grace_seconds=0.5)
    stuck = asyncio.Event()

    async def never_done(core: Core) -> None:
        stuck.set()
        await asyncio.Event().wait()

    monkeypatch.setattr(Core, "flush", never_done)
    with structlog.testing.capture_logs() as logs:
        running, stopping = await _running(url, settings)
        await discord_api.wait_for(lambda: discord_api.history_requests, timeout=30)
        stopping.set()
        await asyncio.wait_for(running, 30)
    assert stuck.is_set()
    assert len(_events(logs, "stop took longer than the grace")) == 1
    assert _events(logs, "engagebot stopped")


# --- a failed start: one line ---------------------------------------------------------------

def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _engagebot(folder: Path, database_url: str, api: str) -> subprocess.CompletedProcess[str]:
    shutil.copyfile(TEMPLATE, folder / "config.yaml")
    config = yaml.safe_load((folder / "config.yaml").read_text())
    config["telegram"]["base_url"] = api
    (folder / "config.yaml").write_text(yaml.safe_dump(config))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGEBOT_")}
    env.update(ENGAGEBOT_TELEGRAM_TOKEN=TOKEN, ENGAGEBOT_DATABASE_URL=database_url)
    return subprocess.run([ENGAGEBOT, "run"], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def _one_line(result: subprocess.CompletedProcess[str], says: str) -> None:
    assert result.returncode == 1, result.stderr
    for bad in ("Traceback", "Event loop is closed", "never awaited", "Task was destroyed"):
        assert bad not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and says in errors[0], result.stderr


def test_a_start_with_the_database_down_is_one_line(tmp_path: Path) -> None:
    url = f"postgresql+asyncpg://engagebot@127.0.0.1:{_closed_port()}/engagebot"
    _one_line(_engagebot(tmp_path, url, "http://127.0.0.1:9/bot"), "cannot reach the database")


async def test_a_start_with_a_refused_token_is_one_line(tmp_path: Path) -> None:
    async def unauthorized(_: web.Request) -> web.Response:
        return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)

    api = web.Application()
    api.router.add_route("*", "/bot{token}/{method}", unauthorized)
    server = LocalServer()
    base = await server.serve(api)
    url = f"sqlite+aiosqlite:///{tmp_path}/bot.db"
    migrator = Database(url)
    await schema.upgrade(migrator)
    await migrator.dispose()
    try:
        result = await asyncio.to_thread(_engagebot, tmp_path, url, f"{base}/bot")
    finally:
        await server.shutdown()
    _one_line(result, "Telegram refused the bot token")


# --- a lost database ---------------------------------------------------------------------

async def test_a_database_that_refuses_connections_for_a_while_is_waited_out(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/outage.db", patience=QUICK)
    await reset_schema(db)
    core = Core(discord_settings(), db)
    await core.start()
    refused: list[int] = []
    down = True

    @event.listens_for(db.engine.sync_engine, "do_connect")
    def refuse(*_: Any) -> None:
        if down:
            refused.append(1)
            raise ConnectionRefusedError(111, "Connection refused")

    try:
        with structlog.testing.capture_logs() as logs:
            await db.engine.dispose()  # the server restarted: pooled connections are gone
            notices = [asyncio.create_task(core.first_notice("discord", str(n % 3))) for n in range(6)]
            await _eventually(lambda: len(refused) >= 4, "a few refused connections")
            assert not any(n.done() for n in notices) and db.reach is not None and db.reach.lost
            down = False
            answers = await asyncio.gather(*notices)
        assert sorted(answers) == [False] * 3 + [True] * 3
        assert len(_events(logs, "database connection lost")) == 1
        assert len(_events(logs, "database connection back")) == 1
        assert _events(logs, "database connection lost")[0]["error"].startswith("ConnectionRefusedError")
    finally:
        await db.dispose()


async def _eventually(check: Callable[[], bool], what: str) -> None:
    for _ in range(1500):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@NEEDS_POSTGRES
async def test_a_postgresql_server_cut_off_mid_use_is_waited_out() -> None:
    assert PG_URL
    target = yarl.URL(PG_URL.replace("postgresql+asyncpg", "postgresql"))
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    port = await proxy.start()
    db = Database(PG_URL.replace(f"{target.host}:{target.port}", f"127.0.0.1:{port}"), patience=QUICK,
                  connect_args={"server_settings": {"search_path": PG_SCHEMA}})
    try:
        await reset_schema(db)
        core = Core(discord_settings(), db)
        await core.start()
        assert await core.first_notice("discord", "1")
        with structlog.testing.capture_logs() as logs:
            await proxy.cut()  # every pooled connection dropped, new ones refused
            first = asyncio.create_task(core.first_notice("discord", "2"))
            await _eventually(lambda: db.reach is not None and db.reach.lost, "the loss")
            await asyncio.sleep(0.5)
            assert not first.done()
            await proxy.restore()
            assert await first
        assert not await core.first_notice("discord", "2")
        lost = _events(logs, "database connection lost")
        assert len(lost) == 1 and len(_events(logs, "database connection back")) == 1
        print(f"\npostgresql cut off: lost ({lost[0]['error']}), then back; the use case completed")
    finally:
        await db.dispose()


async def test_without_patience_a_lost_database_fails_at_once(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/plain.db")
    await reset_schema(db)

    @event.listens_for(db.engine.sync_engine, "do_connect")
    def refuse(*_: Any) -> None:
        raise ConnectionRefusedError(111, "Connection refused")

    await db.engine.dispose()
    try:
        with pytest.raises(ConnectionRefusedError):
            await Core(discord_settings(), db).first_notice("discord", "1")
    finally:
        await db.dispose()


class _Serialization(Exception):
    sqlstate = "40001"


async def test_a_lost_race_is_still_run_again_a_bounded_number_of_times(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/races.db", patience=QUICK)
    calls: list[int] = []

    async def loses_twice(_: Any) -> str:
        calls.append(1)
        if len(calls) < 3:
            raise DBAPIError("UPDATE", {}, _Serialization())
        return "done"

    async def always_loses(_: Any) -> None:
        calls.append(1)
        raise DBAPIError("UPDATE", {}, _Serialization())

    try:
        assert await db.run(loses_twice) == "done" and len(calls) == 3
        calls.clear()
        with pytest.raises(DBAPIError):
            await db.run(always_loses, attempts=4)
        assert len(calls) == 4 and db.reach is not None and not db.reach.lost
    finally:
        await db.dispose()


# --- a lost platform connection ----------------------------------------------------------

async def test_telegram_api_gone_for_a_while_is_one_line_lost_one_back(db: Database,
                                                                       telegram: FakeTelegram) -> None:
    core = Core(settings_for(telegram.port), db)
    await core.start()
    runtime = TelegramRuntime(core, core.settings, TOKEN, None, rate_limit=False)
    await runtime.start()
    try:
        with structlog.testing.capture_logs() as logs:
            await telegram.stop()
            await asyncio.sleep(3)  # long polls and a few retries fail meanwhile
            await _serve_again(telegram, telegram.start)
            sent = telegram.message(MEMBERS[0], "a message after the Bot API came back")
            await _until(lambda: _earned(db, sent["message_id"]), 30, "the message after the blip")
        lost = _events(logs, "connection lost")
        assert len(lost) == 1 and lost[0]["platform"] == "telegram"
        assert len(_events(logs, "connection back")) == 1
        assert not _events(logs, "polling failed")
    finally:
        await runtime.stop()


async def _earned(db: Database, message_id: int) -> bool:
    async with db.unit_of_work() as s:
        return bool(await s.scalar(select(func.count()).select_from(LedgerEntry).where(
            LedgerEntry.idempotency_key == f"msg:telegram:{CHAT}:{message_id}")))


async def test_discord_gateway_gone_for_a_while_is_one_line_lost_one_back(
        db: Database, discord_api: FakeDiscord, caplog: pytest.LogCaptureFixture) -> None:
    core = Core(discord_settings(), db)
    await core.start()
    stopping = asyncio.Event()
    running = asyncio.create_task(run_discord(core, core.settings, "fake-token", stopping))
    try:
        await discord_api.wait_for(lambda: discord_api.history_requests, timeout=30)
        with structlog.testing.capture_logs() as logs:
            await discord_api.stop()
            await asyncio.sleep(2)
            await _serve_again(discord_api, discord_api.start)
            await discord_api.wait_for(lambda: discord_api.resumes or discord_api.identifies > 1, timeout=60)
            await discord_api.say(DISCORD_MEMBERS[0], "a message after the gateway came back")
            await _until(lambda: _has_messages(db), 30, "the message after the blip")
        lost = _events(logs, "connection lost")
        assert len(lost) == 1 and lost[0]["platform"] == "discord"
        assert len(_events(logs, "connection back")) == 1
        assert not [r for r in caplog.records if r.getMessage().startswith("Attempting a reconnect")]
    finally:
        stopping.set()
        await running


async def _has_messages(db: Database) -> bool:
    async with db.unit_of_work() as s:
        return bool(await s.scalar(select(func.count()).select_from(Message)))


# --- the notice to an unconfigured community ---------------------------------------------

async def test_first_notice_has_one_winner_ever(db: Database) -> None:
    core = Core(discord_settings(), db)
    answers = await asyncio.gather(*(Core(core.settings, db).first_notice("telegram", "-100999")
                                     for _ in range(8)))
    assert answers.count(True) == 1
    assert await core.first_notice("discord", "-100999")
    assert not await core.first_notice("discord", "-100999")
    assert not await Core(core.settings, db).first_notice("discord", "-100999")


async def test_telegram_notice_is_sent_once_across_restarts(db: Database, telegram: FakeTelegram) -> None:
    stranger = -100999
    core = Core(settings_for(telegram.port), db)
    await core.start()
    for run in range(2):
        runtime = TelegramRuntime(Core(core.settings, db), core.settings, TOKEN, None, rate_limit=False)
        await runtime.start()
        try:
            telegram.message(MEMBERS[0], f"hello from a group nobody configured, run {run}", chat_id=stranger)
            telegram.message(MEMBERS[1], f"and another one, run {run}", chat_id=stranger)
            await telegram.wait_for(lambda: telegram.confirmed == telegram.next_update_id)
            await asyncio.sleep(0.3)
        finally:
            await runtime.stop()
    notices = telegram.replies_to(stranger)
    assert len(notices) == 1 and "not part of any engagebot program" in notices[0]
