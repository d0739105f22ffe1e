"""The tier a member holds (``handlers.tiers.held_tier``) is the one every screen and check uses, on SQLite
and PostgreSQL: under ``tier_rule: rolling_12_months`` a member the monthly review held below their lifetime
tier sees the held tier in /points, /profile and /rewards, cannot redeem a reward of their lifetime tier
(with a message saying why) and is exported with it; under ``tier_rule: lifetime`` a leftover held row
changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot import export
from bot.scheduler import Scheduler
from handlers.config_model import Program, Settings
from handlers.context import MemberRef
from handlers.core import Core
from handlers.replies import Button, Reply, TierChanged
from storage import member_campaigns
from storage.database import Database
from storage.models import LedgerEntry
from storage.rewards import Reward
from tests.conftest import T0, ctx, settings_for_tests

TIERS = (
    {"name": "Bronze", "min_points": 0},
    {"name": "Silver", "min_points": 500},
    {"name": "Gold", "min_points": 2000},
    {"name": "Platinum", "min_points": 7000},
)
LOUNGE = {"id": "lounge", "name": "Gold lounge", "cost": 100, "stock": 3, "min_tier": "Gold"}
MUG = {"id": "mug", "name": "Silver mug", "cost": 50, "min_tier": "Silver"}


def config(rule: str) -> Settings:
    base = settings_for_tests(max_adjustment=100_000)
    program = Program.model_validate({**base.programs[0].model_dump(), "tiers": TIERS, "tier_rule": rule,
                                      "tier_warning_days": 7, "rewards": (LOUNGE, MUG)})
    return Settings.model_validate({**base.model_dump(), "programs": (program.model_dump(),)})


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Outlet:
    async def announce(self, community_id: str, text: str, buttons: tuple[Button, ...] = ()) -> None:
        pass

    async def notify(self, user_id: str, text: str, buttons: tuple[Button, ...] = (),
                     program_id: str | None = None) -> bool:
        return True


async def boot(db: Database, rule: str) -> Core:
    core = Core(config(rule), db)
    await core.start()
    core.attach_outlet("discord", Outlet())
    return core


async def give(core: Core, user: str, amount: int, now: datetime) -> Reply:
    args = {"member": MemberRef("discord", user, display_name=f"user{user}", verified=True),
            "amount": str(amount), "reason": "test points"}
    mod = ctx(core, "99", moderator=True, event=f"give-{user}-{now}", now=now)
    reply = await core.command(mod, "award", args)
    assert reply.ok, reply.text
    return reply


async def command(core: Core, user: str, name: str, args: dict[str, Any], now: datetime) -> Reply:
    return await core.command(ctx(core, user, event=f"{name}-{user}-{args}-{now}", now=now), name, args)


async def footprint(db: Database) -> tuple[int, list[int | None]]:
    async with db.unit_of_work() as s:
        entries = await s.scalar(select(func.count()).select_from(LedgerEntry))
        stock = list(await s.scalars(select(Reward.stock).order_by(Reward.id)))
    return int(entries or 0), stock


async def exported_tiers(core: Core) -> dict[str, str]:
    async with core.db.unit_of_work() as s:
        data = await export.collect(s, core.settings.programs[0])
    return {row["name"]: row["tier"] for row in data["members"]}


async def downgrade_by_review(db: Database) -> Core:
    """Members 1 and 2 reach Gold in March 2026; over the 12 months before the April 2027 review member 1
    earns only 600 (Silver) and member 2 2,000 (Gold): after the March warning, the review holds member 1 at
    Silver while their lifetime points (2,600) stay Gold."""
    core = await boot(db, "rolling_12_months")
    clock = Clock(T0 + timedelta(hours=1))
    scheduler = Scheduler(clock)
    scheduler.serve(core)
    await give(core, "1", 2000, T0)
    await give(core, "2", 2000, T0)
    await scheduler.run_due()  # the first month run
    await give(core, "1", 600, datetime(2026, 5, 10))
    await give(core, "2", 2000, datetime(2026, 5, 10))
    for now in (datetime(2027, 3, 1, 0, 5), datetime(2027, 3, 25, 0, 5), datetime(2027, 4, 1, 0, 5)):
        clock.now = now
        await scheduler.run_due()
    async with db.unit_of_work() as s:
        held = [(h.tier, h.lifetime_at) for h in await s.scalars(select(member_campaigns.HeldTier))]
    assert held == [("Silver", 2600)]
    return core


NOW = datetime(2027, 4, 2, 12)


async def test_points_profile_and_rewards_show_the_held_tier(db: Database) -> None:
    core = await downgrade_by_review(db)
    points = await command(core, "1", "points", {}, NOW)
    assert "Tier: Silver." in points.text, points.text
    assert "Tier: Gold." in (await command(core, "2", "points", {}, NOW)).text
    profile = await command(core, "1", "profile", {}, NOW)
    assert "tier Silver," in profile.text, profile.text
    looked_up = await command(core, "2", "profile", {"member": MemberRef("discord", "1")}, NOW)
    assert "tier Silver," in looked_up.text, looked_up.text
    listing = await command(core, "1", "rewards", {}, NOW)
    assert "(tier Silver)" in listing.text and "needs tier Gold" in listing.text, listing.text


async def test_a_held_member_cannot_redeem_a_reward_of_their_lifetime_tier(db: Database) -> None:
    core = await downgrade_by_review(db)
    before = await footprint(db)
    refused = await command(core, "1", "redeem", {"reward": "lounge"}, NOW)
    assert not refused.ok
    assert refused.text == ("Gold lounge is for tier Gold and up. Your lifetime points reach Gold, but "
                            "the 12-month rule holds you at Silver until a monthly review finds enough "
                            "points over the last 12 months.")
    assert await footprint(db) == before  # nothing written, no unit of stock taken
    assert (await command(core, "1", "redeem", {"reward": "mug"}, NOW)).ok  # the held tier's rewards still
    assert (await command(core, "2", "redeem", {"reward": "lounge"}, NOW)).ok  # Gold by both measures
    await give(core, "3", 100, NOW)
    below = await command(core, "3", "redeem", {"reward": "mug"}, NOW)
    assert below.text == "Silver mug is for tier Silver and up; you are Bronze."


async def test_the_export_shows_the_held_tier(db: Database) -> None:
    core = await downgrade_by_review(db)
    assert await exported_tiers(core) == {"user1": "Silver", "user2": "Gold"}


async def test_crossing_a_threshold_ends_the_hold_everywhere(db: Database) -> None:
    core = await downgrade_by_review(db)
    await give(core, "1", 1000, NOW)  # 3,600 lifetime: no threshold crossed, still held at Silver
    assert "Tier: Silver." in (await command(core, "1", "points", {}, NOW)).text
    crossed = await give(core, "1", 4000, NOW + timedelta(hours=1))  # 7,600: Platinum, the hold ends
    moves = [(e.old_tier, e.new_tier) for e in crossed.events if isinstance(e, TierChanged)]
    assert moves == [("Silver", "Platinum")]  # roles move from the held tier
    assert "Tier: Platinum." in (await command(core, "1", "points", {}, NOW)).text
    assert (await command(core, "1", "redeem", {"reward": "lounge"}, NOW)).ok
    assert (await exported_tiers(core))["user1"] == "Platinum"


async def test_under_the_lifetime_rule_a_held_row_changes_nothing(db: Database) -> None:
    await downgrade_by_review(db)
    core = await boot(db, "lifetime")
    assert "Tier: Gold." in (await command(core, "1", "points", {}, NOW)).text
    assert "tier Gold," in (await command(core, "1", "profile", {}, NOW)).text
    assert (await command(core, "1", "redeem", {"reward": "lounge"}, NOW)).ok
    assert await exported_tiers(core) == {"user1": "Gold", "user2": "Gold"}
