"""Scheduled digests: one row per program, digest kind and period; the row is the timer and the record.

A row is created ``pending`` for the period a schedule will cover next, due
when that period ends (``ensure``: an idempotent insert, so every process and
every re-arm may ask for it). Sending it moves it ``pending -> sending`` by a
compare-and-set (``claim``), so of two processes, a restart and a duplicate
timer exactly one sends it; it ends ``sent`` or ``failed``. A row that fell
due while the bot was down and has since been overtaken by a later period is
``skipped`` (only the latest missed digest is sent). A crash between
``claim`` and ``finish`` leaves the row ``sending``: that digest is never
sent twice, at the price of possibly not at all.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, UniqueConstraint, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId
from storage.upsert import insert_for

PENDING, SENDING, SENT, FAILED, SKIPPED = "pending", "sending", "sent", "failed", "skipped"
NOTE_MAX = 200


class DigestRun(Base):
    __tablename__ = "digest_runs"
    __table_args__ = (
        UniqueConstraint("program_id", "kind", "period_start", name="uq_digest_run_period"),
        Index("ix_digest_run_status", "status", "due_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    program_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(8))
    # The period the digest covers, [start, end) in naive UTC; it is due at the end.
    period_start: Mapped[datetime] = mapped_column(DateTime)
    period_end: Mapped[datetime] = mapped_column(DateTime)
    due_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Communities that got it (sent or failed rows).
    delivered: Mapped[int | None] = mapped_column(Integer)
    # Why it failed or was skipped.
    note: Mapped[str | None] = mapped_column(String(NOTE_MAX))


async def ensure(session: AsyncSession, program_id: str, kind: str, start: datetime, end: datetime,
                 now: datetime) -> None:
    """The pending row of this period, unless one (in any status) already exists."""
    stmt = insert_for(session, DigestRun.__table__).values(
        program_id=program_id, kind=kind, period_start=start, period_end=end, due_at=end, status=PENDING,
        created_at=now).on_conflict_do_nothing(index_elements=["program_id", "kind", "period_start"])
    await session.execute(stmt)


async def pending(session: AsyncSession, program_ids: Collection[str]) -> list[DigestRun]:
    """Rows still to send of these programs, oldest due first."""
    rows = await session.scalars(select(DigestRun).where(DigestRun.status == PENDING,
                                                         DigestRun.program_id.in_(list(program_ids)))
                                 .order_by(DigestRun.due_at, DigestRun.id))
    return list(rows.all())


async def _move(session: AsyncSession, run_id: int, before: str, after: str, **values: object) -> bool:
    """Compare-and-set of the status; True for the one caller whose UPDATE moved the row."""
    result = await session.execute(update(DigestRun).where(DigestRun.id == run_id, DigestRun.status == before)
                                   .values(status=after, **values))
    return bool(getattr(result, "rowcount", 0) == 1)


async def claim(session: AsyncSession, run_id: int, now: datetime) -> bool:
    return await _move(session, run_id, PENDING, SENDING, started_at=now)


async def skip(session: AsyncSession, run_id: int, now: datetime, note: str) -> bool:
    return await _move(session, run_id, PENDING, SKIPPED, finished_at=now, note=note[:NOTE_MAX])


async def finish(session: AsyncSession, run_id: int, now: datetime, delivered: int,
                 note: str | None = None) -> bool:
    """``sending -> sent`` when at least one community got it, else ``failed``."""
    return await _move(session, run_id, SENDING, SENT if delivered else FAILED, finished_at=now,
                       delivered=delivered, note=note[:NOTE_MAX] if note else None)
