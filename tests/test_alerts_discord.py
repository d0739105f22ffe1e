"""A spike alert through discord.py against the local fake Discord: the alert and, later, the recovery notice
land in the guild's configured alert channel, not in the channel that spiked."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
import yarl

from bot.discord.client import EngageBot
from bot.scheduler import Scheduler
from handlers.config_model import AlertSettings, Community, Program, Settings
from handlers.core import Core
from storage.database import Database
from tests.conftest import reset_schema
from tests.fakes.discord_api import FakeDiscord
from tests.test_alerts import HOUR, MINUTE, NOW, Clock, burst, members, steady, store

GUILD, CHANNEL = "100000000000000001", "100000000000000010"


@pytest.fixture
async def discord_bot(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[FakeDiscord, Core, str]]:
    fake = FakeDiscord(GUILD, CHANNEL)
    mods = fake.add_channel("moderators")
    base = await fake.start()
    monkeypatch.setattr(discord.http.Route, "BASE", f"{base}/api/v10")
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY",
                        yarl.URL(f"ws://127.0.0.1:{fake.port}/gateway"))
    settings = Settings(programs=(Program(
        id="acme", name="Acme", communities=(Community(platform="discord", id=GUILD, alert_channel=mods),),
        alerts=AlertSettings(enabled=True, baseline_hours=48, min_baseline_hours=24, volume_z=8.0)),))
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/alerts.db")
    await reset_schema(db)
    core = Core(settings, db)
    await core.start()
    bot = EngageBot(core, settings, guild_ready_timeout=0.05)
    task = asyncio.create_task(bot.start("fake-token"))
    await fake.wait_for(lambda: bot.is_ready() and "discord" in core.outlets)
    yield fake, core, mods
    await bot.close()
    await task
    await fake.stop()
    await db.dispose()


async def test_alert_and_recovery_reach_the_alert_channel(discord_bot: tuple[FakeDiscord, Core, str]) -> None:
    fake, core, mods = discord_bot
    authors = await members(core.db, 20)
    where = {"community": GUILD, "channel": CHANNEL}
    await store(core.db, steady(authors, NOW - 48 * HOUR, NOW + 2 * HOUR, 20, **where)
                + burst(authors, NOW + 5 * MINUTE, 15, "negative", **where))
    clock = Clock(NOW)
    scheduler = Scheduler(clock)
    scheduler.serve(core)
    while clock.now <= NOW + 2 * HOUR:
        await scheduler.run_due()
        clock.now += 5 * MINUTE
    texts = [m["content"] for m in fake.history[mods]]
    assert len(texts) == 2 and texts[0].startswith(f"⚠️ Negative spike in <#{CHANNEL}>")
    assert "Most negative messages:" in texts[0] and texts[1].startswith(f"✅ The negative spike in <#{CHANNEL}>")
    assert fake.history[CHANNEL] == []
