"""Spike alerts on SQLite and PostgreSQL, driven by a controllable clock through the scheduler: a spike alerts
once however many checks see it and sends one recovery notice, a restart mid-incident does not alert again,
a low-volume or new channel never alerts, and each notice goes only to the moderators' channel of the
community the channel belongs to. The z-score rule itself is tested on plain numbers."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from bot.scheduler import Scheduler
from handlers.alerts import digest as alerts_digest
from handlers.alerts import stats
from handlers.config_model import AlertSettings, Community, Program, Settings
from handlers.core import Core
from handlers.digest.model import Period
from handlers.replies import Attachment, Button
from storage.alerts import NEGATIVE, VOLUME, AlertIncident, Bucket
from storage.database import Database
from storage.models import Identity, Member, Message
from tests.conftest import T0, settings_for_tests

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
# The spikes below happen in the hour after NOW; the baseline is the 48 hours before it.
NOW = T0 + 48 * HOUR
ALERTS = {"enabled": True, "check_minutes": 5, "baseline_hours": 48, "min_baseline_hours": 24, "negative_z": 3.0,
          "volume_z": 3.0, "min_messages": 20}


def config(locale: str = "en", **alerts: Any) -> Settings:
    base = settings_for_tests()
    program = Program.model_validate({
        **base.programs[0].model_dump(), "locale": locale, "alerts": {**ALERTS, **alerts},
        "communities": ({"platform": "discord", "id": "111", "name": "Acme Discord", "alert_channel": "555"},
                        {"platform": "telegram", "id": "-100222", "name": "Acme Telegram"})})
    return Settings.model_validate({**base.model_dump(), "programs": (program.model_dump(),)})


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Outlet:
    """Records what the core delivers: (community, channel, text)."""

    delivered: list[tuple[str, str | None, str]] = field(default_factory=list)

    async def announce(self, community_id: str, text: str, buttons: tuple[Button, ...] = ()) -> None:
        pass

    async def notify(self, user_id: str, text: str) -> bool:
        return True

    async def deliver(self, community_id: str, channel_id: str | None, text: str,
                      attachments: tuple[Attachment, ...] = ()) -> None:
        self.delivered.append((community_id, channel_id, text))


@dataclass
class Bot:
    core: Core
    scheduler: Scheduler
    clock: Clock
    discord: Outlet
    telegram: Outlet

    def alerts(self, kind: str = "") -> list[str]:
        return [t for _, _, t in self.discord.delivered + self.telegram.delivered if t.startswith("⚠️") and kind in t]

    def recoveries(self) -> list[str]:
        return [t for _, _, t in self.discord.delivered + self.telegram.delivered if t.startswith("✅")]

    async def checks(self, start: datetime, end: datetime, every: timedelta = 5 * MINUTE) -> None:
        """Let the clock run from ``start`` to ``end``, the scheduler running what is due at each step."""
        self.clock.now = start
        while self.clock.now <= end:
            await self.scheduler.run_due()
            self.clock.now += every


async def boot(db: Database, settings: Settings | None = None, at: datetime = NOW) -> Bot:
    core = Core(settings or config(), db)
    await core.start()
    discord, telegram = Outlet(), Outlet()
    core.attach_outlet("discord", discord)
    core.attach_outlet("telegram", telegram)
    clock = Clock(at)
    scheduler = Scheduler(clock)
    scheduler.serve(core)
    return Bot(core, scheduler, clock, discord, telegram)


_ids = itertools.count(1)


async def members(db: Database, count: int) -> list[int]:
    async with db.unit_of_work() as s:
        made = []
        for n in range(count):
            member = Member(created_at=T0)
            s.add(member)
            await s.flush()
            s.add(Identity(platform="discord", platform_user_id=f"u{member.id}", display_name=f"member{n}",
                           member_id=member.id))
            made.append(member.id)
        return made


def message(author: int, at: datetime, label: str, text: str = "", channel: str = "c1", platform: str = "discord",
            community: str = "111") -> dict[str, Any]:
    p_negative = {"negative": 0.9, "neutral": 0.1, "positive": 0.05}[label]
    n = next(_ids)
    return {"program_id": "acme", "platform": platform, "community_id": community, "channel_id": channel,
            "platform_message_id": f"m{n}", "member_id": author, "text": text or f"{label} message {n}",
            "text_hash": f"h{n}", "created_at": at, "points": 0, "sentiment_status": "scored",
            "sentiment_label": label, "p_negative": p_negative, "p_neutral": 0.05, "p_positive": 0.05,
            "language": "en"}


async def store(db: Database, rows: list[dict[str, Any]]) -> None:
    async with db.unit_of_work() as s:
        await s.execute(insert(Message), rows)


def steady(authors: list[int], start: datetime, end: datetime, per_hour: int, negative_every: int = 10,
           **where: str) -> list[dict[str, Any]]:
    """``per_hour`` messages an hour, evenly spaced, one in ``negative_every`` negative."""
    step = HOUR / per_hour
    rows, at, n = [], start, 0
    while at < end:
        rows.append(message(authors[n % len(authors)], at, "negative" if n % negative_every == 0 else "neutral",
                            **where))
        at += step
        n += 1
    return rows


def burst(authors: list[int], start: datetime, count: int, label: str, span: timedelta = 20 * MINUTE,
          **where: str) -> list[dict[str, Any]]:
    step = span / count
    return [message(authors[n % len(authors)], start + n * step, label, f"burst {label} {n}", **where)
            for n in range(count)]


async def incidents(db: Database) -> list[AlertIncident]:
    async with db.unit_of_work() as s:
        return list(await s.scalars(select(AlertIncident).order_by(AlertIncident.id)))


@pytest.fixture
async def negative_spike(db: Database) -> list[int]:
    """Channel c1: 20 messages an hour, 10 % negative, from NOW - 48 h to NOW + 3 h; 15 extra negative
    messages between NOW + 5 min and NOW + 25 min."""
    authors = await members(db, 20)
    await store(db, steady(authors, NOW - 48 * HOUR, NOW + 3 * HOUR, 20)
                + burst(authors, NOW + 5 * MINUTE, 15, "negative"))
    return authors


async def test_a_negative_spike_alerts_once_then_recovers_once(db: Database, negative_spike: list[int]) -> None:
    bot = await boot(db, config(volume_z=8.0))
    await bot.checks(NOW, NOW + 3 * HOUR)
    (alert,) = bot.alerts()
    (recovery,) = bot.recoveries()
    assert "Negative spike in <#c1>" in alert and "usually 10%" in alert
    assert alert.count("• member") == 3 and "burst negative" in alert  # the three most negative samples
    assert "<#c1>" in recovery
    (incident,) = await incidents(db)
    assert incident.kind == NEGATIVE and incident.open_key is None and incident.closed_at is not None
    assert NOW + 5 * MINUTE < incident.opened_at <= NOW + 25 * MINUTE
    assert incident.closed_at <= NOW + 25 * MINUTE + HOUR + 5 * MINUTE  # subsided once the burst left the hour
    assert incident.z >= 3 and incident.messages >= 20 and abs(incident.mean - 0.1) < 0.01
    # Discord community 111 names alert channel 555; the Telegram community heard nothing.
    assert {(c, ch) for c, ch, _ in bot.discord.delivered} == {("111", "555")} and bot.telegram.delivered == []


async def test_a_restart_mid_incident_does_not_alert_again(db: Database, negative_spike: list[int]) -> None:
    first = await boot(db, config(volume_z=8.0))
    await first.checks(NOW, NOW + 40 * MINUTE)
    assert len(first.alerts()) == 1 and first.recoveries() == []
    second = await boot(db, config(volume_z=8.0), at=NOW + 45 * MINUTE)  # a new process: state is in the DB
    await second.checks(NOW + 45 * MINUTE, NOW + 3 * HOUR)
    assert second.alerts() == [] and len(second.recoveries()) == 1
    assert len(await incidents(db)) == 1


async def test_a_double_fire_checks_once(db: Database, negative_spike: list[int]) -> None:
    bot = await boot(db, config(volume_z=8.0))
    other = await boot(db, config(volume_z=8.0), at=NOW + 30 * MINUTE)
    sources = [next(j for j in b.core.timed_jobs if j.name == "alerts") for b in (bot, other, bot)]
    for source in sources:
        await source.fire("acme", NOW + 30 * MINUTE)
    assert len(bot.alerts()) + len(other.alerts()) == 1


async def test_a_volume_spike_alerts_with_the_latest_messages(db: Database) -> None:
    authors = await members(db, 20)
    await store(db, steady(authors, NOW - 60 * HOUR, NOW + 2 * HOUR, 20, negative_every=1000)
                + burst(authors, NOW + 10 * MINUTE, 80, "positive", span=10 * MINUTE))
    bot = await boot(db)
    await bot.checks(NOW, NOW + 2 * HOUR)
    (alert,) = bot.alerts()
    assert "Message spike in <#c1>" in alert and "usually 20.0 an hour" in alert
    assert "Latest messages:" in alert and alert.count("• member") == 3
    assert bot.alerts("Negative") == [] and len(bot.recoveries()) == 1
    (incident,) = await incidents(db)
    assert incident.kind == VOLUME and incident.messages >= 40 and incident.mean == pytest.approx(20.0)


async def test_an_incident_whose_channel_left_the_window_recovers_with_the_usual_level(
        db: Database, negative_spike: list[int]) -> None:
    bot = await boot(db, config(volume_z=8.0, baseline_hours=30))
    await bot.checks(NOW, NOW + 30 * MINUTE)
    assert len(bot.alerts()) == 1
    await bot.checks(NOW + 40 * HOUR, NOW + 40 * HOUR)  # down for 40 hours: nothing of c1 in the window
    (recovery,) = bot.recoveries()
    assert "0% negative in the last hour; usually 10%" in recovery


async def test_a_low_volume_channel_never_alerts(db: Database) -> None:
    authors = await members(db, 5)
    # Two messages an hour; then ten, all negative: far above the baseline, but under min_messages.
    await store(db, steady(authors, NOW - 48 * HOUR, NOW + 2 * HOUR, 2, negative_every=2, channel="quiet")
                + burst(authors, NOW + 5 * MINUTE, 10, "negative", channel="quiet"))
    bot = await boot(db)
    await bot.checks(NOW, NOW + 2 * HOUR)
    assert bot.discord.delivered == [] and await incidents(db) == []


async def test_a_new_channel_is_not_tested_until_it_has_a_baseline(db: Database) -> None:
    authors = await members(db, 20)
    await store(db, steady(authors, NOW - 5 * HOUR, NOW + HOUR, 5, channel="new")
                + burst(authors, NOW + 5 * MINUTE, 60, "negative", channel="new"))
    bot = await boot(db)
    await bot.checks(NOW, NOW + HOUR)
    assert bot.discord.delivered == []


async def test_telegram_alerts_go_to_the_group_in_the_programs_language(db: Database) -> None:
    authors = await members(db, 20)
    where = {"platform": "telegram", "community": "-100222", "channel": "-100222"}
    await store(db, steady(authors, NOW - 48 * HOUR, NOW + 2 * HOUR, 20, **where)
                + burst(authors, NOW + 5 * MINUTE, 15, "negative", **where))
    bot = await boot(db, config(locale="zh-CN", volume_z=8.0))
    await bot.checks(NOW, NOW + 2 * HOUR)
    assert bot.discord.delivered == []
    (alert, recovery) = [(ch, t) for _, ch, t in bot.telegram.delivered]
    assert alert[0] is None and "频道 Acme Telegram 负面情绪激增" in alert[1] and "最负面的消息" in alert[1]
    assert "已平息" in recovery[1]


async def test_alerts_off_by_default_arm_nothing(db: Database, negative_spike: list[int]) -> None:
    bot = await boot(db, settings_for_tests())
    await bot.checks(NOW, NOW + HOUR)
    assert bot.scheduler.armed() == {} and await incidents(db) == []


async def test_the_digest_lists_the_incidents_of_the_period(db: Database, negative_spike: list[int]) -> None:
    bot = await boot(db, config(volume_z=8.0))
    await bot.checks(NOW, NOW + 3 * HOUR)
    program = bot.core.settings.programs[0]
    async with db.unit_of_work() as s:
        section = await alerts_digest.section(s, program, Period(NOW, NOW + 3 * HOUR, "UTC"), "en")
        before = await alerts_digest.section(s, program, Period(NOW - 3 * HOUR, NOW, "UTC"), "en")
        chinese = await alerts_digest.section(s, program, Period(NOW, NOW + HOUR, "Asia/Shanghai"), "zh-CN")
    assert before is None and section is not None and chinese is not None
    (row,) = section.rows
    (incident,) = await incidents(db)
    assert section.columns[0] == "Raised" and row[1] == "<#c1>" and row[2] == "negative share"
    assert row[0] == incident.opened_at.strftime("%Y-%m-%d %H:%M") and row[4] == "10%"
    assert row[6] == incident.closed_at.strftime("%Y-%m-%d %H:%M")
    assert "1 incident(s), 0 still open" in (section.headline or "")
    # Closed after that one-hour period: still open at its end; times in the period's zone (UTC+8).
    (zh,) = chinese.rows
    assert zh[6] == "仍未平息" and zh[0] == (incident.opened_at + 8 * HOUR).strftime("%Y-%m-%d %H:%M")


# ---- the rule on plain numbers ---------------------------------------------------------------------------


def hours(values: dict[int, tuple[int, int, int]]) -> dict[int, Bucket]:
    return {ago: Bucket("discord", "111", "c", ago, n, s, neg) for ago, (n, s, neg) in values.items()}


def test_the_std_floor_keeps_a_steady_baseline_from_turning_noise_into_a_spike() -> None:
    settings = AlertSettings(min_baseline_hours=3, negative_std_floor=0.05)
    steady_hours = {ago: (20, 20, 2) for ago in range(1, 5)}
    reading = stats.negative_share(hours({0: (20, 20, 3), **steady_hours}), settings)
    assert reading is not None and reading.std == 0.05 and reading.z == pytest.approx((0.15 - 0.1) / 0.05)
    assert not stats.raises(reading, settings)


def test_volume_counts_quiet_hours_as_zero_and_floors_std_at_poisson_noise() -> None:
    settings = AlertSettings(min_baseline_hours=4, volume_std_floor=1.0)
    reading = stats.volume(hours({0: (30, 30, 0), 1: (16, 16, 0), 4: (16, 16, 0)}), settings)
    assert reading is not None and reading.mean == 8.0  # hours 2 and 3 had no message
    assert reading.std == pytest.approx(8.0)  # pstdev(16, 0, 0, 16) = 8 > sqrt(8)
    assert stats.volume(hours({0: (30, 30, 0), 3: (16, 16, 0)}), settings) is None  # 3 hours of history < 4


def test_hysteresis_closes_only_under_half_the_threshold() -> None:
    settings = AlertSettings(negative_z=4.0, min_messages=20)
    hovering = stats.Reading(NEGATIVE, 0.3, 25, 0.1, 0.05, 3.0)
    assert not stats.raises(hovering, settings) and not stats.subsided(hovering, settings)
    assert stats.subsided(stats.Reading(NEGATIVE, 0.18, 25, 0.1, 0.05, 1.9), settings)
    assert stats.subsided(stats.Reading(NEGATIVE, 0.9, 9, 0.1, 0.05, 16.0), settings)  # under half the volume
    assert stats.raises(stats.Reading(NEGATIVE, 0.9, 20, 0.1, 0.05, 16.0), settings)
    assert stats.subsided(None, settings)


def test_config_refuses_a_minimum_baseline_longer_than_the_baseline() -> None:
    with pytest.raises(ValueError, match="min_baseline_hours"):
        AlertSettings(baseline_hours=24, min_baseline_hours=48)
    assert Community(platform="discord", id="1", alert_channel="42").alert_channel == "42"
