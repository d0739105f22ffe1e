"""Rules that hold whatever the arrival order, races between connections,
and what ``/link`` does to streaks, later credits and other programs."""

from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta

from sqlalchemy import func, select

from handlers.config_model import Community, Program, Rules, Settings
from handlers.core import Core
from handlers.engagement import IncomingMessage
from storage import ledger
from storage.database import Database
from storage.links import joined_streak
from storage.models import EngagementState, Message
from storage.verify import verify
from tests.conftest import T0, ctx, open_database, settings_for_tests

TEXT = "message number {} is long enough"


async def say(core: Core, i: int, at: timedelta, *, user: str = "1", platform: str = "discord"):
    return await core.message(ctx(core, user, platform=platform, now=T0 + at),
                              IncomingMessage(f"{platform}-{user}-{i}", TEXT.format(i)))


async def test_cooldown_zero_never_refuses_an_earlier_message_arriving_second(db: Database) -> None:
    core = Core(settings_for_tests(cooldown_seconds=0), db)
    await core.start()
    assert (await say(core, 1, timedelta(seconds=10))).points == 5
    late = await say(core, 2, timedelta(seconds=5))
    assert (late.points, late.refusal) == (5, None)


async def test_cooldown_compares_with_earnings_on_both_sides_in_time(core: Core) -> None:
    assert (await say(core, 1, timedelta(seconds=100))).points == 5
    assert (await say(core, 2, timedelta(seconds=0))).points == 5
    assert (await say(core, 3, timedelta(seconds=30))).refusal == "cooldown"
    assert (await say(core, 4, timedelta(seconds=140))).refusal == "cooldown"
    assert (await say(core, 5, timedelta(seconds=170))).points == 5


async def test_late_messages_count_against_their_own_day(core: Core) -> None:
    assert (await say(core, 0, timedelta(days=1))).points == 5
    late = [await say(core, i, timedelta(minutes=2 * i)) for i in range(1, 6)]
    assert [o.points for o in late] == [5, 5, 5, 5, 0]
    assert late[-1].refusal == "daily_cap"
    async with core.db.unit_of_work() as s:
        state = await s.get(EngagementState, ("acme", late[0].member_id))
        assert (state.day, state.day_points, state.streak) == (date(2026, 3, 3), 5, 1)
    today = [await say(core, i, timedelta(days=1, minutes=2 * i)) for i in range(6, 10)]
    assert [o.points for o in today] == [5, 5, 5, 0]


async def test_first_message_of_a_member_on_two_connections_at_once(db: Database, tmp_path) -> None:
    other = open_database(db.url)
    try:
        cores = [Core(settings_for_tests(cooldown_seconds=0), database) for database in (db, other)]
        await cores[0].start()
        for attempt in range(5):
            outcomes = await asyncio.gather(*(
                c.message(ctx(c, f"new{attempt}", now=T0 + timedelta(seconds=n)),
                          IncomingMessage(f"first-{attempt}-{n}", TEXT.format(n)))
                for n, c in enumerate(cores)))
            assert [o.points for o in outcomes] == [5, 5]
        async with db.unit_of_work() as s:
            assert await s.scalar(select(func.count()).select_from(Message)) == 10
            assert all(c.ok for c in await verify(s))
    finally:
        await other.dispose()


async def _link(core: Core, discord_user: str, telegram_user: str, at: timedelta) -> str:
    issued = await core.command(ctx(core, discord_user, now=T0 + at), "link", {})
    code = re.search(r"code is (\w{8})", issued.text).group(1)  # type: ignore[union-attr]
    done = await core.command(ctx(core, telegram_user, platform="telegram", now=T0 + at), "link", {"code": code})
    return done.text


async def test_link_keeps_the_live_streak(core: Core) -> None:
    for day in range(3):
        await say(core, day, timedelta(days=day))
    await say(core, 10, timedelta(days=3), user="7", platform="telegram")
    await _link(core, "1", "7", timedelta(days=3, hours=1))
    profile = await core.command(ctx(core, "1", now=T0 + timedelta(days=3, hours=2)), "profile", {})
    assert "streak 4 day" in profile.text
    nxt = await say(core, 11, timedelta(days=4))
    assert nxt.streak_bonus == 10


def test_joined_streak_extends_the_latest_run_with_touching_runs() -> None:
    d = date(2026, 3, 10)
    assert joined_streak((d, 1), (d - timedelta(days=1), 5)) == (d, 6)
    assert joined_streak((d, 3), (d - timedelta(days=5), 2)) == (d, 3)
    assert joined_streak((d, 2), (d, 4)) == (d, 4)
    assert joined_streak((None, 0), (d, 2)) == (d, 2)
    assert joined_streak((None, 0), (None, 0)) == (None, 0)


async def test_credit_for_a_merged_away_member_goes_to_the_survivor(core: Core) -> None:
    loser = (await say(core, 1, timedelta(), user="7", platform="telegram")).member_id
    await say(core, 2, timedelta(minutes=5))
    await _link(core, "1", "7", timedelta(minutes=6))
    reaction = await core.reaction(ctx(core, "3", platform="telegram", now=T0 + timedelta(minutes=7)),
                                   "telegram-7-1", True)
    assert reaction.delta == 2
    async with core.db.unit_of_work() as s:
        assert await ledger.balance_of(s, "acme", loser) == 0
        survivor = (await s.scalar(select(EngagementState.member_id).where(EngagementState.member_id != loser,
                                                                           EngagementState.day_points == 10)))
        assert await ledger.balance_of(s, "acme", survivor) == 5 + 5 + 2
        assert all(c.ok for c in await verify(s))


def _two_programs() -> Settings:
    base = settings_for_tests().programs[0]
    other = Program(id="beta", name="Beta", rules=Rules(), communities=(
        Community(platform="discord", id="333"), Community(platform="telegram", id="-100444")))
    return Settings(programs=(base, other))


async def test_a_link_code_works_only_in_its_own_program(db: Database) -> None:
    core = Core(_two_programs(), db)
    await core.start()
    issued = await core.command(ctx(core, "1"), "link", {})
    code = re.search(r"code is (\w{8})", issued.text).group(1)  # type: ignore[union-attr]
    beta = core.settings.programs[1]
    elsewhere = ctx(core, "7", platform="telegram")
    elsewhere = type(elsewhere)(**{**elsewhere.__dict__, "program": beta, "community_id": "-100444"})
    refused = await core.command(elsewhere, "link", {"code": code})
    assert not refused.ok and "another program" in refused.text
    async with db.unit_of_work() as s:
        assert await s.scalar(select(func.count()).select_from(Message)) == 0
    assert (await core.command(ctx(core, "7", platform="telegram"), "link", {"code": code})).ok
