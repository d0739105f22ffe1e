"""The Discord side of referrals and rewards, end to end: discord.py against the local fake Discord.

The first tests pin the adapter's own machinery: personal invites (unique,
never expiring, in the invite channel, refused clearly without the right)
and the attribution of joins from invite use counts, exact or not at all.
The flow tests after them run the real referral and reward commands, with
time moved by dating interactions and by ``Scheduler.run_due``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest
import structlog
import yarl
from sqlalchemy import select

from bot.discord.client import EngageBot
from bot.discord.invites import Counts, Pending, judge
from bot.scheduler import Scheduler
from handlers.config_model import Community, Program, ReferralSettings, Reward, Rules, Settings
from handlers.context import Context
from handlers.core import Core
from handlers.i18n import translate
from handlers.membership import JoinEvidence
from handlers.outlets import InviteRefused
from storage.database import Database
from storage.models import Balance, Identity, LedgerEntry, Message, Reason
from storage.referrals import ReferralJoin
from storage.rewards import Redemption
from storage.rewards import Reward as RewardRow
from tests.conftest import reset_schema
from tests.fakes.discord_api import VANITY, Arrival, FakeDiscord
from tests.probe import DbProbe

GUILD, CHANNEL = "100000000000000001", "100000000000000010"
ALICE, BOB, CAROL = "1001", "1002", "1003"
MANAGE_GUILD = 1 << 5


@dataclass
class Harness(DbProbe):
    fake: FakeDiscord
    core: Core
    settings: Settings
    welcome: str
    joins: list[tuple[str, str, JoinEvidence | None]] = field(default_factory=list)
    bot: EngageBot | None = None
    task: asyncio.Task[None] | None = None

    async def start(self) -> EngageBot:
        """Ready once the guild's invite counts are read (or found unreadable)."""
        self.bot = EngageBot(self.core, self.settings, guild_ready_timeout=0.05)
        self.task = asyncio.create_task(self.bot.start("fake-token"))
        bot = self.bot
        await self.fake.wait_for(lambda: bot.is_ready() and GUILD in self.fake.synced)
        await self.fake.wait_for(lambda: int(GUILD) in bot.invites.counts or self.fake.forbid_manage_guild)
        return bot

    async def stop(self) -> None:
        assert self.bot is not None and self.task is not None
        await self.bot.close()
        await self.task

    @property
    def program(self) -> Program:
        return self.settings.programs[0]

    async def evidence(self, count: int) -> list[JoinEvidence | None]:
        """The evidence the core got with the first ``count`` joins, in the order it got them."""
        await self.fake.wait_for(lambda: len([j for j in self.joins if j[1] == "join"]) >= count)
        return [e for _, kind, e in self.joins if kind == "join"][:count]


def _settings(welcome: str) -> Settings:
    return Settings(programs=(Program(
        id="acme", name="Acme", rules=Rules(cooldown_seconds=0, min_message_length=5, referral_points=100),
        communities=(Community(platform="discord", id=GUILD, invite_channel=welcome),),
        moderator_roles=("Moderator",),
        referrals=ReferralSettings(qualify_days=3, qualify_messages=2, qualify_within_days=10,
                                   min_account_age_days=7, new_member_points=20),
        rewards=(Reward(id="mug", name="Mug", cost=100, stock=2), Reward(id="hoodie", name="Hoodie", cost=1000))),))


@pytest.fixture
async def harness(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Harness]:
    fake = FakeDiscord(GUILD, CHANNEL)
    fake.add_role("Moderator")
    fake.add_member(ALICE, "alice")
    fake.add_member(BOB, "bob")
    fake.add_member(CAROL, "carol", (fake.role_id("Moderator"),))
    welcome = fake.add_channel("welcome")
    base = await fake.start()
    monkeypatch.setattr(discord.http.Route, "BASE", f"{base}/api/v10")
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY",
                        yarl.URL(f"ws://127.0.0.1:{fake.port}/gateway"))
    settings = _settings(welcome)
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/discord.db")
    await reset_schema(db)
    core = Core(settings, db)
    await core.start()
    harness = Harness(fake, core, settings, welcome)
    membership = core.membership

    async def recorded(ctx: Context, kind: str, invite: str | None = None,
                       evidence: JoinEvidence | None = None) -> int:
        harness.joins.append((ctx.actor.user_id, kind, evidence))
        return await membership(ctx, kind, invite, evidence)

    monkeypatch.setattr(core, "membership", recorded)
    yield harness
    if harness.task is not None and not harness.task.done():
        await harness.stop()
    await fake.stop()
    await db.dispose()


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


# --- personal invites --------------------------------------------------------------------------------

async def test_personal_invite_is_unique_never_expiring_in_the_invite_channel(harness: Harness) -> None:
    bot = await harness.start()
    url = await harness.core.outlets["discord"].create_invite(GUILD, "alice (discord:1001)")
    code = url.removeprefix("https://discord.gg/")
    assert harness.fake.invites[code]["channel_id"] == harness.welcome
    ((body, reason),) = harness.fake.invite_requests
    assert (body["unique"], body["max_age"], body["max_uses"], body["temporary"]) == (True, 0, 0, False)
    assert reason == "engagebot personal invite: alice (discord:1001)"
    assert bot.invites.counts[int(GUILD)].invites[code] == 0
    second = await harness.core.outlets["discord"].create_invite(GUILD, "bob (discord:1002)")
    assert second != url and len(harness.fake.invites) == 2


async def test_personal_invite_without_an_invite_channel_goes_to_the_system_channel(harness: Harness) -> None:
    bot = await harness.start()
    plain = harness.settings.model_copy(update={"programs": (harness.program.model_copy(update={
        "communities": (Community(platform="discord", id=GUILD),)}),)})
    bot.outlet.settings = plain
    url = await bot.outlet.create_invite(GUILD, "alice")
    assert harness.fake.invites[url.rsplit("/", 1)[1]]["channel_id"] == CHANNEL


async def test_invite_refused_without_the_create_invite_permission(harness: Harness) -> None:
    await harness.start()
    harness.fake.forbid_invites = True
    with pytest.raises(InviteRefused) as refused:
        await harness.core.outlets["discord"].create_invite(GUILD, "alice")
    assert refused.value.reason == "the bot lacks the Create Invite permission in #welcome"
    assert harness.fake.invites == {}


async def test_invite_refused_when_the_invite_channel_is_gone(harness: Harness) -> None:
    bot = await harness.start()
    gone = harness.program.model_copy(update={"communities": (
        Community(platform="discord", id=GUILD, invite_channel="123456789"),)})
    bot.outlet.settings = harness.settings.model_copy(update={"programs": (gone,)})
    with pytest.raises(InviteRefused) as refused:
        await bot.outlet.create_invite(GUILD, "alice")
    assert refused.value.reason == "the invite_channel 123456789 does not exist or the bot cannot see it"


# --- attribution -------------------------------------------------------------------------------------

async def test_join_through_a_personal_invite_is_exact_with_the_account_age(harness: Harness) -> None:
    await harness.start()
    url = await harness.core.outlets["discord"].create_invite(GUILD, "alice")
    code = url.rsplit("/", 1)[1]
    created = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)
    newcomer = harness.fake.account("dave", created)
    await harness.fake.join(Arrival(newcomer, code))
    (evidence,) = await harness.evidence(1)
    assert evidence == JoinEvidence("exact", f"invite {code} rose by one ({code} 0->1)", invite=code,
                                    account_created_at=_naive(created))
    assert harness.joins[0][0] == newcomer


async def test_invites_made_elsewhere_are_followed_by_their_gateway_events(harness: Harness) -> None:
    """One that existed at start-up (already used 5 times) and one a person makes while the bot runs
    (INVITE_CREATE): joins through either are exact; a deleted one leaves the cache."""
    old = harness.fake.make_invite(uses=5)
    bot = await harness.start()
    assert bot.invites.counts[int(GUILD)].invites == {old: 5}
    fresh = harness.fake.make_invite(harness.welcome)
    await harness.fake.dispatch("INVITE_CREATE", {k: v for k, v in harness.fake.invites[fresh].items()
                                                  if k != "type"} | {"guild_id": GUILD})
    await harness.fake.wait_for(lambda: fresh in bot.invites.counts[int(GUILD)].invites)
    first, second = harness.fake.account("erin"), harness.fake.account("frank")
    await harness.fake.join(Arrival(first, old))
    await harness.evidence(1)
    await harness.fake.join(Arrival(second, fresh))
    found = await harness.evidence(2)
    assert [(e.attribution, e.invite) for e in found if e] == [("exact", old), ("exact", fresh)]
    await harness.fake.delete_invite(old)
    await harness.fake.wait_for(lambda: old not in bot.invites.counts[int(GUILD)].invites)


async def test_two_joins_at_the_same_moment_are_both_ambiguous(harness: Harness) -> None:
    """Both use counts rose before the bot could read them: neither inviter is credited with the
    other's friend, and neither join names an invite."""
    await harness.start()
    outlet = harness.core.outlets["discord"]
    alices = (await outlet.create_invite(GUILD, "alice")).rsplit("/", 1)[1]
    bobs = (await outlet.create_invite(GUILD, "bob")).rsplit("/", 1)[1]
    gina, hugo = harness.fake.account("gina"), harness.fake.account("hugo")
    await harness.fake.join(Arrival(gina, alices), Arrival(hugo, bobs))
    found = await harness.evidence(2)
    assert [(e.attribution, e.invite) for e in found if e] == [("ambiguous", None), ("ambiguous", None)]
    candidates = ", ".join(sorted((alices, bobs)))
    assert found[0] is not None and found[1] is not None
    assert found[0].evidence.startswith(f"uses that could be this join's: 2; candidates: {candidates}")
    assert found[1].evidence.startswith(f"uses that could be this join's: 1; candidates: {candidates}")
    ivan = harness.fake.account("ivan")
    await harness.fake.join(Arrival(ivan, alices))
    assert (await harness.evidence(3))[2] == JoinEvidence(
        "exact", f"invite {alices} rose by one ({alices} 1->2)", alices,
        account_created_at=_naive(discord.utils.snowflake_time(int(ivan))))


async def test_vanity_and_uninvited_joins_are_unattributed(harness: Harness) -> None:
    harness.fake.vanity_code, harness.fake.vanity_uses = "acme", 40
    bot = await harness.start()
    assert bot.invites.counts[int(GUILD)].vanity == 40
    await harness.fake.join(Arrival(harness.fake.account("judy"), VANITY))
    await harness.evidence(1)
    await harness.fake.join(Arrival(harness.fake.account("karl")))
    vanity, nothing = await harness.evidence(2)
    assert vanity is not None and (vanity.attribution, vanity.evidence, vanity.invite) == (
        "unattributed", "only the vanity URL's use count rose (vanity URL 40->41)", None)
    assert nothing is not None and (nothing.attribution, nothing.evidence) == ("unattributed",
                                                                               "no invite use count rose")


async def test_a_vanity_join_beside_an_invite_join_is_ambiguous(harness: Harness) -> None:
    harness.fake.vanity_code = "acme"
    await harness.start()
    code = (await harness.core.outlets["discord"].create_invite(GUILD, "alice")).rsplit("/", 1)[1]
    await harness.fake.join(Arrival(harness.fake.account("lena"), VANITY),
                            Arrival(harness.fake.account("mike"), code))
    assert [e.attribution for e in await harness.evidence(2) if e] == ["ambiguous", "ambiguous"]


async def test_uses_left_by_a_lost_join_do_not_taint_later_joins(harness: Harness) -> None:
    """A use whose join event never came (its member's event lost) is pending for a while; a member
    who joined well after it was read cannot be its join, so it is dropped."""
    await harness.start()
    code = (await harness.core.outlets["discord"].create_invite(GUILD, "alice")).rsplit("/", 1)[1]
    harness.fake.invites[code]["uses"] += 1  # someone joined; the gateway never told the bot
    await harness.fake.join(Arrival(harness.fake.account("nina"), code))
    await harness.evidence(1)
    later = datetime.now(UTC) + timedelta(minutes=10)
    await harness.fake.join(Arrival(harness.fake.account("omar"), code, at=later))
    first, second = await harness.evidence(2)
    assert first is not None and first.attribution == "ambiguous"
    assert second is not None and (second.attribution, second.invite) == ("exact", code)


async def test_without_manage_server_joins_are_unattributed_and_one_warning_logged(harness: Harness) -> None:
    harness.fake.forbid_manage_guild = True
    with structlog.testing.capture_logs() as logs:
        await harness.start()
        await harness.fake.join(Arrival(harness.fake.account("pia")))
        await harness.fake.join(Arrival(harness.fake.account("quin")))
        found = await harness.evidence(2)
    assert {(e.attribution, e.evidence) for e in found if e} == {
        ("unattributed", "invite use counts unreadable: the bot lacks the Manage Server permission")}
    warnings = [entry for entry in logs if entry["event"].startswith("cannot read invite use counts")]
    assert len(warnings) == 1 and warnings[0]["log_level"] == "warning"
    harness.fake.forbid_manage_guild = False  # granted: the next join sets the baseline, the one after compares
    code = harness.fake.make_invite()
    await harness.fake.join(Arrival(harness.fake.account("rita"), code))
    await harness.evidence(3)
    await harness.fake.join(Arrival(harness.fake.account("sam"), code))
    third, fourth = (await harness.evidence(4))[2:]
    assert third is not None and third.evidence == \
        "no earlier invite use counts to compare with (first read at this join)"
    assert fourth is not None and (fourth.attribution, fourth.invite) == ("exact", code)


def test_judge_names_one_invite_only_for_a_rise_of_exactly_one() -> None:
    now = datetime(2026, 1, 1)
    before = Counts({"a": 1, "b": 0}, None)
    assert judge(before, Counts({"a": 3, "b": 0}, None), None, now).attribution == "ambiguous"
    assert judge(before, Counts({"a": 2, "b": 0}, None), None, now).invite == "a"
    pending = Pending(frozenset({"b"}), 1, now)
    assert judge(before, Counts({"a": 2, "b": 1}, None), pending, now).attribution == "ambiguous"
    new = judge(before, Counts({"a": 1, "b": 0, "c": 1}, None), None, now)
    assert (new.attribution, new.invite) == ("exact", "c")


# --- referrals through the real commands -------------------------------------------------------------

def _url_in(text: str) -> str:
    return next(word for word in text.split() if word.startswith("https://discord.gg/"))


async def _invite(harness: Harness, uid: str) -> str:
    """The member's /invite answer: their link (private)."""
    answer = await harness.fake.answer(await harness.fake.command(uid, "invite"))
    assert answer["flags"] & 64, answer
    return _url_in(answer["content"])


async def _joins(harness: Harness) -> list[ReferralJoin]:
    async with harness.core.db.unit_of_work() as session:
        return list((await session.scalars(select(ReferralJoin).order_by(ReferralJoin.id))).all())


async def _member(harness: Harness, uid: str) -> int:
    async with harness.core.db.unit_of_work() as session:
        found = await session.scalar(select(Identity.member_id).where(Identity.platform_user_id == uid))
        assert found is not None
        return found


async def _balance(harness: Harness, uid: str) -> int:
    member = await _member(harness, uid)
    async with harness.core.db.unit_of_work() as session:
        return await session.scalar(select(Balance.balance).where(Balance.member_id == member)) or 0


def _scheduler(harness: Harness) -> Scheduler:
    scheduler = Scheduler()
    for source in harness.core.timed_jobs:
        scheduler.add_source(source)
    return scheduler


async def test_invite_command_creates_one_invite_and_reuses_it(harness: Harness) -> None:
    await harness.start()
    first = await _invite(harness, ALICE)
    assert await _invite(harness, ALICE) == first
    assert list(harness.fake.invites) == [first.rsplit("/", 1)[1]]
    ((body, reason),) = harness.fake.invite_requests
    assert body["unique"] is True and reason == f"engagebot personal invite: ref-{ALICE}"
    assert await _invite(harness, BOB) != first and len(harness.fake.invites) == 2


async def test_an_invite_deleted_in_discord_is_replaced_at_the_next_invite(harness: Harness) -> None:
    await harness.start()
    first = await _invite(harness, ALICE)
    await harness.fake.delete_invite(first.rsplit("/", 1)[1])
    await harness.fake.wait_for(lambda: first.rsplit("/", 1)[1] not in harness.fake.invites)
    for _ in range(100):
        second = await _invite(harness, ALICE)
        if second != first:
            break
        await asyncio.sleep(0.05)
    assert second != first and second.rsplit("/", 1)[1] in harness.fake.invites


async def test_invite_without_the_right_tells_the_member_and_the_moderators(harness: Harness) -> None:
    await harness.start()
    harness.fake.forbid_invites = True
    answer = await harness.fake.answer(await harness.fake.command(ALICE, "invite"))
    reason = "the bot lacks the Create Invite permission in #welcome"
    assert answer["content"] == translate("error.invite_refused", "en", reason=reason) and answer["flags"] & 64
    note = translate("referral.moderators_refused", "en", reason=reason)
    await harness.fake.wait_for(lambda: [m for m in harness.fake.sent if m["content"] == note])
    await harness.fake.answer(await harness.fake.command(BOB, "invite"))
    assert [m["channel_id"] for m in harness.fake.sent if m["content"] == note] == [CHANNEL]  # once a day
    assert harness.fake.invites == {} and await harness.count(ReferralJoin) == 0


async def test_referral_qualifies_after_n_days_by_the_scheduled_job_and_pays_once(harness: Harness) -> None:
    await harness.start()
    code = (await _invite(harness, ALICE)).rsplit("/", 1)[1]
    friend = harness.fake.account("dana", datetime.now(UTC) - timedelta(days=400))
    await harness.fake.join(Arrival(friend, code))
    await harness.settle(ReferralJoin, 1)
    (join,) = await _joins(harness)
    assert (join.attribution, join.status, join.inviter_member_id) == ("exact", "pending",
                                                                       await _member(harness, ALICE))
    for text in ("hello everyone, glad to be here", "what a nice community this is"):
        await harness.fake.say(friend, text)
    await harness.settle(Message, 2)
    scheduler = _scheduler(harness)
    joined = join.joined_at
    assert await scheduler.run_due(joined + timedelta(days=3) - timedelta(minutes=1)) == 0
    assert await scheduler.run_due(joined + timedelta(days=3, minutes=1)) == 1
    assert await scheduler.run_due(joined + timedelta(days=5)) == 0
    (join,) = await _joins(harness)
    assert (join.status, join.points) == ("qualified", 100)
    assert await harness.count(LedgerEntry, LedgerEntry.reason == Reason.REFERRAL) == 1
    assert await harness.count(LedgerEntry, LedgerEntry.reason == Reason.REFERRAL_WELCOME) == 1
    assert await _balance(harness, ALICE) == 100
    (told,) = await harness.fake.wait_for(lambda: harness.fake.dms.get(ALICE))
    assert told["content"] == translate("referral.qualified_inviter", "en", name="dana", program="Acme", points=100)
    await harness.fake.leave(friend)  # soon after qualifying: the payout is taken back
    await harness.settle(ReferralJoin, 1, ReferralJoin.status == "clawed_back")
    assert await harness.count(LedgerEntry, LedgerEntry.reason == Reason.REFERRAL_CLAWBACK) == 1
    assert await _balance(harness, ALICE) == 0


async def test_two_joins_at_the_same_moment_credit_nobody(harness: Harness) -> None:
    await harness.start()
    alices = (await _invite(harness, ALICE)).rsplit("/", 1)[1]
    bobs = (await _invite(harness, BOB)).rsplit("/", 1)[1]
    old = datetime.now(UTC) - timedelta(days=400)
    await harness.fake.join(Arrival(harness.fake.account("gina", old), alices),
                            Arrival(harness.fake.account("hugo", old), bobs))
    await harness.settle(ReferralJoin, 2)
    joins = await _joins(harness)
    assert [(j.attribution, j.status, j.inviter_member_id) for j in joins] == [("ambiguous", "rejected", None)] * 2
    assert all(alices in j.evidence and bobs in j.evidence for j in joins)
    assert await _scheduler(harness).run_due(joins[0].joined_at + timedelta(days=30)) == 0
    assert await harness.count(LedgerEntry, LedgerEntry.reason == Reason.REFERRAL) == 0


async def test_vanity_join_is_unattributed_and_a_young_account_is_rejected(harness: Harness) -> None:
    harness.fake.vanity_code = "acme"
    await harness.start()
    code = (await _invite(harness, ALICE)).rsplit("/", 1)[1]
    await harness.fake.join(Arrival(harness.fake.account("ivy", datetime.now(UTC) - timedelta(days=400)), VANITY))
    await harness.settle(ReferralJoin, 1)
    await harness.fake.join(Arrival(harness.fake.account("jon", datetime.now(UTC) - timedelta(days=2)), code))
    await harness.settle(ReferralJoin, 2)
    vanity, young = await _joins(harness)
    assert (vanity.attribution, vanity.status, vanity.inviter_member_id) == ("unattributed", "rejected", None)
    assert "vanity URL" in vanity.evidence
    assert (young.attribution, young.status, young.reason) == ("exact", "rejected", "account_too_young")
    assert young.inviter_member_id == await _member(harness, ALICE)


async def test_a_member_who_leaves_before_qualifying_is_dropped(harness: Harness) -> None:
    await harness.start()
    code = (await _invite(harness, ALICE)).rsplit("/", 1)[1]
    friend = harness.fake.account("kim", datetime.now(UTC) - timedelta(days=400))
    await harness.fake.join(Arrival(friend, code))
    await harness.settle(ReferralJoin, 1)
    for text in ("hello everyone, glad to be here", "what a nice community this is"):
        await harness.fake.say(friend, text)
    await harness.settle(Message, 2)
    await harness.fake.leave(friend)
    await harness.settle(ReferralJoin, 1, ReferralJoin.status == "dropped")
    (join,) = await _joins(harness)
    assert join.reason == "left_early"
    assert await _scheduler(harness).run_due(join.joined_at + timedelta(days=5)) == 0
    assert await harness.count(LedgerEntry, LedgerEntry.reason == Reason.REFERRAL) == 0


# --- rewards through the real commands ---------------------------------------------------------------

async def _run(harness: Harness, uid: str, command: str, /, **options: Any) -> dict[str, Any]:
    """What ``uid`` sees after running ``command`` with these options (ints: integer options)."""
    kinds = {int: 4, str: 3}
    given = [{"name": k, "type": 6 if k == "member" else kinds[type(v)], "value": v} for k, v in options.items()]
    return await harness.fake.answer(await harness.fake.command(uid, command, given))


async def _stock(harness: Harness, slug: str) -> int | None:
    async with harness.core.db.unit_of_work() as session:
        return await session.scalar(select(RewardRow.stock).where(RewardRow.slug == slug))


async def test_rewards_list_redeem_fulfil_with_a_dm_and_reject_with_a_refund(harness: Harness) -> None:
    await harness.start()
    awarded = await _run(harness, CAROL, "award", member=ALICE, amount=250, reason="welcome gift")
    assert "250" in awarded["content"]
    listing = await _run(harness, ALICE, "rewards")
    assert listing["flags"] & 64
    assert "Mug" in listing["content"] and translate("reward.why.points", "en", missing=750) in listing["content"]
    redeemed = await _run(harness, ALICE, "redeem", reward="mug")
    assert redeemed["flags"] & 64 and redeemed["content"] == translate(
        "reward.redeemed", "en", name="Mug", cost=100, id=1, balance=150)
    assert await _stock(harness, "mug") == 1 and await _balance(harness, ALICE) == 150
    pending = await _run(harness, CAROL, "redemptions")
    assert "#1 Mug for alice" in pending["content"] and pending["flags"] & 64
    fulfilled = await _run(harness, CAROL, "redemption fulfil", redemption=1, note="Coupon MUG-4242")
    assert fulfilled["content"] == translate("redemption.fulfilled", "en", id=1, reward="Mug", name="alice")
    (dm,) = await harness.fake.wait_for(lambda: harness.fake.dms.get(ALICE))
    assert dm["content"] == translate("redemption.fulfilled_notice", "en", id=1, reward="Mug") + "\n" + \
        translate("redemption.note", "en", note="Coupon MUG-4242")
    again = await _run(harness, CAROL, "redemption fulfil", redemption=1)
    assert again["flags"] & 64 and await harness.count(Redemption, Redemption.status == "fulfilled") == 1

    await _run(harness, ALICE, "redeem", reward="mug")
    assert await _stock(harness, "mug") == 0 and await _balance(harness, ALICE) == 50
    rejected = await _run(harness, CAROL, "redemption reject", redemption=2, reason="we ran out of mugs")
    assert rejected["content"] == translate("redemption.rejected", "en", id=2, reward="Mug", name="alice", cost=100)
    assert await _stock(harness, "mug") == 1 and await _balance(harness, ALICE) == 150
    assert await harness.count(LedgerEntry, LedgerEntry.reason == Reason.REWARD_REFUND) == 1
    dms = await harness.fake.wait_for(lambda: harness.fake.dms[ALICE][1:])
    assert dms[0]["content"] == translate("redemption.rejected_notice", "en", id=2, reward="Mug",
                                          reason="we ran out of mugs", cost=100, balance=150)


async def test_redeem_short_of_points_says_how_many_and_writes_nothing(harness: Harness) -> None:
    await harness.start()
    await _run(harness, CAROL, "award", member=ALICE, amount=40, reason="a start")
    short = await _run(harness, ALICE, "redeem", reward="mug")
    assert short["flags"] & 64 and short["content"] == translate("error.reward.short", "en", name="Mug", cost=100,
                                                                 balance=40, missing=60)
    assert await harness.count(Redemption) == 0 and await _stock(harness, "mug") == 2


@pytest.mark.parametrize(("name", "options"), [
    ("reward add", {"name": "Sticker", "cost": 10}), ("reward retire", {"reward": "mug"}),
    ("redemptions", {}), ("redemption fulfil", {"redemption": 1}),
    ("redemption reject", {"redemption": 1, "reason": "no"})])
async def test_a_member_running_a_moderator_reward_command_is_refused(harness: Harness, name: str,
                                                                      options: dict[str, Any]) -> None:
    await harness.start()
    answer = await _run(harness, BOB, name, **options)
    assert answer["content"] == translate("error.not_moderator", "en", command=name) and answer["flags"] & 64
    assert await harness.count(RewardRow) == 2 and await harness.count(Redemption) == 0
