"""Wiring and lifecycle: config + secrets -> database -> core -> adapters, then the stop.

Adapters get their dependencies passed in (discord.py's advanced_startup
pattern); nothing reaches for globals, and the runners never import this
module.

Stop (SIGTERM or Ctrl-C in ``engagebot run``, or an adapter that ended): each
adapter stops receiving and finishes what it holds, the core commits the
messages still batched, the sentiment worker writes the batch in hand, and
the engine is disposed only after every task has ended. What is not done
within ``shutdown_grace_seconds`` is cancelled, and still not lost: a
Telegram update stays pending in the inbox, a Discord message is read again
by the catch-up, an unscored message stays pending.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import structlog

from bot import config as config_loader
from bot import scheduler as scheduling
from bot.config import ConfigError, Secrets
from bot.reports import digest as digest_report
from bot.sentiment_worker import SentimentWorker
from handlers.config_model import Settings
from handlers.core import Core
from sentiment import loader as sentiment_loader
from storage import schema
from storage.database import Database, Patience

log = structlog.get_logger(__name__)
OUTLET_WAIT_SECONDS = 30.0


@dataclass
class App:
    settings: Settings
    secrets: Secrets
    db: Database
    core: Core


async def build(config_path: Path, secrets: Secrets | None = None) -> App:
    """Load config, open the database and refuse an out-of-date schema. The start-up checks fail
    at once; once running, a lost database is waited out (``Patience``). A failed start disposes
    of the engine before it raises, so no connection outlives the event loop."""
    settings = config_loader.load(config_path)
    secrets = secrets or Secrets.from_env()
    db = Database(config_loader.database_url(settings, secrets), ledger_key=config_loader.ledger_key(secrets),
                  patience=Patience())
    try:
        await schema.ensure_current(db)
        core = Core(settings, db)
        core.renderer = digest_report.render
        await core.start()
    except BaseException:
        await db.dispose()
        raise
    return App(settings, secrets, db, core)


def request_stop(stopping: asyncio.Event, reason: str) -> None:
    """What ``engagebot run`` does on SIGTERM or SIGINT."""
    log.info("stop requested", reason=reason)
    stopping.set()


async def serve(config_path: Path, secrets: Secrets, stopping: asyncio.Event) -> None:
    """``engagebot run``: build, then run until ``stopping`` is set."""
    await run(await build(config_path, secrets), stopping)


def missing_tokens_message() -> str:
    return (f"no platform token set: export {config_loader.ENV_DISCORD_TOKEN} (Discord bot token) and/or "
            f"{config_loader.ENV_TELEGRAM_TOKEN} (Telegram bot token from BotFather), then run again")


def sentiment_worker(app: App) -> SentimentWorker:
    s = app.settings.sentiment
    return SentimentWorker(app.db, sentiment_loader.load(s.backend, s.model, s.batch_size), s.batch_size,
                           s.max_wait_seconds)


async def run(app: App, stopping: asyncio.Event | None = None) -> None:
    """Run every adapter whose token is set until ``stopping`` is set or an adapter ends, then stop in
    order and dispose of the engine (see the module docstring). An adapter's failure is raised."""
    try:
        await _serve(app, stopping or asyncio.Event())
    finally:
        await app.db.dispose()


def _adapters(app: App) -> list[tuple[str, Callable[[asyncio.Event], Awaitable[None]]]]:
    """The runner of each platform whose token is set, checked and imported only then."""
    secrets = app.secrets
    if not (secrets.discord_token or secrets.telegram_token):
        raise ConfigError(missing_tokens_message())
    adapters: list[tuple[str, Callable[[asyncio.Event], Awaitable[None]]]] = []
    if secrets.telegram_token:
        from bot.telegram.runner import check_webhook_secret, run_telegram

        check_webhook_secret(app.settings.telegram, secrets.telegram_webhook_secret)
    if secrets.discord_token:
        from bot.discord.runner import run_discord

        adapters.append(("discord", partial(run_discord, app.core, app.settings, secrets.discord_token)))
    if secrets.telegram_token:
        adapters.append(("telegram", partial(run_telegram, app.core, app.settings, secrets.telegram_token,
                                             secrets.telegram_webhook_secret)))
    return adapters


async def _serve(app: App, stopping: asyncio.Event) -> None:
    if app.db.ledger_key is None:
        log.warning(config_loader.UNKEYED_LEDGER_WARNING)
    runners = _adapters(app)
    worker = sentiment_worker(app)
    adapters = [asyncio.create_task(runner(stopping), name=name) for name, runner in runners]
    scoring = asyncio.create_task(worker.run(), name="sentiment")
    asked = asyncio.create_task(stopping.wait(), name="stop requested")
    scheduler = None
    try:
        ledger = app.settings.ledger
        scheduler = scheduling.for_runtime(app.core, ledger.checkpoint_dir, ledger.checkpoint_interval_minutes)
        log.info("engagebot running", adapters=[name for name, _ in runners])
        await _outlets_ready(app.core, len(runners), stopping)
        await scheduler.rearm()
        await asyncio.wait([*adapters, scoring, asked], return_when=asyncio.FIRST_COMPLETED)
        ended = [t.get_name() for t in adapters if t.done() and not t.cancelled() and t.exception() is None]
        if ended and not asked.done():
            log.warning("an adapter ended on its own, stopping", adapters=ended)
    finally:
        stopping.set()
        asked.cancel()
        if scheduler is not None:
            scheduler.stop()
        await _stop(app, adapters, worker, scoring)
    for task in adapters:
        if not task.cancelled():
            task.result()


async def _outlets_ready(core: Core, expected: int, stopping: asyncio.Event) -> None:
    """Wait (bounded) until every adapter has attached its outlet, so timed work that fell due while
    the bot was down, and runs at the first re-arm, is announced rather than sent nowhere."""
    deadline = time.monotonic() + OUTLET_WAIT_SECONDS
    while len(core.outlets) < expected and time.monotonic() < deadline and not stopping.is_set():
        await asyncio.sleep(0.1)
    if len(core.outlets) < expected:
        log.warning("not every adapter was ready; running due timed work anyway", ready=sorted(core.outlets))


async def _stop(app: App, adapters: list[asyncio.Task[None]], worker: SentimentWorker,
                scoring: asyncio.Task[None]) -> None:
    """Wind down in order within the grace; cancel what is left after it, and wait for every task
    to end either way so nothing touches the engine once it is disposed."""
    grace = app.settings.shutdown_grace_seconds
    log.info("engagebot stopping", grace_seconds=grace)
    started = time.monotonic()
    orderly = asyncio.create_task(_wind_down(app.core, adapters, worker, scoring), name="stop")
    done, _ = await asyncio.wait([orderly], timeout=grace)
    if not done:
        log.warning("stop took longer than the grace; cancelling what is left (it stays pending for the next "
                    "start)", grace_seconds=grace)
        for task in (*adapters, scoring, orderly):
            task.cancel()
    await asyncio.gather(*adapters, scoring, orderly, return_exceptions=True)
    log.info("engagebot stopped", seconds=round(time.monotonic() - started, 2))


async def _wind_down(core: Core, adapters: list[asyncio.Task[None]], worker: SentimentWorker,
                     scoring: asyncio.Task[None]) -> None:
    worker.stop()
    await asyncio.wait(adapters)
    await core.flush()
    await asyncio.wait([scoring])
