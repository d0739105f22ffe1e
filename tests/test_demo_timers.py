"""``bot.demo.timers.own_timers``: a demo section's scheduler runs only the section's own timed sources,
both when the section drives time (``run_due``) and when a use case re-arms through the core, and the
core's re-arm is handed back after the section."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.demo.timers import own_timers
from handlers.core import Core
from handlers.timers import Due
from tests.conftest import T0


class Source:
    """A timed source with one row due at ``T0``, keeping when it fired."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.fired: list[datetime] = []

    async def pending(self) -> list[Due]:
        return [] if self.fired else [Due("row", T0)]

    async def fire(self, key: str, now: datetime) -> None:
        self.fired.append(now)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def test_only_the_named_sources_run_and_the_rearm_is_handed_back(core: Core) -> None:
    contests, winback, digests = Source("contests"), Source("winback"), Source("digests")
    core.timed_jobs[:] = [contests, winback, digests]
    before = core.rearm
    clock = Clock(T0 + timedelta(hours=1))
    with own_timers(core, clock, ("contests",)) as scheduler:
        assert core.rearm is not None and core.rearm is not before
        await core.rearm()  # what a use case's TimersChanged does
        assert await scheduler.run_due() == 0  # already ran, once
        assert set(scheduler.armed()) == set()
    assert contests.fired == [clock.now]
    assert winback.fired == [] and digests.fired == []
    assert core.rearm is before
    with own_timers(core, clock, ("winback", "digests")) as scheduler:
        assert await scheduler.run_due() == 2
    assert winback.fired == digests.fired == [clock.now] and len(contests.fired) == 1


async def test_an_unknown_source_name_is_refused(core: Core) -> None:
    core.timed_jobs[:] = [Source("contests")]
    with pytest.raises(ValueError, match="no timed source named referals"):
        with own_timers(core, Clock(T0), ("referals",)):
            pass
    assert core.rearm is None
