"""Start the Discord adapter for ``engagebot run``."""

from __future__ import annotations

from bot.app import App
from bot.discord.client import EngageBot


async def run_discord(app: App) -> None:
    bot = EngageBot(app.core, app.settings)
    async with bot:
        await bot.start(app.secrets.discord_token or "")
