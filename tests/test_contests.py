"""Contests through the core, on SQLite and PostgreSQL, with a controllable clock driving the scheduler.

Every refusal writes nothing; restarts (a fresh Core and Scheduler over the
same database) close each contest once and pay once; the draw is checked
with hashlib and hmac here, independently of the bot's own code.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from bot.cli import app as cli_app
from bot.scheduler import Scheduler
from handlers import targets
from handlers.config_model import Community, ContestSettings, Program, Settings
from handlers.contests import entries, inputs
from handlers.context import Context
from handlers.core import Core
from handlers.engagement import IncomingMessage
from handlers.errors import UserError
from handlers.replies import Button, Reply, TierChanged
from storage import schema
from storage.contests import Contest, ContestEntry, ContestVote, ContestWinner
from storage.database import Database
from storage.models import LedgerEntry, Reason
from storage.ugc import UgcSubmission
from tests.conftest import T0, ctx, settings_for_tests

START = T0 + timedelta(hours=1)
END = T0 + timedelta(days=1)
AFTER = END + timedelta(minutes=1)
TABLES = (Contest, ContestEntry, ContestVote, ContestWinner, LedgerEntry)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Outlet:
    announced: list[tuple[str, str, tuple[Button, ...]]] = field(default_factory=list)
    notified: list[tuple[str, str]] = field(default_factory=list)
    tiers: list[TierChanged] = field(default_factory=list)

    async def announce(self, community_id: str, text: str, buttons: tuple[Button, ...] = ()) -> None:
        self.announced.append((community_id, text, buttons))

    async def notify(self, user_id: str, text: str) -> bool:
        self.notified.append((user_id, text))
        return True

    async def sync_tier(self, event: TierChanged) -> None:
        self.tiers.append(event)


@dataclass
class Bot:
    """One running bot: core, scheduler on a fake clock, and what it announced."""

    core: Core
    scheduler: Scheduler
    clock: Clock
    outlet: Outlet


async def boot(db: Database, now: datetime = T0, config: Settings | None = None) -> Bot:
    """A fresh process over ``db``: new Core and Scheduler, re-armed from the rows (as at start-up)."""
    core = Core(config or settings_for_tests(), db)
    await core.start()
    clock, outlet = Clock(now), Outlet()
    core.attach_outlet("discord", outlet)
    scheduler = Scheduler(clock)
    scheduler.serve(core)
    await scheduler.rearm()
    return Bot(core, scheduler, clock, outlet)


@pytest.fixture
async def bot(db: Database) -> Bot:
    return await boot(db)


def mod(bot: Bot, event: str = "m1", now: datetime | None = None) -> Context:
    return ctx(bot.core, "99", moderator=True, event=event, now=now or bot.clock.now)


def member(bot: Bot, user: str, now: datetime | None = None, event: str = "e") -> Context:
    return ctx(bot.core, user, now=now or bot.clock.now, event=f"{event}{user}")


async def known(bot: Bot, *users: str, at: datetime = T0 - timedelta(days=3)) -> None:
    """Members first seen days before the contest, so they may vote."""
    for user in users:
        await bot.core.message(ctx(bot.core, user, now=at, event=f"hello{user}"),
                               IncomingMessage(f"hello{user}", "hello there everyone, glad to be here"))


async def create(bot: Bot, event: str = "c1", **args: Any) -> Reply:
    chosen = {"title": "Best photo", "description": "Show us your setup", "start": "+1h", "end": "+1d",
              "entry_type": "plain", "voting": "members", **args}
    return await bot.core.command(mod(bot, event), "contest create", chosen)


async def at(bot: Bot, moment: datetime) -> int:
    """Move the clock and let the scheduler run what fell due."""
    bot.clock.now = moment
    return await bot.scheduler.run_due()


async def counts(db: Database) -> tuple[int, ...]:
    async with db.unit_of_work() as s:
        return tuple([await s.scalar(select(func.count()).select_from(t)) for t in TABLES])


async def contest_row(db: Database, contest_id: int = 1) -> Contest:
    async with db.unit_of_work() as s:
        row = await s.get(Contest, contest_id)
        assert row is not None
        return row


async def prizes(db: Database) -> list[tuple[int, str, int]]:
    async with db.unit_of_work() as s:
        rows = await s.execute(select(LedgerEntry.member_id, LedgerEntry.idempotency_key, LedgerEntry.delta)
                               .where(LedgerEntry.reason == Reason.CONTEST_WIN).order_by(LedgerEntry.id))
        return [tuple(r) for r in rows]


async def enter(bot: Bot, user: str, contest: int = 1) -> int:
    reply = await bot.core.command(member(bot, user), "enter", {"contest": str(contest)})
    assert reply.ok, reply.text
    return int(re.search(r"as entry #(\d+)", reply.text).group(1))


async def test_create_arms_the_start_and_opening_announces(bot: Bot) -> None:
    reply = await create(bot)
    assert reply.ok and "Contest #1" in reply.text and reply.events == ()
    assert bot.scheduler.armed() == {"timed:contests:1": START}
    assert await at(bot, START - timedelta(seconds=1)) == 0
    assert (await contest_row(bot.core.db)).status == "scheduled"
    assert await at(bot, START) == 1
    assert (await contest_row(bot.core.db)).status == "open"
    ((community, text, buttons),) = bot.outlet.announced
    assert community == "111" and "Best photo" in text and "Show us your setup" in text and "/enter 1" in text
    assert buttons == (Button("Enter contest #1", "contest.enter:1"),)
    await bot.scheduler.rearm()
    assert bot.scheduler.armed() == {"timed:contests:1": END}


@pytest.mark.parametrize(("args", "expected"), [
    ({"start": "+2h", "end": "+1h"}, "must be after the start"),
    ({"start": "+1h", "end": "+1h"}, "must be after the start"),
    ({"start": "2026-03-01 12:00"}, "is in the past"),
    ({"start": "2026-03-02T11:00:00+00:00"}, "is in the past"),
    ({"winners": "0"}, "at least 1 winner, got 0"),
    ({"winners": "-3"}, "at least 1 winner, got -3"),
    ({"winners": "lots"}, "winners must be a whole number"),
    ({"winners": "9" * 300}, "winners can be at most 100"),
    ({"prize": "-5"}, "cannot be negative"),
    ({"start": "tomorrow"}, "'tomorrow' is not a time I can read"),
    ({"start": "+99999d"}, "more than 3,650 days ahead"),
    ({"start": "\uff12\uff10\uff12\uff16-03-03 10:00"}, "is not a time I can read"),
    ({"entry_type": "video"}, "entry_type must be one of ugc, plain, got 'video'"),
    ({"voting": "likes"}, "voting must be one of none, members, moderator, random"),
    ({"title": "x" * 101}, "The title is 101 characters; the limit is 100"),
    ({"title": "\x00 \x07"}, "Give a title"),
    ({"title": "a\ud800"}, "unpaired surrogates"),
])
async def test_bad_create_refused_and_writes_nothing(bot: Bot, args: dict[str, str], expected: str) -> None:
    reply = await create(bot, **args)
    assert not reply.ok and expected in reply.text, reply.text
    assert await counts(bot.core.db) == (0, 0, 0, 0, 0) and bot.scheduler.armed() == {}


async def test_member_cannot_run_moderator_commands(bot: Bot) -> None:
    await create(bot)
    for name, args in (("contest create", {"title": "t", "description": "d", "start": "now", "end": "+1h",
                                           "entry_type": "plain", "voting": "none"}),
                       ("contest close", {"contest": "1"}), ("contest cancel", {"contest": "1"}),
                       ("contest pick", {"contest": "1", "entry": "1"}),
                       ("contest reroll", {"contest": "1"})):
        reply = await bot.core.command(member(bot, "5"), name, args)
        assert not reply.ok and f"Only moderators can use /{name}" in reply.text
    assert await counts(bot.core.db) == (1, 0, 0, 0, 0)


def test_times_in_the_programs_zone() -> None:
    now = datetime(2026, 3, 2, 12, 0, 30)
    zone = "Asia/Shanghai"
    assert inputs.moment("now", now, zone) == now
    assert inputs.moment("+2h", now, zone) == now + timedelta(hours=2)
    assert inputs.moment("+30m", now, zone) == now + timedelta(minutes=30)
    assert inputs.moment("+3d", now, zone) == now + timedelta(days=3)
    assert inputs.moment("2026-03-03 08:00", now, zone) == datetime(2026, 3, 3, 0, 0)
    assert inputs.moment("2026-03-03T08:00:00+00:00", now, zone) == datetime(2026, 3, 3, 8, 0)
    assert inputs.moment("2026-03-03T08:00Z", now, zone) == datetime(2026, 3, 3, 8, 0)
    assert inputs.shown_time(datetime(2026, 3, 3, 0, 0), zone) == "2026-03-03 08:00 Asia/Shanghai"


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.datetimes().map(str), st.from_regex(r"\+[0-9]{1,9}[mhd]", fullmatch=True)),
       st.sampled_from(["UTC", "Asia/Shanghai", "Pacific/Kiritimati", "America/Adak"]))
def test_any_typed_time_is_a_time_or_a_specific_refusal(raw: str, zone: str) -> None:
    now = datetime(2026, 3, 2, 12, 0)
    try:
        moment = inputs.moment(raw, now, zone)
    except UserError as exc:
        assert exc.key in ("contest.bad_time", "contest.time_too_far")
        return
    assert moment - now <= inputs.HORIZON

async def test_start_now_and_this_minute_are_accepted(bot: Bot) -> None:
    bot.clock.now = T0 + timedelta(seconds=40)
    assert (await bot.core.command(mod(bot, "a"), "contest create", {
        "title": "t", "description": "d", "start": "now", "end": "+1h", "entry_type": "plain",
        "voting": "none"})).ok
    assert (await bot.core.command(mod(bot, "b"), "contest create", {
        "title": "t", "description": "d", "start": "2026-03-02 12:00", "end": "+1h", "entry_type": "plain",
        "voting": "none"})).ok
    # Both were due at once: rearm (run by the create's TimersChanged) opened them.
    assert [(await contest_row(bot.core.db, i)).status for i in (1, 2)] == ["open", "open"]


async def test_redelivered_create_makes_one_contest(bot: Bot) -> None:
    assert (await create(bot, event="same")).ok
    again = await create(bot, event="same")
    assert "already handled" in again.text and (await counts(bot.core.db))[0] == 1


async def test_members_vote_most_votes_win_and_prize_paid_once(bot: Bot) -> None:
    await known(bot, "1", "2", "3", "4")
    await create(bot, winners="1", prize="300")
    await at(bot, START)
    first, second = await enter(bot, "1"), await enter(bot, "2")
    for voter, entry in (("3", second), ("4", second), ("2", first)):
        reply = await bot.core.command(member(bot, voter), "vote", {"entry": str(entry)})
        assert reply.ok and reply.private, reply.text
    await at(bot, AFTER)
    row = await contest_row(bot.core.db)
    assert row.status == "closed"
    (_, text, _) = bot.outlet.announced[-1]
    assert "has ended: 2 entries took part" in text and f"1. user2, entry #{second} (2 votes)" in text
    assert await prizes(bot.core.db) == [(2, f"contest:acme:1:{second}", 300)]
    assert bot.outlet.notified == [("2", f"You won place 1 in contest #1 \u201cBest photo\u201d with entry "
                                         f"#{second}: 300 points!")]
    assert await at(bot, AFTER + timedelta(hours=1)) == 0 and len(await prizes(bot.core.db)) == 1


async def test_a_prize_that_crosses_a_tier_reaches_the_platforms_for_their_roles(bot: Bot) -> None:
    await known(bot, "1", "2", "3")
    await create(bot, winners="1", prize="600")
    await at(bot, START)
    winner = await enter(bot, "1")
    await bot.core.command(member(bot, "3"), "vote", {"entry": str(winner)})
    await at(bot, AFTER)
    (event,) = bot.outlet.tiers
    assert (event.old_tier, event.new_tier, event.accounts) == ("Bronze", "Silver", (("discord", "1"),))


async def test_tie_goes_to_the_earlier_entry(bot: Bot) -> None:
    await known(bot, "1", "2", "3", "4")
    await create(bot)
    await at(bot, START)
    first, second = await enter(bot, "1"), await enter(bot, "2")
    await bot.core.command(member(bot, "3"), "vote", {"entry": str(second)})
    await bot.core.command(member(bot, "4"), "vote", {"entry": str(first)})
    await at(bot, AFTER)
    assert [key for _, key, _ in await prizes(bot.core.db)] == [f"contest:acme:1:{first}"]


async def test_entry_and_vote_refusals_write_nothing(bot: Bot) -> None:
    await known(bot, "1", "2")
    await create(bot)
    early = await bot.core.command(member(bot, "1"), "enter", {"contest": "1"})
    assert not early.ok and "opens 2026-03-02 13:00 UTC" in early.text
    await at(bot, START)
    entry = await enter(bot, "1")
    before = await counts(bot.core.db)
    refusals = [
        (member(bot, "1"), "enter", {"contest": "1"}, "already have 1 entr(y/ies) in contest #1"),
        (member(bot, "1"), "vote", {"entry": str(entry)}, "cannot vote for your own entry"),
        (member(bot, "7"), "vote", {"entry": str(entry)}, "once they have been here 1 day(s)"),
        (member(bot, "2"), "vote", {"entry": "999"}, "no entry #999"),
        (member(bot, "2"), "vote", {"entry": "abc"}, "An entry number is digits"),
        (member(bot, "2"), "enter", {"contest": "42"}, "There is no contest #42 here"),
        (member(bot, "2"), "enter", {"contest": "1\x00"}, "A contest number is digits"),
    ]
    for context, name, args, expected in refusals:
        reply = await bot.core.command(context, name, args)
        assert not reply.ok and expected in reply.text, (name, reply.text)
    assert (await bot.core.command(member(bot, "2"), "vote", {"entry": str(entry)})).ok
    twice = await bot.core.command(member(bot, "2", event="again"), "vote", {"entry": str(entry)})
    assert not twice.ok and "already voted for entry" in twice.text
    assert await counts(bot.core.db) == (before[0], before[1], before[2] + 1, before[3], before[4])
    bot.clock.now = END
    late_vote = await bot.core.command(member(bot, "2"), "vote", {"entry": str(entry)})
    late_entry = await bot.core.command(member(bot, "2"), "enter", {"contest": "1"})
    assert "Voting in contest #1 is over" in late_vote.text
    assert "has ended; it takes no more entries" in late_entry.text
    assert (await counts(bot.core.db))[2] == before[2] + 1


async def test_entries_per_member_is_configurable(db: Database) -> None:
    base = settings_for_tests()
    program = base.programs[0].model_copy(update={"contests": ContestSettings(entries_per_member=2)})
    bot = await boot(db, config=base.model_copy(update={"programs": (program,)}))
    await create(bot)
    await at(bot, START)
    await enter(bot, "1")
    await enter(bot, "1")
    third = await bot.core.command(member(bot, "1"), "enter", {"contest": "1"})
    assert not third.ok and "already have 2" in third.text


async def test_no_voting_age_rule_when_set_to_zero(db: Database) -> None:
    base = settings_for_tests()
    program = base.programs[0].model_copy(update={"contests": ContestSettings(min_member_days_to_vote=0)})
    bot = await boot(db, config=base.model_copy(update={"programs": (program,)}))
    await create(bot)
    await at(bot, START)
    entry = await enter(bot, "1")
    assert (await bot.core.command(member(bot, "8"), "vote", {"entry": str(entry)})).ok


def two_programs() -> Settings:
    base = settings_for_tests()
    other = Program(id="globex", name="Globex", communities=(Community(platform="discord", id="333"),))
    return base.model_copy(update={"programs": (base.programs[0], other)})


async def test_ids_of_another_program_look_unknown(db: Database) -> None:
    bot = await boot(db, config=two_programs())
    globex = bot.core.settings.programs[1]
    theirs = Context(program=globex, platform="discord", community_id="333", actor=mod(bot).actor,
                     locale="en", event_id="g1", now=T0, is_moderator=True)
    assert (await bot.core.command(theirs, "contest create", {
        "title": "Theirs", "description": "d", "start": "now", "end": "+1d", "entry_type": "plain",
        "voting": "members"})).ok
    outsider = Context(program=globex, platform="discord", community_id="333", actor=member(bot, "5").actor,
                       locale="en", event_id="g2", now=T0)
    assert (await bot.core.command(outsider, "enter", {"contest": "1"})).ok
    before = await counts(bot.core.db)
    for name, args, expected in (("enter", {"contest": "1"}, "There is no contest #1 here"),
                                 ("contest show", {"contest": "1"}, "There is no contest #1 here"),
                                 ("vote", {"entry": "1"}, "There is no entry #1"),
                                 ("contest close", {"contest": "1"}, "There is no contest #1 here")):
        who = mod(bot) if name.startswith("contest") else member(bot, "6")
        reply = await bot.core.command(who, name, args)
        assert not reply.ok and expected in reply.text
    mine = await bot.core.command(member(bot, "6"), "contest list", {})
    assert "No contests yet" in mine.text and await counts(bot.core.db) == before


async def test_restart_between_create_and_start(db: Database) -> None:
    first = await boot(db)
    await create(first)
    second = await boot(db, now=T0 + timedelta(minutes=5))
    assert second.scheduler.armed() == {"timed:contests:1": START}
    await at(second, START)
    third = await boot(db, now=START + timedelta(minutes=1))
    assert third.scheduler.armed() == {"timed:contests:1": END}
    await at(third, AFTER)
    assert (await contest_row(db)).status == "closed"
    assert [t.split("\n")[0] for _, t, _ in second.outlet.announced + third.outlet.announced] == [
        "Contest #1 \u201cBest photo\u201d is open until 2026-03-03 12:00 UTC!",
        "Contest #1 \u201cBest photo\u201d has ended: 0 entries took part."]


async def test_restart_between_start_and_end_pays_once(db: Database) -> None:
    first = await boot(db)
    await known(first, "1", "2")
    await create(first, voting="random", winners="1")
    await at(first, START)
    await enter(first, "1")
    await enter(first, "2")
    second = await boot(db, now=START + timedelta(hours=2))
    assert second.scheduler.armed() == {"timed:contests:1": END} and second.outlet.announced == []
    await at(second, AFTER)
    again = await boot(db, now=AFTER + timedelta(minutes=1))
    assert again.outlet.announced == [] and again.scheduler.armed() == {}
    assert len(await prizes(db)) == 1 and len(second.outlet.announced) == 1


async def test_end_passing_while_down_runs_once_at_start_up(db: Database) -> None:
    first = await boot(db)
    await known(first, "1", "2")
    await create(first, winners="1", prize="250")
    await at(first, START)
    entry = await enter(first, "1")
    assert (await first.core.command(member(first, "2"), "vote", {"entry": str(entry)})).ok
    # Down from here until well after the end: the start-up re-arm closes it, once.
    later = await boot(db, now=END + timedelta(hours=5))
    assert (await contest_row(db)).status == "closed" and later.scheduler.armed() == {}
    assert len(later.outlet.announced) == 1 and "has ended" in later.outlet.announced[0][1]
    await later.scheduler.rearm()
    assert await at(later, END + timedelta(hours=6)) == 0 and len(later.outlet.announced) == 1
    assert await prizes(db) == [(1, f"contest:acme:1:{entry}", 250)]


async def test_down_through_the_whole_contest_opens_then_closes(db: Database) -> None:
    first = await boot(db)
    await create(first)
    later = await boot(db, now=END + timedelta(days=1))
    texts = [t for _, t, _ in later.outlet.announced]
    assert len(texts) == 2 and "is open until" in texts[0] and "has ended" in texts[1]
    assert (await contest_row(db)).status == "closed"


async def test_double_and_concurrent_fires_pay_once(db: Database) -> None:
    one = await boot(db)
    await known(one, "1", "2", "3")
    await create(one, voting="random", winners="2")
    await at(one, START)
    for user in ("1", "2", "3"):
        await enter(one, user)
    two = await boot(db, now=START)
    timers_one, timers_two = ([j for j in bot.core.timed_jobs if j.name == "contests"][0] for bot in (one, two))
    await asyncio.gather(timers_one.fire("1", AFTER), timers_two.fire("1", AFTER),
                         timers_one.fire("1", AFTER))
    await timers_two.fire("1", AFTER)
    assert len(await prizes(db)) == 2 and len({k for _, k, _ in await prizes(db)}) == 2
    ends = [t for _, t, _ in one.outlet.announced + two.outlet.announced if "has ended" in t]
    assert len(ends) == 1
    async with db.unit_of_work() as s:
        assert await s.scalar(select(func.count()).select_from(ContestWinner)) == 2


def _hex_after(label: str, text: str) -> str:
    return re.search(label + r"\s*([0-9a-f]{64})", text).group(1)


async def test_draw_can_be_verified_independently(bot: Bot) -> None:
    await known(bot, *map(str, range(1, 8)))
    await create(bot, voting="random", winners="3", prize="100")
    await at(bot, START)
    opening = bot.outlet.announced[0][1]
    commitment = _hex_after(r"sha256\(seed\) =", opening)
    ids = [await enter(bot, str(user)) for user in range(1, 8)]
    await at(bot, AFTER)
    ending = bot.outlet.announced[-1][1]
    seed = bytes.fromhex(_hex_after("Seed:", ending))
    assert hashlib.sha256(seed).hexdigest() == commitment
    listed = re.search(r"Entries in the draw: (.*)", ending).group(1)
    drawn = [int(i) for i in listed.replace("#", "").split(", ")]
    assert sorted(drawn) == ids
    order = sorted(drawn, key=lambda e: hmac.new(seed, str(e).encode("ascii"), hashlib.sha256).digest())
    announced = [int(n) for n in re.findall(r"entry #(\d+)", ending.split("Seed:")[0])]
    assert announced == order[:3]
    async with bot.core.db.unit_of_work() as s:
        stored = (await s.scalars(select(ContestWinner.entry_id).order_by(ContestWinner.place))).all()
        ranks = dict((await s.execute(select(ContestEntry.id, ContestEntry.draw_rank))).all())
    assert list(stored) == order[:3] and sorted(ranks, key=ranks.get) == order
    keys = sorted(k for _, k, _ in await prizes(bot.core.db))
    assert keys == sorted(f"contest:acme:1:{e}" for e in order[:3])


async def test_reroll_follows_the_draw_and_never_repicks(bot: Bot) -> None:
    await known(bot, *map(str, range(1, 6)))
    await create(bot, voting="random", winners="1")
    await at(bot, START)
    for user in range(1, 6):
        await enter(bot, str(user))
    early = await bot.core.command(mod(bot, "r0"), "contest reroll", {"contest": "1"})
    assert not early.ok and "has not ended yet" in early.text
    await at(bot, AFTER)
    async with bot.core.db.unit_of_work() as s:
        order = (await s.scalars(select(ContestEntry.id).order_by(ContestEntry.draw_rank))).all()
    picked = []
    for n in range(4):
        reply = await bot.core.command(mod(bot, f"r{n + 1}"), "contest reroll", {"contest": "1"})
        assert reply.ok, reply.text
        picked.append(int(re.search(r"entry #(\d+)", reply.text).group(1)))
    assert picked == list(order[1:]) and len(set(picked)) == 4
    done = await bot.core.command(mod(bot, "r9"), "contest reroll", {"contest": "1"})
    assert not done.ok and "No eligible entry of contest #1 is left" in done.text
    assert len(await prizes(bot.core.db)) == 5


async def test_moderator_pick(bot: Bot) -> None:
    await known(bot, "1", "2")
    await create(bot, voting="moderator", winners="1", prize="70")
    await at(bot, START)
    first, second = await enter(bot, "1"), await enter(bot, "2")
    early = await bot.core.command(mod(bot, "p0"), "contest pick", {"contest": "1", "entry": str(first)})
    assert not early.ok and "has not ended yet" in early.text
    no_votes = await bot.core.command(member(bot, "2"), "vote", {"entry": str(first)})
    assert not no_votes.ok and "not decided by members' votes" in no_votes.text
    await at(bot, AFTER)
    assert "Moderators now pick the winners" in bot.outlet.announced[-1][1]
    assert await prizes(bot.core.db) == []
    picked = await bot.core.command(mod(bot, "p1"), "contest pick", {"contest": "1", "entry": str(first)})
    assert picked.ok and "wins place 1 of contest #1; 70 points paid" in picked.text
    assert bot.outlet.notified and "You won place 1" in bot.outlet.notified[0][1]
    for event, entry, expected in (("p2", first, "already won"), ("p3", second, "All 1 place(s)"),
                                   ("p4", 77, "no entry #77")):
        reply = await bot.core.command(mod(bot, event), "contest pick", {"contest": "1", "entry": str(entry)})
        assert not reply.ok and expected in reply.text
    reroll = await bot.core.command(mod(bot, "p5"), "contest reroll", {"contest": "1"})
    assert not reroll.ok and "no ranking to reroll" in reroll.text
    assert len(await prizes(bot.core.db)) == 1


async def test_cancel_pays_nothing_and_drops_the_timer(bot: Bot) -> None:
    await known(bot, "1", "2")
    await create(bot)
    await at(bot, START)
    entry = await enter(bot, "1")
    await bot.core.command(member(bot, "2"), "vote", {"entry": str(entry)})
    assert bot.scheduler.armed() == {"timed:contests:1": END}
    reply = await bot.core.command(mod(bot, "x"), "contest cancel", {"contest": "1"})
    assert reply.ok and "no prizes" in reply.text and bot.scheduler.armed() == {}
    await at(bot, AFTER)
    assert (await contest_row(bot.core.db)).status == "cancelled" and await prizes(bot.core.db) == []
    for name in ("contest cancel", "contest close"):
        again = await bot.core.command(mod(bot, name), name, {"contest": "1"})
        assert not again.ok and "already cancelled" in again.text


async def test_close_now_ends_through_the_timer(bot: Bot) -> None:
    await known(bot, "1", "2")
    await create(bot, winners="1", prize="40")
    not_yet = await bot.core.command(mod(bot, "x0"), "contest close", {"contest": "1"})
    assert not not_yet.ok and "has not started yet" in not_yet.text
    await at(bot, START)
    entry = await enter(bot, "1")
    await bot.core.command(member(bot, "2"), "vote", {"entry": str(entry)})
    bot.clock.now = START + timedelta(hours=1)
    reply = await bot.core.command(mod(bot, "x1"), "contest close", {"contest": "1"})
    assert reply.ok and "ends now" in reply.text
    row = await contest_row(bot.core.db)
    assert row.status == "closed" and row.end_at == START + timedelta(hours=1) and bot.scheduler.armed() == {}
    assert "has ended" in bot.outlet.announced[-1][1] and len(await prizes(bot.core.db)) == 1


async def test_buttons_run_like_commands(bot: Bot) -> None:
    await known(bot, "1", "2")
    await create(bot)
    await at(bot, START)
    entered = await bot.core.action(member(bot, "1"), "contest.enter:1")
    assert entered.ok and entered.buttons == (Button("Vote for entry #1", "contest.vote:1"),)
    voted = await bot.core.action(member(bot, "2"), "contest.vote:1")
    assert voted.ok and voted.private
    again = await bot.core.action(member(bot, "2", event="b"), "contest.vote:1")
    assert not again.ok and "already voted" in again.text
    shown = await bot.core.command(member(bot, "2"), "contest show", {"contest": "1"})
    assert "#1 user1 (1 votes)" in shown.text
    assert Button("Vote for entry #1", "contest.vote:1") in shown.buttons
    listed = await bot.core.command(member(bot, "2"), "contest list", {})
    assert "#1 Best photo: open, 2026-03-02 13:00 UTC to 2026-03-03 12:00 UTC" in listed.text


async def _submission(db: Database, member_id: int, status: str, n: int) -> int:
    async with db.unit_of_work() as s:
        row = UgcSubmission(program_id="acme", member_id=member_id, platform="discord", community_id="111",
                            channel_id="c", platform_message_id=f"sub{n}", contest_id=1, text=f"entry {n}",
                            status=status, created_at=START)
        s.add(row)
        await s.flush()
        return row.id


async def _ugc_entry(bot: Bot, user: str, status: str, n: int) -> int:
    context = member(bot, user)
    async with bot.core.db.unit_of_work() as s:
        member_id = await targets.actor_member(s, context)
    submission = await _submission(bot.core.db, member_id, status, n)

    async def record(session: Any) -> int:
        await entries.check_open_for_ugc(session, context, "1")
        return (await entries.record_ugc_entry(session, context, 1, submission, member_id)).id

    return await bot.core.db.run(record)


async def _set_status(db: Database, entry_id: int, status: str) -> None:
    async with db.unit_of_work() as s:
        submission = await s.scalar(select(ContestEntry.submission_id).where(ContestEntry.id == entry_id))
        await s.execute(update(UgcSubmission).where(UgcSubmission.id == submission).values(status=status))


async def test_ugc_entries_take_part_once_approved(bot: Bot) -> None:
    await known(bot, "1", "2", "3", "4", "5")
    await create(bot, entry_type="ugc", voting="random", winners="3")
    async with bot.core.db.unit_of_work() as s:
        with pytest.raises(UserError) as early:
            await entries.check_open_for_ugc(s, member(bot, "1"), "1")
    assert early.value.key == "contest.not_started"
    await at(bot, START)
    assert "/submit and contest:1" in bot.outlet.announced[0][1] and bot.outlet.announced[0][2] == ()
    plain = await bot.core.command(member(bot, "1"), "enter", {"contest": "1"})
    assert not plain.ok and "send it with /submit and contest:1" in plain.text
    approved = await _ugc_entry(bot, "1", "approved", 1)
    featured = await _ugc_entry(bot, "2", "featured", 2)
    pending = await _ugc_entry(bot, "3", "pending", 3)
    rejected = await _ugc_entry(bot, "4", "pending", 4)
    await _set_status(bot.core.db, rejected, "rejected")
    async with bot.core.db.unit_of_work() as s:
        with pytest.raises(UserError) as twice:
            await entries.check_open_for_ugc(s, member(bot, "1"), "1")
    assert twice.value.key == "contest.already_entered"
    # A rejected submission no longer holds the member's entry.
    again = await _ugc_entry(bot, "4", "pending", 5)
    await at(bot, AFTER)
    async with bot.core.db.unit_of_work() as s:
        query = select(ContestEntry.id).where(ContestEntry.draw_rank.is_not(None))
        took_part = set((await s.scalars(query)).all())
    assert took_part == {approved, featured} and pending not in took_part and again not in took_part
    assert len(await prizes(bot.core.db)) == 2


async def test_votes_only_for_approved_ugc_entries(bot: Bot) -> None:
    await known(bot, "1", "2", "3")
    await create(bot, entry_type="ugc", voting="members")
    await at(bot, START)
    pending = await _ugc_entry(bot, "1", "pending", 1)
    refused = await bot.core.command(member(bot, "3"), "vote", {"entry": str(pending)})
    assert not refused.ok and "is not taking part" in refused.text
    await _set_status(bot.core.db, pending, "approved")
    assert (await bot.core.command(member(bot, "3"), "vote", {"entry": str(pending)})).ok


async def test_check_open_for_ugc_refuses_plain_contests(bot: Bot) -> None:
    await create(bot)
    await at(bot, START)
    async with bot.core.db.unit_of_work() as s:
        with pytest.raises(UserError) as plain:
            await entries.check_open_for_ugc(s, member(bot, "1"), "1")
        with pytest.raises(UserError) as unknown:
            await entries.check_open_for_ugc(s, member(bot, "1"), "9")
    assert plain.value.key == "contest.use_enter" and unknown.value.key == "contest.unknown"


async def test_chinese_texts(bot: Bot) -> None:
    reply = await bot.core.command(ctx(bot.core, "99", moderator=True, event="zh", locale="zh-CN"),
                                   "contest create", {"title": "t", "description": "d", "start": "+2h",
                                                      "end": "+1h", "entry_type": "plain", "voting": "none"})
    assert not reply.ok and "必须晚于开始时间" in reply.text


async def _drawn_contest(url: str) -> str:
    """A closed random draw (5 entries, 2 winners, one reroll) in a migrated database; its seed."""
    db = Database(url)
    try:
        await schema.upgrade(db)
        bot = await boot(db)
        await known(bot, *map(str, range(1, 6)))
        await create(bot, voting="random", winners="2")
        await at(bot, START)
        for user in range(1, 6):
            await enter(bot, str(user))
        await at(bot, AFTER)
        assert (await bot.core.command(mod(bot, "rr"), "contest reroll", {"contest": "1"})).ok
        return _hex_after("Seed:", bot.outlet.announced[-1][1])
    finally:
        await db.dispose()


def test_cli_verify_recomputes_the_draw(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENGAGEBOT_DATABASE_URL", raising=False)
    url = f"sqlite+aiosqlite:///{tmp_path}/draw.db"
    seed = asyncio.run(_drawn_contest(url))
    config = tmp_path / "config.yaml"
    config.write_text(f"database_url: {url}\nprograms:\n  - id: acme\n    name: Acme\n", encoding="utf-8")
    runner = CliRunner()
    good = runner.invoke(cli_app, ["contest", "verify", "1", "--seed", seed, "--config", str(config)])
    assert good.exit_code == 0, good.output
    assert "the draw matches the seed" in good.output and "MISMATCH" not in good.output
    assert "rerolls" in good.output
    wrong = runner.invoke(cli_app, ["contest", "verify", "1", "--seed", "ab" * 32, "--config", str(config)])
    assert wrong.exit_code == 1 and "MISMATCH sha256(seed)" in wrong.output
    for args, says in ((["--seed", "xyz"], "64 hex characters"), (["--seed", seed, "--program", "nope"],
                                                                  "unknown program 'nope'")):
        bad = runner.invoke(cli_app, ["contest", "verify", "1", *args, "--config", str(config)])
        assert bad.exit_code == 2 and says in bad.output
    missing = runner.invoke(cli_app, ["contest", "verify", "7", "--seed", seed, "--config", str(config)])
    assert missing.exit_code == 2 and "no contest #7" in missing.output

    async def swap_winners() -> None:
        db = Database(url)
        async with db.unit_of_work() as s:
            for old, new in ((1, 99), (2, 1), (99, 2)):
                await s.execute(update(ContestWinner).where(ContestWinner.place == old).values(place=new))
        await db.dispose()

    asyncio.run(swap_winners())
    tampered = runner.invoke(cli_app, ["contest", "verify", "1", "--seed", seed, "--config", str(config)])
    assert tampered.exit_code == 1 and "MISMATCH winners" in tampered.output
