"""Referrals and rewards through python-telegram-bot against the local fake Bot API.

Personal invite links (``createChatInviteLink`` named for the member), the
attribution of each join from the ``chat_member`` update's invite link,
qualification on the scheduler with a controllable clock, and the rewards
catalog: listing, redeeming once, fulfilment by private message, refunds.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from handlers.clock import utcnow
from handlers.config_model import (
    Community,
    Program,
    ReferralSettings,
    Reward,
    Rules,
    Settings,
    TelegramSettings,
)
from handlers.context import Context
from handlers.i18n import translate
from handlers.membership import JoinEvidence
from handlers.outlets import InviteRefused
from storage.models import InboxUpdate, LedgerEntry, Message
from storage.referrals import ReferralJoin, ReferralLink
from storage.rewards import Redemption
from storage.rewards import Reward as RewardRow
from tests.fakes.telegram_api import BOT, PRIMARY_LINK, FakeTelegram
from tests.test_telegram_adapter import ALICE, BOB, CAROL, CHAT, DAN, Harness, start_harness
from tests.test_telegram_ugc_contests import Clock, scheduler_of

ERIN = 1005
DAY = 86_400
REFERRAL_POINTS = 100
SENT_PRIVATELY = translate("dm.sent", "en")


def settings_for(api_port: int) -> Settings:
    return Settings(
        programs=(Program(
            id="acme", name="Acme",
            rules=Rules(cooldown_seconds=0, min_message_length=5, daily_cap=1000, referral_points=REFERRAL_POINTS),
            communities=(Community(platform="telegram", id=str(CHAT)),),
            referrals=ReferralSettings(qualify_days=3, qualify_messages=2, qualify_within_days=10,
                                       clawback_days=30),
            rewards=(Reward(id="mug", name="Acme mug", cost=30, stock=1),
                     Reward(id="hoodie", name="Acme hoodie", cost=500),
                     Reward(id="sticker", name="Acme sticker", cost=10, stock=5))),),
        telegram=TelegramSettings(base_url=f"http://127.0.0.1:{api_port}/bot", poll_timeout_seconds=1,
                                  base_file_url=f"http://127.0.0.1:{api_port}/file/bot"))


@dataclass
class Joins:
    """What the core was told about each join and leave: (user id, kind, invite, evidence)."""

    seen: list[tuple[str, str, str | None, JoinEvidence | None]] = field(default_factory=list)


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    fake = FakeTelegram(CHAT)
    fake.add_user(ALICE, "alice")
    fake.add_user(BOB, "bob")
    fake.add_user(CAROL, "carol", admin=True)
    fake.add_user(DAN, "dan", started=False)
    fake.add_user(ERIN, "erin")
    await fake.start()
    h = await start_harness(fake, settings_for(fake.port), tmp_path)
    yield h
    await h.stop()
    await fake.stop()
    await h.core.db.dispose()


@pytest.fixture
def joins(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> Joins:
    """Record what the adapter hands the core for each membership change (and still record it)."""
    found, membership = Joins(), harness.core.membership

    async def recorded(ctx: Context, kind: str, invite: str | None = None,
                       evidence: JoinEvidence | None = None) -> int:
        found.seen.append((ctx.actor.user_id, kind, invite, evidence))
        return await membership(ctx, kind, invite, evidence)

    monkeypatch.setattr(harness.core, "membership", recorded)
    return found


async def seen(h: Harness, joins: Joins, count: int) -> list[tuple[str, str, str | None, JoinEvidence | None]]:
    await h.fake.wait_for(lambda: len(joins.seen) >= count)
    return joins.seen[:count]


# --- personal invite links ------------------------------------------------------------------------

async def test_outlet_creates_a_named_link_made_by_the_bot(harness: Harness) -> None:
    outlet = harness.core.outlets["telegram"]
    url = await outlet.create_invite(str(CHAT), "alice (telegram:1001) referral link, long name")
    assert url.startswith("https://t.me/+") and len(url) > len("https://t.me/+")
    link = harness.fake.invite_links[url]
    assert link["name"] == "alice (telegram:1001) referral l" and link["creator"] == BOT
    other = await outlet.create_invite(str(CHAT), "bob")
    assert other != url and harness.fake.invite_links[other]["name"] == "bob"


async def test_outlet_refuses_clearly_without_the_right_to_invite(harness: Harness) -> None:
    harness.fake.can_invite = False
    with pytest.raises(InviteRefused) as refused:
        await harness.core.outlets["telegram"].create_invite(str(CHAT), "alice")
    assert refused.value.reason == "the bot is not an administrator of this group with the right to invite " \
                                   "users via link"
    assert harness.fake.invite_links == {}
    harness.fake.can_invite = True
    harness.fake.kicked_from.add(CHAT)
    with pytest.raises(InviteRefused) as removed:
        await harness.core.outlets["telegram"].create_invite(str(CHAT), "alice")
    assert "the bot cannot act in this group" in removed.value.reason
    assert "not a member of the supergroup chat" in removed.value.reason


async def test_invite_link_after_a_429_is_retried_by_the_rate_limiter(harness: Harness) -> None:
    await harness.stop()
    harness.rate_limit = True
    await harness.start()
    harness.fake.throttle_next = 1
    url = await harness.core.outlets["telegram"].create_invite(str(CHAT), "alice")
    assert url in harness.fake.invite_links and harness.fake.throttled == 1
    assert harness.fake.calls.count("createChatInviteLink") == 2


# --- attribution ------------------------------------------------------------------------------------

async def test_join_through_a_link_the_bot_created_is_exact_and_names_it(harness: Harness, joins: Joins) -> None:
    url = await harness.core.outlets["telegram"].create_invite(str(CHAT), "alice's link")
    harness.fake.join(DAN, url)
    (user, kind, invite, evidence), = await seen(harness, joins, 1)
    assert (user, kind, invite) == (str(DAN), "join", url)
    assert evidence == JoinEvidence("exact", "this bot's invite link named \"alice's link\"", url)


async def test_primary_link_public_username_and_other_admins_links_are_unattributed(harness: Harness,
                                                                                     joins: Joins) -> None:
    harness.fake.group_username = "acmefans"
    harness.fake.join_primary(DAN)
    harness.fake.join(ERIN, None)
    harness.fake.join(BOB, "https://t.me/+CarolsOwnLink")
    harness.fake.join(ALICE, None, by=BOB)
    found = await seen(harness, joins, 4)
    assert [e for *_, e in found] == [
        JoinEvidence("unattributed", "the group's primary invite link (no name)", PRIMARY_LINK),
        JoinEvidence("unattributed", "no invite link: joined through the group's public username @acmefans"),
        JoinEvidence("unattributed", f"invite link (no name) created by another admin ({CAROL}), not by this bot",
                     "https://t.me/+CarolsOwnLink"),
        JoinEvidence("unattributed", f"no invite link: added by {BOB}")]
    assert all(e is not None and e.account_created_at is None for *_, e in found)


async def test_leave_is_a_leave_without_evidence(harness: Harness, joins: Joins) -> None:
    harness.fake.join(DAN, None)
    harness.fake.leave(DAN)
    (_, first, _, evidence), (user, second, invite, none) = await seen(harness, joins, 2)
    assert (first, second, user, invite, none) == ("join", "leave", str(DAN), None, None)
    assert evidence is not None and evidence.attribution == "unattributed"


# --- /invite and referrals through the core ------------------------------------------------------------

async def invite(h: Harness, uid: int) -> str:
    """The member's personal link, as /invite sends it privately."""
    answer = await h.command(uid, "/invite", dm=True)
    url = next(word for word in answer.split() if word.startswith("https://t.me/+"))
    return url.rstrip(".,")


async def referral_joins(h: Harness) -> list[ReferralJoin]:
    async with h.core.db.unit_of_work() as s:
        return list((await s.scalars(select(ReferralJoin).order_by(ReferralJoin.id))).all())


async def joined(h: Harness, count: int) -> list[ReferralJoin]:
    await h.settle(ReferralJoin, count)
    return await referral_joins(h)


async def test_invite_creates_a_link_named_for_the_member_then_reuses_it(harness: Harness) -> None:
    h = harness
    url = await invite(h, ALICE)
    assert h.fake.invite_links[url]["name"] == f"ref-{ALICE}" and h.fake.invite_links[url]["creator"] == BOT
    assert "you earn 100 points" in h.fake.replies_to(ALICE)[-1]
    assert await invite(h, ALICE) == url
    assert h.fake.calls.count("createChatInviteLink") == 1 and await h.count(ReferralLink) == 1
    assert await invite(h, BOB) != url and await h.count(ReferralLink) == 2


async def test_invite_without_the_right_tells_the_member_and_the_moderators(harness: Harness) -> None:
    h = harness
    h.fake.can_invite = False
    before_group = len(h.fake.replies_to(CHAT))
    refused = await h.command(ALICE, "/invite", dm=True)
    assert refused == ("I can't create your invite link: the bot is not an administrator of this group with the "
                       "right to invite users via link. I've posted a note for the moderators; try again once "
                       "they have fixed it.")
    note = await h.fake.wait_for(lambda: [t for t in h.fake.replies_to(CHAT)[before_group:] if "Moderators" in t])
    assert "the bot is not an administrator of this group with the right to invite users via link" in note[0]
    assert await h.count(ReferralLink) == 0 and h.fake.invite_links == {}
    h.fake.can_invite = True
    assert (await invite(h, ALICE)).startswith("https://t.me/+")


async def test_join_through_the_members_link_is_an_exact_pending_referral(harness: Harness) -> None:
    h = harness
    url = await invite(h, ALICE)
    h.fake.join(ERIN, url)
    row, = await joined(h, 1)
    assert (row.attribution, row.status, row.reason) == ("exact", "pending", None)
    assert row.evidence == f"this bot's invite link named 'ref-{ALICE}'" and row.inviter_member_id is not None
    assert row.due_at is not None and row.due_at - row.joined_at == timedelta(days=3)


async def test_primary_link_and_public_username_joins_are_recorded_unattributed(harness: Harness) -> None:
    h = harness
    await invite(h, ALICE)
    h.fake.group_username = "acmefans"
    h.fake.join_primary(DAN)
    h.fake.join(ERIN, None)
    primary, public = await joined(h, 2)
    assert (primary.attribution, primary.status, primary.reason, primary.inviter_member_id) == \
        ("unattributed", "rejected", "unattributed", None)
    assert primary.evidence == "the group's primary invite link (no name)"
    assert (public.attribution, public.status, public.inviter_member_id) == ("unattributed", "rejected", None)
    assert public.evidence == "no invite link: joined through the group's public username @acmefans"


async def in_group(h: Harness, uid: int, text: str) -> str:
    """The group's answer to a command, past any "sent you a private message" note of an earlier one
    (it follows its private answer, so it may come after the test moved on)."""
    before = len(h.fake.replies_to(CHAT))
    h.fake.message(uid, text)
    answers = await h.fake.wait_for(lambda: [t for t in h.fake.replies_to(CHAT)[before:] if t != SENT_PRIVATELY])
    return str(answers[0])


async def say(h: Harness, uid: int, *texts: str) -> None:
    """Chat messages from ``uid``, waited for until each is stored."""
    before = await h.count(Message)
    for text in texts:
        h.fake.message(uid, text)
    await h.settle(Message, before + len(texts))


async def test_referral_qualifies_after_n_days_on_the_scheduler_and_pays_once(harness: Harness) -> None:
    h, clock = harness, Clock()
    scheduler = scheduler_of(h, clock)
    h.fake.join(ERIN, await invite(h, ALICE))
    await joined(h, 1)
    await say(h, ERIN, "hello everyone, glad to be here", "what a friendly group this is")
    clock.now = utcnow() + timedelta(days=1)
    assert await scheduler.run_due() == 0
    before_dm = len(h.fake.replies_to(ALICE))
    clock.now = utcnow() + timedelta(days=3, minutes=1)
    assert await scheduler.run_due() == 1 and await scheduler.run_due() == 0
    row, = await referral_joins(h)
    assert (row.status, row.points) == ("qualified", REFERRAL_POINTS)
    notice = (await h.fake.wait_for(lambda: h.fake.replies_to(ALICE)[before_dm:]))[0]
    assert notice == "erin, whom you invited to Acme, has qualified: you earned 100 points."
    assert await h.count(LedgerEntry, LedgerEntry.reason == "referral") == 1
    assert await h.balance(ALICE) == REFERRAL_POINTS
    h.fake.leave(ERIN, date=int(time.time()) + 4 * DAY)
    await h.settle(ReferralJoin, 1, ReferralJoin.status == "clawed_back")
    assert await h.balance(ALICE) == 0


async def test_member_who_leaves_before_qualifying_is_dropped_and_never_paid(harness: Harness) -> None:
    h, clock = harness, Clock()
    scheduler = scheduler_of(h, clock)
    h.fake.join(ERIN, await invite(h, ALICE))
    await joined(h, 1)
    await say(h, ERIN, "hello everyone, glad to be here", "what a friendly group this is")
    h.fake.leave(ERIN)
    await h.settle(ReferralJoin, 1, ReferralJoin.status == "dropped")
    clock.now = utcnow() + timedelta(days=11)
    assert await scheduler.run_due() == 0
    row, = await referral_joins(h)
    assert (row.status, row.reason) == ("dropped", "left_early")
    assert await h.count(LedgerEntry, LedgerEntry.reason == "referral") == 0


async def test_rejoins_are_not_credited(harness: Harness) -> None:
    h = harness
    url = await invite(h, ALICE)
    await say(h, BOB, "bob was chatting here long before")
    h.fake.join(BOB, url, date=int(time.time()) + 60)
    h.fake.join(ERIN, url)
    await joined(h, 2)
    h.fake.leave(ERIN)
    await h.settle(ReferralJoin, 1, ReferralJoin.status == "dropped")
    h.fake.join(ERIN, url)
    bob, first, again = await joined(h, 3)
    assert (bob.status, bob.reason) == ("rejected", "rejoin")
    assert (first.status, first.reason) == ("dropped", "left_early")
    assert (again.attribution, again.status, again.reason) == ("exact", "rejected", "rejoin")
    listing = await h.command(ALICE, "/referrals", dm=True)
    assert listing.startswith("Your referrals: 0 qualified, 0 pending, 2 rejected, 1 dropped")
    assert "erin" in listing and "they left before qualifying" in listing
    assert "bob" in listing and "they had been in the community before" in listing


# --- rewards --------------------------------------------------------------------------------------------

async def with_points(h: Harness, uid: int, points: int) -> None:
    """A member who chatted once (5 points) and got ``points`` from a moderator."""
    await say(h, uid, "hello group, happy to be here")
    assert "Awarded" in await in_group(h, CAROL, f"/award {uid} {points} welcome gift")


async def stock(h: Harness, slug: str) -> int | None:
    async with h.core.db.unit_of_work() as s:
        return await s.scalar(select(RewardRow.stock).where(RewardRow.slug == slug))


async def test_rewards_lists_what_the_member_can_afford_and_what_they_miss(harness: Harness) -> None:
    h = harness
    await with_points(h, ALICE, 100)
    assert (await in_group(h, CAROL, "/reward add Acme cap | 150 | 3")).startswith("Added reward #4 Acme cap")
    listing = await h.command(ALICE, "/rewards", dm=True)
    assert listing.startswith("You have 105 points")
    affordable, missing = listing.split("Not yet:")
    assert "Acme mug" in affordable and "Acme sticker" in affordable and "Acme hoodie" not in affordable
    assert "Acme hoodie" in missing and "395 points short" in missing
    assert "Acme cap" in missing and "45 points short" in missing


async def test_redeem_delivered_twice_spends_points_and_stock_once(harness: Harness) -> None:
    h = harness
    await with_points(h, ALICE, 100)
    before = len(h.fake.replies_to(ALICE))
    sent = h.fake.message(ALICE, "/redeem mug")
    update = h.fake.queue[-1]
    answer = (await h.fake.wait_for(lambda: h.fake.replies_to(ALICE)[before:]))[0]
    assert answer.startswith("You redeemed Acme mug for 30 points (redemption #1); 75 points left")
    await h.stop()
    h.fake.queue.append(update)
    await h.start()
    await h.fake.wait_for(lambda: not h.fake.queue)
    again = h.fake.push("message", sent)
    await h.settle(InboxUpdate, 1, InboxUpdate.update_id == again, InboxUpdate.done_at.is_not(None))
    assert await h.count(Redemption) == 1 and await stock(h, "mug") == 0
    assert await h.count(LedgerEntry, LedgerEntry.reason == "reward_redeem") == 1
    assert await h.balance(ALICE) == 75


async def redeemed(h: Harness, uid: int, reward: str) -> str:
    return await h.command(uid, f"/redeem {reward}", dm=True)


async def test_fulfil_dms_the_note_to_the_member_once(harness: Harness) -> None:
    h = harness
    await with_points(h, ALICE, 100)
    assert "(redemption #1)" in await redeemed(h, ALICE, "mug")
    before = len(h.fake.replies_to(ALICE))
    done = await in_group(h, CAROL, "/redemption fulfil 1 CODE-ACME-42")
    assert done == "Redemption #1 (Acme mug for alice) is fulfilled; alice was told."
    notice = (await h.fake.wait_for(lambda: h.fake.replies_to(ALICE)[before:]))[0]
    assert "Your Acme mug (redemption #1) is on its way!" in notice and "CODE-ACME-42" in notice
    assert await in_group(h, CAROL, "/redemption fulfil 1 again") == "Redemption #1 is already fulfilled."
    assert "already fulfilled; it cannot be rejected" in await in_group(h, CAROL, "/redemption reject 1 oops")
    assert len(h.fake.replies_to(ALICE)) == before + 1


async def test_reject_refunds_the_points_and_restores_the_stock(harness: Harness) -> None:
    h = harness
    await with_points(h, ALICE, 100)
    assert "(redemption #1)" in await redeemed(h, ALICE, "sticker")
    assert await stock(h, "sticker") == 4 and await h.balance(ALICE) == 95
    before = len(h.fake.replies_to(ALICE))
    rejected = await in_group(h, CAROL, "/redemption reject 1 out of season")
    assert rejected == ("Redemption #1 (Acme sticker for alice) is rejected; 10 points refunded and the unit is "
                        "back in stock.")
    notice = (await h.fake.wait_for(lambda: h.fake.replies_to(ALICE)[before:]))[0]
    assert notice == "Your redemption #1 of Acme sticker was declined: out of season. Your 10 points are back; " \
                     "you have 105."
    assert await stock(h, "sticker") == 5 and await h.balance(ALICE) == 105
    assert await in_group(h, CAROL, "/redemption reject 1 twice") == "Redemption #1 is already rejected (and refunded)."
    assert await h.count(LedgerEntry, LedgerEntry.reason == "reward_refund") == 1


async def rows_of(h: Harness) -> list[Any]:
    async with h.core.db.unit_of_work() as s:
        rewards = [(r.id, r.name, r.cost, r.stock, r.retired_at) for r in await s.scalars(select(RewardRow))]
        redemptions = [(r.id, r.status, r.note) for r in await s.scalars(select(Redemption))]
    return [rewards, redemptions, await h.count(LedgerEntry)]


@pytest.mark.parametrize(("text", "command"), [
    ("/reward add Cap | 50 | 3", "reward add"), ("/reward retire mug", "reward retire"),
    ("/redemption fulfil 1 code", "redemption fulfil"), ("/redemption reject 1 no", "redemption reject"),
    ("/redemptions", "redemptions")])
async def test_member_running_a_moderator_reward_command_is_refused(harness: Harness, text: str,
                                                                     command: str) -> None:
    h = harness
    await with_points(h, ALICE, 100)
    assert "(redemption #1)" in await redeemed(h, ALICE, "sticker")
    rows = await rows_of(h)
    assert f"Only moderators can use /{command}" in await in_group(h, BOB, text)
    assert await rows_of(h) == rows
