"""Birthdays, tier perks and win-back nudges through the core, on SQLite and PostgreSQL, with a
controllable clock driving the scheduler: the local day in a non-UTC zone, payments once across restarts,
refusals that write nothing, the rolling tier rule's warning then downgrade, and nudges only for quiet
members, once per period, never after an opt-out."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select, text

from bot import ugc_export
from bot.scheduler import Scheduler
from handlers.campaigns import winback
from handlers.config_model import Program, Settings
from handlers.context import MemberRef
from handlers.core import Core
from handlers.engagement import IncomingMessage
from handlers.replies import Button, TierChanged
from storage.database import Database
from storage.member_campaigns import CampaignSend, HeldTier, MemberBirthday, WinbackNudge, WinbackOptOut
from storage.models import KeyValue, LedgerEntry, Reason
from storage.ugc import UgcSubmission
from storage.verify import verify
from tests.conftest import T0, ctx, settings_for_tests

DAY = timedelta(days=1)
TIERS = (
    {"name": "Bronze", "min_points": 0},
    {"name": "Silver", "min_points": 500, "monthly_bonus": 25},
    {"name": "Gold", "min_points": 2000, "monthly_bonus": 100},
)


def config(**program: Any) -> Settings:
    base = settings_for_tests(max_adjustment=100_000)
    chosen = Program.model_validate({**base.programs[0].model_dump(), **program})
    return Settings.model_validate({**base.model_dump(), "programs": (chosen.model_dump(),)})


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Outlet:
    notified: list[tuple[str, str, tuple[Button, ...], str | None]] = field(default_factory=list)
    announced: list[str] = field(default_factory=list)
    synced: list[TierChanged] = field(default_factory=list)

    async def announce(self, community_id: str, text: str, buttons: tuple[Button, ...] = ()) -> None:
        self.announced.append(text)

    async def notify(
        self, user_id: str, text: str, buttons: tuple[Button, ...] = (), program_id: str | None = None
    ) -> bool:
        self.notified.append((user_id, text, buttons, program_id))
        return True

    async def sync_tier(self, event: TierChanged) -> None:
        self.synced.append(event)


async def boot(db: Database, settings: Settings, now: datetime = T0) -> tuple[Core, Outlet, Scheduler, Clock]:
    core = Core(settings, db)
    await core.start()
    outlet = Outlet()
    core.attach_outlet("discord", outlet)
    clock = Clock(now)
    scheduler = Scheduler(clock)
    scheduler.serve(core)
    return core, outlet, scheduler, clock


async def rows(db: Database, model: Any) -> list[Any]:
    async with db.unit_of_work() as s:
        return list(await s.scalars(select(model).order_by(*model.__table__.primary_key.columns)))


async def entries(db: Database, reason: Reason) -> list[tuple[str, int]]:
    return [(e.idempotency_key, e.delta) for e in await rows(db, LedgerEntry) if e.reason == reason]


async def ledger_ok(db: Database) -> None:
    async with db.unit_of_work() as s:
        checks = await verify(s)
    assert checks and all(c.ok for c in checks)


async def give(core: Core, user: str, amount: int, now: datetime) -> None:
    mod = ctx(core, "99", moderator=True, event=f"give-{user}-{amount}-{now.isoformat()}", now=now)
    reply = await core.command(
        mod,
        "award",
        {
            "member": MemberRef("discord", user, display_name=f"user{user}", verified=True),
            "amount": str(amount),
            "reason": "test points",
        },
    )
    assert reply.ok, reply.text


async def birthday(core: Core, user: str, value: str | None, now: datetime = T0, event: str = "b") -> Any:
    return await core.command(
        ctx(core, user, now=now, event=f"{event}-{user}-{now.isoformat()}"), "birthday", {"date": value}
    )


def texts(outlet: Outlet) -> list[tuple[str, str]]:
    return [(user, body) for user, body, _, _ in outlet.notified]


# ---- birthdays: the command ---------------------------------------------------------------------

BIRTHDAYS = {"birthdays": {"enabled": True, "bonus": 100}}


async def footprint(db: Database) -> tuple[Any, ...]:
    async with db.unit_of_work() as s:
        return tuple(
            (
                await s.execute(
                    text(
                        "SELECT (SELECT count(*) FROM member_birthdays), (SELECT count(*) FROM members), "
                        "(SELECT count(*) FROM engagement_state), (SELECT count(*) FROM ledger_entries)"
                    )
                )
            ).one()
        ) + tuple((b.month, b.day, b.set_at) for b in await s.scalars(select(MemberBirthday)))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("02-30", "02-30: that month has no such day; it has at most 29 days."),
        ("04-31", "04-31: that month has no such day; it has at most 30 days."),
        ("13-01", "13-01: there is no such month; months go from 01 to 12."),
        ("00-10", "00-10: there is no such month"),
        ("garbage", "'garbage' is not a date: type your birthday as MM-DD, e.g. 07-21."),
        ("2026-07-21", "'2026-07-21' is not a date"),
        ("\u0660\u0667-21", "is not a date"),
    ],
)
async def test_invalid_birthdays_are_refused_specifically_and_write_nothing(
    db: Database, value: str, message: str
) -> None:
    core, *_ = await boot(db, config(**BIRTHDAYS))
    before = await footprint(db)
    reply = await birthday(core, "1", value)
    assert not reply.ok and message in reply.text
    assert await footprint(db) == before


async def test_birthday_is_set_once_and_changed_at_most_once_a_year(db: Database) -> None:
    core, *_ = await boot(db, config(**BIRTHDAYS))
    assert (await birthday(core, "1", None)).text.startswith("You have not set a birthday yet")
    reply = await birthday(core, "1", "07-21")
    assert (
        reply.ok and reply.private and "set to 07-21" in reply.text and "next from 2027-03-02" in reply.text
    )
    assert (
        await birthday(core, "1", "07-21", T0 + DAY)
    ).text == "Your birthday is already 07-21; nothing changed."
    before = await footprint(db)
    refused = await birthday(core, "1", "08-01", T0 + 364 * DAY)
    assert not refused.ok and refused.text == (
        "Your birthday is 07-21, set on 2026-03-02; it can be changed once a year, next from 2027-03-02."
    )
    assert await footprint(db) == before
    assert (await birthday(core, "1", "08-01", T0 + 365 * DAY)).ok
    assert [(b.month, b.day) for b in await rows(db, MemberBirthday)] == [(8, 1)]
    assert not (await birthday(core, "1", "09-01", T0 + 400 * DAY)).ok
    shown = await birthday(core, "1", "")
    assert shown.text == "Your birthday is 08-01; it can be changed from 2028-03-01."


async def test_birthday_command_refused_where_the_campaign_is_off(db: Database) -> None:
    core, *_ = await boot(db, config())
    reply = await birthday(core, "1", "07-21")
    assert not reply.ok and reply.text == "This program has no birthday campaign."
    assert await rows(db, MemberBirthday) == []


# ---- birthdays: the day -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "greeted_at"),
    [
        ("Asia/Shanghai", datetime(2026, 3, 14, 16, 0, 30)),  # 00:00:30 on 03-15 in Shanghai
        ("UTC", datetime(2026, 3, 15, 0, 0, 30)),
    ],
)
async def test_birthday_is_celebrated_on_the_local_day(db: Database, zone: str, greeted_at: datetime) -> None:
    core, outlet, scheduler, clock = await boot(db, config(timezone=zone, **BIRTHDAYS))
    assert (await birthday(core, "1", "03-15")).ok
    assert (await birthday(core, "2", "03-16")).ok
    for moment in (T0, datetime(2026, 3, 14, 15, 59), greeted_at - timedelta(minutes=1)):
        clock.now = moment
        await scheduler.run_due()
    assert outlet.notified == [] and await entries(db, Reason.BIRTHDAY_BONUS) == []
    clock.now = greeted_at
    await scheduler.run_due()
    assert texts(outlet) == [
        (
            "1",
            (
                "Happy birthday, user1! Everyone at Acme wishes you a wonderful day.\n"
                "Our gift: 100 points are in your account.\n"
                "Share your birthday story with the community: /submit #birthday and your story "
                "(a photo too), or post it with #birthday."
            ),
        )
    ]
    (member,) = {b.member_id for b in await rows(db, MemberBirthday) if b.day == 15}
    assert await entries(db, Reason.BIRTHDAY_BONUS) == [(f"birthday:acme:{member}:2026", 100)]
    assert (
        scheduler.armed()["timed:birthdays:acme"]
        == greeted_at.replace(hour=greeted_at.hour, minute=0, second=0) + DAY
    )
    await ledger_ok(db)


async def test_birthday_bonus_once_a_year_across_restarts_and_a_crash_before_the_mark(db: Database) -> None:
    settings = config(timezone="Asia/Shanghai", **BIRTHDAYS)
    core, outlet, scheduler, clock = await boot(db, settings)
    assert (await birthday(core, "1", "03-15")).ok
    clock.now = datetime(2026, 3, 14, 16, 5)
    await scheduler.run_due()
    assert len(outlet.notified) == 1
    _, outlet2, scheduler2, _ = await boot(db, settings, datetime(2026, 3, 15, 3, 0))
    assert await scheduler2.run_due() == 0
    async with db.unit_of_work() as s:  # a crash after the payment, before the day was marked done
        await s.execute(delete(KeyValue).where(KeyValue.key == "birthdays:done:acme"))
    assert await scheduler2.run_due() == 1
    assert outlet2.notified == [] and len(await entries(db, Reason.BIRTHDAY_BONUS)) == 1
    assert [(s.kind, s.period, s.amount) for s in await rows(db, CampaignSend)] == [("birthday", "2026", 100)]
    scheduler2.clock = Clock(datetime(2027, 3, 14, 16, 5))
    await scheduler2.run_due()
    (member,) = {b.member_id for b in await rows(db, MemberBirthday)}
    assert [k for k, _ in await entries(db, Reason.BIRTHDAY_BONUS)] == [
        f"birthday:acme:{member}:2026",
        f"birthday:acme:{member}:2027",
    ]
    assert len(outlet2.notified) == 1
    await ledger_ok(db)


async def test_leap_day_birthdays_are_celebrated_on_february_28_in_other_years(db: Database) -> None:
    core, outlet, scheduler, clock = await boot(db, config(**BIRTHDAYS))
    reply = await birthday(core, "1", "02-29")
    assert reply.ok and "In years without 29 February we celebrate you on 28 February." in reply.text
    for moment in (datetime(2027, 2, 27, 0, 5), datetime(2027, 2, 28, 0, 5), datetime(2027, 3, 1, 0, 5)):
        clock.now = moment
        await scheduler.run_due()
        assert len(outlet.notified) == (0 if moment.day == 27 else 1)
    assert [s.detail for s in await rows(db, CampaignSend)] == ["2027-02-28"]


async def test_missed_days_are_caught_up_after_downtime(db: Database) -> None:
    core, outlet, scheduler, clock = await boot(db, config(**BIRTHDAYS))
    assert (await birthday(core, "1", "03-05")).ok
    await scheduler.run_due()
    clock.now = datetime(2026, 3, 7, 9, 0)  # down over 03-05
    await scheduler.run_due()
    assert [s.detail for s in await rows(db, CampaignSend)] == ["2026-03-05"] and len(outlet.notified) == 1


async def test_group_greeting_goes_to_the_communities(db: Database) -> None:
    core, outlet, scheduler, clock = await boot(
        db, config(birthdays={"enabled": True, "bonus": 0, "where": "group"})
    )
    assert (await birthday(core, "1", "03-03")).ok
    clock.now = datetime(2026, 3, 3, 0, 5)
    await scheduler.run_due()
    assert outlet.notified == [] and outlet.announced == [
        (
            "Happy birthday, user1! Everyone at Acme wishes you a wonderful day.\nShare your birthday story with the "
            "community: /submit #birthday and your story (a photo too), or post it with #birthday."
        )
    ]
    assert await entries(db, Reason.BIRTHDAY_BONUS) == []


async def test_birthday_stories_are_tagged_to_the_campaign_in_review_and_export(
    db: Database, tmp_path: Path
) -> None:
    core, *_ = await boot(db, config(**BIRTHDAYS))
    assert (await core.action(ctx(core, "1", event="c1"), "ugc.consent")).ok
    tagged = await core.command(
        ctx(core, "1", event="s1"), "submit", {"text": "My party was great #Birthday"}
    )
    plain = await core.command(
        ctx(core, "1", event="s2", now=T0 + timedelta(minutes=5)),
        "submit",
        {"text": "A photo of our team lunch"},
    )
    assert tagged.ok and plain.ok
    assert [(s.text, s.campaign) for s in await rows(db, UgcSubmission)] == [
        ("My party was great #Birthday", "birthday"),
        ("A photo of our team lunch", None),
    ]
    queue = await core.command(ctx(core, "99", moderator=True, event="q"), "ugc queue", {})
    first, second = queue.text.splitlines()[1:3]
    assert first.endswith("campaign birthday") and "campaign" not in second
    assert core.ugc_wanted(core.settings.programs[0], "555", "cake! #birthday")
    async with db.unit_of_work() as s:
        exported = await ugc_export.collect(s, "acme", ugc_export.STATUSES)
    assert [row["campaign"] for row in exported] == ["birthday", None]
    ugc_export.write(exported, "csv", tmp_path / "out.csv")
    assert "campaign" in (tmp_path / "out.csv").read_text(encoding="utf-8-sig").splitlines()[0].split(",")


# ---- tier perks ---------------------------------------------------------------------------------


async def test_monthly_bonus_is_paid_once_a_month_per_member_of_the_tier(db: Database) -> None:
    settings = config(tiers=TIERS)
    core, outlet, scheduler, clock = await boot(db, settings)
    await give(core, "1", 600, T0)  # Silver
    await give(core, "2", 2500, T0)  # Gold
    await give(core, "3", 100, T0)  # Bronze: no bonus
    clock.now = T0 + timedelta(hours=1)
    await scheduler.run_due()
    await scheduler.run_due()
    _, outlet2, scheduler2, clock2 = await boot(db, settings, T0 + 10 * DAY)
    await scheduler2.run_due()
    paid = sorted(await entries(db, Reason.TIER_BONUS), key=lambda e: e[1])
    assert [(k.rsplit(":", 1)[1], amount) for k, amount in paid] == [("2026-03", 25), ("2026-03", 100)]
    assert sorted(body for _, body in texts(outlet)) == [
        "Your Gold monthly bonus in Acme for 2026-03: 100 points.",
        "Your Silver monthly bonus in Acme for 2026-03: 25 points.",
    ]
    assert scheduler2.armed() == {"timed:tier_perks:month:acme": datetime(2026, 4, 1)}
    clock2.now = datetime(2026, 4, 1, 0, 1)
    await scheduler2.run_due()
    await scheduler2.run_due()
    assert len(await entries(db, Reason.TIER_BONUS)) == 4 and len(outlet2.notified) == 2
    await ledger_ok(db)


async def test_moving_up_a_tier_is_announced_where_configured(db: Database) -> None:
    core, outlet, *_ = await boot(db, config(tier_announcements=True))
    await give(core, "1", 400, T0)
    await give(core, "1", 200, T0 + DAY)
    assert outlet.announced == ["user1 reached Silver in Acme. Congratulations!"]  # the Discord community
    quiet, outlet2, *_ = await boot(db, config())
    await give(quiet, "2", 600, T0)
    assert outlet2.announced == []


async def test_rolling_rule_warns_before_the_review_then_downgrades_and_syncs_roles(db: Database) -> None:
    settings = config(tiers=TIERS, tier_rule="rolling_12_months", tier_warning_days=7)
    core, outlet, scheduler, clock = await boot(db, settings)
    await give(core, "1", 600, T0)  # Silver, earned 2026-03-02
    await give(core, "2", 600, T0)
    clock.now = T0 + timedelta(hours=1)
    await scheduler.run_due()  # March: both Silver
    clock.now = datetime(2027, 3, 1, 0, 5)
    await scheduler.run_due()  # March 2027 review: 600 earned since 2026-03-01
    clock.now = datetime(2027, 3, 24, 12)
    assert await scheduler.run_due() == 0
    assert [body for _, body in texts(outlet) if "reviewed" in body] == []
    outlet.notified.clear()
    await give(core, "2", 300, datetime(2027, 3, 24, 13))
    clock.now = datetime(2027, 3, 25, 0, 5)
    await scheduler.run_due()
    warning = (
        "Your Silver tier in Acme is reviewed on 2027-04-01. Over the 12 months before then you have {} "
        "of the 500 points it needs so far: earn {} more by then to keep it."
    )
    assert sorted(texts(outlet)) == [("1", warning.format(0, 500)), ("2", warning.format(300, 200))]
    await give(core, "2", 250, datetime(2027, 3, 28, 10))
    outlet.notified.clear()
    clock.now = datetime(2027, 4, 1, 0, 5)
    await scheduler.run_due()
    await scheduler.run_due()
    (held,) = await rows(db, HeldTier)
    assert held.tier == "Bronze"
    assert [(e.old_tier, e.new_tier, e.accounts) for e in outlet.synced] == [
        ("Silver", "Bronze", (("discord", "1"),))
    ]
    assert (
        "1",
        (
            "Your tier in Acme is now Bronze: 0 points over the last 12 months, Silver needs 500. Earn them "
            "back and the next monthly review lifts you again."
        ),
    ) in texts(outlet)
    assert [b for _, b in texts(outlet) if "Silver monthly bonus" in b] == [
        "Your Silver monthly bonus in Acme for 2027-04: 25 points."
    ]  # member 2 kept Silver
    await give(core, "1", 500, datetime(2027, 4, 10))
    outlet.synced.clear()
    clock.now = datetime(2027, 5, 1, 0, 5)
    await scheduler.run_due()
    assert [(e.old_tier, e.new_tier) for e in outlet.synced] == [("Bronze", "Silver")]
    assert await rows(db, HeldTier) == []
    await ledger_ok(db)


async def test_a_downgrade_never_comes_without_a_warning(db: Database) -> None:
    settings = config(tiers=TIERS, tier_rule="rolling_12_months", tier_warning_days=7)
    core, outlet, scheduler, clock = await boot(db, settings, datetime(2027, 4, 1, 0, 5))
    await give(core, "1", 600, T0)
    await scheduler.run_due()  # first review: below the tier, never warned: warned now, for May
    assert await rows(db, HeldTier) == [] and outlet.synced == []
    assert [s.period for s in await rows(db, CampaignSend) if s.kind == "tier_warning"] == ["2027-05"]
    clock.now = datetime(2027, 5, 1, 0, 5)
    await scheduler.run_due()
    assert [e.new_tier for e in outlet.synced] == ["Bronze"]


# ---- win-back -----------------------------------------------------------------------------------

WINBACK = {
    "winback": {
        "enabled": True,
        "factor": 3,
        "min_history_messages": 6,
        "period_days": 30,
        "bonus": 40,
        "return_within_days": 5,
        "churn_threshold": None,
    }
}


async def say(core: Core, user: str, at: datetime) -> None:
    member = replace(ctx(core, user, now=at, event=f"m-{user}-{at.isoformat()}"), channel_id="700")
    await core.message(member, IncomingMessage(f"m-{user}-{at.isoformat()}", f"message from {user} at {at}"))


async def history(core: Core) -> None:
    """Member 1 posts daily from 03-02 to 03-13, member 2 daily to 03-31, member 3 only three times,
    member 4 every 5 days from 03-02 to 03-22."""
    for day in range(12):
        await say(core, "1", T0 + day * DAY)
    for day in range(30):
        await say(core, "2", T0 + day * DAY)
    for day in range(3):
        await say(core, "3", T0 + day * DAY)
    for day in range(0, 21, 5):
        await say(core, "4", T0 + day * DAY)
        await say(core, "4", T0 + day * DAY + timedelta(hours=2))


async def days(scheduler: Scheduler, clock: Clock, first: int, last: int) -> None:
    for day in range(first, last + 1):
        clock.now = datetime(2026, 3, 1, 0, 5) + day * DAY
        await scheduler.run_due()


async def test_winback_nudges_only_quiet_members_once_per_period(db: Database) -> None:
    core, outlet, scheduler, clock = await boot(db, config(**WINBACK))
    await history(core)
    await days(scheduler, clock, 1, 15)
    assert outlet.notified == []  # member 1's last day 03-13: quiet on 03-17 (more than 3 usual gaps)
    await days(scheduler, clock, 16, 16)
    (only,) = outlet.notified
    assert only[0] == "1" and only[3] == "acme" and only[2] == (Button("Stop these messages", "winback_off"),)
    assert only[1] == (
        "Hi user1, we miss you at Acme! It has been 4 days since we last saw you.\n"
        "Come back within 5 days and earn points from a message: we add 40 bonus points.\n"
        "Don't want these messages? Press the button below."
    )
    await days(scheduler, clock, 17, 33)
    assert [n[0] for n in outlet.notified] == ["1"]  # member 2 posted until 03-31, member 3 too little
    await days(scheduler, clock, 34, 40)
    assert [n[0] for n in outlet.notified] == ["1", "2", "4"]  # 4: last 03-22, usual gap 5 days: after 15
    first, _, third = await rows(db, WinbackNudge)
    assert (first.usual_gap_days, first.quiet_days, first.status) == (1.0, 4, "expired")
    assert (third.usual_gap_days, third.quiet_days) == (5.0, 16)
    await days(scheduler, clock, 41, 47)
    assert [n[0] for n in outlet.notified] == ["1", "2", "4", "1"]  # member 1 again after the 30-day period
    await ledger_ok(db)


async def test_opt_out_is_respected_until_opting_in_again(db: Database) -> None:
    core, outlet, scheduler, clock = await boot(db, config(**WINBACK))
    await history(core)
    await days(scheduler, clock, 1, 16)
    (nudge,) = outlet.notified
    pressed = await core.action(ctx(core, "1", event="press", now=clock.now), nudge[2][0].action)
    assert (
        pressed.ok
        and pressed.private
        and pressed.text.startswith("You will get no more we-miss-you messages")
    )
    assert len(await rows(db, WinbackOptOut)) == 1
    assert (
        await core.command(ctx(core, "1", event="off2"), "winback", {"choice": "off"})
    ).text == "We-miss-you messages from Acme are already off."
    await days(scheduler, clock, 17, 80)
    assert [n[0] for n in outlet.notified] == ["1", "2", "4", "2", "4"]
    bad = await core.command(ctx(core, "1", event="bad"), "winback", {"choice": "maybe"})
    assert not bad.ok and bad.text == "/winback takes on or off, got 'maybe'."
    back = await core.command(ctx(core, "1", event="on", now=clock.now), "winback", {"choice": "on"})
    assert back.ok and back.text == "We-miss-you messages from Acme are on again."
    await days(scheduler, clock, 81, 81)
    assert [n[0] for n in outlet.notified] == ["1", "2", "4", "2", "4", "1"]


async def test_coming_back_within_the_window_pays_the_bonus_once(db: Database) -> None:
    core, outlet, scheduler, clock = await boot(db, config(**WINBACK))
    await history(core)
    await days(scheduler, clock, 1, 16)
    await say(core, "1", datetime(2026, 3, 19, 10))
    await days(scheduler, clock, 18, 19)
    _, outlet2, scheduler2, clock2 = await boot(db, config(**WINBACK), datetime(2026, 3, 20, 0, 5))
    await scheduler2.run_due()
    await days(scheduler2, clock2, 19, 25)
    (nudge, *_) = await rows(db, WinbackNudge)
    assert nudge.status == "returned"
    assert await entries(db, Reason.WINBACK_RETURN) == [(f"winback:acme:{nudge.id}", 40)]
    assert ("1", "Welcome back to Acme! Your 40 bonus points are in your account.") in texts(outlet)
    assert outlet2.notified == []
    await ledger_ok(db)


def test_usual_gap_is_the_median_between_active_days() -> None:
    d = T0.date()
    assert winback.usual_gap([d, d + DAY, d + 2 * DAY, d + 9 * DAY]) == 1.0
    assert winback.usual_gap([d, d]) is None
    assert winback.quiet_by_gap([d, d + 2 * DAY, d + 4 * DAY], d + 10 * DAY, 3) is None
    assert winback.quiet_by_gap([d, d + 2 * DAY, d + 4 * DAY], d + 11 * DAY, 3) == (2.0, 7)


async def test_nothing_is_scheduled_where_the_campaigns_are_off(db: Database) -> None:
    core, outlet, scheduler, clock = await boot(db, config())
    await history(core)
    await days(scheduler, clock, 1, 40)
    assert scheduler.armed() == {} and outlet.notified == []
    async with db.unit_of_work() as s:
        assert await s.scalar(select(func.count()).select_from(WinbackNudge)) == 0
