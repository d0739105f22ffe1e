"""Rewards through the core, on SQLite and PostgreSQL: the catalog seeded from config and edited by
moderators, redemptions that never oversell or overdraw (concurrent ones over separate Core and
Database instances, so PostgreSQL really runs them at once), fulfilment and refunds, and points
expiry with its warnings on a controllable clock driving the scheduler. Every refusal writes nothing
and the ledger still verifies after all of it."""

from __future__ import annotations

import asyncio
import csv
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from bot import export
from bot.scheduler import Scheduler
from handlers.config_model import Program, Settings
from handlers.context import Context, MemberRef
from handlers.core import Core
from handlers.replies import Button, Reply
from handlers.rewards import expiry
from storage.database import Database
from storage.models import Balance, LedgerEntry, Reason
from storage.rewards import ExpiryWarning, Flow, Redemption, Reward
from storage.verify import verify
from tests.conftest import T0, ctx, open_database, settings_for_tests

MUG = {"id": "mug", "name": "Coffee mug", "cost": 300, "stock": 5}
TEE = {"id": "tee", "name": "T-shirt", "cost": 1000, "stock": 2, "min_tier": "Silver", "per_member_limit": 1}
CAP = {"id": "cap", "name": "Cap", "cost": 100}
DAY = timedelta(days=1)


def config(rewards: tuple[dict[str, Any], ...] = (MUG, TEE, CAP), expiry_days: int | None = None) -> Settings:
    base = settings_for_tests(max_adjustment=100_000)
    program = Program.model_validate({**base.programs[0].model_dump(), "rewards": rewards,
                                      "points_expiry_days": expiry_days})
    return Settings.model_validate({**base.model_dump(), "programs": (program.model_dump(),)})


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Outlet:
    notified: list[tuple[str, str]] = field(default_factory=list)

    async def announce(self, community_id: str, text: str, buttons: tuple[Button, ...] = ()) -> None:
        pass

    async def notify(self, user_id: str, text: str) -> bool:
        self.notified.append((user_id, text))
        return True


async def boot(db: Database, settings: Settings | None = None) -> tuple[Core, Outlet]:
    core = Core(settings or config(), db)
    await core.start()
    outlet = Outlet()
    core.attach_outlet("discord", outlet)
    return core, outlet


@pytest.fixture
async def shop(db: Database) -> tuple[Core, Outlet]:
    return await boot(db)


def mod(core: Core, event: str, now: datetime = T0) -> Context:
    return ctx(core, "99", moderator=True, event=event, now=now)


async def give(core: Core, user: str, amount: int, now: datetime = T0, event: str | None = None) -> None:
    """Points for ``user`` (a moderator award, dated ``now``)."""
    reply = await core.command(mod(core, event or f"give-{user}-{amount}-{now.isoformat()}", now), "award",
                               {"member": MemberRef("discord", user, verified=True), "amount": str(amount),
                                "reason": "test points"})
    assert reply.ok, reply.text


async def redeem(core: Core, user: str, reward: str, event: str, now: datetime = T0) -> Reply:
    return await core.command(ctx(core, user, event=event, now=now), "redeem", {"reward": reward})


def redemption_id(reply: Reply) -> int:
    found = re.search(r"redemption #(\d+)", reply.text)
    assert found, reply.text
    return int(found.group(1))


async def rows(db: Database, model: Any) -> list[Any]:
    async with db.unit_of_work() as s:
        return list(await s.scalars(select(model).order_by(*model.__table__.primary_key.columns)))


async def reward(db: Database, slug_or_name: str) -> Reward:
    (found,) = [r for r in await rows(db, Reward) if slug_or_name in (r.slug, r.name)]
    return found


async def balance(db: Database, user: str) -> int:
    async with db.unit_of_work() as s:
        return int(await s.scalar(text(
            "SELECT coalesce(sum(b.balance), 0) FROM balances b JOIN identities i ON i.member_id = b.member_id "
            "WHERE i.platform = 'discord' AND i.platform_user_id = :u"), {"u": user}) or 0)


FOOTPRINT = ("rewards", "reward_redemptions", "ledger_entries", "balances", "members", "identities",
             "engagement_state", "points_expiry_warnings")


async def footprint(db: Database) -> tuple[Any, ...]:
    counts = ", ".join(f"(SELECT count(*) FROM {t})" for t in FOOTPRINT)
    sums = ("(SELECT coalesce(sum(balance), 0) FROM balances), (SELECT coalesce(sum(stock), 0) FROM rewards), "
            "(SELECT count(*) FROM reward_redemptions WHERE status = 'pending')")
    async with db.unit_of_work() as s:
        return tuple((await s.execute(text(f"SELECT {counts}, {sums}"))).one())


async def ledger_ok(db: Database) -> None:
    async with db.unit_of_work() as s:
        checks = await verify(s)
    assert checks and all(c.ok for c in checks), [(c.first_bad_entry, c.balance_mismatches) for c in checks]


# ---- catalog ------------------------------------------------------------------------------------


async def test_config_rewards_seed_then_follow_config_changes(db: Database) -> None:
    core, _ = await boot(db)
    assert [(r.slug, r.cost, r.stock, r.min_tier, r.per_member_limit, r.source) for r in await rows(db, Reward)] == [
        ("mug", 300, 5, None, None, "config"), ("tee", 1000, 2, "Silver", 1, "config"),
        ("cap", 100, None, None, None, "config")]
    await give(core, "1", 1000)
    assert (await redeem(core, "1", "mug", "r1")).ok
    added = await core.command(mod(core, "add"), "reward add", {"name": "Sticker", "cost": "50", "stock": "9"})
    assert added.ok, added.text
    await boot(db)  # a restart with the same config gives the units already taken back to nobody
    assert (await reward(db, "mug")).stock == 4 and len(await rows(db, Reward)) == 4
    changed = ({**MUG, "name": "Big mug", "cost": 350, "stock": 10}, {**CAP, "stock": 3})
    core, _ = await boot(db, config(changed))
    mug, tee, cap = [await reward(db, s) for s in ("mug", "tee", "cap")]
    assert (mug.name, mug.cost, mug.stock, mug.retired_at) == ("Big mug", 350, 10, None)
    assert tee.retired_at is not None and (cap.stock, cap.retired_at) == (3, None)
    sticker = await reward(db, "Sticker")
    assert (sticker.source, sticker.stock, sticker.retired_at) == ("moderator", 9, None)
    listed = await core.command(ctx(core, "1", event="l"), "rewards", {})
    assert "T-shirt" not in listed.text and "Big mug" in listed.text and "Sticker" in listed.text
    await boot(db)  # the tee comes back with the config that names it
    assert (await reward(db, "tee")).retired_at is None
    await ledger_ok(db)


def test_config_refuses_unknown_tiers_and_duplicate_ids() -> None:
    with pytest.raises(ValueError, match=r"rewards name unknown min_tier \['Platinum'\]"):
        config(({**TEE, "min_tier": "Platinum"},))
    with pytest.raises(ValueError, match="reward ids must be unique"):
        config((MUG, {**CAP, "id": "mug"}))
    with pytest.raises(ValueError, match="cost"):
        config(({**CAP, "cost": 0},))


async def test_moderator_adds_edits_and_retires(shop: tuple[Core, Outlet]) -> None:
    core, _ = shop
    args = {"name": "Hoodie", "cost": "2,000", "stock": "3", "tier": "gold", "limit": "1",
            "description": "Warm and soft"}
    added = await core.command(mod(core, "a1"), "reward add", args)
    assert added.ok and added.text == ("Added reward #4 Hoodie: 2,000 points, 3 left, tier Gold and up, "
                                       "1 per member."), added.text
    again = await core.command(mod(core, "a1"), "reward add", args)
    assert "already handled" in again.text and len(await rows(core.db, Reward)) == 4
    edited = await core.command(mod(core, "e1"), "reward edit", {"reward": "hoodie", "cost": "1500",
                                                                 "stock": "unlimited", "tier": "none"})
    assert edited.ok and edited.text == "Reward #4 Hoodie is now: 1,500 points, unlimited stock, 1 per member.", \
        edited.text
    renamed = await core.command(mod(core, "e2"), "reward edit", {"reward": "#4", "name": "Winter hoodie"})
    assert renamed.ok and "Winter hoodie" in renamed.text
    retired = await core.command(mod(core, "r1"), "reward retire", {"reward": "Winter hoodie"})
    assert retired.ok and "no longer offered" in retired.text
    assert "Winter hoodie" not in (await core.command(ctx(core, "1", event="l"), "rewards", {})).text
    for name, args, expected in (
            ("reward retire", {"reward": "#4"}, "Reward #4 Winter hoodie is no longer offered"),
            ("reward edit", {"reward": "#4", "cost": "5"}, "is no longer offered"),
            ("reward edit", {"reward": "mug", "cost": "5"}, "comes from config.yaml (id mug)"),
            ("reward retire", {"reward": "Coffee mug"}, "comes from config.yaml"),
            ("reward edit", {"reward": "mug"}, "Say what to change"),
            ("reward add", {"name": "cap", "cost": "5"}, "Reward #3 is already called cap"),
            ("redeem", {"reward": "#4"}, "no longer offered")):
        before = await footprint(core.db)
        reply = await core.command(mod(core, f"x-{name}-{args}"), name, args)
        assert not reply.ok and expected in reply.text, reply.text
        assert await footprint(core.db) == before


async def test_listing_says_what_each_reward_is_missing(shop: tuple[Core, Outlet]) -> None:
    core, _ = shop
    await give(core, "1", 350)
    assert (await redeem(core, "1", "cap", "c1")).ok
    await core.command(mod(core, "e"), "reward add", {"name": "Pin", "cost": "10", "stock": "0"})
    listing = (await core.command(ctx(core, "1", event="l"), "rewards", {})).text.splitlines()
    assert listing == [
        "You have 250 points (tier Bronze). Rewards:",
        "You can redeem now (/redeem and the number):",
        "#3 Cap: 100 points, unlimited stock",
        "Not yet:",
        "#4 Pin: 10 points, 0 left \u2014 out of stock",
        "#1 Coffee mug: 300 points, 5 left \u2014 50 points short",
        ("#2 T-shirt: 1,000 points, 2 left, tier Silver and up, 1 per member \u2014 needs tier Silver; "
         "750 points short")]
    assert (await core.command(ctx(core, "1", event="z", locale="zh-CN"), "rewards", {})).text.startswith(
        "你有 250 积分（等级 Bronze）。奖励：")


async def test_empty_catalog(db: Database) -> None:
    core, _ = await boot(db, config(()))
    reply = await core.command(ctx(core, "1"), "rewards", {})
    assert reply.ok and reply.private and reply.text == "There are no rewards to redeem yet."


# ---- refusals write nothing ---------------------------------------------------------------------

REFUSALS = [
    ("redeem", {"reward": "spaceship"}, False, "There is no reward 'spaceship' here"),
    ("redeem", {"reward": "#999"}, False, "There is no reward '#999' here"),
    ("redeem", {"reward": "mug"}, False, "You need 100 more points for Coffee mug: it costs 300, you have 200"),
    ("redeem", {"reward": "pin"}, False, "Pin is out of stock"),
    ("redeem", {"reward": "tee"}, False, "T-shirt is for tier Silver and up; you are Bronze"),
    ("redeem", {"reward": "cap"}, False, "You already have Cap the most times allowed (1 per member)"),
    ("reward add", {"name": "Free", "cost": "0"}, True, "cost must be at least 1 point, got 0"),
    ("reward add", {"name": "Free", "cost": "-5"}, True, "cost must be at least 1 point, got -5"),
    ("reward add", {"name": "Neg", "cost": "5", "stock": "-1"}, True, "Stock must be 0 or more"),
    ("reward add", {"name": "Lim", "cost": "5", "limit": "0"}, True, "limit must be at least 1"),
    ("reward add", {"name": "Tier", "cost": "5", "tier": "Platinum"}, True,
     "There is no tier 'Platinum'; tiers are Bronze, Silver, Gold"),
    ("reward add", {"name": "x" * 81, "cost": "5"}, True, "The name is 81 characters; the limit is 80"),
    ("reward add", {"name": "Big", "cost": "9" * 500}, True, "The cost can be at most 100,000,000"),
    ("reward add", {"name": "Free", "cost": "10"}, False, "Only moderators can use /reward add"),
    ("reward retire", {"reward": "pin"}, False, "Only moderators can use /reward retire"),
    ("redemptions", {}, False, "Only moderators can use /redemptions"),
    ("redemption fulfil", {"redemption": "1"}, False, "Only moderators can use /redemption fulfil"),
    ("redemption reject", {"redemption": "1", "reason": "no"}, False, "Only moderators can use /redemption reject"),
    ("redemption fulfil", {"redemption": "77"}, True, "There is no redemption #77 here"),
    ("redemption reject", {"redemption": "abc", "reason": "x"}, True, "A redemption number is digits like 12"),
    ("redemptions", {"status": "lost"}, True, "Status 'lost' is not one of pending, fulfilled, rejected"),
]


@pytest.mark.parametrize(("command", "args", "moderator", "expected"), REFUSALS)
async def test_each_refusal_is_specific_and_writes_nothing(db: Database, command: str, args: dict[str, str],
                                                           moderator: bool, expected: str) -> None:
    core, _ = await boot(db, config((MUG, TEE, {**CAP, "per_member_limit": 1},
                                     {"id": "pin", "name": "Pin", "cost": 10, "stock": 0})))
    await give(core, "1", 300)
    assert (await redeem(core, "1", "cap", "first")).ok
    before = await footprint(db)
    who = mod(core, "refused") if moderator else ctx(core, "1", event="refused")
    reply = await core.command(who, command, args)
    assert not reply.ok and expected in reply.text, reply.text
    assert await footprint(db) == before


async def test_a_newcomer_refused_leaves_no_member_behind(shop: tuple[Core, Outlet]) -> None:
    core, _ = shop
    reply = await redeem(core, "42", "mug", "n1")
    assert not reply.ok and "You need 300 more points" in reply.text
    assert await footprint(core.db) == (3, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0)


# ---- redeeming ----------------------------------------------------------------------------------


async def test_redeem_spends_once_on_redelivery(shop: tuple[Core, Outlet]) -> None:
    core, _ = shop
    await give(core, "1", 1000)
    first = await redeem(core, "1", "Coffee mug", "interaction-7")
    assert first.ok and first.private and first.text == (
        "You redeemed Coffee mug for 300 points (redemption #1); 700 points left. A moderator will get back "
        "to you."), first.text
    again = await redeem(core, "1", "Coffee mug", "interaction-7")
    assert again.text == "That request was already handled."
    assert await balance(core.db, "1") == 700 and (await reward(core.db, "mug")).stock == 4
    (made,) = await rows(core.db, Redemption)
    spends = [e for e in await rows(core.db, LedgerEntry) if e.reason == Reason.REWARD_REDEEM]
    assert [(e.delta, e.lifetime_delta, e.idempotency_key) for e in spends] == [
        (-300, 0, "reward:acme:discord:interaction-7")]
    assert (made.status, made.cost, made.spend_entry_id) == ("pending", 300, spends[0].id)
    await ledger_ok(core.db)


async def _many(url: str, settings: Settings, calls: list[tuple[str, str, str]]) -> list[Reply]:
    """Each redemption through its own Core over its own Database, all at once."""
    bots = []
    for _ in calls:
        database = open_database(url)
        bots.append(Core(settings, database))
    try:
        return list(await asyncio.gather(*[redeem(core, user, reward_ref, event)
                                           for core, (user, reward_ref, event) in zip(bots, calls, strict=True)]))
    finally:
        for core in bots:
            await core.db.dispose()


async def test_twenty_concurrent_redemptions_of_the_last_unit_one_wins(db: Database) -> None:
    settings = config(({"id": "last", "name": "Last one", "cost": 100, "stock": 1},))
    core, _ = await boot(db, settings)
    users = [str(n) for n in range(1, 21)]
    for user in users:
        await give(core, user, 500)
    replies = await _many(db.url, settings, [(user, "last", f"race-{user}") for user in users])
    won = [r for r in replies if r.ok]
    assert len(won) == 1, [r.text for r in replies]
    assert all("Last one is out of stock" in r.text for r in replies if not r.ok)
    assert (await reward(db, "last")).stock == 0 and len(await rows(db, Redemption)) == 1
    assert sorted([await balance(db, u) for u in users]) == [400] + [500] * 19
    await ledger_ok(db)


async def test_concurrent_redemptions_never_overdraw_a_balance(db: Database) -> None:
    settings = config(({"id": "cap", "name": "Cap", "cost": 300},))
    core, _ = await boot(db, settings)
    await give(core, "1", 1000)
    replies = await _many(db.url, settings, [("1", "cap", f"spend-{n}") for n in range(10)])
    assert sum(r.ok for r in replies) == 3, [r.text for r in replies]
    assert all("You need 200 more points for Cap" in r.text for r in replies if not r.ok)
    assert await balance(db, "1") == 100 and len(await rows(db, Redemption)) == 3
    await ledger_ok(db)


# ---- fulfilment ---------------------------------------------------------------------------------


async def test_pending_list_fulfil_dms_the_note_and_twice_is_refused(shop: tuple[Core, Outlet]) -> None:
    core, outlet = shop
    await give(core, "1", 1000)
    await give(core, "2", 1000)
    first = redemption_id(await redeem(core, "1", "mug", "m1"))
    second = redemption_id(await redeem(core, "2", "cap", "m2"))
    pending = await core.command(mod(core, "p"), "redemptions", {})
    assert pending.private and pending.text.splitlines() == [
        "Redemptions pending (2), oldest first:",
        f"#{first} Coffee mug for user1, 300 points, 2026-03-02 12:00 UTC",
        f"#{second} Cap for user2, 100 points, 2026-03-02 12:00 UTC"]
    done = await core.command(mod(core, "f1"), "redemption fulfil", {"redemption": str(first), "note": "CODE-123 "})
    assert done.ok and done.text == f"Redemption #{first} (Coffee mug for user1) is fulfilled; user1 was told."
    note = f"Your Coffee mug (redemption #{first}) is on its way!\nNote from the team: CODE-123"
    assert outlet.notified == [("1", note)]
    before = await footprint(core.db)
    twice = await core.command(mod(core, "f2"), "redemption fulfil", {"redemption": str(first)})
    assert not twice.ok and twice.text == f"Redemption #{first} is already fulfilled."
    rejected = await core.command(mod(core, "f3"), "redemption reject", {"redemption": f"#{first}", "reason": "oops"})
    assert not rejected.ok and "is already fulfilled; it cannot be rejected" in rejected.text
    assert await footprint(core.db) == before and len(outlet.notified) == 1
    fulfilled = await core.command(mod(core, "p2"), "redemptions", {"status": "fulfilled"})
    assert fulfilled.text.splitlines()[1].endswith("\u2014 CODE-123")
    assert (await rows(core.db, Redemption))[0].decided_by == "discord:99"


async def test_reject_refunds_restores_stock_and_tells_the_member(shop: tuple[Core, Outlet]) -> None:
    core, outlet = shop
    await give(core, "1", 1000)
    made = redemption_id(await redeem(core, "1", "mug", "m1"))
    assert (await reward(core.db, "mug")).stock == 4 and await balance(core.db, "1") == 700
    reply = await core.command(mod(core, "x1"), "redemption reject", {"redemption": str(made),
                                                                      "reason": "address unknown"})
    assert reply.ok and "300 points refunded" in reply.text, reply.text
    assert (await reward(core.db, "mug")).stock == 5 and await balance(core.db, "1") == 1000
    declined = (f"Your redemption #{made} of Coffee mug was declined: address unknown. "
                "Your 300 points are back; you have 1,000.")
    assert outlet.notified == [("1", declined)]
    (spend, refund) = [e for e in await rows(core.db, LedgerEntry) if e.reason in (Reason.REWARD_REDEEM,
                                                                                   Reason.REWARD_REFUND)]
    assert (refund.delta, refund.lifetime_delta, refund.reference, refund.idempotency_key) == (
        300, 0, f"entry:{spend.id}", f"reward-refund:acme:{made}")
    (row,) = await rows(core.db, Redemption)
    assert (row.status, row.reason, row.refund_entry_id) == ("rejected", "address unknown", refund.id)
    before = await footprint(core.db)
    for name, args, expected in (
            ("redemption reject", {"redemption": str(made), "reason": "again"}, "is already rejected"),
            ("redemption fulfil", {"redemption": str(made)}, "was rejected (and refunded); it cannot be fulfilled")):
        refused = await core.command(mod(core, f"y-{name}"), name, args)
        assert not refused.ok and expected in refused.text
    assert await footprint(core.db) == before
    async with core.db.unit_of_work() as s:
        lifetime = await s.scalar(select(func.sum(Balance.lifetime)))
    assert lifetime == 1000  # spending and refunds never move lifetime (tiers, ranks)
    await ledger_ok(core.db)


async def test_a_redemption_of_a_linked_account_is_refunded_to_the_survivor(shop: tuple[Core, Outlet]) -> None:
    core, outlet = shop
    await give(core, "1", 400)
    made = redemption_id(await redeem(core, "1", "mug", "m1"))
    code = (await core.command(ctx(core, "1", event="link1"), "link", {})).text.split()[4].rstrip(".")
    linked = await core.command(ctx(core, "7", platform="telegram", event="link2"), "link", {"code": code})
    assert linked.ok, linked.text
    assert (await core.command(mod(core, "x"), "redemption reject", {"redemption": str(made), "reason": "no"})).ok
    assert await balance(core.db, "1") == 400 and outlet.notified and outlet.notified[0][0] == "1"
    await ledger_ok(core.db)


async def test_export_lists_redemptions_with_their_ledger_entries(shop: tuple[Core, Outlet], tmp_path: Path) -> None:
    core, _ = shop
    await give(core, "1", 1000)
    kept = redemption_id(await redeem(core, "1", "mug", "m1"))
    refunded = redemption_id(await redeem(core, "1", "cap", "m2"))
    await core.command(mod(core, "f"), "redemption fulfil", {"redemption": str(kept), "note": "CODE-9"})
    await core.command(mod(core, "r"), "redemption reject", {"redemption": str(refunded), "reason": "sold out"})
    async with core.db.unit_of_work() as s:
        data = await export.collect(s, core.settings.programs[0])
    assert [(r["reward"], r["cost"], r["status"], r["note"], r["reason"], r["refund_entry_id"] is not None)
            for r in data["redemptions"]] == [("Coffee mug", 300, "fulfilled", "CODE-9", None, False),
                                              ("Cap", 100, "rejected", None, "sold out", True)]
    paths = export.write(data, "acme", "csv", tmp_path)
    (csv_path,) = [p for p in paths if p.name == "acme-redemptions.csv"]
    with csv_path.open(encoding="utf-8-sig", newline="") as f:
        lines = list(csv.DictReader(f))
    assert list(lines[0]) == list(export.REDEMPTION_FIELDS) and lines[1]["reason"] == "sold out"


# ---- expiry ---------------------------------------------------------------------------------------


def test_fifo_plan_from_two_sums() -> None:
    # 100 credited before the cut, 50 more before the cut three days on, 30 spent: 70 expire now and
    # 50 on the third day after (the day whose run is three days on).
    flow = Flow(1, 30, (100, 100, 100, 150, 150, 150, 150, 150))
    today = date(2026, 4, 1)
    assert expiry.plan(flow, today) == expiry.Plan(1, 70, ((date(2026, 4, 3), 50),))
    assert expiry.plan(Flow(1, 130, (100,) * 8), today) == expiry.Plan(1, 0, ())
    assert expiry.plan(Flow(1, 0, (0, 0, 0, 0, 0, 0, 0, 40)), today) == expiry.Plan(1, 0, ((date(2026, 4, 7), 40),))


STICKER = {"id": "sticker", "name": "Sticker", "cost": 30}


async def expiry_bot(db: Database) -> tuple[Core, Outlet, Scheduler, Clock]:
    """Member 1: 100 points on 2026-03-02 (last usable day 04-01), 50 on 03-12 (last usable day 04-11),
    30 spent on 03-17 from the oldest; member 2: 20 points on 03-27. Points expire after 30 days."""
    core, outlet = await boot(db, config((STICKER,), expiry_days=30))
    clock = Clock(T0)
    scheduler = Scheduler(clock)
    scheduler.serve(core)
    await give(core, "1", 100, T0)
    await give(core, "1", 50, T0 + 10 * DAY)
    assert (await redeem(core, "1", "sticker", "spend", T0 + 15 * DAY)).ok
    await give(core, "2", 20, T0 + 25 * DAY)
    return core, outlet, scheduler, clock


def morning(day: int) -> datetime:
    """Five past midnight, ``day`` days after T0's day."""
    return datetime.combine((T0 + day * DAY).date(), datetime.min.time()) + timedelta(minutes=5)


async def expirations(db: Database) -> list[tuple[str, int, int]]:
    return [(e.reference, e.delta, e.lifetime_delta) for e in await rows(db, LedgerEntry)
            if e.reason == Reason.POINTS_EXPIRED]


def warning(amount: int, last_day: str) -> str:
    return (f"Points in Acme expire when unused for 30 days:\n{amount} points at the end of {last_day}\n"
            "Spend them on a reward: /rewards")


async def test_expiry_fifo_amounts_and_both_warnings_once(db: Database) -> None:
    _, outlet, scheduler, clock = await expiry_bot(db)
    seen: dict[int, list[tuple[str, int, int]]] = {}
    told: dict[int, list[tuple[str, str]]] = {}
    for day in range(46):
        clock.now = morning(day)
        await scheduler.run_due()
        await scheduler.run_due()  # a second timer the same day changes nothing
        seen[day], told[day] = await expirations(db), list(outlet.notified)
        outlet.notified.clear()
    assert {d: n for d, n in told.items() if n} == {
        24: [("1", warning(70, "2026-04-01"))], 30: [("1", warning(70, "2026-04-01"))],
        34: [("1", warning(50, "2026-04-11"))], 40: [("1", warning(50, "2026-04-11"))]}
    assert seen[30] == [] and seen[31] == [("expiry:2026-04-02", -70, 0)]
    assert seen[40] == seen[31] and seen[41] == [("expiry:2026-04-02", -70, 0), ("expiry:2026-04-12", -50, 0)]
    assert await balance(db, "1") == 0 and await balance(db, "2") == 20
    assert sorted((w.expires_on.isoformat(), w.kind, w.amount) for w in await rows(db, ExpiryWarning)) == [
        ("2026-04-01", "1d", 70), ("2026-04-01", "7d", 70), ("2026-04-11", "1d", 50), ("2026-04-11", "7d", 50)]
    restarted, _ = await boot(db, config((STICKER,), expiry_days=30))
    again = Scheduler(Clock(morning(45) + timedelta(hours=3)))
    again.serve(restarted)
    assert await again.run_due() == 0 and await expirations(db) == seen[45] == seen[41]
    assert again.armed() == {"timed:expiry:acme": datetime(2026, 4, 17)}
    await ledger_ok(db)


async def test_expiry_catches_up_in_one_run_after_downtime(db: Database) -> None:
    _, outlet, scheduler, clock = await expiry_bot(db)
    clock.now = morning(20)
    await scheduler.run_due()
    clock.now = morning(35)  # down from 03-23 to 04-06: the 04-01 expiry and the 04-05 warning were missed
    assert await scheduler.run_due() == 1
    assert await expirations(db) == [("expiry:2026-04-06", -70, 0)]
    assert outlet.notified == [("1", warning(50, "2026-04-11"))]
    await ledger_ok(db)


async def test_expiry_is_off_unless_configured(shop: tuple[Core, Outlet]) -> None:
    core, _ = shop
    scheduler = Scheduler(Clock(morning(400)))
    scheduler.serve(core)
    await give(core, "1", 100)
    assert await scheduler.run_due() == 0 and scheduler.armed() == {}
    assert await expirations(core.db) == []
