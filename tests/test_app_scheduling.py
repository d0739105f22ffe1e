"""``engagebot run`` drives timed work: a contest that fell due while the bot was down is opened
and announced once at start-up (after the adapter's outlet is attached), and a contest created
while running is armed by the use case's ``TimersChanged``."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
import pytest
import yarl
from sqlalchemy import select

from bot import app as app_module
from bot.app import App
from handlers.config_model import Community, DiscordSettings, Program, Settings
from handlers.context import Actor, Context
from handlers.core import Core
from storage.contests import Contest
from storage.database import Database
from tests.conftest import reset_schema
from tests.fakes.discord_api import FakeDiscord
from tests.test_lifecycle import DISCORD_ONLY, GUILD, QUICK


def settings(announce: str) -> Settings:
    return Settings(programs=(Program(id="acme", name="Acme", communities=(
        Community(platform="discord", id=GUILD, announce_channel=announce),)),),
        discord=DiscordSettings(sync_commands=False))


def moderator(program: Program, now: datetime, event: str) -> Context:
    return Context(program=program, platform="discord", community_id=GUILD,
                   actor=Actor("discord", "900", "Mod"), locale="en", event_id=event, now=now, is_moderator=True)


async def create(core: Core, now: datetime, event: str, start: str, end: str) -> Any:
    return await core.command(moderator(core.settings.programs[0], now, event), "contest create", {
        "title": f"Contest {event}", "description": "Post your best photo", "start": start, "end": end,
        "entry_type": "plain", "voting": "members", "winners": 1, "prize": 100})


async def statuses(db: Database) -> list[str]:
    async with db.unit_of_work() as s:
        return list((await s.scalars(select(Contest.status).order_by(Contest.id))).all())


def test_run_opens_what_fell_due_while_down_and_arms_new_contests(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """On its own event loop, closed without cancelling what the libraries leave behind: waiting
    for leftovers of a stopped discord.py client is not what this test is about."""
    loop = asyncio.new_event_loop()
    try:
        opened = loop.run_until_complete(asyncio.wait_for(_scenario(tmp_path, monkeypatch), timeout=180))
    finally:
        loop.close()
    assert len(opened) == 2 and "Contest down" in opened[0] and "Contest live" in opened[1]


async def _scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    fake = FakeDiscord(GUILD, "100000000000000010")
    base = await fake.start()
    monkeypatch.setattr(discord.http.Route, "BASE", f"{base}/api/v10")
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY",
                        yarl.URL(f"ws://127.0.0.1:{fake.port}/gateway"))
    announce = fake.add_channel("announcements")
    chosen = settings(announce)
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/timed.db", patience=QUICK)
    await reset_schema(db)
    core = Core(chosen, db)
    await core.start()
    long_ago = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=3)
    assert (await create(core, long_ago, "down", "+1h", "+30d")).ok
    stopping = asyncio.Event()
    running = asyncio.create_task(app_module.run(App(chosen, DISCORD_ONLY, db, core), stopping))
    posted = lambda: [m for m in fake.sent if m["channel_id"] == announce]  # noqa: E731
    try:
        await fake.wait_for(posted, timeout=60)
        assert await statuses(db) == ["open"]
        assert (await create(core, datetime.now(UTC).replace(tzinfo=None), "live", "now", "+1h")).ok
        await fake.wait_for(lambda: len(posted()) == 2, timeout=60)
        assert await statuses(db) == ["open", "open"]
    finally:
        stopping.set()
        await running
        await fake.stop()
    return [m["content"] for m in posted()]
