"""The scheduler's timed rows, driven by a controllable clock (no sleeps): what is due runs once,
what is not is armed, a failed run is retried later, a timer going off re-arms."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.scheduler import Scheduler
from handlers.timers import Due

T0 = datetime(2026, 3, 2, 12, 0)


class Rows:
    """A TimedJobs source over in-memory rows: key -> (due time, remaining due times after each run)."""

    name = "rows"

    def __init__(self, **rows: list[datetime]) -> None:
        self.rows = rows
        self.fired: list[tuple[str, datetime]] = []
        self.failing: set[str] = set()

    async def pending(self) -> list[Due]:
        return [Due(key, times[0]) for key, times in sorted(self.rows.items()) if times]

    async def fire(self, key: str, now: datetime) -> None:
        self.fired.append((key, now))
        if key in self.failing:
            raise RuntimeError("boom")
        times = self.rows[key]
        if times and times[0] <= now:
            times.pop(0)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


async def test_due_rows_run_once_and_future_rows_are_armed(clock: Clock) -> None:
    rows = Rows(late=[T0 - timedelta(hours=2)], soon=[T0 + timedelta(minutes=5)])
    scheduler = Scheduler(clock)
    scheduler.add_source(rows)
    await scheduler.rearm()
    assert rows.fired == [("late", T0)]
    assert scheduler.armed() == {"timed:rows:soon": T0 + timedelta(minutes=5)}
    await scheduler.rearm()
    assert rows.fired == [("late", T0)]


async def test_a_row_due_at_several_times_runs_each_step_in_one_pass(clock: Clock) -> None:
    rows = Rows(contest=[T0 - timedelta(days=2), T0 - timedelta(days=1), T0 + timedelta(days=1)])
    scheduler = Scheduler(clock)
    scheduler.add_source(rows)
    assert await scheduler.run_due() == 2
    assert scheduler.armed() == {"timed:rows:contest": T0 + timedelta(days=1)}


async def test_failed_run_is_retried_later_not_in_a_loop(clock: Clock) -> None:
    rows = Rows(bad=[T0 - timedelta(minutes=1)])
    rows.failing.add("bad")
    scheduler = Scheduler(clock, retry_seconds=30)
    scheduler.add_source(rows)
    await scheduler.rearm()
    assert rows.fired == [("bad", T0)] and scheduler.armed() == {"timed:rows:bad": T0 + timedelta(seconds=30)}
    rows.failing.clear()
    clock.now = T0 + timedelta(seconds=30)
    assert await scheduler.run_due() == 1 and scheduler.armed() == {}


async def test_rows_gone_are_disarmed_and_moved_rows_rearmed(clock: Clock) -> None:
    rows = Rows(a=[T0 + timedelta(hours=1)], b=[T0 + timedelta(hours=2)])
    scheduler = Scheduler(clock)
    scheduler.add_source(rows)
    await scheduler.rearm()
    rows.rows["a"] = []
    rows.rows["b"] = [T0 + timedelta(hours=3)]
    await scheduler.rearm()
    assert scheduler.armed() == {"timed:rows:b": T0 + timedelta(hours=3)}


async def test_a_timer_going_off_runs_what_is_due_and_rearms(clock: Clock) -> None:
    rows = Rows(a=[T0 + timedelta(hours=1), T0 + timedelta(hours=5)])
    scheduler = Scheduler(clock)
    scheduler.add_source(rows)
    await scheduler.rearm()
    job = scheduler._scheduler.get_job("timed:rows:a")
    clock.now = T0 + timedelta(hours=1)
    await job.func()  # what APScheduler runs when the timer goes off
    assert rows.fired == [("a", T0 + timedelta(hours=1))]
    assert scheduler.armed() == {"timed:rows:a": T0 + timedelta(hours=5)}


async def test_serve_wires_the_cores_sources_and_rearm(clock: Clock) -> None:
    class FakeCore:
        timed_jobs = [Rows(x=[T0])]
        rearm = None

    core = FakeCore()
    scheduler = Scheduler(clock)
    scheduler.serve(core)  # type: ignore[arg-type]
    await core.rearm()
    assert core.timed_jobs[0].fired == [("x", T0)]


async def test_a_failed_rearm_is_logged_and_retried(clock: Clock) -> None:
    class Flaky(Rows):
        down = True

        async def pending(self) -> list[Due]:
            if self.down:
                raise ConnectionError("database unreachable")
            return await super().pending()

    class FakeCore:
        timed_jobs = [Flaky()]
        rearm = None

    core = FakeCore()
    scheduler = Scheduler(clock, retry_seconds=30)
    scheduler.serve(core)  # type: ignore[arg-type]
    await core.rearm()
    assert scheduler.armed() == {"timed:retry": T0 + timedelta(seconds=30)}
    core.timed_jobs[0].down = False
    await core.rearm()
    assert scheduler.armed() == {}
