"""The Discord side of ``engagebot run``: serve until asked to stop, then stop in order.

Stop: from that moment gateway events are dropped, so new traffic cannot
hold the stop up; the messages already handed to the core are committed
while the connection is still open (their replies and role changes still go
out); then the gateway and the HTTP client close. A message dropped or not
delivered yet is newer than every stored one of its channel, so the catch-up
at the next start, which reads after the newest stored message, reads it.

discord.py reconnects on its own with backoff and logs every failed attempt
with a traceback; those records give way to one line when the gateway is
lost and one when it is back (``--debug`` keeps them).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.connection import ConnectionState
from bot.discord.client import EngageBot
from handlers.config_model import Settings
from handlers.core import Core


class _QuietReconnects(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (str(record.msg).startswith("Attempting a reconnect")
                    and not logging.getLogger(record.name).isEnabledFor(logging.DEBUG))


_QUIET_RECONNECTS = _QuietReconnects()


class StoppableBot(EngageBot):
    """The bot, deaf to the gateway once ``stopping`` is set."""

    def __init__(self, core: Core, settings: Settings, stopping: asyncio.Event) -> None:
        super().__init__(core, settings)
        self.stopping = stopping

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        if not self.stopping.is_set():
            super().dispatch(event_name, *args, **kwargs)


def _watch(bot: EngageBot) -> None:
    state = ConnectionState("discord")

    async def lost() -> None:
        state.lost("gateway disconnected")

    async def back() -> None:
        state.back()

    bot.add_listener(lost, "on_disconnect")
    bot.add_listener(back, "on_ready")
    bot.add_listener(back, "on_resumed")
    logging.getLogger("discord.client").addFilter(_QUIET_RECONNECTS)


async def run_discord(core: Core, settings: Settings, token: str, stopping: asyncio.Event) -> None:
    """Serve until ``stopping`` is set or the gateway ends (a refused login raises)."""
    bot = StoppableBot(core, settings, stopping)
    _watch(bot)
    async with bot:
        gateway = asyncio.create_task(bot.start(token), name="discord gateway")
        asked = asyncio.create_task(stopping.wait(), name="discord stop")
        try:
            await asyncio.wait([gateway, asked], return_when=asyncio.FIRST_COMPLETED)
            if gateway.done():
                gateway.result()
                return
            await core.flush()
            await bot.close()
            await asyncio.wait([gateway])
        finally:
            asked.cancel()
            gateway.cancel()
