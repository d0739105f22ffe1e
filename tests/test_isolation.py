"""One database, two programs (each with a Discord guild and a Telegram group):
commands, leaderboards and exports of one program never reach the other's members."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot import export
from handlers.config_model import Community, Program, Rules, Settings
from handlers.context import Actor, Context, MemberRef
from handlers.core import Core
from handlers.engagement import IncomingMessage
from storage import ranking
from storage.database import Database
from storage.models import Balance, EngagementState, LedgerEntry, Message
from storage.verify import verify
from tests.conftest import T0

RULES = Rules(points_per_message=5, cooldown_seconds=0, min_message_length=5, daily_cap=1000, reaction_points=2,
              streak_bonus=0, max_adjustment=1000)
COMMUNITIES = {"acme": {"discord": "111", "telegram": "-100222"}, "globex": {"discord": "333", "telegram": "-100444"}}


def two_programs() -> Settings:
    return Settings(programs=tuple(
        Program(id=pid, name=pid.title(), rules=RULES,
                communities=tuple(Community(platform=p, id=c) for p, c in places.items()))
        for pid, places in COMMUNITIES.items()))


@pytest.fixture
async def core(db: Database) -> Core:
    engine = Core(two_programs(), db)
    await engine.start()
    return engine


_events = iter(range(1, 10**9))


def at(core: Core, program: str, user: str, *, platform: str = "discord", moderator: bool = False,
       when: datetime = T0) -> Context:
    return Context(program=core.settings.program(program), platform=platform,
                   community_id=COMMUNITIES[program][platform],
                   actor=Actor(platform, user, f"user{user}", f"name{user}"), locale="en",
                   event_id=f"ev{next(_events)}", now=when, is_moderator=moderator)


async def post(core: Core, program: str, user: str, platform: str = "discord", n: int = 1) -> None:
    for i in range(n):
        message_id = f"{program}-{platform}-{user}-{next(_events)}"
        await core.message(at(core, program, user, platform=platform, when=T0 + timedelta(minutes=i)),
                           IncomingMessage(message_id, f"message {message_id} says hello"))


async def snapshot(core: Core) -> tuple[int, int, int]:
    async with core.db.unit_of_work() as s:
        return (await s.scalar(select(func.count()).select_from(LedgerEntry)),
                await s.scalar(select(func.count()).select_from(Balance)),
                await s.scalar(select(func.count()).select_from(EngagementState)))


def award(member: MemberRef, amount: str = "10") -> dict[str, object]:
    return {"member": member, "amount": amount, "reason": "cross-program test"}


ATTEMPTS = [("award", award), ("deduct", lambda m: award(m, "1")), ("freeze", lambda m: {"member": m}),
            ("unfreeze", lambda m: {"member": m}), ("profile", lambda m: {"member": m})]


@pytest.mark.parametrize(("command", "args"), ATTEMPTS, ids=[a[0] for a in ATTEMPTS])
@pytest.mark.parametrize("platform", ["discord", "telegram"])
async def test_other_programs_member_is_unknown(core: Core, command: str, args, platform: str) -> None:
    await post(core, "globex", "7", platform)
    before = await snapshot(core)
    mod = at(core, "acme", "99", platform=platform, moderator=True)
    by_name = await core.command(mod, command, args(MemberRef(platform, username="name7")))
    by_id = await core.command(mod, command, args(MemberRef(platform, user_id="7")))
    ghost = await core.command(mod, command, args(MemberRef(platform, username="nobody")))
    assert not by_name.ok and not by_id.ok and "don't know the member" in by_name.text
    assert by_name.text.replace("@name7", "@X") == ghost.text.replace("@nobody", "@X")
    assert by_id.text == ghost.text.replace("@nobody", "7")
    assert await snapshot(core) == before
    allowed = await core.command(at(core, "globex", "99", platform=platform, moderator=True), command,
                                 args(MemberRef(platform, username="name7")))
    assert allowed.ok, allowed.text


async def test_vouched_member_of_this_community_is_reachable(core: Core) -> None:
    """A Discord member option or a Telegram reply proves the account is in this
    community now, whatever other programs know about it."""
    await post(core, "globex", "7")
    discord_pick = MemberRef("discord", "7", "name7", "user7", verified=True)
    reply = await core.command(at(core, "acme", "99", moderator=True), "award", award(discord_pick))
    assert reply.ok and "New balance: 10" in reply.text
    telegram_reply = MemberRef("telegram", "8", "name8", "user8", verified=True)
    created = await core.command(at(core, "acme", "99", platform="telegram", moderator=True), "award",
                                 award(telegram_reply))
    assert created.ok and "user8" in created.text
    await post(core, "globex", "9", "telegram")
    foreign = MemberRef("telegram", "9", verified=True)
    crossed = await core.command(at(core, "acme", "99", moderator=True), "award", award(foreign))
    assert not crossed.ok and "don't know the member" in crossed.text


async def test_joins_and_reactions_make_a_member_of_the_program(core: Core) -> None:
    await core.membership(at(core, "acme", "5"), "join")
    await post(core, "acme", "1")
    await core.reaction(at(core, "acme", "6"), (await _first_message_id(core, "acme")), True)
    mod = at(core, "acme", "99", moderator=True)
    for user in ("5", "6"):
        reply = await core.command(mod, "award", award(MemberRef("discord", user)))
        assert reply.ok, reply.text
    assert not (await core.command(at(core, "globex", "99", moderator=True), "award",
                                   award(MemberRef("discord", "5")))).ok


async def _first_message_id(core: Core, program: str) -> str:
    async with core.db.unit_of_work() as s:
        return await s.scalar(select(Message.platform_message_id).where(Message.program_id == program)
                              .order_by(Message.id).limit(1))


async def test_member_of_both_programs_is_adjusted_in_one_only(core: Core) -> None:
    await post(core, "acme", "7")
    await post(core, "globex", "7", n=3)
    reply = await core.command(at(core, "acme", "99", moderator=True), "award", award(MemberRef("discord", "7")))
    assert "New balance: 15" in reply.text
    frozen = await core.command(at(core, "acme", "99", moderator=True), "freeze", {"member": MemberRef("discord", "7")})
    assert frozen.ok
    async with core.db.unit_of_work() as s:
        balances = dict((await s.execute(select(Balance.program_id, Balance.balance))).tuples().all())
        states = dict((await s.execute(select(EngagementState.program_id, EngagementState.frozen))).tuples().all())
    assert balances == {"acme": 15, "globex": 15} and states == {"acme": True, "globex": False}
    points = await core.command(at(core, "globex", "7"), "points", {})
    assert "You have 15 points" in points.text and "Rank #1" in points.text


async def test_leaderboards_points_and_profiles_stay_in_their_program(core: Core) -> None:
    await post(core, "acme", "1", n=2)
    await post(core, "acme", "2", "telegram")
    await post(core, "globex", "3", n=4)
    await post(core, "globex", "4", "telegram", n=3)
    acme = await core.command(at(core, "acme", "1"), "leaderboard", {})
    globex = await core.command(at(core, "globex", "3", platform="telegram"), "leaderboard", {})
    assert acme.text.splitlines()[1:] == ["#1 user1: 10 points", "#2 user2: 5 points"]
    assert globex.text.splitlines()[1:] == ["#1 user3: 20 points", "#2 user4: 15 points"]
    assert "no points yet" in (await core.command(at(core, "acme", "3"), "points", {})).text
    profile = await core.command(at(core, "acme", "1"), "profile", {"member": MemberRef("discord", "3")})
    assert not profile.ok and "don't know the member 3" in profile.text
    own = await core.command(at(core, "globex", "1"), "profile", {})
    assert own.ok and "user1: 0 points" in own.text
    async with core.db.unit_of_work() as s:
        assert await ranking.member_count(s, "acme") == 2 and all(c.ok for c in await verify(s))


async def test_export_holds_only_the_programs_members_and_ledger(core: Core, tmp_path) -> None:
    await post(core, "acme", "1")
    await post(core, "globex", "3", "telegram", n=2)
    await post(core, "globex", "1", n=3)
    async with core.db.unit_of_work() as s:
        acme = await export.collect(s, core.settings.program("acme"))
        globex = await export.collect(s, core.settings.program("globex"))
    assert [(r["accounts"], r["balance"]) for r in acme["members"]] == [(["discord:1"], 5)]
    assert [(r["accounts"], r["balance"]) for r in globex["members"]] == [(["discord:1"], 15),
                                                                          (["telegram:3"], 10)]
    assert len(acme["ledger"]) == 1 and len(globex["ledger"]) == 5
    members_csv, ledger_csv, *_ = export.write(acme, "acme", "csv", tmp_path)
    with members_csv.open(encoding="utf-8-sig") as handle:
        assert [row["accounts"] for row in csv.DictReader(handle)] == ["discord:1"]
    with ledger_csv.open(encoding="utf-8-sig") as handle:
        assert {row["member_id"] for row in csv.DictReader(handle)} == {str(acme["members"][0]["member_id"])}
