"""Wiring: config + secrets -> database -> core -> adapters.

Adapters get their dependencies passed in (discord.py's advanced_startup
pattern); nothing reaches for globals.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import structlog

from bot import config as config_loader
from bot import scheduler as scheduling
from bot.config import ConfigError, Secrets
from handlers.config_model import Settings
from handlers.core import Core
from sentiment import loader as sentiment_loader
from sentiment.worker import SentimentWorker
from storage import schema
from storage.database import Database

log = structlog.get_logger(__name__)
STOP_GRACE_SECONDS = 10.0


@dataclass
class App:
    settings: Settings
    secrets: Secrets
    db: Database
    core: Core


async def build(config_path: Path, secrets: Secrets | None = None, *, check_schema: bool = True) -> App:
    """Load config, open the database and refuse an out-of-date schema."""
    settings = config_loader.load(config_path)
    secrets = secrets or Secrets.from_env()
    db = Database(config_loader.database_url(settings, secrets), ledger_key=config_loader.ledger_key(secrets))
    if check_schema:
        try:
            await schema.ensure_current(db)
        except schema.SchemaOutOfDate:
            await db.dispose()
            raise
    core = Core(settings, db)
    await core.start()
    return App(settings, secrets, db, core)


def missing_tokens_message() -> str:
    return (f"no platform token set: export {config_loader.ENV_DISCORD_TOKEN} (Discord bot token) and/or "
            f"{config_loader.ENV_TELEGRAM_TOKEN} (Telegram bot token from BotFather), then run again")


def sentiment_worker(app: App) -> SentimentWorker:
    s = app.settings.sentiment
    return SentimentWorker(app.db, sentiment_loader.load(s), s.batch_size, s.max_wait_seconds)


async def run(app: App) -> None:
    """Run every adapter whose token is set until one stops or is cancelled."""
    if app.db.ledger_key is None:
        log.warning(config_loader.UNKEYED_LEDGER_WARNING)
    if app.secrets.telegram_token:
        from bot.telegram.runner import check_webhook_secret

        check_webhook_secret(app.settings.telegram, app.secrets.telegram_webhook_secret)
    tasks = []
    if app.secrets.discord_token:
        from bot.discord.runner import run_discord

        tasks.append(asyncio.create_task(run_discord(app), name="discord"))
    if app.secrets.telegram_token:
        from bot.telegram.runner import run_telegram

        tasks.append(asyncio.create_task(run_telegram(app), name="telegram"))
    if not tasks:
        raise ConfigError(missing_tokens_message())
    worker = sentiment_worker(app)
    scoring = asyncio.create_task(worker.run(), name="sentiment")
    tasks.append(scoring)
    ledger = app.settings.ledger
    scheduler = scheduling.start_checkpoints(app.db, [p.id for p in app.settings.programs], ledger.checkpoint_dir,
                                             ledger.checkpoint_interval_minutes)
    log.info("engagebot running", adapters=[t.get_name() for t in tasks])
    try:
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            task.result()
    finally:
        if scheduler is not None:
            scheduler.stop()
        worker.stop()
        for task in tasks:
            if task is not scoring:
                task.cancel()
        _, late = await asyncio.wait(tasks, timeout=STOP_GRACE_SECONDS)
        for task in late:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)  # let them finish with the database before it closes
        await app.db.dispose()
