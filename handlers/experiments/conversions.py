"""Conversions are recorded when results are read (``/campaign stats``, the CLI report, the digest).

They are derived from facts the bot stores anyway (the ledger, UGC submissions,
redemptions, messages) by one SQL statement that is idempotent per assignment
(``storage.experiments.record_conversions``), so there is no timer to lose in a
restart and no event to miss: reading results at any later time finds the same
conversions, with the time and row of each member's first qualifying fact.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.experiments.variants import Experiment
from storage import experiments as store


async def record(session: AsyncSession, program_id: str, experiment: Experiment, now: datetime) -> int:
    """Record every conversion that happened by ``now``; how many were new."""
    return await store.record_conversions(session, program_id, experiment.id, experiment.conversion, now)
