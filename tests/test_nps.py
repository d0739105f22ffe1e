"""NPS surveys through the core, on SQLite and PostgreSQL: ``/nps`` and its 11 score buttons, a score
recorded once and completion paid once, refused presses that write nothing, the optional "why" scored by
the sentiment worker, scheduled rounds on a controllable clock (sent once, never again after a restart,
one round after downtime, a crashed round resumed without asking anyone twice), and the NPS arithmetic
of the digest section."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select

from bot.scheduler import Scheduler
from bot.sentiment_worker import SentimentWorker
from handlers.config_model import Program, Settings
from handlers.core import Core
from handlers.digest.model import Period
from handlers.engagement import IncomingMessage
from handlers.nps import digest as nps_digest
from handlers.nps.schedule import latest_slot, next_slot
from handlers.replies import Button, Reply
from sentiment.scoring import Scorer
from storage import nps
from storage.database import Database
from storage.models import LedgerEntry, Message, Reason
from storage.nps import NpsResponse, NpsSurvey
from storage.verify import verify
from tests.conftest import T0, ctx, settings_for_tests

DAY = timedelta(days=1)
MONDAY_10 = datetime(2026, 3, 9, 10, 0)  # T0 is Monday 2026-03-02 12:00 UTC; the first slot after it


def config(**nps_settings: Any) -> Settings:
    base = settings_for_tests()
    program = Program.model_validate({**base.programs[0].model_dump(),
                                      "nps": {"points": 20, "cooldown_days": 20, **nps_settings}})
    return Settings.model_validate({**base.model_dump(), "programs": (program.model_dump(),)})


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Outlet:
    """Records DMs with their buttons, as ``Outlet.notify`` takes them."""

    sent: list[tuple[str, str, tuple[Button, ...], str | None]] = field(default_factory=list)

    async def announce(self, community_id: str, text: str, buttons: tuple[Button, ...] = ()) -> None:
        pass

    async def notify(self, user_id: str, text: str, buttons: tuple[Button, ...] = (),
                     program_id: str | None = None) -> bool:
        self.sent.append((user_id, text, buttons, program_id))
        return True


async def boot(db: Database, settings: Settings) -> tuple[Core, Outlet]:
    core = Core(settings, db)
    await core.start()
    outlet = Outlet()
    core.attach_outlet("discord", outlet)
    return core, outlet


async def rows(db: Database, model: Any) -> list[Any]:
    async with db.unit_of_work() as s:
        return list(await s.scalars(select(model).order_by(*model.__table__.primary_key.columns)))


async def points(db: Database) -> int:
    """Points paid for completing surveys (members' chat messages earn too)."""
    async with db.unit_of_work() as s:
        return int(await s.scalar(select(func.coalesce(func.sum(LedgerEntry.delta), 0))
                                  .where(LedgerEntry.reason == Reason.NPS_COMPLETED)) or 0)


async def ledger_ok(db: Database) -> None:
    async with db.unit_of_work() as s:
        checks = await verify(s)
    assert all(c.ok for c in checks)


async def say(core: Core, user: str, now: datetime, text: str = "this community is lovely today") -> None:
    await core.message(ctx(core, user, now=now, event=f"m-{user}-{now.isoformat()}"),
                       IncomingMessage(f"m-{user}-{now.isoformat()}", text))


async def nps_command(core: Core, user: str, why: str | None = None, now: datetime = T0) -> Reply:
    return await core.command(ctx(core, user, now=now, event=f"nps-{user}-{why}-{now.isoformat()}"), "nps",
                              {"why": why})


async def press(core: Core, user: str, action: str, now: datetime = T0) -> Reply:
    return await core.action(ctx(core, user, now=now, event=f"press-{user}-{action}-{now.isoformat()}"), action)


def score_button(reply: Reply, score: int) -> str:
    return reply.buttons[score].action


# ---- /nps and the score buttons --------------------------------------------------------------------


async def test_nps_asks_with_eleven_buttons_and_records_the_first_press_once(db: Database) -> None:
    core, _ = await boot(db, config())
    asked = await nps_command(core, "1")
    assert asked.ok and asked.private and "How likely are you to recommend Acme to a friend?" in asked.text
    assert [b.label for b in asked.buttons] == [str(n) for n in range(11)]
    (response,) = await rows(db, NpsResponse)
    assert [b.action for b in asked.buttons] == [f"nps:{response.id}:{n}" for n in range(11)]
    assert (await nps_command(core, "1")).buttons == asked.buttons  # the open ask again, not a new one

    answered = await press(core, "1", score_button(asked, 9))
    assert answered.ok and "Thanks for your answer: 9." in answered.text and "20 points" in answered.text
    assert "/nps" in answered.text  # the optional "why" is asked for
    again = await press(core, "1", score_button(asked, 3), T0 + timedelta(minutes=1))
    assert again.ok and "already answered this survey with 9" in again.text
    (response,) = await rows(db, NpsResponse)
    assert (response.score, response.answered_at) == (9, T0)
    entries = [e for e in await rows(db, LedgerEntry) if e.reason == Reason.NPS_COMPLETED]
    assert [(e.delta, e.idempotency_key) for e in entries] == [(20, f"nps:acme:ask{response.id}:{response.member_id}")]
    assert await points(db) == 20

    recent = await nps_command(core, "1", now=T0 + 5 * DAY)
    assert recent.ok and not recent.buttons and "2026-03-02" in recent.text and "2026-03-22" in recent.text
    later = await nps_command(core, "1", now=T0 + 21 * DAY)  # the cool-down is over: a new survey
    assert later.buttons and later.buttons != asked.buttons
    assert (await press(core, "1", score_button(later, 2), T0 + 21 * DAY)).ok
    assert await points(db) == 40 and len(await rows(db, NpsResponse)) == 2
    await ledger_ok(db)


async def test_refused_presses_write_nothing(db: Database) -> None:
    core, _ = await boot(db, config())
    asked = await nps_command(core, "1")
    (response,) = await rows(db, NpsResponse)
    for action in (f"nps:{response.id}:11", f"nps:{response.id}:-1", f"nps:{response.id}:٣", "nps:abc:5",
                   f"nps:{response.id}", f"nps:{response.id + 1000}:5", "nps:99999999999999999999999:5"):
        refused = await press(core, "1", action)
        assert not refused.ok and "no longer valid" in refused.text, action
    stranger = await press(core, "2", score_button(asked, 10))
    assert not stranger.ok and "sent to someone else" in stranger.text
    (response,) = await rows(db, NpsResponse)
    assert response.score is None and await points(db) == 0


async def test_completion_pays_nothing_when_points_are_off(db: Database) -> None:
    core, _ = await boot(db, config(points=0))
    asked = await nps_command(core, "1")
    answered = await press(core, "1", score_button(asked, 10))
    assert answered.ok and "points" not in answered.text and await points(db) == 0
    assert [r.score for r in await rows(db, NpsResponse)] == [10]


class Keyword:
    """A stand-in model: 'love' positive, 'slow' negative, else neutral."""

    version = "keyword-1"
    languages = frozenset({"en", "zh"})

    def probabilities(self, texts: list[str]) -> np.ndarray:
        return np.array([[0.1, 0.1, 0.8] if "love" in t else [0.8, 0.1, 0.1] if "slow" in t else [0.1, 0.8, 0.1]
                         for t in texts])


async def test_why_is_stored_once_and_scored_by_the_sentiment_worker(db: Database) -> None:
    core, _ = await boot(db, config())
    early = await nps_command(core, "1", "before answering")
    assert not early.ok and "Answer the survey first" in early.text
    asked = await nps_command(core, "1")
    assert (await press(core, "1", score_button(asked, 4))).ok
    told = await nps_command(core, "1", "  support is\x00 so slow  ", T0 + timedelta(hours=1))
    assert told.ok and told.private and "Thanks for telling us why" in told.text
    twice = await nps_command(core, "1", "another reason", T0 + timedelta(hours=2))
    assert not twice.ok and "already told us why" in twice.text
    too_long = await nps_command(core, "2", "x" * 1001)
    assert not too_long.ok
    (response,) = await rows(db, NpsResponse)
    (why,) = [m for m in await rows(db, Message) if m.refusal == nps.WHY_REFUSAL]
    assert (response.why_message_id, why.text, why.points, why.sentiment_status) == (why.id, "support is so slow", 0,
                                                                                     "pending")
    assert await SentimentWorker(db, Scorer(Keyword())).drain() == 1
    (why,) = [m for m in await rows(db, Message) if m.refusal == nps.WHY_REFUSAL]
    assert why.sentiment_label == "negative"
    period = Period(T0 - DAY, T0 + DAY, "UTC")
    async with db.unit_of_work() as s:
        section = await nps_digest.section(s, core.settings.programs[0], period, "en")
    assert section is not None and section.rows[2][3:] == ("1", "1")  # detractors: one reason, negative


# ---- the schedule --------------------------------------------------------------------------------


def test_slots_follow_weekday_time_and_interval_in_the_program_zone() -> None:
    weekly = config(enabled=True, every_days=14, weekday="mon", time="10:00").programs[0].nps
    assert next_slot(weekly, "UTC", None, T0) == MONDAY_10
    assert next_slot(weekly, "UTC", MONDAY_10, T0) == MONDAY_10 + 14 * DAY
    assert next_slot(weekly, "Asia/Shanghai", None, T0) == datetime(2026, 3, 9, 2, 0)  # 10:00 in UTC+8
    daily = config(enabled=True, every_days=1, time="08:30").programs[0].nps
    assert next_slot(daily, "UTC", None, T0) == datetime(2026, 3, 3, 8, 30)
    assert latest_slot(daily, "UTC", datetime(2026, 3, 3, 8, 30), T0, datetime(2026, 3, 10, 9)) == \
        datetime(2026, 3, 10, 8, 30)
    assert latest_slot(daily, "UTC", datetime(2026, 3, 3, 8, 30), T0, datetime(2026, 3, 4, 8)) is None


async def scheduled(db: Database, **extra: Any) -> tuple[Core, Outlet, Scheduler, Clock]:
    settings = config(enabled=True, every_days=7, weekday="mon", time="10:00", active_days=30, **extra)
    core, outlet = await boot(db, settings)
    clock = Clock(T0)
    scheduler = Scheduler(clock)
    scheduler.serve(core)
    return core, outlet, scheduler, clock


async def test_scheduled_round_is_sent_once_to_active_members_and_never_again_after_a_restart(db: Database) -> None:
    core, outlet, scheduler, clock = await scheduled(db)
    for user in ("1", "2", "3"):
        await say(core, user, T0)
    await say(core, "4", T0 - 40 * DAY)  # not active in the last 30 days
    await scheduler.run_due()
    assert outlet.sent == [] and scheduler.armed() == {"timed:nps:acme": MONDAY_10}

    clock.now = MONDAY_10 + timedelta(minutes=5)
    assert await scheduler.run_due() == 1
    assert await scheduler.run_due() == 0
    assert sorted(user for user, *_ in outlet.sent) == ["1", "2", "3"]
    user, text, buttons, program_id = outlet.sent[0]
    assert "recommend Acme" in text and len(buttons) == 11 and program_id == "acme"
    (survey,) = await rows(db, NpsSurvey)
    assert (survey.status, survey.asked, survey.due_at) == (nps.SENT, 3, MONDAY_10)

    restarted, outlet_after = await boot(db, core.settings)
    again = Scheduler(Clock(clock.now + timedelta(hours=1)))
    again.serve(restarted)
    assert await again.run_due() == 0 and outlet_after.sent == []
    assert again.armed() == {"timed:nps:acme": MONDAY_10 + 7 * DAY}

    answered = await press(restarted, user, buttons[10].action, clock.now)  # the DM's button
    assert answered.ok and await points(db) == 20
    twice = await press(restarted, user, buttons[10].action, clock.now)
    assert "already answered" in twice.text and await points(db) == 20

    clock.now = MONDAY_10 + 7 * DAY + timedelta(minutes=5)  # within everyone's 20-day cool-down
    assert await scheduler.run_due() == 1
    assert len(outlet.sent) == 3 and [s.asked for s in await rows(db, NpsSurvey)] == [3, 0]
    await ledger_ok(db)


async def test_one_round_after_downtime(db: Database) -> None:
    core, outlet, scheduler, clock = await scheduled(db, cooldown_days=0)
    await scheduler.run_due()
    clock.now = datetime(2026, 4, 20, 11, 0)  # down through six Mondays
    await say(core, "1", clock.now - DAY)
    assert await scheduler.run_due() == 1
    assert [s.due_at for s in await rows(db, NpsSurvey)] == [datetime(2026, 4, 20, 10, 0)]
    assert [user for user, *_ in outlet.sent] == ["1"]


async def test_a_round_cut_short_resumes_without_asking_anyone_twice(db: Database) -> None:
    core, outlet, scheduler, clock = await scheduled(db)
    for user in ("1", "2", "3"):
        await say(core, user, T0)
    await scheduler.run_due()
    async with db.unit_of_work() as s:  # a process died after asking the first member of the round
        survey_id = await nps.start_survey(s, "acme", MONDAY_10, MONDAY_10)
        assert survey_id is not None
        first = (await nps.to_ask(s, "acme", survey_id, T0 - DAY, MONDAY_10, 1))[0]
        await nps.ask_many(s, "acme", survey_id, [first], MONDAY_10)
    clock.now = MONDAY_10 + timedelta(minutes=30)
    await scheduler.run_due()
    assert sorted(user for user, *_ in outlet.sent) == ["2", "3"]
    (survey,) = await rows(db, NpsSurvey)
    assert (survey.status, survey.asked) == (nps.SENT, 3)


async def test_rounds_are_off_unless_enabled(db: Database) -> None:
    core, outlet = await boot(db, config())
    await say(core, "1", T0)
    scheduler = Scheduler(Clock(T0 + 60 * DAY))
    scheduler.serve(core)
    assert await scheduler.run_due() == 0 and scheduler.armed() == {} and outlet.sent == []


# ---- NPS arithmetic ------------------------------------------------------------------------------


def test_tally_is_promoters_minus_detractors_in_percent() -> None:
    assert nps.Tally(5, 2, 3).nps == pytest.approx(20.0) and nps.Tally(5, 2, 3).responses == 10
    assert nps.Tally(0, 0, 4).nps == -100.0 and nps.Tally().nps is None
    assert [nps_digest.signed(v) for v in (23.4, -7.6, 0.2, None)] == ["+23", "-8", "0", "-"]


async def test_digest_section_counts_answers_in_the_period_by_group(db: Database) -> None:
    core, _ = await boot(db, config())
    scores = [10, 9, 9, 8, 7, 6, 0, 3, 10, 10]
    for n, score in enumerate(scores):
        asked = await nps_command(core, str(n + 1))
        assert (await press(core, str(n + 1), score_button(asked, score))).ok
    outside = await nps_command(core, "99", now=T0 - 10 * DAY)  # the previous period: one detractor
    assert (await press(core, "99", score_button(outside, 1), T0 - 10 * DAY)).ok
    program = core.settings.programs[0]
    async with db.unit_of_work() as s:
        section = await nps_digest.section(s, program, Period(T0 - 7 * DAY, T0 + DAY, "UTC"), "en")
        chinese = await nps_digest.section(s, program, Period(T0 - 7 * DAY, T0 + DAY, "UTC"), "zh-CN")
        empty = await nps_digest.section(s, program, Period(T0 + DAY, T0 + 8 * DAY, "UTC"), "en")
    assert section is not None and chinese is not None and empty is None
    assert section.headline == "NPS +20 (10 responses)"
    assert [row[:3] for row in section.rows] == [("Promoters (9-10)", "5", "50%"), ("Passives (7-8)", "2", "20%"),
                                                 ("Detractors (0-6)", "3", "30%")]
    assert section.note == "previous period: -100 (1 responses)"
    assert chinese.headline == "NPS +20（10 份回答）"
