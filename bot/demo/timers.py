"""The demo's timed jobs: each demo section runs only its own sources, on its own clock.

``Scheduler.serve`` takes every source of the core, so a section serving the
core would also fire the win-back, birthday, NPS and digest jobs at its own
clock's time, and what those jobs did (nudges closed early, notices to a
recorder that does not expect them) would depend on the order the sections
run in. A section names its sources instead; the core's re-arms
(``TimersChanged``, attributed joins) go to that section's scheduler only
while the section runs, and back to what they were after.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager

from bot.scheduler import Clock, Scheduler
from handlers.core import Core


@contextmanager
def own_timers(core: Core, clock: Clock, names: Collection[str]) -> Iterator[Scheduler]:
    """A scheduler on ``clock`` with only the core's sources called ``names``, serving the core's re-arms
    inside the block. An unknown name is a bug of the demo (a source renamed), so it raises."""
    unknown = set(names) - {source.name for source in core.timed_jobs}
    if unknown:
        raise ValueError(f"no timed source named {', '.join(sorted(unknown))}")
    scheduler = Scheduler(clock)
    for source in core.timed_jobs:
        if source.name in names:
            scheduler.add_source(source)
    previous, core.rearm = core.rearm, scheduler.rearm
    try:
        yield scheduler
    finally:
        core.rearm = previous
