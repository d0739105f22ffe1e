"""Digests end to end through both adapters: members chat through the fake Discord and the fake Telegram,
the scheduler posts the day's digest (the real ``build`` and the real renderer) to the report channel,
and a moderator asks for one with ``/digest``. The summary, every PNG chart and the HTML report arrive
as the renderer made them, byte for byte.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import discord
import pytest
import yarl

from bot.discord.client import EngageBot
from bot.reports.digest import render
from bot.scheduler import Scheduler
from handlers.clock import utcnow
from handlers.config_model import Community, DigestSchedule, Program, Rules, Settings, TelegramSettings
from handlers.core import Core
from handlers.digest.model import Digest, RenderedDigest
from handlers.digest.schedule import DigestTimers
from handlers.replies import Attachment
from storage.database import Database
from storage.digests import SENT, DigestRun
from storage.models import Message
from tests.conftest import reset_schema
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import FakeTelegram
from tests.probe import DbProbe
from tests.test_telegram_adapter import Harness as TelegramHarness

GUILD, CHANNEL = "100000000000000001", "100000000000000010"
ALICE, CAROL = "1001", "1003"
CHAT, REPORT_TOPIC = -100222, 88
TG_ALICE, TG_CAROL = 2001, 2003
CHAT_LINES = ("I love the new release, great work everyone", "the update broke my login, really annoying",
              "anyone joining the meetup on friday evening?", "thanks for the quick fix, works well now")


@dataclass
class Recorder:
    """The real renderer, keeping what it produced so the test can compare what arrived."""

    made: list[RenderedDigest] = field(default_factory=list)

    def __call__(self, digest: Digest) -> RenderedDigest:
        rendered = render(digest)
        self.made.append(rendered)
        return rendered


def program(community: Community, now: datetime) -> Program:
    """A daily digest due two hours from now, so the period it covers holds what members say now."""
    at = (now + timedelta(hours=2)).strftime("%H:%M")
    return Program(id="acme", name="Acme", rules=Rules(cooldown_seconds=0, min_message_length=5),
                   digests=(DigestSchedule(kind="daily", at=at),), communities=(community,),
                   moderator_ids=(CAROL,))


async def new_core(settings: Settings, tmp_path: Path) -> tuple[Core, Recorder]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/digest.db")
    await reset_schema(db)
    core = Core(settings, db)
    recorder = Recorder()
    core.renderer = recorder
    await core.start()
    return core, recorder


async def post_scheduled_digest(core: Core, now: datetime) -> None:
    """Arm the digest as of ``now`` and run the scheduler at the moment it falls due."""
    (source,) = [s for s in core.timed_jobs if isinstance(s, DigestTimers)]
    source.clock = lambda: now
    scheduler = Scheduler(lambda: now)
    scheduler.serve(core)
    await scheduler.rearm()
    (due,) = [at for key, at in scheduler.armed().items() if key.startswith("timed:digests:")]
    source.clock = lambda: due
    assert await scheduler.run_due(due) == 1


def assert_complete(rendered: RenderedDigest) -> None:
    """What the renderer made is a digest worth delivering: charts and the HTML report."""
    kinds = [a.media_type for a in rendered.attachments]
    assert kinds.count("text/html") == 1 and kinds.count("image/png") >= 2 and rendered.summary.strip()
    (report,) = [a for a in rendered.attachments if a.media_type == "text/html"]
    assert b"Acme" in report.data and b"<img" in report.data


def files(attachments: tuple[Attachment, ...]) -> list[tuple[str, bytes]]:
    return [(a.filename, a.data) for a in attachments]


# --- Discord -----------------------------------------------------------------------------------------------

@dataclass
class DiscordSide(DbProbe):
    fake: FakeDiscord
    core: Core
    recorder: Recorder
    reports: str


@pytest.fixture
async def discord_side(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[DiscordSide]:
    fake = FakeDiscord(GUILD, CHANNEL)
    fake.add_member(ALICE, "alice")
    fake.add_member(CAROL, "carol")
    reports = fake.add_channel("brand-reports")
    base = await fake.start()
    monkeypatch.setattr(discord.http.Route, "BASE", f"{base}/api/v10")
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY",
                        yarl.URL(f"ws://127.0.0.1:{fake.port}/gateway"))
    settings = Settings(programs=(program(Community(platform="discord", id=GUILD, report_channel=reports),
                                          utcnow()),))
    core, recorder = await new_core(settings, tmp_path)
    bot = EngageBot(core, settings, guild_ready_timeout=0.05)
    task = asyncio.create_task(bot.start("fake-token"))
    await fake.wait_for(lambda: bot.is_ready() and GUILD in fake.synced)
    side = DiscordSide(fake, core, recorder, reports)
    for line in CHAT_LINES:
        await fake.say(ALICE, line)
    await side.settle(Message, len(CHAT_LINES))
    yield side
    await bot.close()
    await task
    await fake.stop()
    await core.db.dispose()


async def test_discord_scheduled_digest_arrives_in_the_report_channel(discord_side: DiscordSide) -> None:
    fake, core = discord_side.fake, discord_side.core
    await post_scheduled_digest(core, utcnow())
    (rendered,) = discord_side.recorder.made
    assert_complete(rendered)
    posted = [m for m in fake.sent if m["channel_id"] == discord_side.reports]
    assert "".join(m["content"] for m in posted if m["content"]) == rendered.summary
    assert [(u.where, u.filename, u.data) for u in fake.uploads] == [
        (f"channel:{discord_side.reports}", name, data) for name, data in files(rendered.attachments)]
    assert await discord_side.count(DigestRun, DigestRun.status == SENT) == 1


async def test_discord_digest_command_answers_the_moderator_privately_with_the_files(
        discord_side: DiscordSide) -> None:
    fake = discord_side.fake
    refused = await fake.answer(await fake.command(ALICE, "digest"))
    assert "Only moderators" in refused["content"] and discord_side.recorder.made == []
    iid = await fake.command(CAROL, "digest", [{"name": "period", "type": 3, "value": "day"}])
    answer = await fake.answer(iid)
    (rendered,) = discord_side.recorder.made
    assert_complete(rendered)
    assert fake.interaction_replies[iid]["type"] == 5 and fake.interaction_replies[iid]["data"]["flags"] & 64
    assert answer["content"] == rendered.summary
    assert [(u.where, u.filename, u.data) for u in fake.uploads] == [
        (f"followup:{iid}", name, data) for name, data in files(rendered.attachments)]


# --- Telegram ----------------------------------------------------------------------------------------------

@pytest.fixture
async def telegram_side(tmp_path: Path) -> AsyncIterator[tuple[TelegramHarness, Recorder]]:
    fake = FakeTelegram(CHAT)
    fake.add_user(TG_ALICE, "alice")
    fake.add_user(TG_CAROL, "carol", admin=True)
    await fake.start()
    settings = Settings(
        programs=(program(Community(platform="telegram", id=str(CHAT), report_channel=str(REPORT_TOPIC)),
                          utcnow()),),
        telegram=TelegramSettings(base_url=f"http://127.0.0.1:{fake.port}/bot", poll_timeout_seconds=1,
                                  base_file_url=f"http://127.0.0.1:{fake.port}/file/bot"))
    core, recorder = await new_core(settings, tmp_path)
    harness = TelegramHarness(fake, core, settings)
    await harness.start()
    for line in CHAT_LINES:
        fake.message(TG_ALICE, line)
    await harness.settle(Message, len(CHAT_LINES))
    yield harness, recorder
    await harness.stop()
    await fake.stop()
    await core.db.dispose()


async def test_telegram_scheduled_digest_arrives_in_the_report_topic(
        telegram_side: tuple[TelegramHarness, Recorder]) -> None:
    harness, recorder = telegram_side
    fake = harness.fake
    await post_scheduled_digest(harness.core, utcnow())
    (rendered,) = recorder.made
    assert_complete(rendered)
    (summary,) = [m for m in fake.sent_to(CHAT) if "text" in m]
    assert summary["text"] == rendered.summary and int(summary["message_thread_id"]) == REPORT_TOPIC
    assert [(u.chat_id, u.thread_id, u.filename, u.data) for u in fake.uploads] == [
        (CHAT, REPORT_TOPIC, name, data) for name, data in files(rendered.attachments)]
    pngs = sum(a.media_type == "image/png" for a in rendered.attachments)
    assert [u.method for u in fake.uploads] == ["sendMediaGroup"] * pngs + ["sendDocument"]
    assert await harness.count(DigestRun, DigestRun.status == SENT) == 1


async def test_telegram_digest_command_sends_the_moderator_the_digest_privately(
        telegram_side: tuple[TelegramHarness, Recorder]) -> None:
    harness, recorder = telegram_side
    fake = harness.fake
    refused = await harness.command(TG_CAROL, "/digest fortnight", dm=True)
    assert refused.startswith("fortnight is not a digest period") and recorder.made == []
    summary = await harness.command(TG_CAROL, "/digest week", dm=True)
    (rendered,) = recorder.made
    assert_complete(rendered)
    assert summary == rendered.summary and fake.replies_to(TG_CAROL) == [refused, rendered.summary]
    assert "I sent you the answer in a private message." in fake.replies_to(CHAT)
    await fake.wait_for(lambda: len(fake.uploads) == len(rendered.attachments))
    assert [(u.chat_id, u.filename, u.data) for u in fake.uploads] == [
        (TG_CAROL, name, data) for name, data in files(rendered.attachments)]
