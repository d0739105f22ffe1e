"""Replies never ping: on Discord every message the bot sends allows no mention
unless it names the accounts to ping; on Telegram names go out verbatim, as
plain text (no parse mode, so nothing in a name is read as markup)."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from bot.discord import mentions
from handlers.replies import Reply
from storage.models import LedgerEntry
from tests import test_discord_adapter as discord_side
from tests import test_telegram_adapter as telegram_side
from tests.test_discord_adapter import harness as discord_harness  # noqa: F401 - the fixture, used by name
from tests.test_telegram_adapter import harness as telegram_harness  # noqa: F401 - the fixture, used by name

EVE = "1005"
HOSTILE_DISCORD = f"@everyone <@{discord_side.BOB}> @here"
HOSTILE_TELEGRAM = "<b>x</b> *y* _z_ @everyone [a](http://x.test) `c`"
NOBODY = {"parse": []}


async def _hostile_member_earns(h: discord_side.Harness) -> None:
    h.fake.add_member(EVE, HOSTILE_DISCORD)
    await h.fake.say(EVE, "hello everyone, great to be here")
    await h.settle(LedgerEntry, 1)


async def test_interaction_replies_ping_nobody(discord_harness: discord_side.Harness) -> None:
    h = discord_harness
    await _hostile_member_earns(h)
    board = await h.reply(await h.fake.command(discord_side.BOB, "leaderboard"))
    assert not board.get("flags", 0) & 64, "the leaderboard is public"
    assert f"#1 {HOSTILE_DISCORD}: 5 points" in board["content"]
    assert board["allowed_mentions"] == NOBODY
    points = await h.reply(await h.fake.command(EVE, "points"))
    assert points["flags"] & 64 and points["allowed_mentions"] == NOBODY


async def test_followups_ping_nobody(discord_harness: discord_side.Harness,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """An interaction answered twice: the second answer goes out as a followup."""
    h = discord_harness
    await _hostile_member_earns(h)
    answer = h.bot._respond

    async def twice(interaction: discord.Interaction, reply: Reply) -> None:
        await answer(interaction, reply)
        await answer(interaction, reply)

    monkeypatch.setattr(h.bot, "_respond", twice)
    await h.fake.command(discord_side.BOB, "leaderboard")
    kind, body = (await h.fake.wait_for(lambda: h.fake.posted))[0]
    assert kind == "followup" and HOSTILE_DISCORD in body["content"]
    assert body["allowed_mentions"] == NOBODY


async def test_channel_messages_ping_nobody_unless_named(discord_harness: discord_side.Harness) -> None:
    h = discord_harness
    await h.fake.say(discord_side.ALICE, "a message in a guild nobody configured",
                     gid=discord_side.OTHER_GUILD)
    kind, notice = (await h.fake.wait_for(lambda: h.fake.posted))[0]
    assert kind == "channel" and "not part of any engagebot program" in notice["content"]
    assert notice["allowed_mentions"] == NOBODY
    channel = h.bot.get_channel(int(discord_side.CHANNEL))
    assert isinstance(channel, discord.TextChannel)
    winner = discord_side.ALICE
    await channel.send(f"<@{winner}> won! @everyone", allowed_mentions=mentions.only([winner]))
    _, announcement = h.fake.posted[-1]
    assert announcement["allowed_mentions"] == {"parse": [], "users": [int(winner)]}


def _sent_to(fake: Any, chat_id: int, text: str) -> list[dict[str, Any]]:
    return [m for m in fake.sent if m["chat_id"] == chat_id and text in m["text"]]


async def test_telegram_names_go_out_verbatim_as_plain_text(telegram_harness: telegram_side.Harness) -> None:
    h = telegram_harness
    h.fake.add_user(1005, HOSTILE_TELEGRAM)
    h.fake.users[1005]["username"] = "eve"
    h.fake.message(1005, "hello group, happy to be here")
    await h.settle(LedgerEntry, 1)
    board = await h.command(telegram_side.ALICE, "/leaderboard")
    assert f"#1 {HOSTILE_TELEGRAM}: 5 points" in board
    profile = await h.command(telegram_side.ALICE, "/profile @eve")
    assert profile.startswith(f"{HOSTILE_TELEGRAM}: 5 points")
    sent = _sent_to(h.fake, telegram_side.CHAT, HOSTILE_TELEGRAM)
    assert len(sent) == 2 and all(m.get("parse_mode") is None and not m.get("entities") for m in sent)
