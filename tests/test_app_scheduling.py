"""``engagebot run`` drives timed work: a contest that fell due while the bot was down is opened
and announced once at start-up (after the adapter's outlet is attached), and a contest created
while running is armed by the use case's ``TimersChanged``."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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
from tests.test_lifecycle import DISCORD_ONLY, GUILD, QUICK, discord_api  # noqa: F401  (a fixture)


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


async def test_run_opens_what_fell_due_while_down_and_arms_new_contests(
        tmp_path: Path, discord_api: FakeDiscord) -> None:  # noqa: F811
    announce = discord_api.add_channel("announcements")
    chosen = settings(announce)
    url = f"sqlite+aiosqlite:///{tmp_path}/timed.db"
    db = Database(url, patience=QUICK)
    await reset_schema(db)
    core = Core(chosen, db)
    await core.start()
    long_ago = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=3)
    assert (await create(core, long_ago, "down", "+1h", "+30d")).ok
    stopping = asyncio.Event()
    running = asyncio.create_task(app_module.run(App(chosen, DISCORD_ONLY, db, core), stopping))
    try:
        await discord_api.wait_for(lambda: [m for m in discord_api.sent if m["channel_id"] == announce],
                                   timeout=30)
        assert await statuses(db) == ["open"]
        assert (await create(core, datetime.now(UTC).replace(tzinfo=None), "live", "now", "+1h")).ok
        await discord_api.wait_for(lambda: len([m for m in discord_api.sent if m["channel_id"] == announce]) == 2,
                                   timeout=30)
        assert await statuses(db) == ["open", "open"]
    finally:
        stopping.set()
        await running
    opened = [m["content"] for m in discord_api.sent if m["channel_id"] == announce]
    assert len(opened) == 2 and "Contest down" in opened[0] and "Contest live" in opened[1]
