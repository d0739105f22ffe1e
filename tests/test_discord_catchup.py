"""Discord catch-up after downtime, end to end: discord.py against the local fake.

The bot is stopped and started again (a new Core and client over the same
database, like a process restart), or loses a session it cannot RESUME; the
messages posted meanwhile are only in the channels' history, never on the
gateway, and must each earn exactly once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import discord
import pytest
import structlog
import yarl
from sqlalchemy import func, insert, select

from bot.discord.catchup import ChannelCatchUp
from bot.discord.client import EngageBot
from handlers.config_model import Community, DiscordSettings, Program, Rules, Settings
from handlers.core import Core
from storage.catchup import last_message_id
from storage.database import Database
from storage.models import Balance, Identity, LedgerEntry, Member, Message
from storage.verify import verify
from tests.conftest import BACKENDS, backend_url, open_database, reset_schema
from tests.fakes.discord_api import BOT_ID, FakeDiscord
from tests.probe import DbProbe

GUILD, GENERAL = "100000000000000001", "100000000000000010"
ALICE, BOB, CAROL = "1001", "1002", "1003"
POINTS = 5
CatchUpTask = asyncio.Task[list[ChannelCatchUp]]


def settings(cooldown: int = 0, max_age_hours: int = 24, max_messages: int = 1000) -> Settings:
    return Settings(
        programs=(Program(id="acme", name="Acme", rules=Rules(
            points_per_message=POINTS, cooldown_seconds=cooldown, min_message_length=5, daily_cap=100_000,
            streak_bonus=0), communities=(Community(platform="discord", id=GUILD),)),),
        discord=DiscordSettings(sync_commands=False, catchup_max_age_hours=max_age_hours,
                                catchup_max_messages=max_messages))


class World(DbProbe):
    """One fake Discord and one database that outlive any number of bot runs."""

    def __init__(self, fake: FakeDiscord, db: Database, random: str) -> None:
        self.fake, self.db, self.random = fake, db, random
        self.bot: EngageBot | None = None
        self.task: asyncio.Task[None] | None = None

    async def start(self, config: Settings) -> list[ChannelCatchUp]:
        """Start the bot and wait for its start-up catch-up."""
        return await (await self.launch(config))

    async def launch(self, config: Settings) -> CatchUpTask:
        """Start the bot; its start-up catch-up, once begun."""
        self.core = Core(config, self.db)
        await self.core.start()
        self.bot = EngageBot(self.core, config, guild_ready_timeout=0.05)
        self.task = asyncio.create_task(self.bot.start("fake-token"))
        return await self.catch_up_begun()

    async def catch_up_begun(self, previous: CatchUpTask | None = None) -> CatchUpTask:
        """The bot's catch-up task, once one other than ``previous`` has begun."""
        assert self.bot is not None
        bot = self.bot
        return await self.fake.wait_for(lambda: bot.catch_up_task not in (None, previous) and bot.catch_up_task)

    async def stop(self) -> None:
        if self.bot is not None and self.task is not None:
            await self.bot.close()
            await self.task
        self.bot = self.task = None

    async def earned(self, message_ids: list[str]) -> list[str]:
        """References of ledger entries paid for these messages (one per payment)."""
        refs = [f"discord:message:{mid}" for mid in message_ids]
        async with self.db.unit_of_work() as s:
            return list(await s.scalars(select(LedgerEntry.reference).where(LedgerEntry.reference.in_(refs))))

    async def balance(self, uid: str) -> int | None:
        async with self.db.unit_of_work() as s:
            return await s.scalar(select(Balance.balance).join(Identity, Identity.member_id == Balance.member_id)
                                  .where(Identity.platform == "discord", Identity.platform_user_id == uid))


@pytest.fixture(params=BACKENDS)
async def world(request: pytest.FixtureRequest, tmp_path: object,
                monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    db = open_database(backend_url(request.param, tmp_path))
    await reset_schema(db)
    fake = FakeDiscord(GUILD, GENERAL)
    random = fake.add_channel("random")
    for uid, name in ((ALICE, "alice"), (BOB, "bob"), (CAROL, "carol")):
        fake.add_member(uid, name)
    base = await fake.start()
    monkeypatch.setattr(discord.http.Route, "BASE", f"{base}/api/v10")
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY",
                        yarl.URL(f"ws://127.0.0.1:{fake.port}/gateway"))
    state = World(fake, db, random)
    yield state
    await state.stop()
    await fake.stop()
    await db.dispose()


def by_channel(reports: list[ChannelCatchUp]) -> dict[str, ChannelCatchUp]:
    return {str(r.channel_id): r for r in reports}


async def test_messages_posted_while_down_earn_exactly_once(world: World) -> None:
    fake = world.fake
    assert [r.caught_up for r in await world.start(settings())] == [0, 0]
    live = [await fake.say(ALICE, "live hello from alice"),
            await fake.say(BOB, "live hello from bob", channel=world.random),
            await fake.say(CAROL, "live hello from carol")]
    await world.settle(LedgerEntry, 3)
    await world.stop()

    authors = (ALICE, BOB, CAROL)
    offline = [fake.post_offline(authors[i % 3], f"message {i} while the bot was down",
                                 channel=(GENERAL, world.random)[i % 2]) for i in range(200)]
    fake.post_offline(BOT_ID, "a bot message that never earns")
    short = fake.post_offline(ALICE, "hi", channel=world.random)
    with structlog.testing.capture_logs() as logs:
        reports = by_channel(await world.start(settings()))

    assert (reports[GENERAL].caught_up, reports[world.random].caught_up) == (100, 101)
    assert (reports[GENERAL].read, reports[world.random].read) == (101, 101)
    lines = [e for e in logs if e["event"] == "discord channel caught up"]
    assert sorted((e["channel"], e["caught_up"]) for e in lines) == sorted(
        [(int(GENERAL), 100), (int(world.random), 101)])
    paid = await world.earned(offline + live + [short])
    assert sorted(paid) == sorted(f"discord:message:{mid}" for mid in offline + live)
    assert await world.count(Message) == 3 + 200 + 1
    assert await world.count(LedgerEntry) == 203
    for uid, posted in ((ALICE, 67 + 1), (BOB, 67 + 1), (CAROL, 66 + 1)):
        assert await world.balance(uid) == POINTS * posted
    async with world.db.unit_of_work() as s:
        assert all(check.ok for check in await verify(s))
        newest = await last_message_id(s, "discord", GUILD, world.random)
    assert newest == int(short)

    await world.stop()
    requests = len(fake.history_requests)
    again = await world.start(settings())
    assert [(r.caught_up, r.read) for r in again] == [(0, 1), (0, 0)]  # the bot's own message is never stored
    asked = {cid: int(q["after"]) for cid, q in fake.history_requests[requests:]}
    assert asked == {GENERAL: int(offline[-2]), world.random: int(short)}
    assert await world.count(LedgerEntry) == 203 and await world.count(Message) == 204


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
async def test_only_a_reconnect_that_cannot_resume_catches_up(world: World) -> None:
    fake = world.fake
    await world.start(settings())
    assert world.bot is not None
    first = world.bot.catch_up_task
    await fake.say(ALICE, "before any trouble")
    await world.settle(LedgerEntry, 1)

    await fake.drop_connection()
    await fake.wait_for(lambda: fake.resumes)
    await fake.say(BOB, "said after a clean resume")
    await world.settle(LedgerEntry, 2)
    assert world.bot.catch_up_task is first and fake.identifies == 1

    fake.refuse_resume = True
    gap = [fake.post_offline((ALICE, BOB)[i % 2], f"lost in the gap {i}", channel=(GENERAL, world.random)[i % 2])
           for i in range(12)]
    await fake.drop_connection()
    reports = await (await world.catch_up_begun(first))
    assert fake.refused_resumes == 1 and fake.identifies == 2
    assert sum(r.caught_up for r in reports) == 12
    assert sorted(await world.earned(gap)) == sorted(f"discord:message:{mid}" for mid in gap)
    assert await world.count(LedgerEntry) == 14
    await fake.say(CAROL, "live again after the fresh session")
    await world.settle(LedgerEntry, 15)


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
async def test_stopped_during_catch_up_then_restarted_counts_each_message_once(world: World) -> None:
    fake = world.fake
    posted = [fake.post_offline((ALICE, BOB)[i % 2], f"queued while away {i}") for i in range(250)]
    fake.history_delay = 0.3
    interrupted = await world.launch(settings())
    await world.settle(Message, 100)
    await world.stop()
    stored = await world.count(Message)
    assert interrupted.cancelled() and 100 <= stored < 250

    fake.history_delay = 0
    reports = await world.start(settings())
    assert sum(r.caught_up for r in reports) == 250 - stored
    assert sorted(await world.earned(posted)) == sorted(f"discord:message:{mid}" for mid in posted)
    assert await world.count(LedgerEntry) == 250


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
async def test_catch_up_bounded_by_age_and_count_through_rate_limits_and_refusals(world: World) -> None:
    fake, now = world.fake, datetime.now(UTC)
    too_old = [fake.post_offline(ALICE, f"posted yesterday {i}", at=now - timedelta(hours=30, minutes=i))
               for i in range(3)]
    recent = [fake.post_offline((ALICE, BOB, CAROL)[i % 3], f"recent message {i}",
                                at=now - timedelta(hours=2) + timedelta(seconds=i)) for i in range(60)]
    other = [fake.post_offline(BOB, f"other channel {i}", channel=world.random,
                               at=now - timedelta(hours=1, minutes=i)) for i in range(5)]
    secret = fake.add_channel("secret")
    fake.post_offline(ALICE, "in a channel the bot cannot read", channel=secret)
    fake.hidden_channels.add(secret)
    fake.throttle_history = 2

    with structlog.testing.capture_logs() as logs:
        reports = by_channel(await world.start(settings(max_age_hours=24, max_messages=40)))

    assert fake.throttle_history == 0
    assert [(e["channel"], e["status"]) for e in logs if e["event"] == "could not read channel history"] == [
        (int(secret), 403)]
    assert reports[secret].read == 0
    assert [e["log_level"] for e in logs if e["event"] == "discord channel caught up" and e["limit_reached"]] == [
        "warning"]
    assert (reports[GENERAL].read, reports[GENERAL].caught_up, reports[GENERAL].limit_reached) == (40, 40, True)
    assert (reports[world.random].caught_up, reports[world.random].limit_reached) == (5, False)
    assert sorted(await world.earned(too_old + recent + other)) == sorted(
        f"discord:message:{mid}" for mid in recent[:40] + other)
    async with world.db.unit_of_work() as s:
        stamped = await s.scalar(select(func.min(Message.created_at)))
    assert abs(stamped - (now - timedelta(hours=2)).replace(tzinfo=None)) < timedelta(seconds=1)


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
async def test_rules_see_each_message_at_its_own_time(world: World) -> None:
    fake, start = world.fake, datetime.now(UTC) - timedelta(minutes=30)
    posted = [fake.post_offline(ALICE, f"alice says {i}", at=start + timedelta(seconds=s))
              for i, s in enumerate((0, 30, 90, 100, 200))]
    await world.start(settings(cooldown=60))
    assert sorted(await world.earned(posted)) == sorted(f"discord:message:{posted[i]}" for i in (0, 2, 4))
    async with world.db.unit_of_work() as s:
        refusals = list(await s.scalars(select(Message.refusal).order_by(Message.created_at)))
    assert refusals == [None, "cooldown", None, "cooldown", None]


async def test_last_stored_id_compares_ids_as_numbers(db: Database) -> None:
    at = datetime(2026, 3, 2, 12, 0)

    def row(mid: str, channel: str = "7", seconds: int = 0, community: str = GUILD) -> dict[str, object]:
        return {"program_id": "acme", "platform": "discord", "community_id": community, "channel_id": channel,
                "platform_message_id": mid, "member_id": 1, "text": "t", "text_hash": "h",
                "created_at": at + timedelta(seconds=seconds), "points": 0, "sentiment_status": "pending"}

    async with db.unit_of_work() as s:
        await s.execute(insert(Member).values(id=1, created_at=at))
        await s.execute(insert(Message), [row("98", seconds=-5), row("99", seconds=1), row("100", seconds=1),
                                          row("5000", channel="8"), row("7000", community="42")])
    async with db.unit_of_work() as s:
        assert await last_message_id(s, "discord", GUILD, "7") == 100
        assert await last_message_id(s, "discord", GUILD, "8") == 5000
        assert await last_message_id(s, "discord", GUILD, "9") is None
        assert await last_message_id(s, "telegram", GUILD, "7") is None
