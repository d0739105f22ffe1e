"""A/B experiments: which variant each member got, and their exposure and conversion events.

An assignment row is written at a member's first exposure and never changed:
``uq_experiment_member`` makes a second writer (another process, a redelivery)
find the first one's variant, so a member stays in their variant even if the
weights in config change later. Events are one exposure and at most one
conversion per assignment (``uq_experiment_event``). The exposure keeps the
end of its conversion window, so deciding conversions is a plain comparison of
stored times on SQLite and PostgreSQL alike, and a later change of
``window_hours`` does not move windows already open.

Conversions are derived from stored facts (ledger entries, UGC submissions,
redemptions, messages) by one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING``,
so running it again, from any process or after a restart, adds nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    and_,
    case,
    cast,
    func,
    literal,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, aliased, mapped_column

from storage.models import Base, BigId, LedgerEntry, Message, Reason
from storage.rewards import Redemption
from storage.ugc import UgcSubmission
from storage.upsert import insert_for

EXPOSURE, CONVERSION = "exposure", "conversion"


class ExperimentAssignment(Base):
    __tablename__ = "experiment_assignments"
    __table_args__ = (
        UniqueConstraint("program_id", "experiment_id", "member_id", name="uq_experiment_member"),
        Index("ix_experiment_variant", "program_id", "experiment_id", "variant"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    program_id: Mapped[str] = mapped_column(String(40))
    experiment_id: Mapped[str] = mapped_column(String(40))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    variant: Mapped[str] = mapped_column(String(40))
    assigned_at: Mapped[datetime] = mapped_column(DateTime)


class ExperimentEvent(Base):
    """An exposure (``window_ends_at`` set) or a conversion (``source`` names the row, e.g. ``messages:42``)."""

    __tablename__ = "experiment_events"
    __table_args__ = (UniqueConstraint("assignment_id", "kind", name="uq_experiment_event"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("experiment_assignments.id"))
    kind: Mapped[str] = mapped_column(String(12))
    at: Mapped[datetime] = mapped_column(DateTime)
    window_ends_at: Mapped[datetime | None] = mapped_column(DateTime)
    source: Mapped[str | None] = mapped_column(String(64))


@dataclass(frozen=True)
class Exposure:
    """The member's variant (the stored one, whatever was proposed) and whether this was their first
    exposure."""

    variant: str
    first: bool


async def expose(session: AsyncSession, program_id: str, experiment_id: str, member_id: int, proposed: str,
                 now: datetime, window_ends_at: datetime) -> Exposure:
    """Assign ``proposed`` unless the member already has a variant, and record their first exposure."""
    await session.execute(insert_for(session, ExperimentAssignment.__table__).values(
        program_id=program_id, experiment_id=experiment_id, member_id=member_id, variant=proposed,
        assigned_at=now).on_conflict_do_nothing(index_elements=["program_id", "experiment_id", "member_id"]))
    assignment_id, variant = (await session.execute(
        select(ExperimentAssignment.id, ExperimentAssignment.variant).where(
            ExperimentAssignment.program_id == program_id, ExperimentAssignment.experiment_id == experiment_id,
            ExperimentAssignment.member_id == member_id))).one()
    inserted = await session.execute(insert_for(session, ExperimentEvent.__table__).values(
        assignment_id=assignment_id, kind=EXPOSURE, at=now, window_ends_at=window_ends_at)
        .on_conflict_do_nothing(index_elements=["assignment_id", "kind"]).returning(ExperimentEvent.id))
    return Exposure(variant, inserted.first() is not None)


def _facts(conversion: str) -> tuple[Any, Any, str, list[Any]]:
    """The table whose rows convert, its time column, the source label and extra conditions."""
    if conversion == "earning_message":
        return LedgerEntry, LedgerEntry.created_at, "ledger_entries", [
            LedgerEntry.reason == Reason.MESSAGE.value, LedgerEntry.delta > 0]
    if conversion == "ugc_submission":
        return UgcSubmission, UgcSubmission.created_at, "ugc_submissions", []
    if conversion == "redemption":
        return Redemption, Redemption.created_at, "reward_redemptions", []
    if conversion == "return":
        return Message, Message.created_at, "messages", []
    raise ValueError(f"unknown conversion {conversion!r}")


async def record_conversions(session: AsyncSession, program_id: str, experiment_id: str, conversion: str,
                             now: datetime) -> int:
    """Record the conversion of every exposed member whose first qualifying fact lies after their exposure,
    within its window and not after ``now``; how many were new."""
    table, at, label, extra = _facts(conversion)
    exposure = aliased(ExperimentEvent)
    done = aliased(ExperimentEvent)
    a = ExperimentAssignment
    within = and_(table.program_id == a.program_id, table.member_id == a.member_id, at > exposure.at,
                  at <= exposure.window_ends_at, at <= now, *extra)
    first = select(table.id, at).where(within).order_by(at, table.id).limit(1).correlate(a, exposure)
    first_id = first.with_only_columns(table.id).scalar_subquery()
    first_at = first.with_only_columns(at).scalar_subquery()
    candidates = (select(a.id, literal(CONVERSION), first_at, literal(f"{label}:") + cast(first_id, String))
                  .join(exposure, and_(exposure.assignment_id == a.id, exposure.kind == EXPOSURE))
                  .outerjoin(done, and_(done.assignment_id == a.id, done.kind == CONVERSION))
                  .where(a.program_id == program_id, a.experiment_id == experiment_id, done.id.is_(None),
                         exposure.at < now, first_id.is_not(None)))
    statement = insert_for(session, ExperimentEvent.__table__).from_select(
        ["assignment_id", "kind", "at", "source"], candidates).on_conflict_do_nothing(
        index_elements=["assignment_id", "kind"])
    result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class VariantTally:
    """Exposed members of one variant: ``open`` are still inside their conversion window; ``settled`` are
    the rest, of whom ``converted`` converted. A member converting early is counted once their window
    closes, like everyone else, so rates never favour the variant exposed most recently."""

    variant: str
    exposed: int
    open: int
    converted: int

    @property
    def settled(self) -> int:
        return self.exposed - self.open


async def tally(session: AsyncSession, program_id: str, experiment_id: str, now: datetime,
                exposed_from: datetime | None = None,
                exposed_until: datetime | None = None) -> list[VariantTally]:
    """Counts per variant (only variants with an exposure), optionally of exposures in [from, until)."""
    a = ExperimentAssignment
    exposure = aliased(ExperimentEvent)
    conversion = aliased(ExperimentEvent)
    still_open = exposure.window_ends_at > now
    converted = and_(conversion.id.is_not(None), exposure.window_ends_at <= now)
    query = (select(a.variant, func.count(), func.sum(case((still_open, 1), else_=0)),
                    func.sum(case((converted, 1), else_=0)))
             .join(exposure, and_(exposure.assignment_id == a.id, exposure.kind == EXPOSURE))
             .outerjoin(conversion, and_(conversion.assignment_id == a.id, conversion.kind == CONVERSION))
             .where(a.program_id == program_id, a.experiment_id == experiment_id)
             .group_by(a.variant).order_by(a.variant))
    if exposed_from is not None:
        query = query.where(exposure.at >= exposed_from)
    if exposed_until is not None:
        query = query.where(exposure.at < exposed_until)
    return [VariantTally(variant, int(exposed), int(still or 0), int(done or 0))
            for variant, exposed, still, done in await session.execute(query)]


async def exposed_members(session: AsyncSession, program_id: str,
                          experiment_id: str) -> list[tuple[int, str, datetime]]:
    """(member, variant, exposed at) of every exposed member, by exposure time."""
    a = ExperimentAssignment
    rows = await session.execute(
        select(a.member_id, a.variant, ExperimentEvent.at)
        .join(ExperimentEvent, and_(ExperimentEvent.assignment_id == a.id, ExperimentEvent.kind == EXPOSURE))
        .where(a.program_id == program_id, a.experiment_id == experiment_id)
        .order_by(ExperimentEvent.at, a.member_id))
    return [(int(m), str(v), at) for m, v, at in rows]


