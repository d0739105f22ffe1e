"""A typed contest or entry id -> the row, only within the program the command runs in.

Ids are global across programs, so an id from another program gets the same
"no such contest" answer as one that never existed: one program can neither
reach nor detect another's contests (as ``handlers.targets`` does for members).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.contests import inputs
from handlers.context import Context
from handlers.errors import UserError
from storage import contests
from storage.contests import Contest, ContestEntry


async def contest(session: AsyncSession, ctx: Context, raw: object, *, lock: bool = False) -> Contest:
    contest_id = inputs.record_id(raw, "contest.bad_id")
    found = await contests.in_program(session, ctx.program.id, contest_id, lock=lock)
    if found is None:
        raise UserError("contest.unknown", id=contest_id)
    return found


async def entry(session: AsyncSession, ctx: Context, raw: object) -> tuple[ContestEntry, Contest]:
    entry_id = inputs.record_id(raw, "contest.bad_entry_id")
    found = await contests.entry_in_program(session, ctx.program.id, entry_id)
    if found is None:
        raise UserError("contest.unknown_entry", entry=entry_id)
    return found
