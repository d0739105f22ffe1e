"""The Telegram adapter end to end: python-telegram-bot talking to a local fake Bot API."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import aiohttp
import pytest
from sqlalchemy import select

from bot.telegram.runner import TelegramRuntime
from handlers.commands import COMMANDS, Permission
from handlers.config_model import Community, Program, Rules, Settings, TelegramSettings
from handlers.core import Core
from storage.database import Database
from storage.models import LedgerEntry, MembershipEvent, Message
from tests.conftest import reset_schema
from tests.fakes.telegram_api import FakeTelegram
from tests.probe import DbProbe

CHAT = -100222
ALICE, BOB, CAROL, DAN = 1001, 1002, 1003, 1004
TOKEN = "123:fake"


def settings_for(api_port: int, cooldown: int = 0, **telegram: object) -> Settings:
    return Settings(programs=(Program(
        id="acme", name="Acme", rules=Rules(cooldown_seconds=cooldown, min_message_length=10, daily_cap=1000,
                                            reaction_points=2, max_adjustment=10_000),
        communities=(Community(platform="telegram", id=str(CHAT)),)),),
        telegram=TelegramSettings(base_url=f"http://127.0.0.1:{api_port}/bot", poll_timeout_seconds=1,
                                  base_file_url=f"http://127.0.0.1:{api_port}/file/bot", **telegram))


class Harness(DbProbe):
    def __init__(self, fake: FakeTelegram, core: Core, settings: Settings) -> None:
        self.fake, self.core, self.settings = fake, core, settings
        self.runtime: TelegramRuntime | None = None
        self.rate_limit = False

    async def start(self) -> None:
        self.runtime = TelegramRuntime(self.core, self.settings, TOKEN, "s3cret", rate_limit=self.rate_limit)
        await self.runtime.start()

    async def stop(self) -> None:
        if self.runtime is not None:
            await self.runtime.stop()
            self.runtime = None

    async def answer(self, chat_id: int, before: int) -> str:
        replies = await self.fake.wait_for(lambda: self.fake.replies_to(chat_id)[before:])
        return replies[0]

    async def command(self, uid: int, text: str, *, chat_id: int = CHAT, dm: bool = False, **kw: object) -> str:
        target = uid if dm else chat_id
        before = len(self.fake.replies_to(target))
        self.fake.message(uid, text, chat_id=chat_id, **kw)
        return await self.answer(target, before)

    async def balance(self, uid: int) -> int:
        text = await self.command(uid, "/points", dm=True)
        return int(text.split(" points")[0].split()[-1].replace(",", ""))


async def start_harness(fake: FakeTelegram, settings: Settings, tmp_path) -> Harness:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/telegram.db")
    await reset_schema(db)
    core = Core(settings, db)
    await core.start()
    harness = Harness(fake, core, settings)
    await harness.start()
    return harness


@asynccontextmanager
async def alice_harness(settings_for_port: Callable[[int], Settings], tmp_path) -> AsyncIterator[Harness]:
    """A harness with Alice in the fake chat, on the settings made for the fake's port; stopped after."""
    fake = FakeTelegram(CHAT)
    fake.add_user(ALICE, "alice")
    await fake.start()
    h = await start_harness(fake, settings_for_port(fake.port), tmp_path)
    try:
        yield h
    finally:
        await h.stop()
        await fake.stop()
        await h.core.db.dispose()


@pytest.fixture
async def harness(tmp_path, request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    fake = FakeTelegram(CHAT)
    fake.add_user(ALICE, "alice")
    fake.add_user(BOB, "bob", language="zh-hans")
    fake.add_user(CAROL, "carol", admin=True)
    fake.add_user(DAN, "dan", started=False)
    await fake.start()
    marker = request.node.get_closest_marker("cooldown")
    h = await start_harness(fake, settings_for(fake.port, marker.args[0] if marker else 0), tmp_path)
    yield h
    await h.stop()
    await fake.stop()
    await h.core.db.dispose()


async def test_commands_registered_in_english_and_chinese(harness: Harness) -> None:
    menus = {(c.get("language_code"), c["scope"]["type"]): [x["command"] for x in c["commands"]]
             for c in harness.fake.commands}
    members = list(dict.fromkeys(c.group or c.name for c in COMMANDS if c.permission is Permission.MEMBER))
    assert menus[(None, "default")] == members and menus[("zh", "default")] == members
    assert menus[(None, "all_chat_administrators")] == list(dict.fromkeys(c.group or c.name for c in COMMANDS))
    chinese = next(c for c in harness.fake.commands if c.get("language_code") == "zh")
    assert chinese["commands"][0]["description"] == "查看你的积分、等级和排名"
    assert harness.fake.calls[:2] == ["getMe", "setMyCommands"] and "deleteWebhook" in harness.fake.calls


@pytest.mark.cooldown(60)
async def test_group_messages_earn_with_cooldown(harness: Harness) -> None:
    harness.fake.message(ALICE, "hello group, happy to be here")
    harness.fake.message(ALICE, "second message right away here")
    harness.fake.message(ALICE, None, sticker={"file_id": "s", "file_unique_id": "s", "type": "regular",
                                                "width": 1, "height": 1, "is_animated": False, "is_video": False})
    await harness.settle(Message, 2)
    assert await harness.count(LedgerEntry) == 1
    assert await harness.balance(ALICE) == 5


async def test_edited_forwarded_and_captioned_messages(harness: Harness) -> None:
    original = harness.fake.message(ALICE, "my original long message")
    await harness.settle(LedgerEntry, 1)
    harness.fake.message(ALICE, "my original long message, edited", kind="edited_message",
                         message_id=original["message_id"])
    harness.fake.message(ALICE, "forwarded from some channel text", forward_origin={
        "type": "hidden_user", "sender_user_name": "x", "date": 1})
    harness.fake.message(ALICE, None, caption="a photo of our meetup today", photo=[
        {"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}])
    await harness.settle(LedgerEntry, 2)
    await asyncio.sleep(0.2)
    assert await harness.count(LedgerEntry) == 2 and await harness.count(Message) == 2


async def test_private_answers_by_dm_or_start_hint(harness: Harness) -> None:
    harness.fake.message(ALICE, "hello group, happy to be here")
    await harness.settle(LedgerEntry, 1)
    dm = await harness.command(ALICE, "/points@engage_bot", dm=True)
    assert "You have 5 points" in dm
    assert "private message" in await harness.answer(CHAT, 0)
    hint = await harness.command(DAN, "/points")
    assert "@engage_bot" in hint and "Start" in hint


async def test_chinese_replies_from_language_code(harness: Harness) -> None:
    board = await harness.command(BOB, "/leaderboard")
    assert "排行榜" in board


async def test_moderator_commands_by_reply_username_and_id(harness: Harness) -> None:
    alice_msg = harness.fake.message(ALICE, "hello group, happy to be here")
    harness.fake.message(BOB, "bob says hello to everyone")
    await harness.settle(LedgerEntry, 2)
    by_reply = await harness.command(CAROL, "/award 100 great answer", reply_to=alice_msg)
    assert "Awarded 100 points to alice (great answer)" in by_reply
    by_name = await harness.command(CAROL, "/deduct @alice 5 typo")
    assert "New balance: 100" in by_name
    by_id = await harness.command(CAROL, f"/award {BOB} 7 thanks")
    assert "Awarded 7 points to bob" in by_id
    refused = await harness.command(ALICE, "/award @alice 100 me")
    assert "Only moderators can use /award" in refused
    assert "can no longer earn" in await harness.command(CAROL, "/freeze @bob")
    assert "can earn points again" in await harness.command(CAROL, "/unfreeze @bob")
    assert await harness.count(LedgerEntry) == 5


@pytest.mark.parametrize(("text", "expected"), [
    ("/award @alice abc reason", "'abc' is not a whole number"),
    ("/award @alice -5 reason", "at least 1, got -5"),
    ("/award @alice 1e9 reason", "'1e9' is not a whole number"),
    ("/award @nobody 5 reason", "don't know the member @nobody"),
    ("/award @alice 5", "/award needs reason"),
])
async def test_bad_input_is_answered_and_nothing_written(harness: Harness, text: str, expected: str) -> None:
    harness.fake.message(ALICE, "hello group, happy to be here")
    await harness.settle(LedgerEntry, 1)
    assert expected in await harness.command(CAROL, text)
    assert await harness.count(LedgerEntry) == 1


async def test_command_in_private_chat_needs_a_group(harness: Harness) -> None:
    reply = await harness.command(ALICE, "/leaderboard", chat_id=ALICE, dm=True)
    assert "inside a community" in reply
    welcome = await harness.command(ALICE, "/start", chat_id=ALICE, dm=True)
    assert "loyalty program" in welcome


async def test_reactions_pay_and_removal_reverses(harness: Harness) -> None:
    msg = harness.fake.message(ALICE, "look at this photo of the meetup")
    await harness.settle(LedgerEntry, 1)
    harness.fake.reaction(BOB, msg["message_id"], [], ["👍"])
    harness.fake.reaction(BOB, msg["message_id"], ["👍"], ["👍", "🔥"])
    harness.fake.reaction(CAROL, msg["message_id"], [], ["❤"])
    await harness.settle(LedgerEntry, 3)
    harness.fake.reaction(BOB, msg["message_id"], ["👍", "🔥"], [])
    await harness.settle(LedgerEntry, 4)
    assert await harness.balance(ALICE) == 7


async def test_join_through_invite_link_is_recorded(harness: Harness) -> None:
    harness.fake.join(DAN, "https://t.me/+AbCdEf123")
    await harness.settle(MembershipEvent, 1)
    async with harness.core.db.unit_of_work() as s:
        assert await s.scalar(select(MembershipEvent.invite)) == "https://t.me/+AbCdEf123"
    assert "chat_member" in harness.fake.allowed and "message_reaction" in harness.fake.allowed


async def test_restart_does_not_reprocess_updates(harness: Harness) -> None:
    for i in range(3):
        harness.fake.message(ALICE, f"message number {i} before restart")
    await harness.settle(LedgerEntry, 3)
    await harness.stop()
    assert harness.fake.confirmed == harness.fake.next_update_id and not harness.fake.queue
    harness.fake.message(ALICE, "message after the restart")
    await harness.start()
    await harness.settle(LedgerEntry, 4)
    await asyncio.sleep(0.2)
    assert await harness.count(LedgerEntry) == 4 and await harness.count(Message) == 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_webhook_refuses_wrong_secret(tmp_path) -> None:
    fake = FakeTelegram(CHAT)
    fake.add_user(ALICE, "alice")
    await fake.start()
    port = _free_port()
    settings = settings_for(fake.port, webhook_url=f"http://127.0.0.1:{port}/hook", listen="127.0.0.1", port=port)
    h = await start_harness(fake, settings, tmp_path)
    try:
        assert fake.webhook["secret_token"] == "s3cret" and fake.webhook["url"].endswith("/hook")
        update = {"update_id": 1, "message": fake.message(ALICE, "hello via webhook delivery")}
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{port}/hook"
            wrong = await http.post(url, data=json.dumps(update), headers={
                "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "guess"})
            assert wrong.status == 403
            right = await http.post(url, data=json.dumps(update), headers={
                "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "s3cret"})
            assert right.status == 200
        await h.settle(LedgerEntry, 1)
    finally:
        await h.stop()
        await fake.stop()
        await h.core.db.dispose()


async def test_promoted_admin_becomes_moderator_at_once(harness: Harness) -> None:
    harness.fake.message(ALICE, "hello group, happy to be here")
    await harness.settle(LedgerEntry, 1)
    assert "Only moderators" in await harness.command(DAN, "/freeze @alice")
    harness.fake.promote(DAN)
    assert "can no longer earn" in await harness.command(DAN, "/freeze @alice")


async def test_retry_after_is_retried_by_the_rate_limiter(harness: Harness) -> None:
    await harness.stop()
    harness.rate_limit = True
    await harness.start()
    harness.fake.throttle_next = 1
    board = await harness.command(ALICE, "/leaderboard")
    assert "Leaderboard" in board or "Nobody" in board


async def test_kicked_from_group_is_logged_and_earning_continues(harness: Harness) -> None:
    harness.fake.kicked_from.add(CHAT)
    harness.fake.message(ALICE, "/leaderboard")
    harness.fake.message(ALICE, "a normal message after the failed reply")
    await harness.settle(LedgerEntry, 1)
    harness.fake.kicked_from.clear()
    assert "Leaderboard" in await harness.command(ALICE, "/leaderboard")


def test_commands_with_several_text_fields_take_words_or_fields() -> None:
    """``|`` fields for multi-word values; without any ``|``, one word per argument."""
    from datetime import UTC, datetime

    from telegram import Chat, Message

    from bot.telegram import parse
    from handlers.commands import BY_NAME

    spec = BY_NAME["contest create"]
    message = Message(1, datetime.now(UTC), Chat(-100222, "supergroup"))
    by_words = parse.arguments(spec, message, "Photos Summer +1h +7d plain members 2 100".split())
    assert (by_words["title"], by_words["description"], by_words["start"], by_words["winners"]) == \
        ("Photos", "Summer", "+1h", "2")
    by_fields = parse.arguments(spec, message, "Summer photos | Show us | +1h | +7d | ugc".split())
    assert (by_fields["title"], by_fields["description"], by_fields["entry_type"]) == \
        ("Summer photos", "Show us", "ugc")
    assert "|" in parse.usage(spec)
