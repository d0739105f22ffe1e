"""Timed work on the bot's event loop, over APScheduler 3.x (``AsyncIOScheduler``).

Two kinds of job. Periodic ones (``every``: ledger checkpoints, inbox
pruning) run at an interval. Timed rows (``add_source``: a contest's start
and end, a digest, a referral check) come from ``handlers.timers.TimedJobs``
sources: the database holds each row with its due time and status, and
``rearm`` runs the rows already due, then arms one date job per row still
pending; a date job going off just runs ``rearm`` again. It runs at
start-up, so whatever fell due while the bot was down runs once then, and
whenever a use case changed a timed row (``TimersChanged``, through
``serve``). Nothing is pickled: the rows are the job store. Firing is
idempotent in the source, so a timer that fires late, twice, in two
processes or alongside ``run_due`` changes nothing twice.

``clock`` gives "now" as naive UTC; tests pass a controllable one and call
``run_due`` instead of sleeping until a timer fires.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from handlers.clock import utcnow
from handlers.timers import TimedJobs
from storage import checkpoint
from storage.database import Database

if TYPE_CHECKING:
    from handlers.core import Core

log = structlog.get_logger(__name__)
Job = Callable[[], Awaitable[None]]
Clock = Callable[[], datetime]
# A row whose run failed is tried again after this long (and at every re-arm, start-up included).
RETRY_SECONDS = 60.0
RETRY_JOB = "timed:retry"


class Scheduler:
    def __init__(self, clock: Clock = utcnow, retry_seconds: float = RETRY_SECONDS) -> None:
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self.clock = clock
        self.retry = timedelta(seconds=retry_seconds)
        self._sources: dict[str, TimedJobs] = {}
        self._armed: dict[str, datetime] = {}
        self._lock = asyncio.Lock()

    def every(self, name: str, minutes: float, job: Job, *, now: bool = True) -> None:
        """Run ``job`` every ``minutes``; the first run at start when ``now``."""
        first = {"next_run_time": datetime.now(UTC)} if now else {}
        self._scheduler.add_job(_logged(name, job), "interval", minutes=minutes, id=name, name=name,
                                coalesce=True, max_instances=1, **first)

    def add_source(self, source: TimedJobs) -> None:
        self._sources[source.name] = source

    def serve(self, core: Core) -> None:
        """Take the core's timed sources and let its use cases re-arm (``TimersChanged``)."""
        for source in core.timed_jobs:
            self.add_source(source)
        core.rearm = self._rearm_or_retry

    async def rearm(self) -> None:
        """Run every row already due, then arm a timer for each row still pending.

        At start-up this runs, once, whatever fell due while the bot was down;
        after a use case changed a row, it moves or drops that row's timer.
        A row still due after its run (the run failed) is tried again after
        ``retry_seconds``. A timer going off only runs this again: the rows
        say what is due, so a late or duplicate timer finds nothing to do twice."""
        await self.run_due()

    async def run_due(self, now: datetime | None = None) -> int:
        """``rearm`` as of ``now`` (default: the clock); how many rows ran. Tests drive time with it
        instead of sleeping until a timer goes off."""
        async with self._lock:
            now = now or self.clock()
            ran = await self._run_due(now)
            wanted: dict[str, datetime] = {}
            for source in self._sources.values():
                for due in await source.pending():
                    wanted[f"timed:{source.name}:{due.key}"] = due.at if due.at > now else now + self.retry
            for job_id in set(self._armed) - set(wanted):
                self._disarm(job_id)
            for job_id, at in wanted.items():
                self._arm(job_id, at)
            return ran

    def _arm(self, job_id: str, at: datetime) -> None:
        if self._armed.get(job_id) == at:
            return
        self._disarm(job_id)
        self._scheduler.add_job(_logged(job_id, self._wake(job_id)), "date", run_date=at.replace(tzinfo=UTC),
                                id=job_id, name=job_id, misfire_grace_time=None, coalesce=True,
                                max_instances=1)
        self._armed[job_id] = at

    def _disarm(self, job_id: str) -> None:
        if self._armed.pop(job_id, None) is None:
            return
        try:
            self._scheduler.remove_job(job_id)
        except JobLookupError:
            pass  # it ran meanwhile

    def _wake(self, job_id: str) -> Job:
        async def wake() -> None:
            self._armed.pop(job_id, None)
            await self._rearm_or_retry()

        return wake

    async def _rearm_or_retry(self) -> None:
        """``rearm`` for a timer or a committed change (``TimersChanged``): a failure (the database
        unreachable, say) must not fail the reply or lose the timers, so it is logged and the whole
        re-arm tried again after ``retry_seconds``."""
        try:
            await self.rearm()
        except Exception:
            log.exception("re-arming timed jobs failed; trying again later")
            self._arm(RETRY_JOB, self.clock() + self.retry)

    def armed(self) -> dict[str, datetime]:
        """Armed timers (``timed:<source>:<key>``) and when they go off (naive UTC); for status and tests."""
        return dict(self._armed)

    async def _run_due(self, now: datetime) -> int:
        """Fire each due row once, again while firing made a row due at a new time (a contest that
        opened and whose end has also passed)."""
        fired: set[tuple[str, str, datetime]] = set()
        while True:
            due = [(source, row) for source in self._sources.values() for row in await source.pending()
                   if row.at <= now and (source.name, row.key, row.at) not in fired]
            if not due:
                return len(fired)
            for source, row in due:
                fired.add((source.name, row.key, row.at))
                try:
                    await source.fire(row.key, now)
                except Exception:
                    log.exception("timed job failed", source=source.name, key=row.key)

    def start(self) -> None:
        """Start on the running event loop (call from async code); call ``rearm`` after."""
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)


def _logged(name: str, job: Job) -> Job:
    async def run() -> None:
        try:
            await job()
        except Exception:
            log.exception("scheduled job failed", job=name)

    return run


def checkpoint_job(db: Database, program_ids: Sequence[str], directory: Path) -> Job:
    """Write one checkpoint file per program; a program that cannot be
    checkpointed (its chain does not verify at the head) is logged, the others
    are still written."""

    async def run() -> None:
        for program_id in program_ids:
            try:
                (path,) = await checkpoint.write_each(db, [program_id], directory)
            except checkpoint.CheckpointError as exc:
                log.error("ledger checkpoint refused", program=program_id, reason=str(exc))
                continue
            log.info("ledger checkpoint written", program=program_id, path=str(path))

    return run


def for_runtime(core: Core, checkpoint_dir: str | None, checkpoint_minutes: int) -> Scheduler:
    """The scheduler of ``engagebot run``: the core's timed rows, and ledger checkpoints when
    ``checkpoint_dir`` is set. Started; the caller runs the first ``rearm`` once the adapters
    can deliver what it announces."""
    scheduler = Scheduler()
    scheduler.serve(core)
    if checkpoint_dir is not None:
        programs = [p.id for p in core.settings.programs]
        scheduler.every("ledger-checkpoint", checkpoint_minutes, checkpoint_job(core.db, programs,
                                                                                Path(checkpoint_dir)))
    scheduler.start()
    return scheduler
