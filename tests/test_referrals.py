"""Referrals through the core, on SQLite and PostgreSQL, with a controllable clock driving the scheduler.

Joins come in as the adapters hand them over (``Core.membership`` with a
``JoinEvidence``); the adapters' own attribution is tested through their
fakes (tests/test_discord_referrals_rewards.py, the Telegram tests). Here:
personal links and their reuse, every fraud rule, qualification after N
days and M messages by the scheduled job, leaves (dropped, clawed back),
double fires and restarts paying once, the listings and the funnel.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot import export
from bot.scheduler import Scheduler
from handlers.config_model import ReferralSettings, Settings
from handlers.context import Context, MemberRef
from handlers.core import Core
from handlers.engagement import IncomingMessage
from handlers.membership import JoinEvidence
from handlers.outlets import InviteRefused
from handlers.replies import Button, Reply
from storage import referrals
from storage.database import Database
from storage.models import Balance, LedgerEntry, Member, Reason
from storage.referrals import ReferralJoin, ReferralLink
from storage.verify import verify
from tests.conftest import T0, ctx, settings_for_tests

DAY = timedelta(days=1)
OLD_ACCOUNT = T0 - timedelta(days=400)
ALICE, BOB, CAROL, DAVE, ERIN = "1", "2", "3", "4", "5"


def referral_settings(**overrides: Any) -> Settings:
    base = settings_for_tests(daily_cap=1000, referral_points=100)
    chosen = {"qualify_days": 7, "qualify_messages": 3, "qualify_within_days": 30, "min_account_age_days": 7,
              "clawback_days": 30, "new_member_points": 20, **overrides}
    program = base.programs[0].model_copy(update={"referrals": ReferralSettings(**chosen)})
    return base.model_copy(update={"programs": (program,)})


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Outlet:
    """A platform as the core sees it: personal invites (or a refusal), announcements, DMs."""

    platform: str
    refuse: str | None = None
    fail: bool = False
    delay: float = 0.0
    made: list[tuple[str, str]] = field(default_factory=list)
    announced: list[tuple[str, str]] = field(default_factory=list)
    notified: list[tuple[str, str]] = field(default_factory=list)

    async def announce(self, community_id: str, text: str, buttons: tuple[Button, ...] = ()) -> None:
        self.announced.append((community_id, text))

    async def notify(self, user_id: str, text: str) -> bool:
        self.notified.append((user_id, text))
        return True

    async def create_invite(self, community_id: str, name: str) -> str:
        await asyncio.sleep(self.delay)
        if self.refuse is not None:
            raise InviteRefused(self.refuse)
        if self.fail:
            raise ConnectionError("platform unreachable")
        self.made.append((community_id, name))
        code = f"{self.platform[:2]}{len(self.made)}x{community_id.lstrip('-')}"
        return f"https://discord.gg/{code}" if self.platform == "discord" else f"https://t.me/+{code}"


@dataclass
class Bot:
    core: Core
    scheduler: Scheduler
    clock: Clock
    outlets: dict[str, Outlet]


async def boot(db: Database, now: datetime = T0, config: Settings | None = None) -> Bot:
    """A fresh process over ``db``: new Core and Scheduler, re-armed from the rows (as at start-up)."""
    core = Core(config or referral_settings(), db)
    await core.start()
    clock = Clock(now)
    outlets = {p: Outlet(p) for p in ("discord", "telegram")}
    for platform, outlet in outlets.items():
        core.attach_outlet(platform, outlet)
    scheduler = Scheduler(clock)
    scheduler.serve(core)
    await scheduler.rearm()
    return Bot(core, scheduler, clock, outlets)


@pytest.fixture
async def bot(db: Database) -> Bot:
    return await boot(db)


_events = iter(range(1, 10**9))


def who(bot: Bot, user: str, platform: str = "discord", moderator: bool = False,
        now: datetime | None = None) -> Context:
    return ctx(bot.core, user, platform=platform, now=now or bot.clock.now, event=f"ev{next(_events)}",
               moderator=moderator)


async def invite(bot: Bot, user: str, platform: str = "discord") -> Reply:
    return await bot.core.command(who(bot, user, platform), "invite", {})


async def link_of(bot: Bot, user: str, platform: str = "discord") -> str:
    reply = await invite(bot, user, platform)
    assert reply.ok and reply.private, reply.text
    return re.search(r"(https://\S+)", reply.text).group(1)


def exact(url: str, created: datetime | None = OLD_ACCOUNT, evidence: str = "invite rose by one") -> JoinEvidence:
    return JoinEvidence("exact", evidence, invite=url.rsplit("/", 1)[1], account_created_at=created)


async def join(bot: Bot, user: str, evidence: JoinEvidence | None, platform: str = "discord",
               at: datetime | None = None) -> None:
    invite_used = evidence.invite if evidence else None
    await bot.core.membership(who(bot, user, platform, now=at), "join", invite=invite_used, evidence=evidence)


async def leave(bot: Bot, user: str, platform: str = "discord", at: datetime | None = None) -> None:
    await bot.core.membership(who(bot, user, platform, now=at), "leave")


async def say(bot: Bot, user: str, n: int, start: datetime, platform: str = "discord") -> None:
    """``n`` messages that each earn (two minutes apart, each text different)."""
    for i in range(n):
        moment = start + timedelta(minutes=2 * i)
        outcome = await bot.core.message(who(bot, user, platform, now=moment),
                                         IncomingMessage(f"m{user}-{moment.isoformat()}",
                                                         f"hello from {user}, message {moment.isoformat()}"))
        assert outcome.points > 0, outcome


async def at(bot: Bot, moment: datetime) -> int:
    """Move the clock and let the scheduler run what fell due."""
    bot.clock.now = moment
    return await bot.scheduler.run_due()


async def joins(db: Database) -> list[ReferralJoin]:
    async with db.unit_of_work() as s:
        return list(await s.scalars(select(ReferralJoin).order_by(ReferralJoin.id)))


async def statuses(db: Database) -> list[tuple[str, str | None]]:
    return [(j.status, j.reason) for j in await joins(db)]


async def entries(db: Database, *reasons: Reason) -> list[tuple[int, str, int]]:
    async with db.unit_of_work() as s:
        rows = await s.execute(select(LedgerEntry.member_id, LedgerEntry.idempotency_key, LedgerEntry.delta)
                               .where(LedgerEntry.reason.in_([str(r) for r in reasons])).order_by(LedgerEntry.id))
        return [tuple(r) for r in rows]


async def balance(db: Database, user: str, platform: str = "discord") -> int:
    async with db.unit_of_work() as s:
        member = await referrals.account_member(s, platform, user)
        return await s.scalar(select(Balance.balance).where(Balance.member_id == member)) or 0


def timers(bot: Bot) -> dict[str, datetime]:
    return {k: v for k, v in bot.scheduler.armed().items() if k.startswith("timed:referrals:")}


# --- qualification ---------------------------------------------------------------------------------

async def test_exact_join_qualifies_after_n_days_and_m_messages(bot: Bot) -> None:
    url = await link_of(bot, ALICE)
    await join(bot, BOB, exact(url))
    (row,) = await joins(bot.core.db)
    assert (row.status, row.attribution, row.due_at, row.evidence) == ("pending", "exact", T0 + 7 * DAY,
                                                                       "invite rose by one")
    assert timers(bot) == {f"timed:referrals:{row.id}": T0 + 7 * DAY}  # the join re-armed the scheduler
    await say(bot, BOB, 3, T0 + DAY)
    assert await at(bot, T0 + 7 * DAY - timedelta(seconds=1)) == 0
    assert await statuses(bot.core.db) == [("pending", None)]
    await at(bot, T0 + 7 * DAY)
    assert await statuses(bot.core.db) == [("qualified", None)]
    paid = await entries(bot.core.db, Reason.REFERRAL, Reason.REFERRAL_WELCOME)
    assert [(key, delta) for _, key, delta in paid] == [(f"referral:acme:{row.id}", 100),
                                                        (f"referral-welcome:acme:{row.id}", 20)]
    assert await balance(bot.core.db, ALICE) == 100 and await balance(bot.core.db, BOB) == 15 + 20
    notified = bot.outlets["discord"].notified
    assert [u for u, _ in notified] == [ALICE, BOB]
    assert f"user{BOB}" in notified[0][1] and "100 points" in notified[0][1]
    assert "20 points" in notified[1][1] and timers(bot) == {}
    async with bot.core.db.unit_of_work() as s:
        assert all(check.ok for check in await verify(s))


async def test_short_of_messages_is_checked_daily_and_late_messages_count(bot: Bot) -> None:
    url = await link_of(bot, ALICE)
    await join(bot, BOB, exact(url))
    await say(bot, BOB, 1, T0 + DAY)
    await at(bot, T0 + 7 * DAY)
    (row,) = await joins(bot.core.db)
    assert (row.status, row.due_at) == ("pending", T0 + 8 * DAY)
    await say(bot, BOB, 2, T0 + 7 * DAY + timedelta(hours=3))
    await at(bot, T0 + 8 * DAY)
    assert await statuses(bot.core.db) == [("qualified", None)]


async def test_inactive_until_the_deadline_is_rejected_even_when_checked_late(bot: Bot) -> None:
    """The bot was down from day 2 to day 40: the check then counts only messages of the 30-day window."""
    url = await link_of(bot, ALICE)
    await join(bot, BOB, exact(url))
    await say(bot, BOB, 2, T0 + DAY)
    await say(bot, BOB, 5, T0 + 35 * DAY)  # after the window
    later = await boot(bot.core.db, now=T0 + 40 * DAY)
    assert await statuses(later.core.db) == [("rejected", "inactive")]
    assert await entries(later.core.db, Reason.REFERRAL, Reason.REFERRAL_WELCOME) == []


async def test_daily_rechecks_stop_at_the_deadline(bot: Bot) -> None:
    url = await link_of(bot, ALICE)
    await join(bot, BOB, exact(url))
    moment = T0 + 7 * DAY
    while (await joins(bot.core.db))[0].status == "pending":
        (due,) = timers(bot).values()
        assert due == moment
        await at(bot, moment)
        moment = min(moment + DAY, T0 + 30 * DAY)
    assert await statuses(bot.core.db) == [("rejected", "inactive")] and timers(bot) == {}


async def test_restart_between_join_and_qualification(db: Database) -> None:
    first = await boot(db)
    url = await link_of(first, ALICE)
    await join(first, BOB, exact(url))
    await say(first, BOB, 3, T0 + DAY)
    second = await boot(db, now=T0 + 2 * DAY)
    (row,) = await joins(db)
    assert timers(second) == {f"timed:referrals:{row.id}": T0 + 7 * DAY}
    third = await boot(db, now=T0 + 9 * DAY)  # down through the due time: runs at start-up
    assert await statuses(db) == [("qualified", None)] and timers(third) == {}
    assert len(await entries(db, Reason.REFERRAL)) == 1


async def test_double_and_concurrent_fires_pay_once(db: Database) -> None:
    one = await boot(db)
    url = await link_of(one, ALICE)
    await join(one, BOB, exact(url))
    await say(one, BOB, 3, T0 + DAY)
    two = await boot(db, now=T0 + DAY)
    (row,) = await joins(db)
    source_one = next(s for s in one.core.timed_jobs if s.name == "referrals")
    source_two = next(s for s in two.core.timed_jobs if s.name == "referrals")
    when = T0 + 7 * DAY
    await asyncio.gather(source_one.fire(str(row.id), when), source_two.fire(str(row.id), when),
                         source_one.fire(str(row.id), when))
    await source_two.fire(str(row.id), when + DAY)
    await asyncio.gather(at(one, when), at(two, when))
    assert [d for _, _, d in await entries(db, Reason.REFERRAL, Reason.REFERRAL_WELCOME)] == [100, 20]
    notices = one.outlets["discord"].notified + two.outlets["discord"].notified
    assert len(notices) == 2


# --- fraud rules -----------------------------------------------------------------------------------

async def test_self_referral_through_an_own_link(bot: Bot) -> None:
    url = await link_of(bot, ALICE)
    await join(bot, ALICE, exact(url))
    assert await statuses(bot.core.db) == [("rejected", "self_referral")] and timers(bot) == {}


async def test_self_referral_through_a_linked_identity(bot: Bot) -> None:
    """Alice's Telegram account made the link; her accounts were then merged by /link (the Telegram member
    merged away). The Telegram account joining through that link is Alice herself."""
    url = await link_of(bot, ALICE, "telegram")
    code = re.search(r"code is (\w{8})", (await bot.core.command(who(bot, "9"), "link", {})).text).group(1)
    done = await bot.core.command(who(bot, ALICE, "telegram"), "link", {"code": code})
    assert done.ok, done.text
    await join(bot, ALICE, JoinEvidence("exact", "chat_member invite_link", invite=url), "telegram")
    ((status, reason),) = await statuses(bot.core.db)
    assert (status, reason) == ("rejected", "self_referral")


async def test_rejoin_after_chatting_in_the_program(bot: Bot) -> None:
    url = await link_of(bot, ALICE)
    await say(bot, CAROL, 1, T0 - 30 * DAY, platform="telegram")
    await link_telegram_to_discord(bot, discord_user=CAROL, telegram_user=CAROL)
    await join(bot, CAROL, exact(url))
    assert await statuses(bot.core.db) == [("rejected", "rejoin")]


async def link_telegram_to_discord(bot: Bot, discord_user: str, telegram_user: str) -> None:
    issued = await bot.core.command(who(bot, discord_user), "link", {})
    code = re.search(r"code is (\w{8})", issued.text).group(1)
    done = await bot.core.command(who(bot, telegram_user, "telegram"), "link", {"code": code})
    assert done.ok, done.text


async def test_rejoin_after_leaving(bot: Bot) -> None:
    url = await link_of(bot, ALICE)
    await join(bot, DAVE, exact(url))
    await leave(bot, DAVE, at=T0 + DAY)
    await join(bot, DAVE, exact(url), at=T0 + 2 * DAY)
    assert await statuses(bot.core.db) == [("dropped", "left_early"), ("rejected", "rejoin")]


async def test_the_new_members_first_message_is_not_taken_for_an_earlier_visit(bot: Bot) -> None:
    """The member's first message was handled before their (slow) join event: dated after the join."""
    url = await link_of(bot, ALICE)
    await say(bot, ERIN, 1, T0 + timedelta(seconds=5))
    await join(bot, ERIN, exact(url), at=T0)
    assert await statuses(bot.core.db) == [("pending", None)]


@pytest.mark.parametrize(("age", "expected"), [(timedelta(days=2), ("rejected", "account_too_young")),
                                               (timedelta(days=7), ("pending", None)),
                                               (None, ("pending", None))])
async def test_young_accounts_are_never_credited(bot: Bot, age: timedelta | None,
                                                 expected: tuple[str, str | None]) -> None:
    url = await link_of(bot, ALICE)
    await join(bot, BOB, exact(url, created=None if age is None else T0 - age))
    assert await statuses(bot.core.db) == [expected]


async def test_ambiguous_and_unattributed_joins_are_recorded_never_credited(bot: Bot) -> None:
    url = await link_of(bot, ALICE)
    code = url.rsplit("/", 1)[1]
    await join(bot, BOB, JoinEvidence("ambiguous", f"2 uses could be this join's, candidates: {code}, zz"))
    await join(bot, CAROL, JoinEvidence("unattributed", "only the vanity URL's use count rose", invite=code))
    await join(bot, DAVE, JoinEvidence("exact", "invite mod1 rose by one", invite="mod1"))
    await join(bot, ERIN, None)
    rows = await joins(bot.core.db)
    assert [(r.attribution, r.status, r.reason, r.link_id, r.inviter_member_id) for r in rows] == [
        ("ambiguous", "rejected", "ambiguous", None, None),
        ("unattributed", "rejected", "unattributed", None, None),
        ("exact", "rejected", "not_referral", None, None),
        ("unattributed", "rejected", "unattributed", None, None)]
    assert rows[0].evidence.startswith("2 uses could be") and rows[3].evidence.startswith("the adapter gave no")
    for user in (BOB, CAROL, DAVE, ERIN):
        await say(bot, user, 3, T0 + DAY)
    await at(bot, T0 + 31 * DAY)
    assert await entries(bot.core.db, Reason.REFERRAL, Reason.REFERRAL_WELCOME) == []


# --- leaves ----------------------------------------------------------------------------------------

async def test_leaving_before_qualifying_drops_the_referral(bot: Bot) -> None:
    url = await link_of(bot, ALICE)
    await join(bot, BOB, exact(url))
    await say(bot, BOB, 3, T0 + DAY)
    await link_telegram_to_discord(bot, discord_user=BOB, telegram_user=BOB)
    await leave(bot, BOB, "telegram", at=T0 + 2 * DAY)  # the same person leaving another community
    assert await statuses(bot.core.db) == [("pending", None)]
    await leave(bot, BOB, at=T0 + 3 * DAY)
    await at(bot, T0 + 7 * DAY)
    assert await statuses(bot.core.db) == [("dropped", "left_early")] and timers(bot) == {}
    assert await entries(bot.core.db, Reason.REFERRAL) == []


async def test_leaving_soon_after_qualifying_claws_back_what_the_balance_holds(bot: Bot) -> None:
    url = await link_of(bot, ALICE)
    await join(bot, BOB, exact(url))
    await say(bot, BOB, 3, T0 + DAY)
    await at(bot, T0 + 7 * DAY)
    deduct = await bot.core.command(who(bot, "99", moderator=True), "deduct",
                                    {"member": MemberRef("discord", ALICE), "amount": "70", "reason": "redeemed"})
    assert deduct.ok, deduct.text
    await leave(bot, BOB, at=T0 + 10 * DAY)
    await leave(bot, BOB, at=T0 + 11 * DAY)  # a second leave takes nothing more
    (row,) = await joins(bot.core.db)
    assert (row.status, row.reason, row.points, row.clawed_back) == ("clawed_back", "left_after_qualifying", 100, 30)
    assert [(k, d) for _, k, d in await entries(bot.core.db, Reason.REFERRAL_CLAWBACK)] == [
        (f"referral-clawback:acme:{row.id}", -30)]
    assert await balance(bot.core.db, ALICE) == 0 and await balance(bot.core.db, BOB) == 35
    async with bot.core.db.unit_of_work() as s:
        assert all(check.ok for check in await verify(s))


async def test_clawback_takes_the_whole_payout_and_only_within_the_window(db: Database) -> None:
    bot = await boot(db)
    alices, carols = await link_of(bot, ALICE), await link_of(bot, CAROL)
    await join(bot, BOB, exact(alices))
    await join(bot, DAVE, exact(carols))
    for user in (BOB, DAVE):
        await say(bot, user, 3, T0 + DAY)
    await at(bot, T0 + 7 * DAY)
    await leave(bot, BOB, at=T0 + 37 * DAY)
    await leave(bot, DAVE, at=T0 + 37 * DAY + timedelta(seconds=1))
    assert await statuses(db) == [("clawed_back", "left_after_qualifying"), ("qualified", None)]
    assert await balance(db, ALICE) == 0 and await balance(db, CAROL) == 100


async def test_no_clawback_when_switched_off(db: Database) -> None:
    bot = await boot(db, config=referral_settings(clawback_days=0))
    await join(bot, BOB, exact(await link_of(bot, ALICE)))
    await say(bot, BOB, 3, T0 + DAY)
    await at(bot, T0 + 7 * DAY)
    await leave(bot, BOB, at=T0 + 8 * DAY)
    assert await statuses(db) == [("qualified", None)] and await balance(db, ALICE) == 100


# --- /invite ---------------------------------------------------------------------------------------

async def test_invite_is_made_once_and_reused(bot: Bot) -> None:
    first = await invite(bot, ALICE)
    assert first.ok and first.private and "https://discord.gg/di1x111" in first.text
    assert "stays 7 day(s)" in first.text and "3 message(s)" in first.text and "100 points" in first.text
    again = await invite(bot, ALICE)
    assert again.text == first.text and bot.outlets["discord"].made == [("111", f"ref-{ALICE}")]
    other = await link_of(bot, ALICE, "telegram")
    assert other == "https://t.me/+te1x100222"
    await link_telegram_to_discord(bot, discord_user=ALICE, telegram_user=ALICE)
    assert (await invite(bot, ALICE)).text == first.text
    assert await link_of(bot, ALICE, "telegram") == other and len(bot.outlets["telegram"].made) == 1


async def test_two_invites_at_once_leave_one_live_link(bot: Bot) -> None:
    bot.outlets["discord"].delay = 0.05
    one, two = await asyncio.gather(invite(bot, ALICE), invite(bot, ALICE))
    assert one.ok and two.ok and one.text == two.text
    async with bot.core.db.unit_of_work() as s:
        links = list(await s.scalars(select(ReferralLink).order_by(ReferralLink.id)))
    assert [link.revoked_at is None for link in links] == [True, False]
    await join(bot, BOB, exact(links[1].url))  # the spare link still credits its member
    assert await statuses(bot.core.db) == [("pending", None)]


async def footprint(db: Database) -> tuple[int, int]:
    async with db.unit_of_work() as s:
        return (await s.scalar(select(func.count()).select_from(ReferralLink)) or 0,
                await s.scalar(select(func.count()).select_from(Member)) or 0)


async def test_invite_refused_tells_the_member_and_the_moderators_and_writes_nothing(bot: Bot) -> None:
    bot.outlets["telegram"].refuse = "the bot is not an administrator with the 'Invite users' right"
    before = await footprint(bot.core.db)
    reply = await invite(bot, ALICE, "telegram")
    assert not reply.ok and reply.private
    assert reply.text == ("I can't create your invite link: the bot is not an administrator with the 'Invite "
                          "users' right. I've posted a note for the moderators; try again once they have fixed it.")
    ((community, note),) = bot.outlets["telegram"].announced
    assert community == "-100222" and note.startswith("Moderators: members can't get personal invite links")
    await invite(bot, BOB, "telegram")
    assert len(bot.outlets["telegram"].announced) == 1  # once a day per community
    bot.clock.now += DAY
    await bot.core.command(who(bot, BOB, "telegram"), "invite", {})
    assert len(bot.outlets["telegram"].announced) == 2
    assert await footprint(bot.core.db) == before


async def test_invite_without_the_platform_or_when_it_fails(bot: Bot) -> None:
    bot.outlets["discord"].fail = True
    failed = await invite(bot, ALICE)
    assert not failed.ok and failed.text.startswith("Discord did not create your invite link just now")
    del bot.core.outlets["discord"]
    missing = await invite(bot, ALICE)
    assert not missing.ok and "not connected to Discord" in missing.text
    assert await footprint(bot.core.db) == (0, 0)


# --- /referrals ------------------------------------------------------------------------------------

async def test_referrals_lists_each_with_its_reason(bot: Bot) -> None:
    url = await link_of(bot, ALICE)
    await join(bot, BOB, exact(url))
    await say(bot, BOB, 3, T0 + DAY)
    await join(bot, CAROL, exact(url, created=T0 - DAY), at=T0 + DAY)
    await join(bot, DAVE, exact(url), at=T0 + 2 * DAY)
    await leave(bot, DAVE, at=T0 + 3 * DAY)
    await join(bot, ERIN, exact(url), at=T0 + 4 * DAY)
    await at(bot, T0 + 7 * DAY)
    reply = await bot.core.command(who(bot, ALICE), "referrals", {})
    assert reply.ok and reply.private
    lines = reply.text.split("\n")
    assert lines[0] == "Your referrals: 1 qualified, 1 pending, 1 rejected, 1 dropped, 0 taken back. Latest:"
    assert lines[1:] == [
        f"#4 user{ERIN}, joined 2026-03-06: pending, checked from 2026-03-13",
        f"#3 user{DAVE}, joined 2026-03-04: dropped: they left before qualifying",
        f"#2 user{CAROL}, joined 2026-03-03: rejected: their account was younger than 7 days",
        f"#1 user{BOB}, joined 2026-03-02: qualified, +100 points"]
    same = await bot.core.command(who(bot, ALICE), "referrals", {"view": " Mine "})
    assert same.text == reply.text
    nobody = await bot.core.command(who(bot, BOB), "referrals", {})
    assert nobody.ok and nobody.text == "You have no referrals yet. Get your invite link with /invite."


async def test_referrals_top_for_moderators(bot: Bot) -> None:
    alices, carols = await link_of(bot, ALICE), await link_of(bot, CAROL)
    await join(bot, BOB, exact(alices))
    await join(bot, DAVE, exact(carols))
    await join(bot, ERIN, exact(carols))
    await say(bot, BOB, 3, T0 + DAY)
    await at(bot, T0 + 7 * DAY)
    top = await bot.core.command(who(bot, "99", moderator=True), "referrals", {"view": "top"})
    assert top.ok and top.text.split("\n") == [
        "Top inviters of Acme (qualified referrals):",
        f"#1 user{ALICE}: 1 qualified, 0 pending", f"#2 user{CAROL}: 0 qualified, 2 pending"]
    refused = await bot.core.command(who(bot, ALICE), "referrals", {"view": "top"})
    assert not refused.ok and refused.text == "Only moderators can use /referrals top."
    bad = await bot.core.command(who(bot, ALICE), "referrals", {"view": "everyone"})
    assert not bad.ok and bad.text.startswith("'everyone' is not a view of /referrals")


async def test_chinese_texts(bot: Bot) -> None:
    reply = await bot.core.command(ctx(bot.core, ALICE, locale="zh-CN", event="zh1"), "invite", {})
    assert reply.ok and "你的专属邀请链接" in reply.text
    listing = await bot.core.command(ctx(bot.core, ALICE, locale="zh-CN", event="zh2"), "referrals", {})
    assert "你还没有邀请记录" in listing.text


# --- funnel ----------------------------------------------------------------------------------------

async def test_funnel_counts_each_stage_and_reason(bot: Bot) -> None:
    alices, carols = await link_of(bot, ALICE), await link_of(bot, CAROL)
    await link_of(bot, DAVE, "telegram")
    await join(bot, BOB, exact(alices))                                  # qualifies, then clawed back
    await join(bot, "6", exact(alices))                                  # qualifies
    await join(bot, ALICE, exact(alices))                                # self
    await join(bot, "7", exact(carols, created=T0 - DAY))                # too young
    await join(bot, "8", exact(carols), at=T0 + DAY)                     # dropped
    await join(bot, "9", exact(carols), at=T0 + 2 * DAY)                 # inactive
    await join(bot, "10", JoinEvidence("ambiguous", "two rose"), at=T0 + 2 * DAY)
    await join(bot, "11", JoinEvidence("unattributed", "vanity"), at=T0 + 2 * DAY)
    for user in (BOB, "6"):
        await say(bot, user, 3, T0 + DAY)
    await leave(bot, "8", at=T0 + 3 * DAY)
    await at(bot, T0 + 7 * DAY)
    await leave(bot, BOB, at=T0 + 8 * DAY)
    await join(bot, BOB, exact(carols), at=T0 + 9 * DAY)                 # rejoin
    await at(bot, T0 + 33 * DAY)
    async with bot.core.db.unit_of_work() as s:
        whole = await referrals.funnel(s, "acme")
        early = await referrals.funnel(s, "acme", until=T0 + DAY)
        late = await referrals.funnel(s, "acme", since=T0 + DAY)
        data = await export.collect(s, bot.core.settings.programs[0])
    assert whole.links_created == 3 and whole.referred == 7
    assert whole.joins == {"exact": 7, "ambiguous": 1, "unattributed": 1}
    assert whole.statuses == {"qualified": 1, "clawed_back": 1, "dropped": 1, "rejected": 6}
    assert whole.rejected == {"self_referral": 1, "account_too_young": 1, "inactive": 1, "rejoin": 1,
                              "ambiguous": 1, "unattributed": 1}
    assert sum(whole.statuses.values()) == sum(whole.joins.values())
    assert (early.links_created, sum(early.joins.values()), late.links_created, sum(late.joins.values())) == \
        (3, 4, 0, 5)
    rows = {(r["stage"], r["detail"]): r["count"] for r in data["referral_funnel"]}
    assert rows[("links_created", "")] == 3 and rows[("joins", "")] == 9 and rows[("rejected", "rejoin")] == 1
    assert rows[("pending", "")] == 0 and rows[("qualified", "")] == 1


async def test_funnel_export_files(bot: Bot, tmp_path: Any) -> None:
    await join(bot, BOB, exact(await link_of(bot, ALICE)))
    async with bot.core.db.unit_of_work() as s:
        data = await export.collect(s, bot.core.settings.programs[0])
    paths = export.write(data, "acme", "csv", tmp_path)
    funnel_csv = next(p for p in paths if p.name == "acme-referral_funnel.csv")
    text = funnel_csv.read_bytes().decode("utf-8-sig")
    assert text.startswith("stage,detail,count\r\nlinks_created,,1\r\njoins,,1\r\njoins,exact,1\r\n")
    assert "pending,,1\r\n" in text
