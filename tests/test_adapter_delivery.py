"""Reports and buttons-in-DMs through both adapters: discord.py and python-telegram-bot against the
local fakes, files uploaded as the libraries upload them (multipart) and compared byte for byte.

Two programs share the bot, so a DM button's press must run in the program the notice named.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import pytest
import yarl
from sqlalchemy.ext.asyncio import AsyncSession

from bot.discord.client import EngageBot
from handlers import actions
from handlers.command_types import Action
from handlers.config_model import Community, Program, Settings, TelegramSettings
from handlers.context import Context
from handlers.core import Core
from handlers.replies import Attachment, Button, Notify, Reply
from storage.database import Database
from tests.conftest import reset_schema
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import FakeTelegram
from tests.test_telegram_adapter import Harness as TelegramHarness

GUILD, OTHER_GUILD, CHANNEL = "100000000000000001", "100000000000000002", "100000000000000010"
ALICE, BOB = "1001", "1002"
CHAT, OTHER_CHAT, BRAND_CHAT, TOPIC = -100222, -100333, -100444, 77
TG_ALICE, TG_DAN = 2001, 2004
CHART_A = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
CHART_B = b"\x89PNG\r\n\x1a\n" + bytes(reversed(range(256))) * 9
REPORT = "<!doctype html><html><body><h1>Acme — 本周摘要</h1></body></html>".encode()
FILES = (Attachment("trend.png", CHART_A, "image/png"), Attachment("volume.png", CHART_B, "image/png"),
         Attachment("digest.html", REPORT, "text/html"))


async def _where(session: AsyncSession, ctx: Context, argument: str) -> Reply:
    where = f"{ctx.platform}:{ctx.community_id}"
    return Reply(f"{argument} ran in {ctx.program.id} at {where} by {ctx.actor.user_id}")


WHERE = Action("probe.where", _where)


@pytest.fixture(autouse=True)
def probe_action(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(actions.BY_NAME, WHERE.name, WHERE)


async def _core(settings: Settings, tmp_path: Path) -> Core:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/delivery.db")
    await reset_schema(db)
    core = Core(settings, db)
    await core.start()
    return core


# --- Discord ------------------------------------------------------------------------------------------

class DiscordRun:
    def __init__(self, fake: FakeDiscord, core: Core, reports: str) -> None:
        self.fake, self.core, self.reports = fake, core, reports
        self.bot = EngageBot(core, core.settings, guild_ready_timeout=0.05)
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self.bot.start("fake-token"))
        await self.fake.wait_for(lambda: self.bot.is_ready() and GUILD in self.fake.synced)

    async def stop(self) -> None:
        await self.bot.close()
        assert self.task is not None
        await self.task


@pytest.fixture
async def on_discord(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[DiscordRun]:
    fake = FakeDiscord(GUILD, CHANNEL)
    fake.extra_guilds.append(OTHER_GUILD)
    fake.add_member(ALICE, "alice")
    fake.add_member(BOB, "bob")
    reports = fake.add_channel("brand-reports")
    base = await fake.start()
    monkeypatch.setattr(discord.http.Route, "BASE", f"{base}/api/v10")
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY",
                        yarl.URL(f"ws://127.0.0.1:{fake.port}/gateway"))
    settings = Settings(programs=(
        Program(id="acme", name="Acme", communities=(Community(platform="discord", id=GUILD),)),
        Program(id="other", name="Other", communities=(Community(platform="discord", id=OTHER_GUILD),))))
    core = await _core(settings, tmp_path)
    run = DiscordRun(fake, core, reports)
    await run.start()
    yield run
    await run.stop()
    await fake.stop()
    await core.db.dispose()


def _channel_messages(fake: FakeDiscord, channel: str) -> list[dict[str, Any]]:
    return [m for m in fake.sent if m["channel_id"] == channel]


async def test_discord_report_posts_text_then_every_file_byte_identical(on_discord: DiscordRun) -> None:
    fake, core = on_discord.fake, on_discord.core
    text = "Weekly digest @everyone\n" + "line of the summary\n" * 150  # over one Discord message
    sent = await core.deliver(core.settings.program("acme"), text, FILES, lambda c: on_discord.reports)
    assert sent == 1
    messages = _channel_messages(fake, on_discord.reports)
    texts = [m for m in messages if m["content"]]
    assert "".join(m["content"] for m in texts) == text and len(texts) == 2
    assert messages[:2] == texts, "the text comes before the files"
    assert all(body["allowed_mentions"]["parse"] == [] for kind, body in fake.posted if kind == "channel")
    assert [(u.where, u.filename, u.data) for u in fake.uploads] == [
        (f"channel:{on_discord.reports}", a.filename, a.data) for a in FILES]
    (with_files,) = [m for m in messages if m["attachments"]]
    assert [a["filename"] for a in with_files["attachments"]] == ["trend.png", "volume.png", "digest.html"]


async def test_discord_report_leaves_out_a_file_over_the_upload_limit(on_discord: DiscordRun) -> None:
    fake, core = on_discord.fake, on_discord.core
    huge = Attachment("huge.html", b"x" * (discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES + 1), "text/html")
    sent = await core.deliver(core.settings.program("acme"), "Digest", (FILES[0], huge), lambda c: None)
    assert sent == 1
    assert [(u.where, u.filename) for u in fake.uploads] == [(f"channel:{CHANNEL}", "trend.png")]


async def test_discord_report_to_a_channel_of_another_server_is_refused(on_discord: DiscordRun) -> None:
    fake, core = on_discord.fake, on_discord.core
    sent = await core.deliver(core.settings.program("other"), "Other's digest", FILES,
                              lambda c: on_discord.reports)
    assert sent == 0 and fake.uploads == [] and not _channel_messages(fake, on_discord.reports)


async def test_discord_dm_buttons_run_in_the_program_that_sent_them(on_discord: DiscordRun) -> None:
    fake, core = on_discord.fake, on_discord.core
    notice = Notify((("discord", ALICE),), "How likely are you to recommend Other?",
                    (Button("10", "probe.where:10"),), program_id="other")
    assert await core.notify(notice)
    (dm,) = fake.dms[ALICE]
    assert dm["content"] == notice.text and fake.buttons(dm) == {"10": f"{OTHER_GUILD}#probe.where:10"}
    answer = await fake.answer(await fake.press(ALICE, dm, f"{OTHER_GUILD}#probe.where:10"))
    assert answer["content"] == f"10 ran in other at discord:{OTHER_GUILD} by {ALICE}"


async def test_discord_dm_buttons_of_a_program_without_a_server_are_not_sent(on_discord: DiscordRun) -> None:
    notice = Notify((("discord", BOB),), "Survey", (Button("1", "probe.where:1"),), program_id="nowhere")
    assert not await on_discord.core.notify(notice)
    assert BOB not in on_discord.fake.dms


# --- Telegram -----------------------------------------------------------------------------------------

@pytest.fixture
async def on_telegram(tmp_path: Path) -> AsyncIterator[TelegramHarness]:
    fake = FakeTelegram(CHAT)
    fake.add_user(TG_ALICE, "alice")
    fake.add_user(TG_DAN, "dan", started=False)
    await fake.start()
    settings = Settings(
        programs=(Program(id="acme", name="Acme", communities=(
                      Community(platform="telegram", id=str(CHAT), announce_channel=str(TOPIC)),)),
                  Program(id="other", name="Other",
                          communities=(Community(platform="telegram", id=str(OTHER_CHAT)),))),
        telegram=TelegramSettings(base_url=f"http://127.0.0.1:{fake.port}/bot", poll_timeout_seconds=1,
                                  base_file_url=f"http://127.0.0.1:{fake.port}/file/bot"))
    core = await _core(settings, tmp_path)
    harness = TelegramHarness(fake, core, settings)
    await harness.start()
    yield harness
    await harness.stop()
    await fake.stop()
    await core.db.dispose()


async def test_telegram_report_posts_text_then_album_then_document_in_the_topic(
        on_telegram: TelegramHarness) -> None:
    fake, core = on_telegram.fake, on_telegram.core
    sent = await core.deliver(core.settings.program("acme"), "Weekly digest", FILES, lambda community: None)
    assert sent == 1
    first = fake.sent_to(CHAT)[0]
    assert first["text"] == "Weekly digest" and int(first["message_thread_id"]) == TOPIC
    assert [(u.method, u.chat_id, u.thread_id, u.filename, u.data) for u in fake.uploads] == [
        ("sendMediaGroup", CHAT, TOPIC, "trend.png", CHART_A),
        ("sendMediaGroup", CHAT, TOPIC, "volume.png", CHART_B),
        ("sendDocument", CHAT, TOPIC, "digest.html", REPORT)]


async def test_telegram_report_to_a_brand_chat_with_one_chart_sends_a_photo(
        on_telegram: TelegramHarness) -> None:
    fake, core = on_telegram.fake, on_telegram.core
    sent = await core.deliver(core.settings.program("acme"), "Daily digest", (FILES[0], FILES[2]),
                              lambda community: str(BRAND_CHAT))
    assert sent == 1 and fake.replies_to(BRAND_CHAT) == ["Daily digest"] and fake.sent_to(CHAT) == []
    assert [(u.method, u.chat_id, u.thread_id, u.data) for u in fake.uploads] == [
        ("sendPhoto", BRAND_CHAT, None, CHART_A), ("sendDocument", BRAND_CHAT, None, REPORT)]


async def test_telegram_report_refused_by_the_chat_is_not_counted(on_telegram: TelegramHarness) -> None:
    fake, core = on_telegram.fake, on_telegram.core
    fake.kicked_from.add(CHAT)
    assert await core.deliver(core.settings.program("acme"), "Digest", FILES, lambda community: None) == 0
    assert fake.uploads == []


async def test_telegram_private_buttons_run_in_the_program_that_sent_them(
        on_telegram: TelegramHarness) -> None:
    fake, core = on_telegram.fake, on_telegram.core
    notice = Notify((("telegram", str(TG_ALICE)),), "How likely are you to recommend Other?",
                    (Button("9", "probe.where:9"),), program_id="other")
    assert await core.notify(notice)
    (dm,) = fake.sent_to(TG_ALICE)
    assert dm["text"] == notice.text and fake.buttons(dm) == [("9", f"{OTHER_CHAT}|probe.where:9")]
    query = fake.press(TG_ALICE, dm, f"{OTHER_CHAT}|probe.where:9")
    answer = await fake.wait_for(lambda: fake.answer_to(query))
    assert answer["text"] == f"9 ran in other at telegram:{OTHER_CHAT} by {TG_ALICE}"


async def test_telegram_private_buttons_to_a_member_who_never_started_the_bot(
        on_telegram: TelegramHarness) -> None:
    notice = Notify((("telegram", str(TG_DAN)),), "Survey", (Button("1", "probe.where:1"),),
                    program_id="acme")
    assert not await on_telegram.core.notify(notice)
