"""Start the Telegram adapter for ``engagebot run``: long polling, or a webhook
whose secret token Telegram must echo on every request."""

from __future__ import annotations

import asyncio
from urllib.parse import urlparse

import structlog
from telegram.ext import Application

from bot.app import App
from bot.config import ENV_WEBHOOK_SECRET, ConfigError
from bot.telegram.adapter import ALLOWED_UPDATES, build_application, register_commands
from handlers.config_model import TelegramSettings

log = structlog.get_logger(__name__)


async def start(application: Application, settings: TelegramSettings, webhook_secret: str | None) -> None:
    """Initialise, register commands and begin receiving updates."""
    await application.initialize()
    await register_commands(application)
    await application.start()
    updater = application.updater
    assert updater is not None
    if settings.webhook_url:
        if not webhook_secret:
            raise ConfigError(f"telegram.webhook_url is set: export {ENV_WEBHOOK_SECRET} so requests can be checked")
        await updater.start_webhook(listen=settings.listen, port=settings.port,
                                    url_path=urlparse(settings.webhook_url).path.lstrip("/"),
                                    webhook_url=settings.webhook_url, secret_token=webhook_secret,
                                    allowed_updates=ALLOWED_UPDATES)
        log.info("telegram webhook listening", listen=settings.listen, port=settings.port)
    else:
        await updater.start_polling(allowed_updates=ALLOWED_UPDATES, timeout=settings.poll_timeout_seconds)
        log.info("telegram long polling started")


async def stop(application: Application) -> None:
    """Stop cleanly: the updater confirms the last offset so nothing is re-read."""
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()


async def run_telegram(app: App) -> None:
    application = build_application(app.core, app.settings, app.secrets.telegram_token or "")
    try:
        await start(application, app.settings.telegram, app.secrets.telegram_webhook_secret)
        await asyncio.Event().wait()
    finally:
        await stop(application)
