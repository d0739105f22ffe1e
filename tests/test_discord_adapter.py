"""The Discord adapter end to end: discord.py talking to a local fake Discord."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import discord
import pytest
import yarl

from bot.discord.client import EngageBot
from handlers.commands import COMMANDS
from handlers.config_model import Community, Program, Rules, Settings
from handlers.core import Core
from storage.database import Database
from storage.models import LedgerEntry, MembershipEvent, Message
from tests.conftest import reset_schema
from tests.fakes.discord_api import FakeDiscord
from tests.probe import DbProbe

GUILD, CHANNEL, OTHER_GUILD = "100000000000000001", "100000000000000010", "100000000000000099"
ALICE, BOB, CAROL, DAVE = "1001", "1002", "1003", "1004"
MANAGE_GUILD = 1 << 5


class Harness(DbProbe):
    def __init__(self, fake: FakeDiscord, bot: EngageBot, core: Core) -> None:
        self.fake, self.bot, self.core = fake, bot, core

    async def reply(self, iid: str) -> dict:
        body = await self.fake.wait_for(lambda: self.fake.interaction_replies.get(iid))
        return body["data"]

    async def balance(self, uid: str) -> int:
        iid = await self.fake.command(uid, "points")
        return int((await self.reply(iid))["content"].split(" points")[0].split()[-1].replace(",", ""))


@pytest.fixture
async def harness(tmp_path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    marker = request.node.get_closest_marker("cooldown")
    fake = FakeDiscord(GUILD, CHANNEL)
    fake.add_role("Moderator")
    fake.add_role("Silver")
    fake.add_member(ALICE, "alice")
    fake.add_member(BOB, "bob")
    fake.add_member(CAROL, "carol", (fake.role_id("Moderator"),))
    fake.add_member(DAVE, "dave")
    fake.extra_guilds.append(OTHER_GUILD)
    base = await fake.start()
    monkeypatch.setattr(discord.http.Route, "BASE", f"{base}/api/v10")
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(f"ws://127.0.0.1:{fake.port}/gateway"))
    settings = Settings(programs=(Program(
        id="acme", name="Acme", rules=Rules(cooldown_seconds=marker.args[0] if marker else 0, min_message_length=10, daily_cap=1000,
                                            reaction_points=2, max_adjustment=10_000),
        communities=(Community(platform="discord", id=GUILD),), moderator_roles=("Moderator",),
        tier_roles={"Silver": "Silver"}),))
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/discord.db")
    await reset_schema(db)
    core = Core(settings, db)
    await core.start()
    bot = EngageBot(core, settings, guild_ready_timeout=0.05)
    task = asyncio.create_task(bot.start("fake-token"))
    await fake.wait_for(lambda: bot.is_ready() and GUILD in fake.synced)
    yield Harness(fake, bot, core)
    await bot.close()
    task.cancel()
    await fake.stop()
    await db.dispose()


async def test_slash_commands_generated_from_declaration(harness: Harness) -> None:
    synced = {c["name"]: c for c in harness.fake.synced[GUILD]}
    assert set(synced) == {c.group or c.name for c in COMMANDS}
    award = {o["name"]: o for o in synced["award"]["options"]}
    assert (award["member"]["type"], award["amount"]["type"], award["reason"]["type"]) == (6, 4, 3)
    assert synced["points"]["description_localizations"]["zh-CN"] == "查看你的积分、等级和排名"


@pytest.mark.cooldown(60)
async def test_messages_earn_points_with_cooldown(harness: Harness) -> None:
    await harness.fake.say(ALICE, "hello everyone, great to be here")
    await harness.fake.say(ALICE, "and a second message right away")
    await harness.fake.say(BOB, "gm")
    await harness.settle(Message, 3)
    assert await harness.count(LedgerEntry) == 1
    assert await harness.balance(ALICE) == 5


async def test_member_commands_are_ephemeral_and_localised(harness: Harness) -> None:
    await harness.fake.say(ALICE, "hello everyone, great to be here")
    await harness.settle(LedgerEntry, 1)
    points = await harness.reply(await harness.fake.command(ALICE, "points"))
    assert points["flags"] & 64 and "You have 5 points" in points["content"]
    chinese = await harness.reply(await harness.fake.command(ALICE, "points", locale="zh-CN"))
    assert "你有 5 积分" in chinese["content"]
    board = await harness.reply(await harness.fake.command(BOB, "leaderboard"))
    assert "#1 alice: 5 points" in board["content"] and not board.get("flags", 0) & 64
    profile = await harness.reply(await harness.fake.command(
        BOB, "profile", [{"name": "member", "type": 6, "value": ALICE}]))
    assert "alice: 5 points" in profile["content"]
    helped = await harness.reply(await harness.fake.command(ALICE, "help"))
    assert "/points" in helped["content"] and "/award" not in helped["content"]
    code = await harness.reply(await harness.fake.command(ALICE, "link"))
    assert code["flags"] & 64 and "link code is" in code["content"]


def _award(member: str, amount: str, reason: str) -> list[dict]:
    return [{"name": "member", "type": 6, "value": member}, {"name": "amount", "type": 3, "value": amount},
            {"name": "reason", "type": 3, "value": reason}]


async def test_moderators_award_and_members_are_refused(harness: Harness) -> None:
    by_role = await harness.reply(await harness.fake.command(CAROL, "award", _award(ALICE, "100", "helpful")))
    assert "Awarded 100 points to alice" in by_role["content"]
    by_permission = await harness.reply(await harness.fake.command(
        DAVE, "deduct", _award(ALICE, "40", "typo fix"), permissions=MANAGE_GUILD))
    assert "New balance: 60" in by_permission["content"]
    refused = await harness.reply(await harness.fake.command(BOB, "award", _award(BOB, "100", "me")))
    assert "Only moderators can use /award" in refused["content"] and refused["flags"] & 64
    frozen = await harness.reply(await harness.fake.command(CAROL, "freeze", [{"name": "member", "type": 6,
                                                                              "value": BOB}]))
    assert "bob can no longer earn points" in frozen["content"]
    await harness.fake.say(BOB, "a long enough message from bob")
    await harness.settle(Message, 1)
    assert await harness.count(LedgerEntry) == 2
    unfrozen = await harness.reply(await harness.fake.command(CAROL, "unfreeze", [{"name": "member", "type": 6,
                                                                                  "value": BOB}]))
    assert "bob can earn points again" in unfrozen["content"]


@pytest.mark.parametrize(("amount", "reason", "expected"), [
    ("abc", "ok", "'abc' is not a whole number"),
    ("-5", "ok", "at least 1, got -5"),
    ("1e9", "ok", "'1e9' is not a whole number"),
    ("99999", "ok", "above this program's maximum of 10,000"),
    ("5", "r" * 5000, "Reason is 5,000 characters; the limit is 200"),
])
async def test_bad_input_answered_and_nothing_written(harness: Harness, amount: str, reason: str,
                                                      expected: str) -> None:
    reply = await harness.reply(await harness.fake.command(CAROL, "award", _award(ALICE, amount, reason)))
    assert expected in reply["content"] and reply["flags"] & 64
    assert await harness.count(LedgerEntry) == 0


async def test_unknown_member_dm_and_unconfigured_guild(harness: Harness) -> None:
    unknown = await harness.reply(await harness.fake.command(CAROL, "award", _award("424242", "5", "who")))
    assert "don't know the member" in unknown["content"]
    dm = await harness.reply(await harness.fake.command(ALICE, "points", in_dm=True))
    assert "inside a community" in dm["content"]
    other = await harness.reply(await harness.fake.command(CAROL, "award", _award(ALICE, "5", "x"), gid=OTHER_GUILD))
    assert "not part of any engagebot program" in other["content"]
    await harness.fake.say(ALICE, "a message in a guild nobody configured", gid=OTHER_GUILD)
    await harness.fake.say(ALICE, "another message in that same guild", gid=OTHER_GUILD)
    notices = await harness.fake.wait_for(lambda: [m for m in harness.fake.sent if "not part of" in m["content"]])
    await asyncio.sleep(0.2)
    assert len(notices) == 1
    assert await harness.count(LedgerEntry) == 0 and await harness.count(Message) == 0


async def test_reactions_pay_the_author_and_removal_reverses(harness: Harness) -> None:
    mid = await harness.fake.say(ALICE, "look at this photo of our meetup")
    await harness.settle(LedgerEntry, 1)
    await harness.fake.react(BOB, mid, ALICE)
    await harness.fake.react(CAROL, mid, ALICE)
    await harness.fake.react(ALICE, mid, ALICE)
    await harness.settle(LedgerEntry, 3)
    await asyncio.sleep(0.1)
    assert await harness.balance(ALICE) == 9
    await harness.fake.react(BOB, mid, ALICE, added=False)
    await harness.settle(LedgerEntry, 4)
    assert await harness.balance(ALICE) == 7


async def test_tier_change_adds_the_mapped_role(harness: Harness) -> None:
    await harness.reply(await harness.fake.command(CAROL, "award", _award(ALICE, "600", "contest")))
    silver = harness.fake.role_id("Silver")
    await harness.fake.wait_for(lambda: ("add", ALICE, silver) in harness.fake.role_changes)
    await harness.reply(await harness.fake.command(CAROL, "deduct", _award(ALICE, "200", "correction")))
    await harness.fake.wait_for(lambda: ("remove", ALICE, silver) in harness.fake.role_changes)


async def test_member_join_is_recorded(harness: Harness) -> None:
    harness.fake.add_member("1005", "erin")
    await harness.fake.dispatch("GUILD_MEMBER_ADD", dict(harness.fake.members["1005"], guild_id=GUILD))
    await harness.settle(MembershipEvent, 1, MembershipEvent.kind == "join")


async def test_resume_after_reconnect_loses_and_doubles_nothing(harness: Harness) -> None:
    await harness.fake.say(ALICE, "first message before the drop")
    await harness.settle(LedgerEntry, 1)
    await harness.fake.drop_connection()
    await harness.fake.say(ALICE, "second message sent while disconnected")
    await harness.fake.say(BOB, "bob also talked while we were away")
    await harness.fake.wait_for(lambda: harness.fake.resumes)
    await harness.settle(LedgerEntry, 3)
    assert harness.fake.identifies == 1
    last_seen = harness.fake.log[harness.fake.resumes[0] - 1]
    assert last_seen["t"] == "MESSAGE_CREATE"
    await harness.fake.dispatch("MESSAGE_CREATE", last_seen["d"])
    await asyncio.sleep(0.3)
    assert await harness.count(LedgerEntry) == 3
    assert await harness.balance(ALICE) == 10


async def test_missing_role_permission_is_logged_not_fatal(harness: Harness) -> None:
    harness.fake.forbid_roles = True
    award = await harness.reply(await harness.fake.command(CAROL, "award", _award(ALICE, "600", "contest")))
    assert "Awarded 600 points" in award["content"]
    await asyncio.sleep(0.2)
    assert harness.fake.role_changes == []
    await harness.fake.say(ALICE, "the bot still works after the 403")
    await harness.settle(LedgerEntry, 2)
    assert await harness.balance(ALICE) == 605
