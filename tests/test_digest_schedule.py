"""Scheduled digests: the schedule's calendar in program time zones, and sending through the scheduler on
SQLite and PostgreSQL with a controllable clock: once when due, once at start-up after downtime, never
twice across restarts and two processes, only the latest after several missed periods.

The digest is built by the real ``handlers.digest.build``; the renderer is a stand-in that names the
period, so each test reads what was sent for which period (the real renderer is exercised through
the adapters in ``test_digest_delivery``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from bot.scheduler import Scheduler
from handlers.config_model import Community, DigestSchedule, Program, Settings
from handlers.core import Core
from handlers.digest import calendar
from handlers.digest.model import Digest, RenderedDigest
from handlers.digest.schedule import DigestTimers
from handlers.replies import Attachment, Button, TierChanged
from storage.database import Database
from storage.digests import FAILED, PENDING, SENT, SKIPPED, DigestRun
from tests.conftest import BACKENDS, backend_url, open_database, reset_schema

WEEKLY = DigestSchedule(kind="weekly", weekday="monday", at="09:00")
DAILY = DigestSchedule(kind="daily", at="09:00")
MONTHLY = DigestSchedule(kind="monthly", day=1, at="09:00")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- the calendar ---------------------------------------------------------------------------------------

def test_weekly_monday_nine_in_shanghai_is_one_utc_monday_morning() -> None:
    now = utc("2026-03-04 12:00")  # a Wednesday
    assert calendar.last_due(WEEKLY, "Asia/Shanghai", now) == utc("2026-03-02 01:00")
    assert calendar.next_due(WEEKLY, "Asia/Shanghai", now) == utc("2026-03-09 01:00")
    period = calendar.period_ending(WEEKLY, "Asia/Shanghai", utc("2026-03-09 01:00"))
    assert (period.start, period.end, period.timezone) == (utc("2026-03-02 01:00"), utc("2026-03-09 01:00"),
                                                           "Asia/Shanghai")
    # Exactly at the moment it is due, it is the last one due and the next is a week later.
    assert calendar.last_due(WEEKLY, "Asia/Shanghai", utc("2026-03-09 01:00")) == utc("2026-03-09 01:00")
    assert calendar.next_due(WEEKLY, "Asia/Shanghai", utc("2026-03-09 01:00")) == utc("2026-03-16 01:00")


def test_weekly_in_berlin_stays_at_nine_local_across_both_daylight_saving_changes() -> None:
    spring = calendar.period_ending(WEEKLY, "Europe/Berlin", utc("2026-03-30 07:00"))  # 09:00 CEST
    assert spring.start == utc("2026-03-23 08:00")  # 09:00 CET
    assert spring.end - spring.start == timedelta(hours=167)
    assert calendar.next_due(WEEKLY, "Europe/Berlin", utc("2026-03-23 08:00")) == utc("2026-03-30 07:00")
    autumn = calendar.period_ending(WEEKLY, "Europe/Berlin", utc("2026-10-26 08:00"))  # 09:00 CET
    assert autumn.start == utc("2026-10-19 07:00") and autumn.end - autumn.start == timedelta(hours=169)


def test_daily_and_monthly_periods_follow_the_local_calendar() -> None:
    short_day = calendar.period_ending(DAILY, "Europe/Berlin", utc("2026-03-29 07:00"))
    assert short_day.start == utc("2026-03-28 08:00")
    assert short_day.end - short_day.start == timedelta(hours=23)
    february = calendar.period_ending(MONTHLY, "Asia/Shanghai", utc("2026-03-01 01:00"))
    assert february.start == utc("2026-02-01 01:00") and february.end - february.start == timedelta(days=28)
    assert calendar.next_due(MONTHLY, "Asia/Shanghai", utc("2026-03-01 01:00")) == utc("2026-04-01 01:00")


@pytest.mark.parametrize(("schedule", "message"), [
    ({"kind": "weekly"}, "weekday is required for a weekly digest"),
    ({"kind": "daily", "weekday": "monday"}, "weekday is required for a weekly digest"),
    ({"kind": "monthly"}, "day is required for a monthly digest"),
    ({"kind": "monthly", "day": 31}, "less than or equal to 28"),
    ({"kind": "daily", "at": "9am"}, "24-hour time of day 'HH:MM'"),
    ({"kind": "hourly"}, "'daily', 'weekly' or 'monthly'"),
])
def test_bad_schedules_are_refused_saying_what_is_allowed(schedule: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Program(id="acme", name="Acme", digests=(schedule,))


def test_one_schedule_per_kind_and_discord_report_channels_have_no_minus() -> None:
    with pytest.raises(ValidationError, match="at most one digest of each kind"):
        Program(id="acme", name="Acme", digests=({"kind": "daily"}, {"kind": "daily", "at": "18:00"}))
    with pytest.raises(ValidationError, match="a Discord channel id has no '-'"):
        Community(platform="discord", id="1", report_channel="-100")
    assert Community(platform="telegram", id="-1001", report_channel="-1002").report_channel == "-1002"


# --- sending through the scheduler ----------------------------------------------------------------------

class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Outlet:
    """Records reports; ``refuse`` makes every delivery fail, as a platform that is down."""

    delivered: list[tuple[str, str | None, str, tuple[Attachment, ...]]] = field(default_factory=list)
    refuse: bool = False

    async def announce(self, community_id: str, text: str, buttons: tuple[Button, ...] = ()) -> None:
        raise AssertionError("digests are delivered, not announced")

    async def notify(self, user_id: str, text: str) -> bool:
        return True

    async def deliver(self, community_id: str, channel_id: str | None, text: str,
                      attachments: tuple[Attachment, ...] = ()) -> None:
        if self.refuse:
            raise ConnectionError("platform down")
        self.delivered.append((community_id, channel_id, text, attachments))

    async def sync_tier(self, event: TierChanged) -> None:
        pass


def stand_in(digest: Digest) -> RenderedDigest:
    """A renderer naming the period it was given (what the real one draws is tested elsewhere)."""
    period = f"{digest.period.start:%m-%d %H:%M}..{digest.period.end:%m-%d %H:%M}"
    report = Attachment("r.html", period.encode(), "text/html")
    return RenderedDigest(f"{digest.program_name} {period}", (report,))


SETTINGS = Settings(programs=(Program(
    id="acme", name="Acme", timezone="Asia/Shanghai", digests=(WEEKLY,),
    communities=(Community(platform="discord", id="111", report_channel="555"),
                 Community(platform="discord", id="112"))),))
START = utc("2026-03-04 12:00")  # Wednesday; due Monday 2026-03-09 01:00 UTC (09:00 in Shanghai)
DUE = utc("2026-03-09 01:00")


@dataclass
class Process:
    """One bot process over a shared database: its core, scheduler on a fake clock and outlet."""

    core: Core
    scheduler: Scheduler
    clock: Clock
    outlet: Outlet

    def sent(self) -> list[str]:
        return [text for _, _, text, _ in self.outlet.delivered]


async def boot(db: Database, now: datetime, settings: Settings = SETTINGS) -> Process:
    """A fresh process, started as ``engagebot run`` does: everything due runs at the first re-arm."""
    core = Core(settings, db)
    core.renderer = stand_in
    await core.start()
    clock, outlet = Clock(now), Outlet()
    core.attach_outlet("discord", outlet)
    (digests,) = [s for s in core.timed_jobs if isinstance(s, DigestTimers)]
    digests.clock = clock
    scheduler = Scheduler(clock)
    scheduler.serve(core)
    await scheduler.rearm()
    return Process(core, scheduler, clock, outlet)


async def advance(process: Process, moment: datetime) -> int:
    process.clock.now = moment
    return await process.scheduler.run_due()


async def runs(db: Database) -> list[tuple[str, datetime, str, int | None]]:
    async with db.unit_of_work() as session:
        rows = (await session.scalars(select(DigestRun).order_by(DigestRun.period_start))).all()
        return [(r.kind, r.period_end, r.status, r.delivered) for r in rows]


@pytest.fixture(params=BACKENDS)
async def shared(request: pytest.FixtureRequest, tmp_path: object) -> Database:
    database = open_database(backend_url(request.param, tmp_path))
    await reset_schema(database)
    yield database
    await database.dispose()


def second_database(shared: Database) -> Database:
    """Another engine over the same database, as a second process has."""
    return open_database(shared.engine.url.render_as_string(hide_password=False))


async def test_sent_once_when_due_to_each_report_channel_and_the_next_week_armed(shared: Database) -> None:
    bot = await boot(shared, START)
    assert bot.sent() == [] and await runs(shared) == [("weekly", DUE, PENDING, None)]
    assert bot.scheduler.armed()["timed:digests:1"] == DUE
    await advance(bot, DUE - timedelta(seconds=1))
    assert bot.sent() == []
    await advance(bot, DUE)
    assert bot.sent() == ["Acme 03-02 01:00..03-09 01:00"] * 2
    assert [(c, ch) for c, ch, _, _ in bot.outlet.delivered] == [("111", "555"), ("112", None)]
    assert bot.outlet.delivered[0][3] == (Attachment("r.html", b"03-02 01:00..03-09 01:00", "text/html"),)
    assert await runs(shared) == [("weekly", DUE, SENT, 2),
                                  ("weekly", DUE + timedelta(days=7), PENDING, None)]
    await advance(bot, DUE + timedelta(hours=1))
    assert len(bot.sent()) == 2


async def test_due_while_down_is_sent_once_at_start_and_never_again(shared: Database) -> None:
    await boot(shared, START)  # arms the digest, then the bot goes down
    down_until = DUE + timedelta(hours=5)
    after = await boot(shared, down_until)
    assert after.sent() == ["Acme 03-02 01:00..03-09 01:00"] * 2
    again = await boot(shared, down_until + timedelta(minutes=1))  # a restart
    other = await boot(second_database(shared), down_until + timedelta(minutes=2))
    (source,) = [s for s in after.core.timed_jobs if isinstance(s, DigestTimers)]
    await source.fire("1", down_until)  # a duplicate timer
    assert again.sent() == [] and other.sent() == [] and len(after.sent()) == 2
    assert [status for _, _, status, _ in await runs(shared)] == [SENT, PENDING]
    await other.core.db.dispose()


async def test_two_processes_at_the_due_moment_send_it_once(shared: Database) -> None:
    one = await boot(shared, START)
    two = await boot(second_database(shared), START)
    one.clock.now = two.clock.now = DUE
    await asyncio.gather(one.scheduler.run_due(), two.scheduler.run_due())
    assert len(one.sent()) + len(two.sent()) == 2  # one process, both communities
    assert {len(one.sent()), len(two.sent())} == {0, 2}
    await two.core.db.dispose()


async def test_several_missed_periods_send_only_the_latest_and_say_so(shared: Database) -> None:
    await boot(shared, START)
    back = DUE + timedelta(days=15)  # down through three Mondays
    after = await boot(shared, back)
    assert after.sent() == ["Acme 03-16 01:00..03-23 01:00"] * 2
    assert await runs(shared) == [("weekly", DUE, SKIPPED, None),
                                  ("weekly", utc("2026-03-23 01:00"), SENT, 2),
                                  ("weekly", utc("2026-03-30 01:00"), PENDING, None)]
    async with shared.unit_of_work() as session:
        skipped = await session.scalar(select(DigestRun).where(DigestRun.status == SKIPPED))
        assert skipped is not None and skipped.note is not None
        assert skipped.note.startswith("missed while the bot was down: only the latest digest")


async def test_a_changed_schedule_skips_the_old_plan_without_an_extra_digest(shared: Database) -> None:
    await boot(shared, START)  # planned for Monday 09:00
    later = SETTINGS.programs[0].model_copy(update={"digests": (WEEKLY.model_copy(update={"at": "10:00"}),)})
    bot = await boot(shared, START + timedelta(hours=1), Settings(programs=(later,)))
    await advance(bot, DUE + timedelta(minutes=30))
    assert bot.sent() == []
    await advance(bot, DUE + timedelta(hours=1))
    assert bot.sent() == ["Acme 03-02 02:00..03-09 02:00"] * 2
    assert [(end, status) for _, end, status, _ in await runs(shared)] == [
        (DUE, SKIPPED), (DUE + timedelta(hours=1), SENT), (DUE + timedelta(days=7, hours=1), PENDING)]


async def test_a_delivery_nobody_took_is_failed_and_not_retried(shared: Database) -> None:
    bot = await boot(shared, START)
    bot.outlet.refuse = True
    await advance(bot, DUE)
    bot.outlet.refuse = False
    await advance(bot, DUE + timedelta(minutes=5))
    assert bot.sent() == [] and (await runs(shared))[0] == ("weekly", DUE, FAILED, 0)


async def test_a_schedule_added_later_starts_with_the_next_period(shared: Database) -> None:
    plain = Settings(programs=(SETTINGS.programs[0].model_copy(update={"digests": ()}),))
    quiet = await boot(shared, START - timedelta(days=30), plain)
    assert await runs(shared) == [] and quiet.scheduler.armed() == {}
    bot = await boot(shared, START)
    assert bot.sent() == [] and await runs(shared) == [("weekly", DUE, PENDING, None)]
