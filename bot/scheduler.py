"""Periodic jobs on the bot's event loop: a thin wrapper over APScheduler 3.x.

``Scheduler`` owns one ``AsyncIOScheduler``; jobs are coroutine functions
run on the running loop, one instance at a time, missed runs coalesced. A
failing job logs and waits for its next turn instead of stopping the bot.
Today the one job writes ledger checkpoints (``storage.checkpoint``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from storage import checkpoint
from storage.database import Database

log = structlog.get_logger(__name__)
Job = Callable[[], Awaitable[None]]


class Scheduler:
    def __init__(self) -> None:
        self._scheduler = AsyncIOScheduler(timezone=UTC)

    def every(self, name: str, minutes: float, job: Job, *, now: bool = True) -> None:
        """Run ``job`` every ``minutes``; the first run at start when ``now``."""
        first = {"next_run_time": datetime.now(UTC)} if now else {}
        self._scheduler.add_job(_logged(name, job), "interval", minutes=minutes, id=name, name=name,
                                coalesce=True, max_instances=1, **first)

    def start(self) -> None:
        """Start on the running event loop (call from async code)."""
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


def start_checkpoints(db: Database, program_ids: Sequence[str], directory: str | None,
                      interval_minutes: int) -> Scheduler | None:
    """A started scheduler writing checkpoints into ``directory``, or None when it is unset."""
    if directory is None:
        return None
    scheduler = Scheduler()
    scheduler.every("ledger-checkpoint", interval_minutes, checkpoint_job(db, program_ids, Path(directory)))
    scheduler.start()
    return scheduler
