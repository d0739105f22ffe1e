"""The one place a submission meets the contests feature (``handlers.contests.entries``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.contests import entries
from handlers.context import Context


async def check(session: AsyncSession, ctx: Context, contest_id: int) -> None:
    """Raise a ``UserError`` unless ``contest_id`` is a UGC contest of ``ctx.program`` that the acting
    member may still enter now."""
    await entries.check_open_for_ugc(session, ctx, contest_id)


async def enter(session: AsyncSession, ctx: Context, contest_id: int, submission_id: int,
                member_id: int) -> None:
    """Make the stored submission the member's entry (checked again in this unit of work); it takes part
    once approved or featured."""
    await entries.record_ugc_entry(session, ctx, contest_id, submission_id, member_id)
