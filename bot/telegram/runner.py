"""The Telegram side of ``engagebot run``: wiring, start-up order, shutdown order.

Start: check the webhook secret, initialise, register commands, handle what
the inbox still holds, and only then poll (or open the webhook) for more. The
scheduler prunes handled inbox rows and retries failed ones. Stop: stop
receiving, let the Application finish what it holds, give queued replies a
moment, shut down. Nothing depends on the stop being graceful: an update not
handled yet is still pending in the inbox at the next start.

The app owns the lifecycle and passes in what the runtime needs; polling's own
retries ride out a lost Bot API, reported once when lost and once when back.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, cast
from urllib.parse import urlparse

import structlog
from telegram.error import BadRequest, NetworkError, TelegramError
from telegram.ext import Application, Updater
from telegram.request import HTTPXRequest

from bot.config import ENV_WEBHOOK_SECRET, ConfigError
from bot.connection import ConnectionState
from bot.scheduler import Scheduler
from bot.telegram.adapter import ALLOWED_UPDATES, TelegramAdapter, register_commands
from bot.telegram.intake import InboxBot, Intake, IntakeQueue
from bot.telegram.ordering import OrderedUpdateProcessor
from bot.telegram.outbox import Outbox, SendRateLimiter
from bot.telegram.outlet import TelegramOutlet
from handlers.config_model import Settings, TelegramSettings
from handlers.core import Core

log = structlog.get_logger(__name__)

WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
RETRY_FAILED_MINUTES = 0.5
OUTBOX_GRACE_SECONDS = 2.0


def check_webhook_secret(settings: TelegramSettings, secret: str | None) -> None:
    """Refuse, in one line, a webhook secret Telegram would reject (the secret is not echoed)."""
    if not settings.webhook_url:
        return
    if not secret:
        raise ConfigError(f"telegram.webhook_url is set: export {ENV_WEBHOOK_SECRET} so requests can be checked")
    if not WEBHOOK_SECRET.fullmatch(secret):
        raise ConfigError(f"{ENV_WEBHOOK_SECRET} may only contain the characters A-Z, a-z, 0-9, _ and - "
                          f"(1 to 256 of them); Telegram rejects anything else")


def is_network_failure(exc: TelegramError) -> bool:
    """A request that did not get through (PTB counts a 400 answer as a NetworkError too)."""
    return isinstance(exc, NetworkError) and not isinstance(exc, BadRequest)


class WatchedRequest(HTTPXRequest):
    """The getUpdates connection: tells ``state`` when a request fails on the network and when one
    gets through again."""

    def __init__(self, state: ConnectionState, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.state = state

    async def post(self, *args: Any, **kwargs: Any) -> Any:
        try:
            answer = await super().post(*args, **kwargs)
        except NetworkError as exc:
            if is_network_failure(exc):
                self.state.lost(exc)
            raise
        self.state.back()
        return answer


class TelegramRuntime:
    """One bot: inbox intake, lane-ordered concurrent handling, outbox, polling or webhook."""

    def __init__(self, core: Core, settings: Settings, token: str, webhook_secret: str | None, *,
                 rate_limit: bool = True) -> None:
        self.settings = settings.telegram
        check_webhook_secret(self.settings, webhook_secret)
        self.webhook_secret = webhook_secret
        self.intake = Intake(core.db)
        urls = {k: v for k, v in (("base_url", self.settings.base_url),
                                  ("base_file_url", self.settings.base_file_url)) if v}
        self.connection = ConnectionState("telegram")
        self.bot = InboxBot(self.intake, token=token, request=HTTPXRequest(connection_pool_size=256),
                            get_updates_request=WatchedRequest(self.connection, connection_pool_size=1),
                            rate_limiter=SendRateLimiter(max_retries=3) if rate_limit else None, **urls)
        self.outbox = Outbox(self.bot, self.settings.reply_coalesce_seconds)
        self.application: Application = (
            Application.builder().bot(self.bot).updater(None).job_queue(None)
            .concurrent_updates(OrderedUpdateProcessor(self.settings.concurrent_updates, self.intake)).build())
        self.updater = Updater(self.bot, cast(Any, IntakeQueue(self.intake)))
        TelegramAdapter(core, self.intake, self.outbox).install(self.application)
        core.attach_outlet("telegram", TelegramOutlet(settings, self.outbox))
        self.scheduler = Scheduler()

    async def start(self) -> None:
        await self.application.initialize()
        await self.updater.initialize()
        await register_commands(self.application)
        self.intake.bind(self.bot, self.application.update_queue)
        await self.application.start()
        replayed = await self.intake.replay()
        if replayed:
            log.info("telegram inbox replayed", updates=replayed)
        await self._receive()
        self.scheduler.every("telegram-inbox-prune", self.settings.inbox_prune_interval_seconds / 60, self._prune,
                             now=False)
        self.scheduler.every("telegram-inbox-retry", RETRY_FAILED_MINUTES, self._retry, now=False)
        self.scheduler.start()

    async def _receive(self) -> None:
        s = self.settings
        if s.webhook_url:
            await self.updater.start_webhook(listen=s.listen, port=s.port,
                                             url_path=urlparse(s.webhook_url).path.lstrip("/"),
                                             webhook_url=s.webhook_url, secret_token=self.webhook_secret,
                                             allowed_updates=ALLOWED_UPDATES)
            log.info("telegram webhook listening", listen=s.listen, port=s.port)
        else:
            await self.updater.start_polling(allowed_updates=ALLOWED_UPDATES, timeout=s.poll_timeout_seconds,
                                             error_callback=self._polling_failed)
            log.info("telegram long polling started")

    @staticmethod
    def _polling_failed(exc: TelegramError) -> None:
        """PTB retries with backoff; a network failure is already reported once by the connection
        state, anything else (the inbox could not store a batch, a conflict) gets its line."""
        if not is_network_failure(exc):
            log.warning("telegram polling failed, retrying", error=repr(exc))

    async def _prune(self) -> None:
        await self.intake.prune(self.settings.inbox_keep_hours, self.settings.inbox_keep_updates)

    async def _retry(self) -> None:
        await self.intake.retry_failed()

    async def stop(self) -> None:
        self.scheduler.stop()
        if self.updater.running:
            await self.updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.intake.flush()
        await self.outbox.close(OUTBOX_GRACE_SECONDS)
        await self.updater.shutdown()
        await self.application.shutdown()


async def run_telegram(core: Core, settings: Settings, token: str, webhook_secret: str | None,
                       stopping: asyncio.Event) -> None:
    """Serve until ``stopping`` is set, then stop in order (``TelegramRuntime.stop``)."""
    runtime = TelegramRuntime(core, settings, token, webhook_secret)
    try:
        await runtime.start()
        await stopping.wait()
    finally:
        await runtime.stop()
