"""The rollup behind a check's baseline: each channel's counts per completed clock hour (``alert_hours``),
brought up to date by each check before it reads them.

Why: the baseline is 168 hours of every channel. Counting them from the
messages at every check (every 5 minutes) read the whole week each time:
seconds on 300,000 messages, inside SQLite's write lock. An hour's counts
rarely change once it is over, so a check counts only the hours it has not
rolled up yet (normally none, or the one that just entered the baseline) and
reads the rest as a few thousand small rows.

The window (``Window``): the last hour, ``[now - 1 h, now)``, is counted live
from the messages, as before (cheap on the (program_id, created_at) index).
The baseline is the ``baseline_hours`` whole clock hours that ended before the
last hour began: ``[end - baseline_hours h, end)`` with ``end`` the start of
the clock hour holding ``now - 1 h``. On a check at a whole hour that is
exactly the hours counted back from ``now``; otherwise the baseline sits up to
59 minutes earlier, which is what lets it be made of stored hours.

When an hour is rolled up, and how later changes still reach it: an hour is
rolled up when it enters the baseline, so it ended at least an hour before
(messages are stored and scored seconds after they are written, so it has
normally settled). Sentiment is scored asynchronously, though, and messages
can also arrive late into past hours (the Discord catch-up and the Telegram
inbox after a downtime); so an hour already rolled up is rolled up again when
a message of it was stored or scored since the roll-up before (a new id, or a
``scored_at`` from then on: a late score, a message stored late, or one
scored again by ``engagebot sentiment rescore``). Every message is stored
pending and its label only changes by a scoring, so those two catch every
change, at the cost of reading the messages stored and scored since the last
check. The ids scanned go back one roll-up further, and the scores
``SCORED_SLACK`` further, so a transaction that commits out of order (a
PostgreSQL id, a scoring batch) or a clock slightly off is still caught.
Re-rolling the last few hours at every check, or waiting for an hour's
pending count to reach zero, were the alternatives: both miss a message
stored or scored again after a longer time, and the first costs every check
hours of messages.

Rolling up writes. It runs before the check's claim, in units of work of at
most ``CHUNK_HOURS`` hours each, so the first check (the whole window) never
holds SQLite's write lock for long; each grows the reach it adjoins, so a
check cut off midway, or a restart, goes on from the last range written (the
scan marks move only once a roll-up is through, so nothing stored or scored
meanwhile is skipped). Two processes rolling
up at once write the same counts (a PostgreSQL key collision is retried by
``Database.run``), and the reach only moves forward.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from storage import alerts
from storage.alerts import HOUR
from storage.database import Database

CHUNK_HOURS = 6
SCORED_SLACK = timedelta(minutes=10)
Range = tuple[datetime, datetime]


def floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Window:
    """What a check at ``now`` compares: the last hour ``[last_hour, now)`` against the baseline's clock hours
    ``[start, end)``."""

    now: datetime
    start: datetime
    end: datetime

    @classmethod
    def at(cls, now: datetime, baseline_hours: int) -> Window:
        end = floor_hour(now - HOUR)
        return cls(now, end - baseline_hours * HOUR, end)

    @property
    def last_hour(self) -> datetime:
        return self.now - HOUR


@dataclass(frozen=True)
class Plan:
    """The hours to count again, in ranges of at most ``CHUNK_HOURS``, and the ids to scan from next time."""

    ranges: list[Range]
    scan_from_id: int
    max_id: int


def _hours(start: datetime, end: datetime) -> list[datetime]:
    return [start + n * HOUR for n in range((end - start) // HOUR)] if end > start else []


def ranges(hours: list[datetime]) -> list[Range]:
    """Sorted hours as runs of consecutive hours, each at most ``CHUNK_HOURS`` long."""
    runs: list[Range] = []
    for hour in hours:
        if runs and runs[-1][1] == hour and (hour - runs[-1][0]) // HOUR < CHUNK_HOURS:
            runs[-1] = (runs[-1][0], hour + HOUR)
        else:
            runs.append((hour, hour + HOUR))
    return runs


async def plan(session: AsyncSession, program_id: str, window: Window) -> Plan:
    """The baseline hours the rollup lacks (all of them the first time, or after a downtime longer than the
    window) and those rolled up already whose messages were stored or scored since. Lacking hours come in
    an order where each range adjoins the reach, so it grows range by range."""
    max_id = await alerts.max_message_id(session)
    reach = await alerts.rollup_of(session, program_id)
    if reach is not None and (reach.rolled_until <= window.start or reach.rolled_from >= window.end):
        await alerts.forget_rollup(session, program_id)
        reach = None
    if reach is None:
        return Plan(ranges(_hours(window.start, window.end)), max_id, max_id)
    rolled_from, rolled_until = max(reach.rolled_from, window.start), min(reach.rolled_until, window.end)
    changed = await alerts.changed_hours(session, program_id, rolled_from, rolled_until, reach.scan_from_id,
                                         reach.scanned_at - SCORED_SLACK)
    head, tail = ranges(_hours(window.start, rolled_from)), ranges(_hours(rolled_until, window.end))
    return Plan([*reversed(head), *tail, *ranges(sorted(changed))], reach.max_id, max_id)


async def refresh(db: Database, program_id: str, window: Window) -> None:
    """Make ``alert_hours`` hold every baseline hour of ``window`` as the messages say now."""
    todo = await db.run(lambda session: plan(session, program_id, window))
    for start, end in todo.ranges:
        await db.run(lambda session, start=start, end=end: _roll(session, program_id, start, end, todo,
                                                                  window))
    await db.run(lambda session: alerts.save_rollup(session, program_id, window.start, window.end,
                                                    todo.scan_from_id, todo.max_id, window.now))


async def _roll(session: AsyncSession, program_id: str, start: datetime, end: datetime, todo: Plan,
                window: Window) -> None:
    await alerts.replace_hours(session, program_id, start, end,
                               await alerts.count_hours(session, program_id, start, end))
    await alerts.extend_reach(session, program_id, start, end, todo.scan_from_id, todo.max_id, window.now)
